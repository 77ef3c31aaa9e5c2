import Foundation
import JSON
import Testing
import YAMLFrontEnd

/// The CI workflows users copy (examples/ci/), the composite action (action.yml) and `make dist`, which makes the
/// release assets the action downloads. docs/CI.md describes them.
@Suite("CI workflows users copy", .serialized)
struct CIWorkflowTests {
    // MARK: Schemas

    /// Every file against its published schema (check-jsonschema's vendored copies: no network).
    @Test func everyCIFileMatchesItsPublishedSchema() async throws {
        var files = try CIFiles.githubWorkflows().map { ($0, "vendor.github-workflows") }
        #expect(files.count == 2, "examples/ci/github/ holds the pull-request and the release workflow")
        files += [(CIFiles.actionFile, "vendor.github-actions"), (CIFiles.gitlabFile, "vendor.gitlab-ci")]
        for (file, schema) in files {
            let result = try await CheckJSONSchema.check(file, builtin: schema)
            #expect(result.status == 0, "\(file) against \(schema):\n\(result.stdout)\(result.stderr)")
        }
        // The checker does check: a workflow whose job has no `runs-on`, an action without `runs`, a GitLab job
        // with an unknown `when` are each refused.
        let folder = try TestSupport.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let broken = [
            ("workflow.yml", "vendor.github-workflows", "on: push\njobs:\n  a:\n    steps:\n      - run: echo\n"),
            ("action.yml", "vendor.github-actions", "name: x\ndescription: y\n"),
            ("gitlab.yml", "vendor.gitlab-ci", "job:\n  script: [echo]\n  when: sometimes\n"),
        ]
        for (name, schema, text) in broken {
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            let result = try await CheckJSONSchema.check(folder + "/" + name, builtin: schema)
            #expect(result.status != 0, "\(schema) accepted a broken \(name)")
        }
    }

    // MARK: Structure and security

