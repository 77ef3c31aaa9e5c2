// Runs an actions/github-script `script:` the way the action does (the body of an async function of `require`,
// `github`, `context`, `core`), with a stand-in `github` client whose issue comments live in a JSON file
// (COMMENTS_FILE), so that a test can run the script for several pushes of one pull request.
// Prints the calls that changed comments as JSON on the last line of standard output.
const fs = require('fs');

const store = process.env.COMMENTS_FILE;
const load = () => JSON.parse(fs.readFileSync(store, 'utf8'));
const save = (comments) => fs.writeFileSync(store, JSON.stringify(comments, null, 2));
const calls = [];
const repoOf = (p) => `${p.owner}/${p.repo}`;

const github = {
  paginate: async (method, params) => {
    if (params.per_page > 100) throw new Error('per_page above 100');
    return (await method(params)).data;
  },
  rest: {
    issues: {
      listComments: async (p) => ({ data: load().filter((c) => c.repo === repoOf(p) && c.issue_number === p.issue_number) }),
      updateComment: async (p) => {
        const comments = load();
        const comment = comments.find((c) => c.repo === repoOf(p) && c.id === p.comment_id);
        if (!comment) throw new Error(`no comment ${p.comment_id}`);
        comment.body = p.body;
        save(comments);
        calls.push(`update ${p.comment_id}`);
      },
      createComment: async (p) => {
        const comments = load();
        const id = 100 + comments.length;
        comments.push({ id, repo: repoOf(p), issue_number: p.issue_number, user: { login: 'github-actions[bot]', type: 'Bot' }, body: p.body });
        save(comments);
        calls.push(`create ${id}`);
      },
    },
  },
};

const context = {
  serverUrl: 'https://github.com',
  repo: { owner: 'acme', repo: 'campaigns' },
  runId: Number(process.env.RUN_ID || 1),
  issue: { owner: 'acme', repo: 'campaigns', number: Number(process.env.PR_NUMBER) },
  payload: { pull_request: { number: Number(process.env.PR_NUMBER), head: { sha: process.env.HEAD_SHA } } },
};

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const script = fs.readFileSync(process.env.SCRIPT_FILE, 'utf8');
new AsyncFunction('require', 'github', 'context', 'core', script)(require, github, context, {})
  .then(() => console.log(JSON.stringify(calls)))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