    /// The pull-request workflow runs on `pull_request` only, with the least permissions, secrets only for
    /// branches of the repository itself, and never lets a pull request pick the API host.
    @Test func pullRequestWorkflowIsLeastPrivileged() throws {
        let workflows = try CIFiles.githubWorkflows().map(GitHubWorkflow.init)
        for workflow in workflows {
            #expect(!workflow.events.contains("pull_request_target"), "\(workflow.path)")
            // What the file does (its comments may explain what it must not do).
            let text = try String(contentsOfFile: workflow.path, encoding: .utf8).split(separator: "\n")
                .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }.joined(separator: "\n")
            #expect(!text.contains("pull_request_target"), "\(workflow.path)")
            #expect(!text.contains("--allow-api-url") && !text.contains("CAMPAIGN_ALLOW_API_URL"), "\(workflow.path)")
            #expect(!text.contains("write-all") && !text.contains("read-all"), "\(workflow.path)")
        }
        let gitlab = try String(contentsOfFile: CIFiles.gitlabFile, encoding: .utf8)
        #expect(!gitlab.contains("--allow-api-url") && !gitlab.contains("CAMPAIGN_ALLOW_API_URL"))
        let pullRequest = try #require(workflows.first { $0.events.contains("pull_request") })
        #expect(pullRequest.events == ["pull_request"])
        #expect(pullRequest.root["permissions"]?.strings == ["contents": "read"], "read-only by default")
        let allowed: Set<String> = ["contents: read", "pull-requests: write"]
        for (name, job) in pullRequest.jobs {
            let permissions = try #require(job["permissions"], "job \(name) states its permissions")
            for (scope, level) in permissions.pairs {
                #expect(allowed.contains("\(scope): \(level.text ?? "")"), "job \(name): \(scope): \(level.text ?? "")")
            }
            let usesSecrets = job["steps"]?.items.contains { step in
                step["env"]?.pairs.contains { $0.value.text?.contains("secrets.") == true } == true
            } == true
            if usesSecrets || job["env"] != nil {
                // Only pull requests from the repository's own branches (forks get no secrets anyway).
                #expect(job["if"]?.text?.contains("github.event.pull_request.head.repo.full_name == github.repository") == true,
                        "job \(name) uses secrets: it must be skipped for forks")
            } else {
                #expect(permissions.strings == ["contents": "read"], "job \(name) needs nothing but to read the code")
            }
            for step in job["steps"]?.items ?? [] where step["uses"]?.text?.hasPrefix("actions/checkout@") == true {
                #expect(step["with"]?["persist-credentials"]?.text == "false", "job \(name): the token is not left in .git")
            }
        }
        // The plan comment: one per pull request, found by its marker and edited, never a new one per push.
        let commentScript = pullRequest.jobs.flatMap { $0.value["steps"]?.items ?? [] }
            .compactMap { $0["uses"]?.text?.hasPrefix("actions/github-script@") == true ? $0["with"]?["script"]?.text : nil }
        #expect(commentScript.count == 1)
        #expect(commentScript.first?.contains("<!-- campaign-plan -->") == true)
        #expect(commentScript.first?.contains("updateComment") == true)
        // The plan's detailed exit code decides the check: 0 and 2 pass, anything else fails.
        let plan = try #require(pullRequest.campaignSteps.first { $0.role == .plan })
        #expect(campaignWords(plan.command).contains("--detailed-exitcode") && campaignWords(plan.command).contains("markdown"))
        let planStep = try #require(pullRequest.root["jobs"]?[plan.job]?["steps"]?.items[plan.index])
        #expect(planStep["with"]?["success-exit-codes"]?.text == "0 2")
        let validate = try #require(pullRequest.campaignSteps.first { $0.role == .validate })
        #expect(campaignWords(validate.command).starts(with: ["validate", "--format", "github"]))
    }

    /// The comment step's github-script, run with node against a stand-in GitHub: the first push creates one
    /// comment with the hidden marker, later pushes edit that same comment (never a second one), other people's
    /// comments are left alone even when they quote the marker, and an oversize plan is cut to fit.
    @Test func planCommentIsOneStickyCommentEditedOnEveryPush() async throws {
        let node = try #require(CIShell.find("node"), "node is not installed: run `make setup`")
        let workflows = try CIFiles.githubWorkflows().map(GitHubWorkflow.init)
        let pullRequest = try #require(workflows.first { $0.events.contains("pull_request") })
        let step = try #require(pullRequest.jobs.flatMap { $0.value["steps"]?.items ?? [] }
            .first { $0["uses"]?.text?.hasPrefix("actions/github-script@") == true })
        let script = try #require(step["with"]?["script"]?.text)
        // What the step's env gives the script: the plan's output file and exit code.
        #expect(step["env"]?["PLAN_FILE"]?.text == "${{ steps.plan.outputs.stdout-file }}")
        #expect(step["env"]?["PLAN_EXIT_CODE"]?.text == "${{ steps.plan.outputs.exit-code }}")

        let folder = try TestSupport.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try script.write(toFile: folder + "/script.js", atomically: true, encoding: .utf8)
        let marker = "<!-- campaign-plan -->"
        let comments = JSONValue.array([
            .object([("id", .int(1)), ("repo", .string("acme/campaigns")), ("issue_number", .int(7)),
                     ("user", .object([("login", .string("mallory"))])), ("body", .string(marker + "\nquoted by someone else"))]),
            .object([("id", .int(2)), ("repo", .string("acme/campaigns")), ("issue_number", .int(7)),
                     ("user", .object([("login", .string("github-actions[bot]"))])), ("body", .string("another bot comment"))]),
            .object([("id", .int(3)), ("repo", .string("acme/campaigns")), ("issue_number", .int(8)),
                     ("user", .object([("login", .string("github-actions[bot]"))])), ("body", .string(marker + "\nthe plan of another pull request"))]),
        ])
        try JSONWriter().string(comments).write(toFile: folder + "/comments.json", atomically: true, encoding: .utf8)

        func push(sha: String, exitCode: String, plan: String) async throws -> (calls: String, comments: [JSONValue]) {
            try plan.write(toFile: folder + "/plan.md", atomically: true, encoding: .utf8)
            var env = CIShell.baseEnvironment
            env["COMMENTS_FILE"] = folder + "/comments.json"
            env["SCRIPT_FILE"] = folder + "/script.js"
            env["PLAN_FILE"] = folder + "/plan.md"
            env["PLAN_EXIT_CODE"] = exitCode
            env["HEAD_SHA"] = sha
            env["PR_NUMBER"] = "7"
            let run = try await CIShell.run([node, TestSupport.fixture("ci/github-script-harness.js")], environment: env, directory: folder)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            let stored = try JSONParser().parse(try String(contentsOfFile: folder + "/comments.json", encoding: .utf8))
            return (run.stdout.split(separator: "\n").last.map(String.init) ?? "", stored.arrayValue ?? [])
        }
        func body(_ comments: [JSONValue], _ id: Int) -> String { comments.first { $0["id"]?.intValue == id }?["body"]?.stringValue ?? "" }

        let first = try await push(sha: "aaaaaaa1111", exitCode: "2", plan: "**Plan: 5 to create, 3 to send**\n")
        #expect(first.calls == #"["create 103"]"#)
        #expect(body(first.comments, 103).hasPrefix(marker + "\n"))
        #expect(body(first.comments, 103).contains("aaaaaaa: Changes to apply when this is merged."))
        #expect(body(first.comments, 103).contains("**Plan: 5 to create, 3 to send**"))
        let second = try await push(sha: "bbbbbbb2222", exitCode: "0", plan: "**Plan: 0 to create**\n")
        #expect(second.calls == #"["update 103"]"#, "the same comment, edited")
        #expect(second.comments.count == 4)
        #expect(body(second.comments, 103).contains("bbbbbbb: No changes.") && !body(second.comments, 103).contains("5 to create"))
        let failed = try await push(sha: "ccccccc3333", exitCode: "1", plan: "")
        #expect(failed.calls == #"["update 103"]"#)
        #expect(body(failed.comments, 103).contains("The plan failed"))
        let huge = try await push(sha: "ddddddd4444", exitCode: "2", plan: String(repeating: "> key: create\n", count: 10_000))
        #expect(huge.calls == #"["update 103"]"#)
        #expect(body(huge.comments, 103).utf16.count <= 65_536 && body(huge.comments, 103).contains("cut here"))
        // Nobody else's comment was touched.
        #expect(body(huge.comments, 1) == marker + "\nquoted by someone else")
        #expect(body(huge.comments, 2) == "another bot comment")
        #expect(body(huge.comments, 3) == marker + "\nthe plan of another pull request")
    }

    /// No `${{ … }}` inside any script (`run:` of workflows and of the action, github-script's `script:`, GitLab
    /// `script:`): untrusted values reach scripts only through `env:`.
    /// CleverPush's private key can write: the release jobs get it, the pull-request and merge-request jobs never.
    @Test func theCleverPushKeyReachesOnlyReleaseJobs() throws {
        let workflows = try CIFiles.githubWorkflows().map(GitHubWorkflow.init)
        let release = try #require(workflows.first { $0.events.contains("push") })
        let pullRequest = try #require(workflows.first { $0.events.contains("pull_request") })
        let job = try #require(release.jobs.first?.value)
        #expect(job["env"]?["CLEVERPUSH_PRIVATE_KEY"]?.text == "${{ secrets.CLEVERPUSH_PRIVATE_KEY }}")
        #expect(job["env"]?["PERSONACLICK_SHOP_SECRET"]?.text == "${{ secrets.PERSONACLICK_SHOP_SECRET }}")
        let code = try String(contentsOfFile: pullRequest.path, encoding: .utf8).split(separator: "\n")
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }.joined(separator: "\n")
        #expect(!code.contains("CLEVERPUSH") && !code.contains("PERSONACLICK"), "the pull-request workflow names no CleverPush or PersonaClick secret")
        let gitlab = try GitLabPipeline()
        #expect(gitlab.root["release"]?["variables"]?["CLEVERPUSH_PRIVATE_KEY"]?.text == "$CAMPAIGN_CLEVERPUSH_PRIVATE_KEY")
        #expect(gitlab.root["release"]?["variables"]?["PERSONACLICK_SHOP_SECRET"]?.text == "$CAMPAIGN_PERSONACLICK_SHOP_SECRET")
        for (name, job) in gitlab.jobs where name != "release" {
            #expect(!(job["variables"]?.pairs ?? []).contains { pair in
                ["CLEVERPUSH", "PERSONACLICK"].contains { pair.key.contains($0) || (pair.value.text ?? "").contains($0) }
            }, "job \(name)")
        }
        let docs = try String(contentsOfFile: CIFiles.root + "/docs/CI.md", encoding: .utf8)
        #expect(docs.contains("`CLEVERPUSH_PRIVATE_KEY`") && docs.contains("`CAMPAIGN_CLEVERPUSH_PRIVATE_KEY`"))
        #expect(docs.contains("`PERSONACLICK_SHOP_SECRET`") && docs.contains("`CAMPAIGN_PERSONACLICK_SHOP_SECRET`"))
    }

    @Test func noExpressionInsideAnyScript() throws {
        var scripts: [(String, String)] = []
        for path in try CIFiles.githubWorkflows() {
            let workflow = try GitHubWorkflow(path)
            for (job, node) in workflow.jobs {
                for step in node["steps"]?.items ?? [] {
                    if let run = step["run"]?.text { scripts.append(("\(path) \(job) run", run)) }
                    if let script = step["with"]?["script"]?.text { scripts.append(("\(path) \(job) script", script)) }
                }
            }
        }
        let action = try CIFiles.load(CIFiles.actionFile)
        #expect(action["runs"]?["using"]?.text == "composite")
        for step in action["runs"]?["steps"]?.items ?? [] {
            let run = try #require(step["run"]?.text)
            scripts.append(("action.yml run", run))
            // ... and what those scripts run.
            for match in run.matches(of: /\$GITHUB_ACTION_PATH\/([A-Za-z0-9_\/.-]+)/) {
                let file = CIFiles.root + "/" + match.1
                #expect(FileManager.default.isExecutableFile(atPath: file), "\(file)")
                scripts.append((file, try String(contentsOfFile: file, encoding: .utf8)))
            }
        }
        let gitlab = try GitLabPipeline()
        for (name, job) in gitlab.root.pairs {
            for key in ["before_script", "script", "after_script"] {
                scripts.append((".gitlab-ci.yml \(name) \(key)", (job[key]?.lines ?? []).joined(separator: "\n")))
            }
        }
        #expect(scripts.count >= 10)
        for (place, script) in scripts {
            #expect(!script.contains("${{"), "\(place) interpolates an expression into a script:\n\(script)")
        }
    }

    /// Releases never overlap and apply exactly the plan they saved and kept.
    @Test func releasesNeverOverlapAndApplyTheSavedPlan() throws {
        let workflows = try CIFiles.githubWorkflows().map(GitHubWorkflow.init)
        let release = try #require(workflows.first { $0.events.contains("push") })
        #expect(release.root["on"]?["push"]?["branches"]?.items.compactMap(\.text) == ["main"])
        #expect(release.root["concurrency"]?["cancel-in-progress"]?.text == "false")
        let group = try #require(release.root["concurrency"]?["group"]?.text)
        #expect(!group.contains("${{"), "one group for every ref: all releases share one state")
        #expect(release.root["permissions"]?.strings == ["contents": "read"])
        let steps = release.campaignSteps
        #expect(steps.map(\.role) == [.savePlan, .apply, .applyInit])
        let savedPlan = try #require(steps.first).command
        let planFile = try #require(campaignWords(savedPlan).drop(while: { $0 != "--out" }).dropFirst().first)
        for apply in steps.dropFirst() {
            #expect(campaignWords(apply.command).dropFirst().first == planFile, "apply the saved plan: \(apply.command)")
            #expect(!campaignWords(apply.command).contains("--auto-approve"), "a saved plan needs no approval flag")
        }
        let job = try #require(release.root["jobs"]?[steps[0].job])
        let upload = try #require(job["steps"]?.items.firstIndex { $0["uses"]?.text?.hasPrefix("actions/upload-artifact@") == true })
        #expect(upload > steps[0].index && upload < steps[1].index, "the saved plan is kept before it is applied")
        #expect(job["steps"]?.items[upload]["with"]?["path"]?.text == planFile)
        #expect(job["env"]?["CAMPAIGN_STATE"]?.text?.contains("secrets.") == true)
        #expect(job["env"]?["PGPASSWORD"]?.text?.contains("secrets.") == true)
        #expect(job["environment"]?.text != nil, "the release's secrets belong to a protected environment")

        let gitlab = try GitLabPipeline()
        let releaseJobs = gitlab.jobs.filter { GitLabPipeline.campaignLines($0.value).contains { $0.contains(" apply ") } }
        #expect(releaseJobs.count == 1)
        let gitlabRelease = try #require(releaseJobs.first?.value)
        #expect(gitlabRelease["resource_group"]?.text != nil, "GitLab releases run one at a time")
        #expect(gitlabRelease["artifacts"]?["paths"]?.lines == [planFile])
        #expect(gitlabRelease["artifacts"]?["when"]?.text == "always")
        let plan = try #require(gitlab.jobs.first { $0.key == "plan" }?.value)
        #expect(plan["allow_failure"]?["exit_codes"]?.items.compactMap(\.text) == ["2"], "changes pass with a warning")
        for (name, job) in gitlab.jobs {
            #expect(job["extends"]?.text == ".campaign", "\(name) installs campaign")
        }
        let install = gitlab.root[".campaign"]?["before_script"]?.lines.joined(separator: "\n") ?? ""
        #expect(install.contains("sha256sum -c"), "the GitLab install checks the published SHA-256")
        #expect(install.contains("campaign-$CAMPAIGN_VERSION-linux-$(uname -m)"), "the asset name docs/CI.md and scripts/dist.sh use")
    }

    /// Every secret and variable the files read is one docs/CI.md tells users to set (and the test provides).
    @Test func docsNameEverySecretTheFilesRead() async throws {
        let docs = try String(contentsOfFile: CIFiles.root + "/docs/CI.md", encoding: .utf8)
        var names: Set<String> = []
        for path in try CIFiles.githubWorkflows() {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for match in text.matches(of: /secrets\.([A-Z0-9_]+)/) { names.insert(String(match.1)) }
        }
        let gitlab = try GitLabPipeline()
        for (_, job) in gitlab.jobs {
            for (_, value) in job["variables"]?.pairs ?? [] {
                for match in (value.text ?? "").matches(of: /\$\{?([A-Z0-9_]+)/) { names.insert(String(match.1)) }
            }
        }
        #expect(names.count >= 8)
        let world = try await CIWorld.start()
        for name in names.sorted() {
            #expect(docs.contains("`\(name)`"), "docs/CI.md does not name \(name)")
            #expect(world.githubSecrets[name] != nil || world.gitlabVariables[name] != nil, "the test does not provide \(name)")
        }
        await world.stop()
    }

    // MARK: Every campaign command line, run

    /// Expected ledger: the compiled requests of the example project's campaigns that a first plan creates or
    /// sends (a `stopped: true` campaign compiles, but is never created).
    static func compiledRequests(_ world: CIWorld) async throws -> [JSONValue] {
        let compiled = try await CIShell.run([TestSupport.product("campaign"), "compile", "campaigns"], environment: world.runnerEnvironment,
                                       directory: world.workspace)
        #expect(compiled.status == 0, "\(compiled.stderr)")
        var environment = world.runnerEnvironment
        environment["CAMPAIGN_STATE"] = world.scratch + "/no-state-yet.json"
        let plan = try await CIShell.run([TestSupport.product("campaign"), "plan", "campaigns", "--format", "json"], environment: environment,
                                   directory: world.workspace)
        #expect(plan.status == 0, "\(plan.stderr)")
        let planned = Set((try JSONParser().parse(plan.stdout)["actions"]?.arrayValue ?? []).compactMap { action -> String? in
            ["create", "send"].contains(action["action"]?.stringValue ?? "") ? action["key"]?.stringValue : nil
        })
        #expect(planned.count >= 5)
        return (try JSONParser().parse(compiled.stdout)["requests"]?.arrayValue ?? []).filter { planned.contains($0["key"]?.stringValue ?? "") }
    }

    /// After the whole flow: each campaign created exactly once, each send batch sent exactly once, nothing stopped;
    /// CleverPush's example resources applied once (with the key the release alone has).
    static func expectLedgerHoldsEachRequestOnce(_ world: CIWorld, compiled: [JSONValue]) async {
        let push = world.cleverPushCounts()
        #expect(push["send"] == 1 && push["subscribe"] == 3 && push["update"] == nil && (push["tag"] ?? 0) >= 1, "\(push)")
        var expected: [String: [String]] = [:]
        for request in compiled {
            let path = request["path"]?.stringValue ?? "?"
            expected[path, default: []].append(JSONWriter().string(request["body"] ?? .null))
        }
        let counts = await world.ledgerCounts()
        #expect(counts["/1/targets/stop.json"] == nil, "nothing stopped: \(counts)")
        #expect(Set(counts.keys) == Set(expected.keys), "\(counts) vs \(expected.mapValues(\.count))")
        for (path, bodies) in expected {
            let ledger = await world.ledger(path)
            #expect(ledger.count == bodies.count, "\(path): \(ledger.count) requests, \(bodies.count) compiled")
            if path == "/1/targets/create.json" {
                let names = ledger.compactMap { $0["body"]?["name"]?.stringValue }
                #expect(Set(names).count == names.count, "a campaign created twice: \(names)")
                let compiledNames = compiled.filter { $0["path"]?.stringValue == path }.compactMap { $0["body"]?["name"]?.stringValue }
                #expect(Set(names) == Set(compiledNames))
            } else {
                let sent = ledger.map { JSONWriter().string($0["body"] ?? .null) }
                #expect(Set(sent).count == sent.count, "\(path): a batch sent twice")
            }
        }
    }

    /// The GitHub Actions workflows, step by step: the pull request is validated and planned (changes: exit 2),
    /// the first release (run by hand with init_state) saves its plan, keeps it and applies it, the pull request's
    /// plan then shows no changes (exit 0), and a second release applies its (empty) saved plan.
    @Test(arguments: StateKind.allCases) func githubWorkflowCommandsRunAgainstTheSandbox(state: StateKind) async throws {
        let world = try await CIWorld.start(state: state)
        let runner = try GitHubRunner(world: world)
        let workflows = try CIFiles.githubWorkflows().map(GitHubWorkflow.init)
        let pullRequest = try #require(workflows.first { $0.events.contains("pull_request") })
        let release = try #require(workflows.first { $0.events.contains("push") })
        let all = Set(workflows.flatMap(\.campaignSteps).map(\.description))
        #expect(all.count >= 5)
        var executed: Set<String> = []
        let compiled = try await Self.compiledRequests(world)
        #expect(compiled.count >= 5)

        func runPullRequest() async throws -> (validate: StepResult, plan: StepResult) {
            var results: [StepResult] = []
            for job in pullRequest.jobs.map(\.key) {
                results += try await runner.runJob(pullRequest, job: job, event: "pull_request", executed: &executed)
            }
            let validate = try #require(results.first { $0.step.role == .validate })
            let plan = try #require(results.first { $0.step.role == .plan })
            #expect(results.count == 2)
            return (validate, plan)
        }
        func runRelease(initState: Bool) async throws -> [StepResult] {
            let results = try await runner.runJob(release, job: try #require(release.jobs.first?.key), event: initState ? "workflow_dispatch" : "push",
                                                  inputs: ["init_state": initState ? "true" : "false"], executed: &executed)
            #expect(results.map(\.step.role) == [.savePlan, initState ? .applyInit : .apply])
            for result in results {
                #expect(result.run.status == 0, "\(result.step)\n\(result.run.stdout)\(result.run.stderr)")
                #expect(result.outputs["exit-code"] == "0")
            }
            return results
        }

        let first = try await runPullRequest()
        #expect(first.validate.run.status == 0, "\(first.validate.run.stderr)")
        #expect(first.plan.run.status == 0, "exit 2 passes the check: \(first.plan.run.stdout)\(first.plan.run.stderr)")
        #expect(first.plan.outputs["exit-code"] == "2", "changes before the first release")
        let markdown = try String(contentsOfFile: try #require(first.plan.outputs["stdout-file"]), encoding: .utf8)
        #expect(markdown.contains("create"), "the Markdown plan for the comment:\n\(markdown)")
        #expect(markdown.contains("cleverpush was not asked"), "without the key, the plan says so:\n\(markdown)")
        #expect(await world.ledgerCounts().isEmpty, "a pull request sends nothing")

        let firstRelease = try await runRelease(initState: true)
        #expect(FileManager.default.fileExists(atPath: world.workspace + "/plan.json"))
        #expect(firstRelease.last?.run.stdout.contains("Apply complete") == true, "\(firstRelease.last?.run.stdout ?? "")")
        try await Task.sleep(for: .seconds(1.5))   // the `now` campaign completes (1 sandbox second, 60x)

        let second = try await runPullRequest()
        #expect(second.plan.run.status == 0 && second.plan.outputs["exit-code"] == "0",
                "no changes after the release:\n\(second.plan.run.stdout)\(second.plan.run.stderr)")
        let counts = await world.ledgerCounts()

        _ = try await runRelease(initState: false)
        #expect(await world.ledgerCounts() == counts, "a release with nothing to do sends nothing")
        #expect(executed == all, "not run: \(all.subtracting(executed))")
        await Self.expectLedgerHoldsEachRequestOnce(world, compiled: compiled)
        await world.stop()
    }

    /// The GitLab pipeline's jobs, the same way: validate and plan (exit 2, allowed as a warning) in a merge
    /// request, the first release (CAMPAIGN_INIT_STATE=true) and a later one, the plan without changes between.
    @Test(arguments: StateKind.allCases) func gitlabPipelineCommandsRunAgainstTheSandbox(state: StateKind) async throws {
        let world = try await CIWorld.start(state: state)
        let pipeline = try GitLabPipeline()
        let compiled = try await Self.compiledRequests(world)
        let jobs = pipeline.jobs.filter { !GitLabPipeline.campaignLines($0.value).isEmpty }.map(\.key)
        #expect(Set(jobs) == ["validate", "plan", "release"])
        let allowed = Set(pipeline.root["plan"]?["allow_failure"]?["exit_codes"]?.items.compactMap { $0.text.flatMap { Int32($0) } } ?? [])
        for (name, job) in pipeline.jobs where name != "release" {
            #expect(job["rules"]?.items.first?["if"]?.text?.contains("merge_request_event") == true, "\(name) runs for merge requests")
        }
        #expect(pipeline.root["release"]?["rules"]?.items.first?["if"]?.text?.contains("$CI_DEFAULT_BRANCH") == true)

        let validate = try await pipeline.run(job: "validate", world: world)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        let plan = try await pipeline.run(job: "plan", world: world)
        #expect(plan.status == 2 && allowed.contains(plan.status), "changes: passed with a warning\n\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("create"), "the job log shows the plan:\n\(plan.stdout)")
        #expect(FileManager.default.fileExists(atPath: world.workspace + "/plan.md"), "the plan is kept as an artifact")
        #expect(await world.ledgerCounts().isEmpty, "a merge request sends nothing")

        let firstRelease = try await pipeline.run(job: "release", world: world, pipelineVariables: ["CAMPAIGN_INIT_STATE": "true"])
        #expect(firstRelease.status == 0, "\(firstRelease.stdout)\(firstRelease.stderr)")
        #expect(firstRelease.stdout.contains("Apply complete"))
        #expect(FileManager.default.fileExists(atPath: world.workspace + "/plan.json"))
        try await Task.sleep(for: .seconds(1.5))

        let again = try await pipeline.run(job: "plan", world: world)
        #expect(again.status == 0, "no changes after the release:\n\(again.stdout)\(again.stderr)")
        let counts = await world.ledgerCounts()
        let secondRelease = try await pipeline.run(job: "release", world: world)
        #expect(secondRelease.status == 0, "\(secondRelease.stdout)\(secondRelease.stderr)")
        #expect(await world.ledgerCounts() == counts)
        // Without CAMPAIGN_INIT_STATE a release never creates a state: a wrong state location is refused, not filled.
        if !world.state.url.contains("://") {
            try FileManager.default.removeItem(atPath: world.state.url)
            let refused = try await pipeline.run(job: "release", world: world)
            #expect(refused.status == 1 && refused.stderr.contains("--init-state"), "\(refused.stdout)\(refused.stderr)")
            #expect(await world.ledgerCounts() == counts)
        }
        await Self.expectLedgerHoldsEachRequestOnce(world, compiled: compiled)
        await world.stop()
    }

    // MARK: The action's install and make dist

    /// scripts/dist.sh (`make dist`) packs a binary as exactly the assets action.yml's install step and GitLab's
    /// before_script download; both install and check them (the action's step as action.yml has it, with a
    /// stand-in `gh` serving the assets; GitLab's with file:// URLs), and refuse a tarball that does not match its
    /// .sha256 or a pinned SHA-256.
    @Test func installersUseTheAssetsMakeDistProduces() async throws {
        let world = try await CIWorld.start()
        let dist = world.scratch + "/dist"
        // `make dist` packs .build/release/campaign; here a stand-in that runs the debug build (100 MB: packing it
        // would take most of a minute), through the same script.
        let binary = world.scratch + "/build/campaign"
        try FileManager.default.createDirectory(atPath: world.scratch + "/build", withIntermediateDirectories: true)
        try "#!/bin/sh\nexec '\(TestSupport.product("campaign"))' \"$@\"\n".write(toFile: binary, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        let packed = try await CIShell.run(["/bin/bash", CIFiles.root + "/scripts/dist.sh", binary, dist],
                                     environment: world.runnerEnvironment, directory: CIFiles.root)
        #expect(packed.status == 0, "\(packed.stderr)")
        let version = try await CIShell.run([TestSupport.product("campaign"), "--version"], environment: world.runnerEnvironment)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var arch = try await CIShell.run(["/usr/bin/uname", "-m"], environment: world.runnerEnvironment).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if arch == "arm64" { arch = "aarch64" }
        let asset = "campaign-\(version)-linux-\(arch).tar.gz"
        #expect(try FileManager.default.contentsOfDirectory(atPath: dist).sorted() == [asset, asset + ".sha256"])
        let sums = try String(contentsOfFile: dist + "/" + asset + ".sha256", encoding: .utf8)
        #expect(sums.hasSuffix("  \(asset)\n"), "sha256sum's format: \(sums)")
        let listing = try await CIShell.run(["/usr/bin/tar", "-tzf", dist + "/" + asset], environment: world.runnerEnvironment)
        #expect(listing.stdout.split(separator: "\n").contains("campaign-\(version)-linux-\(arch)/campaign"))
        // The same binary gives the same tarball (reproducible: sorted, no owners or times of this machine).
        let again = try await CIShell.run(["/bin/bash", CIFiles.root + "/scripts/dist.sh", binary, world.scratch + "/dist2"],
                                    environment: world.runnerEnvironment, directory: CIFiles.root)
        #expect(again.status == 0)
        #expect(try TestSupport.bytes(dist + "/" + asset) == TestSupport.bytes(world.scratch + "/dist2/" + asset))

        // `make dist` is that script on the static release build.
        let makeDist = try await CIShell.run(["/usr/bin/env", "make", "-n", "dist"], environment: world.runnerEnvironment, directory: CIFiles.root)
        #expect(makeDist.stdout.contains("build -c release --static-swift-stdlib --product campaign"), "\(makeDist.stdout)")
        #expect(makeDist.stdout.contains("bash scripts/dist.sh .build/release/campaign dist"), "\(makeDist.stdout)")

        // A stand-in for `gh release view|download` serving dist/ as the release v<version> of OWNER/campaign-as-code.
        let fakeBin = world.scratch + "/fake-bin"
        try FileManager.default.createDirectory(atPath: fakeBin, withIntermediateDirectories: true)
        try """
            #!/usr/bin/env bash
            set -euo pipefail
            echo "gh $*" >>"$FAKE_GH_LOG"
            [ "$1 $2" = "release view" ] && { echo "v\(version)"; exit 0; }
            [ "$1 $2" = "release download" ] || exit 2
            tag=$3; shift 3
            dir=.; patterns=()
            while [ $# -gt 0 ]; do
              case $1 in --repo) [ "$2" = OWNER/campaign-as-code ] || exit 3; shift 2 ;; --dir) dir=$2; shift 2 ;;
                --pattern) patterns+=("$2"); shift 2 ;; *) exit 4 ;; esac
            done
            [ "$tag" = "v\(version)" ] || { echo "release not found" >&2; exit 1; }
            for p in "${patterns[@]}"; do cp "$FAKE_RELEASE/$p" "$dir/"; done
            """.write(toFile: fakeBin + "/gh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fakeBin + "/gh")

        let action = try CIFiles.load(CIFiles.actionFile)
        let install = try #require(action["runs"]?["steps"]?.items.first { $0["id"]?.text == "install" })
        func runInstall(_ with: [String: String], cache: String) async throws -> (TestSupport.Run, String) {
            var values: [String: String] = ["github.token": "token-not-used"]
            for (input, definition) in action["inputs"]?.pairs ?? [] { values["inputs." + input] = with[input] ?? definition["default"]?.text ?? "" }
            let expressions = Expressions(values: values)
            var env = world.runnerEnvironment
            for (key, value) in install["env"]?.strings ?? [:] { env[key] = try expressions.evaluate(value) }
            env["PATH"] = fakeBin + ":/usr/local/bin:/usr/bin:/bin"   // no campaign on PATH: it must be installed
            env["RUNNER_TOOL_CACHE"] = world.scratch + "/" + cache
            env["GITHUB_ACTION_PATH"] = world.scratch + "/work/_actions/OWNER/campaign-as-code/v1"
            env["GITHUB_PATH"] = world.scratch + "/github-path-" + cache
            env["GITHUB_OUTPUT"] = world.scratch + "/github-output-" + cache
            env["FAKE_GH_LOG"] = world.scratch + "/gh.log"
            env["FAKE_RELEASE"] = dist
            let script = try #require(install["run"]?.text).replacingOccurrences(of: "$GITHUB_ACTION_PATH", with: CIFiles.root)
            return (try await CIShell.bash(script, environment: env, directory: world.workspace), env["GITHUB_PATH"]!)
        }

        for (index, version) in ["latest", version, "v" + version].enumerated() {
            let (run, githubPath) = try await runInstall(["version": version, "command": "validate campaigns"], cache: "cache-\(index)")
            #expect(run.status == 0, "\(version): \(run.stdout)\(run.stderr)")
            let folder = try String(contentsOfFile: githubPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let installed = try await CIShell.run([folder + "/campaign", "validate", "campaigns"], environment: world.runnerEnvironment,
                                            directory: world.workspace)
            #expect(installed.status == 0, "the installed binary runs: \(installed.stderr)")
        }
        let log = try String(contentsOfFile: world.scratch + "/gh.log", encoding: .utf8)
        #expect(log.contains("--pattern \(asset) --pattern \(asset).sha256"), "\(log)")

        // GitLab's install (`.campaign`'s before_script, less its apt-get line) from the same assets, served as
        // file:// URLs in the release layout; it installs into a folder of the test instead of /usr/local/bin.
        let releases = world.scratch + "/releases"
        try FileManager.default.createDirectory(atPath: releases, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dist, toPath: releases + "/v" + version)
        let gitlab = try GitLabPipeline()
        let gitlabInstall = (gitlab.root[".campaign"]?["before_script"]?.lines ?? []).filter { !$0.hasPrefix("apt-get ") }
        #expect(gitlabInstall.count >= 5 && gitlabInstall.last == "campaign --version")
        let gitlabBin = world.scratch + "/gitlab-bin"
        let gitlabWork = world.scratch + "/gitlab-work"
        for folder in [gitlabBin, gitlabWork] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        var gitlabEnv = world.runnerEnvironment
        gitlabEnv["PATH"] = gitlabBin + ":/usr/local/bin:/usr/bin:/bin"
        gitlabEnv["CAMPAIGN_RELEASES"] = "file://" + releases
        gitlabEnv["CAMPAIGN_VERSION"] = version
        let gitlabScript = gitlabInstall.joined(separator: "\n").replacingOccurrences(of: "/usr/local/bin", with: gitlabBin)
        let gitlabRun = try await CIShell.bash(gitlabScript, environment: gitlabEnv, directory: gitlabWork)
        #expect(gitlabRun.status == 0 && gitlabRun.stdout.hasSuffix(version + "\n"), "\(gitlabRun.stdout)\(gitlabRun.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: gitlabBin + "/campaign"))
        gitlabEnv["CAMPAIGN_SHA256"] = String(repeating: "0", count: 64)
        let gitlabPinned = try await CIShell.bash(gitlabScript, environment: gitlabEnv, directory: gitlabWork)
        #expect(gitlabPinned.status != 0, "a pinned CAMPAIGN_SHA256 that is not the tarball's is refused")

        // A pinned sha256 that is not the tarball's, a bad version, a tampered tarball: refused, nothing installed.
        let (pinned, _) = try await runInstall(["version": version, "sha256": String(repeating: "0", count: 64), "command": "x"], cache: "cache-pinned")
        #expect(pinned.status != 0 && pinned.stderr.contains("pinned"), "\(pinned.stderr)")
        let (badVersion, _) = try await runInstall(["version": "1.2; rm -rf /", "command": "x"], cache: "cache-bad")
        #expect(badVersion.status != 0 && badVersion.stderr.contains("not a version"), "\(badVersion.stderr)")
        try FileManager.default.removeItem(atPath: dist + "/" + asset)
        try FileManager.default.copyItem(atPath: world.scratch + "/dist2/" + asset, toPath: dist + "/" + asset)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dist + "/" + asset))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let (tampered, _) = try await runInstall(["version": version, "command": "x"], cache: "cache-tampered")
        #expect(tampered.status != 0 && tampered.stderr.contains("does not match"), "\(tampered.stderr)")
        #expect(!FileManager.default.fileExists(atPath: world.scratch + "/cache-tampered/campaign/\(version)/\(arch)/campaign-\(version)-linux-\(arch)/campaign"))
        await world.stop()
    }

    /// The action's run step: words split without expansion, a leading `campaign` allowed, success-exit-codes
    /// honoured, and `--allow-api-url` refused in pull-request events.
    @Test func actionRunStepSplitsWordsAndGuardsPullRequests() async throws {
        let world = try await CIWorld.start()
        let runner = try GitHubRunner(world: world)
        func run(_ command: String, event: String = "push", codes: String? = nil) async throws -> StepResult {
            var with = ["command": command]
            if let codes { with["success-exit-codes"] = codes }
            var env = world.runnerEnvironment
            env["GITHUB_EVENT_NAME"] = event
            env["HOME_MARKER"] = "expanded"
            let step = GitHubCampaignStep(file: "test", job: "test", index: 0, name: "test", command: command, viaAction: true, role: nil)
            return try await runner.runAction(with, environment: env, step: step)
        }
        let validate = try await run("campaign validate 'campaigns'")
        #expect(validate.run.status == 0 && validate.outputs["exit-code"] == "0", "\(validate.run.stderr)")
        // `$HOME_MARKER` and `;` reach campaign as words: a path that does not exist, never a shell expansion.
        let literal = try await run("validate $HOME_MARKER;touch${IFS}pwned")
        #expect(literal.run.status == 1 && literal.outputs["exit-code"] == "1")
        #expect(literal.run.stderr.contains("$HOME_MARKER;touch${IFS}pwned"), "\(literal.run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: world.workspace + "/pwned"))
        let planned = try await run("plan campaigns --detailed-exitcode", codes: "0 2")
        #expect(planned.run.status == 0 && planned.outputs["exit-code"] == "2", "\(planned.run.stderr)")
        let failing = try await run("plan campaigns --detailed-exitcode")
        #expect(failing.run.status == 2 && failing.run.stderr.contains("exited 2"))
        let guarded = try await run("plan campaigns --allow-api-url", event: "pull_request")
        #expect(guarded.run.status == 1 && guarded.run.stderr.contains("refused in a pull-request job"), "\(guarded.run.stderr)")
        #expect(guarded.outputs["exit-code"] == nil, "campaign never ran")
        // A database password with no runner-given state location: project.yaml must not pick where it goes.
        let stateless = try await runner.runAction(["command": "plan campaigns"], environment: {
            var env = world.runnerEnvironment
            env["GITHUB_EVENT_NAME"] = "pull_request"
            env["PGPASSWORD"] = "db-secret"
            return env
        }(), step: GitHubCampaignStep(file: "test", job: "test", index: 0, name: "test", command: "plan campaigns", viaAction: true, role: nil))
        #expect(stateless.run.status == 1 && stateless.run.stderr.contains("CAMPAIGN_STATE is empty"), "\(stateless.run.stderr)")
        #expect(stateless.outputs["exit-code"] == nil, "campaign never ran")
        let hosts = try await runner.runAction(["command": "plan campaigns"], environment: {
            var env = world.runnerEnvironment
            env["GITHUB_EVENT_NAME"] = "pull_request"
            env["CAMPAIGN_STATE_HOSTS"] = "db.example"
            return env
        }(), step: GitHubCampaignStep(file: "test", job: "test", index: 0, name: "test", command: "plan campaigns", viaAction: true, role: nil))
        #expect(hosts.run.status == 1 && hosts.run.stderr.contains("CAMPAIGN_STATE_HOSTS is refused"), "\(hosts.run.stderr)")
        // CleverPush's key never reaches a pull-request job, whatever the variable is called; a release may have it.
        for name in ["CLEVERPUSH_PRIVATE_KEY", "CLEVERPUSH_PROD_KEY", "PERSONACLICK_SHOP_SECRET"] {
            var env = world.runnerEnvironment
            env["GITHUB_EVENT_NAME"] = "pull_request"
            env[name] = name.hasPrefix("PERSONACLICK") ? CIWorld.personaClickSecret : CIWorld.cleverPushKey
            let keyed = try await runner.runAction(["command": "plan campaigns"], environment: env,
                                                   step: GitHubCampaignStep(file: "test", job: "test", index: 0, name: "test", command: "plan campaigns", viaAction: true, role: nil))
            #expect(keyed.run.status == 1 && keyed.run.stderr.contains("\(name) is set in a pull-request job"), "\(keyed.run.stderr)")
            #expect(keyed.outputs["exit-code"] == nil, "campaign never ran")
        }
        var releaseEnvironment = world.runnerEnvironment
        releaseEnvironment["GITHUB_EVENT_NAME"] = "push"
        releaseEnvironment["CLEVERPUSH_PRIVATE_KEY"] = CIWorld.cleverPushKey
        let keyedRelease = try await runner.runAction(["command": "validate campaigns"], environment: releaseEnvironment,
                                                      step: GitHubCampaignStep(file: "test", job: "test", index: 0, name: "test", command: "validate campaigns", viaAction: true, role: nil))
        #expect(keyedRelease.run.status == 0, "\(keyedRelease.run.stderr)")
        let unbalanced = try await run("validate 'campaigns")
        #expect(unbalanced.run.status == 1 && unbalanced.run.stderr.contains("cannot be split"))
        #expect(await world.ledgerCounts().isEmpty)
        await world.stop()
    }
}
