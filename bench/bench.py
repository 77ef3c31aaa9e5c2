#!/usr/bin/env python3
"""`make bench`: every measurement runs side by side with its baseline in the same run, alternating, and the
report gives the ratio of medians (machines are shared and noisy; absolute times are only context)."""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
CAMPAIGN = os.path.join(ROOT, ".build", "release", "campaign")
SANDBOX = os.path.join(ROOT, ".build", "release", "campaign-sandbox")
CLIENT_BENCH = os.path.join(ROOT, ".build", "release", "campaign-client-bench")
BASELINE = os.path.join(OUT, "yaml_events")
PEAK_RSS = os.path.join(OUT, "peak_rss")
RSS_FILE = os.path.join(OUT, "peak_rss.out")


def peak_rss_mib():
    """The peak RSS the launcher recorded for the command it last ran."""
    with open(RSS_FILE) as f:
        return int(f.read().strip()) / 1024.0


def run_once(command):
    """Wall time (s) and peak resident memory (MiB) of one run; output discarded. The command runs under the
    small `peak_rss` launcher (its own time, well under a millisecond, counts for both sides alike)."""
    start = time.perf_counter()
    proc = subprocess.Popen([PEAK_RSS, RSS_FILE, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    code = proc.wait()
    elapsed = time.perf_counter() - start
    proc.stderr.close()
    if code != 0:
        sys.exit(f"benchmark command failed ({code}): {' '.join(command)}\n{err[-2000:]}")
    return elapsed, peak_rss_mib()


def compare(name, command, baseline, goal, repeats):
    """Runs command and baseline alternately, `repeats` times each after one warm-up of each."""
    run_once(baseline)
    run_once(command)
    ours, base, ours_rss, base_rss = [], [], [], []
    for _ in range(repeats):
        t, m = run_once(baseline)
        base.append(t)
        base_rss.append(m)
        t, m = run_once(command)
        ours.append(t)
        ours_rss.append(m)
    ratio = statistics.median(ours) / statistics.median(base)
    verdict = "met" if ratio <= goal else "MISSED"
    print(f"{name}")
    print(f"  ours     median {statistics.median(ours):8.3f} s  (min {min(ours):.3f}, max {max(ours):.3f})  peak RSS {max(ours_rss):7.1f} MiB")
    print(f"  baseline median {statistics.median(base):8.3f} s  (min {min(base):.3f}, max {max(base):.3f})  peak RSS {max(base_rss):7.1f} MiB")
    print(f"  ratio {ratio:.2f} (goal <= {goal}: {verdict})")
    return ratio


def prepare(files):
    os.makedirs(OUT, exist_ok=True)
    corpus = os.path.join(OUT, "corpus")
    marker = os.path.join(corpus, ".files")
    if not (os.path.exists(marker) and open(marker).read() == str(files)):
        subprocess.run(["rm", "-rf", corpus], check=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_corpus.py"), "--files", str(files), "--out", corpus], check=True)
        with open(marker, "w") as f:
            f.write(str(files))
    subprocess.run(["cc", "-O2", "-o", BASELINE, os.path.join(ROOT, "bench", "yaml_events.c"), "-lyaml"], check=True)
    subprocess.run(["cc", "-O2", "-o", PEAK_RSS, os.path.join(ROOT, "bench", "peak_rss.c")], check=True)
    return corpus


BENCHMARKS = ["validate", "compile", "plan", "plan-postgres", "recipients-csv", "client-creates", "client-sends", "apply-sends",
              "cleverpush-tags", "personaclick-preferences"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--creates", type=int, default=30)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    # 1,000,000 recipients (1,000 requests), as the client benchmark: loading the recipient list is linear now.
    parser.add_argument("--apply-recipients", type=int, default=1_000_000,
                        help="recipients of the identity send driven through `campaign apply` (apply-sends)")
    parser.add_argument("--tag-members", type=int, default=100_000,
                        help="members of the CleverPush mirror tag audience (cleverpush-tags); 1%% join and 1%% leave")
    parser.add_argument("--tag-rate", type=int, default=200,
                        help="requests per second the sandbox accepts for CleverPush (cleverpush-tags)")
    parser.add_argument("--contacts", type=int, default=100_000,
                        help="contacts of the PersonaClick preferences (personaclick-preferences); 1%% changed")
    parser.add_argument("--contact-rate", type=int, default=200,
                        help="requests per second the sandbox accepts for PersonaClick (personaclick-preferences)")
    parser.add_argument("--feed-items", type=int, default=100_000,
                        help="change-feed items the plan reads (personaclick-preferences): 20,000 a page")
    parser.add_argument("--send-runs", type=int, default=3,
                        help="runs of each 1000/s send measurement (client-sends, apply-sends); each run is printed")
    args = parser.parse_args()
    if args.only:
        unknown = set(args.only) - set(BENCHMARKS)
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
    corpus = prepare(args.files)
    print(f"corpus: {args.files} campaign files under {os.path.relpath(corpus, ROOT)}; {os.cpu_count()} cores; "
          f"medians of {args.repeats} alternating runs")
    benchmarks = {
        "validate": lambda: compare(
            "validate: `campaign validate` vs raw libyaml event parse (C, one core)",
            [CAMPAIGN, "validate", corpus], [BASELINE, corpus], 1.5, args.repeats),
    }
    if "compile" in subcommands():
        benchmarks["compile"] = lambda: compare(
            "compile: `campaign compile` vs raw libyaml event parse (C, one core)",
            [CAMPAIGN, "compile", corpus], [BASELINE, corpus], 1.5, args.repeats)
    benchmarks["plan"] = lambda: plan_bench(corpus, args.repeats)
    benchmarks["plan-postgres"] = lambda: plan_postgres_bench(corpus, args.repeats)
    benchmarks["recipients-csv"] = lambda: recipients_csv(args.recipients, args.repeats)
    benchmarks["client-creates"] = lambda: client_creates(args.creates)
    benchmarks["client-sends"] = lambda: client_sends(args.recipients, args.send_runs)
    benchmarks["apply-sends"] = lambda: apply_sends(args.apply_recipients, args.send_runs)
    benchmarks["cleverpush-tags"] = lambda: cleverpush_tags(args.tag_members, args.tag_rate, args.repeats)
    benchmarks["personaclick-preferences"] = lambda: personaclick_preferences(args.contacts, args.contact_rate, args.feed_items, args.repeats)
    for name, bench in benchmarks.items():
        if args.only and name not in args.only:
            continue
        bench()


def review_fields(body):
    """The reviewable fields this version records with each applied campaign (`CleverTapFields`: the hashed body
    flattened to JSON paths, values as people write them), made from its compiled body: what a state written by this
    version holds besides the hash, so the plan benchmark reads them."""
    import json

    def quoted(value):
        return json.dumps(value, ensure_ascii=False)

    def segment(key):
        plain = key and key[0] != " " and key[-1] != " " and not any(c in key for c in '.:"') and all(ord(c) >= 0x20 for c in key)
        return key if plain else quoted(key)

    def shown(value, path):
        if path == "when" and isinstance(value, str) and value != "now":
            return f"{value[:4]}-{value[4:6]}-{value[6:8]} {value[9:]} Europe/Berlin"
        if path in ("where.from", "where.to") and isinstance(value, int):
            return f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return "now" if path == "when" else quoted(value)
        return json.dumps(value)

    fields = {}

    def flatten(value, path):
        if isinstance(value, dict):
            if not value and path:
                fields[path] = "{}"
            for key, member in value.items():
                flatten(member, segment(key) if not path else path + "." + segment(key))
        elif isinstance(value, list):
            if all(not isinstance(item, (dict, list)) for item in value):
                fields[path] = "[" + ", ".join(shown(item, path) for item in value) + "]"
                return
            for index, item in enumerate(value):
                if isinstance(item, dict) and "Key" in item:
                    rest = {k: v for k, v in item.items() if k != "Key"}
                    at = path + "." + segment(item["Key"])
                    flatten(rest["value"], at) if list(rest) == ["value"] else flatten(rest, at)
                else:
                    flatten(item, f"{path}[{index}]")
        else:
            fields[path] = shown(value, path)

    flatten(body, "")
    return fields


def completed_state(corpus, path):
    """A state file in which every corpus campaign exists and has completed, as this version writes it (format 2,
    with each campaign's reviewable fields), built from `campaign compile`'s bodies with the same hash the tool uses
    (sha256 of the compact JSON body)."""
    import hashlib
    import json
    import uuid
    out = subprocess.run([CAMPAIGN, "compile", corpus], capture_output=True, text=True, check=True).stdout
    campaigns = {}
    for index, request in enumerate(json.loads(out)["requests"]):
        body = request["body"]
        compact = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        fields = review_fields(body)
        campaigns[request["key"]] = {
            "provider": "clevertap", "type": "scheduled", "name": body["name"], "file": request["key"] + ".yaml",
            "hash": hashlib.sha256(compact).hexdigest(), "status": "completed", "schedule": fields["when"],
            "id": str(1_000_000 + index), "facts": {"sent": "100", "clicked": "7"}, "fields": fields,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        }
    state = {"format_version": 2, "lineage": str(uuid.uuid4()), "serial": 1, "applied_plans": [], "campaigns": campaigns}
    with open(path, "w") as f:
        json.dump(state, f)


def plan_bench(corpus, repeats):
    state = os.path.join(OUT, "completed-state.json")
    completed_state(corpus, state)
    # Every campaign is in state and final: plan makes no live query (no credentials are set) and changes nothing.
    check = subprocess.run([CAMPAIGN, "plan", corpus, "--state", state, "--format", "json"], capture_output=True, text=True)
    import json
    summary = json.loads(check.stdout)["summary"] if check.returncode == 0 else {}
    changes = sum(count for kind, count in summary.items() if kind != "no-change")
    if not summary or changes != 0:
        sys.exit(f"plan did not see the corpus as unchanged: {summary} {check.stderr[-500:]}")
    print(f"plan: {summary.get('no-change')} campaigns unchanged and completed (no live queries)")
    compare("plan: `campaign plan` (all in state, completed) vs `campaign validate` of the same files",
            [CAMPAIGN, "plan", corpus, "--state", state], [CAMPAIGN, "validate", corpus], 1.3, repeats)


_postgres = None


def postgres():
    """The benchmark's PostgreSQL cluster, started on first use."""
    global _postgres
    if _postgres is None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import pg
        _postgres = pg.Postgres(OUT)
    return _postgres


def plan_postgres_bench(corpus, repeats):
    """The plan of the corpus with every campaign completed in a PostgreSQL workspace (pushed from the same state
    file) vs the same plan against the file."""
    state = os.path.join(OUT, "completed-state.json")
    completed_state(corpus, state)
    server = postgres()
    url = server.url("plan_bench")
    env = dict(os.environ, **server.env())
    subprocess.run([CAMPAIGN, "state", "push", url, "--state", state, "--force"], env=env, check=True, stdout=subprocess.DEVNULL)
    import json
    check = subprocess.run([CAMPAIGN, "plan", corpus, "--state", url, "--format", "json"], capture_output=True, text=True, env=env)
    summary = json.loads(check.stdout)["summary"] if check.returncode == 0 else {}
    if not summary or sum(count for kind, count in summary.items() if kind != "no-change") != 0:
        sys.exit(f"plan against the database did not see the corpus as unchanged: {summary} {check.stderr[-500:]}")
    print(f"plan-postgres: {summary.get('no-change')} campaigns unchanged and completed, {summary.get('no-change')} rows in the workspace")
    os.environ.update(server.env())
    compare("plan-postgres: `campaign plan` with the state in PostgreSQL vs the same plan with the state in a file",
            [CAMPAIGN, "plan", corpus, "--state", url], [CAMPAIGN, "plan", corpus, "--state", state], 1.2, repeats)


def recipients_project(rows):
    """A project holding one identity send whose CSV lists `rows` recipients (an identity per row, and an email every
    tenth row), made once and kept under bench/out/recipients."""
    folder = os.path.join(OUT, "recipients")
    csv = os.path.join(folder, "people.csv")
    marker = os.path.join(folder, ".rows")
    if not (os.path.exists(marker) and open(marker).read() == str(rows)):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "project.yaml"), "w") as f:
            f.write("timezone: UTC\n")
        with open(os.path.join(folder, "send.yaml"), "w") as f:
            f.write("name: Recipients from a CSV\ntype: identity\naudience: {file: people.csv}\n"
                    "content: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n")
        with open(csv, "w") as f:
            f.write("identity,email\n")
            for i in range(rows):
                f.write(f"customer-{i},c{i}@example.com\n" if i % 10 == 0 else f"customer-{i},\n")
        with open(marker, "w") as f:
            f.write(str(rows))
    return folder, csv


def recipients_csv(rows, repeats):
    """`campaign validate` of a send with a big recipient CSV (parse, check every address, drop duplicates) vs a
    trivial pass over the same file that splits each row and de-duplicates the first column (awk)."""
    folder, csv = recipients_project(rows)
    size = os.path.getsize(csv) / (1 << 20)
    compare(f"recipients-csv: `campaign validate` of an identity send with a {rows:,}-row CSV ({size:.1f} MiB) "
            f"vs awk splitting and de-duplicating it",
            [CAMPAIGN, "validate", folder], ["awk", "-F,", "!seen[$1]++", csv], 3.0, repeats)


class Sandbox:
    """A campaign-sandbox process on a free loopback port, at the documented limits."""

    def __init__(self, *flags):
        self.proc = subprocess.Popen([SANDBOX, "--port", "0", "--log-level", "error", *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            sys.exit(f"sandbox did not start: {line!r}")
        self.url = line[len("listening on "):]

    def stats(self):
        import json
        import urllib.request
        with urllib.request.urlopen(self.url + "/_sandbox/stats") as response:
            return json.load(response)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def run_client(sandbox, *args):
    import json
    proc = subprocess.Popen([PEAK_RSS, RSS_FILE, CLIENT_BENCH, sandbox.url, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"client bench failed: {out} {err}")
    return json.loads(out), peak_rss_mib()


def with_sandbox(flags, *client_args):
    """Runs the client bench against a fresh sandbox; returns its result, peak RSS and the sandbox's 429 count."""
    sandbox = Sandbox(*flags)
    try:
        result, rss = run_client(sandbox, *client_args)
        rejected = sum(sandbox.stats()["rejected_429"].values())
    finally:
        sandbox.stop()
    return result, rss, rejected


def client_creates(count):
    result, rss, rejected = with_sandbox(["--create-rate", "1"], "creates", str(count))
    floor = count - 1  # n creates at 1/s: the first at 0 s, the last at n-1 s
    print(f"client creates: {count} creates through the client at 1/s against the sandbox")
    print(f"  wall {result['seconds']:.3f} s vs floor {floor} s: ratio {result['seconds'] / floor:.3f}; "
          f"429s: sandbox {rejected}, client {result['client_429s']}; failures {result['failures']}; peak RSS {rss:.1f} MiB")


SANDBOX_ENV = {"CLEVERTAP_ACCOUNT_ID": "SANDBOX-ACCOUNT", "CLEVERTAP_PASSCODE": "sandbox-passcode"}
SEND_PATH = "/1/send/push.json"


def client_send_run(recipients, mode="sends"):
    """One client-alone send of `recipients` against a fresh sandbox at the documented 1000/s (`sends-sequential`:
    one request at a time)."""
    started = time.perf_counter()
    result, rss, rejected = with_sandbox(["--send-rate", "1000"], mode, str(recipients))
    result["process_seconds"] = time.perf_counter() - started
    result["rss"] = rss
    result["sandbox_429s"] = rejected
    return result


def print_client_send(run, result):
    rate = result["requests_per_second"]
    print(f"  run {run}: {result['requests']} requests in {result['seconds']:.3f} s (first request to last answer) = "
          f"{rate:.1f} requests/s, ratio {rate / 1000:.3f} of the cap; setup (recipients + compile) "
          f"{result['setup_seconds']:.3f} s, whole process {result['process_seconds']:.3f} s; 429s: sandbox "
          f"{result['sandbox_429s']}, client {result['client_429s']}; failures {result['failures']}; peak RSS {result['rss']:.1f} MiB")


def client_sends(recipients, runs):
    print(f"client sends: identity send of {recipients:,} recipients through the client alone, vs the 1000/s cap "
          f"(the client paces at 980/s less 2%: {980 / 1.02:.1f}/s)")
    rates = []
    for run in range(1, runs + 1):
        result = client_send_run(recipients)
        rates.append(result["requests_per_second"])
        print_client_send(run, result)
    goal = 900
    print(f"  median {statistics.median(rates):.1f} requests/s, min {min(rates):.1f} "
          f"(goal >= {goal}/s in every run: {'met' if min(rates) >= goal else 'MISSED'})")


def send_project(recipients):
    """A project with one identity push whose recipients come from a CSV of `recipients` rows (cached)."""
    project = os.path.join(OUT, f"apply-send-{recipients}")
    marker = os.path.join(project, ".complete")
    if not os.path.exists(marker):
        subprocess.run(["rm", "-rf", project], check=True)
        os.makedirs(project)
        with open(os.path.join(project, "project.yaml"), "w") as f:
            f.write("timezone: UTC\ndefaults:\n  platform_specific:\n    android:\n      wzrk_cid: general\n")
        with open(os.path.join(project, "bench-send.yaml"), "w") as f:
            f.write("# Generated by bench.py: one identity push to every row of recipients.csv.\n"
                    "name: Bench send\ntype: identity\naudience:\n  file: recipients.csv\n"
                    "content:\n  title: Hello\n  body: A benchmark push\n")
        with open(os.path.join(project, "recipients.csv"), "w") as f:
            f.write("identity\n")
            f.writelines(f"user-{i}\n" for i in range(recipients))
        open(marker, "w").close()
    return project


def read_io(path):
    with open(path) as f:
        return {key: int(value) for key, value in (line.split(":") for line in f if ":" in line)}


def apply_send_run(project, recipients, backend="file"):
    """`campaign apply --auto-approve --init-state` of the send project against a fresh sandbox. The phases are
    timed from the apply's own output lines as they arrive (written unbuffered): the plan's last line comes just
    before the first intent is saved, the action's `finished` line right after the last outcome is saved."""
    import json
    import urllib.request
    work = os.path.join(OUT, "apply-send-state")
    subprocess.run(["rm", "-rf", work], check=True)
    os.makedirs(work)
    state = os.path.join(work, "state.json")
    extra_env = {}
    if backend == "postgres":
        server = postgres()
        state = server.url("send_" + os.urandom(4).hex())
        extra_env = server.env()
    io_file = os.path.join(work, "apply.io")
    sandbox = Sandbox("--send-rate", "1000")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLEVERTAP_") and k != "CAMPAIGN_STATE"}
        env.update(SANDBOX_ENV, CLEVERTAP_API_URL=sandbox.url, PEAK_RSS_IO=io_file, **extra_env)
        command = [PEAK_RSS, RSS_FILE, CAMPAIGN, "apply", project, "--auto-approve", "--init-state", "--state", state]
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        lines = []
        for line in proc.stdout:
            lines.append((time.perf_counter() - start, line.decode(errors="replace").rstrip("\n")))
        err = proc.stderr.read().decode(errors="replace")
        code = proc.wait()
        wall = time.perf_counter() - start
        if code != 0:
            sys.exit(f"campaign apply failed ({code}):\n" + "\n".join(l for _, l in lines[-20:]) + "\n" + err[-2000:])
        rss = peak_rss_mib()
        io = read_io(io_file)
        rejected = sum(sandbox.stats()["rejected_429"].values())
        with urllib.request.urlopen(sandbox.url + "/_sandbox/ledger") as response:
            ledger = json.load(response)["entries"]
    finally:
        sandbox.stop()
    sends = [entry for entry in ledger if entry.get("endpoint") == SEND_PATH]
    sent_to = [member for entry in sends for member in entry["body"]["to"]["Identity"]]
    key = "bench-send"
    finished = next((t for t, l in lines if l.startswith(f"{key}: send:")), None)
    plan_done = next((t for t, l in reversed(lines) if finished is not None and t < finished and not l.startswith(key)), None)
    if finished is None or plan_done is None:
        sys.exit("could not find the plan and the send's outcome in apply's output:\n" + "\n".join(l for _, l in lines[-20:]))
    shown = subprocess.run([CAMPAIGN, "state", "show", key, "--state", state], capture_output=True, text=True, check=True,
                           env=dict(os.environ, **extra_env))
    record = json.loads(shown.stdout)
    delivered = [member for members in record.get("delivered", {}).values() for member in members]
    expected = [f"user-{i}" for i in range(recipients)]
    checks = {
        "state: all recipients delivered, in order": delivered == expected,
        "state: status sent, no intent left": record.get("status") == "sent" and "intent" not in record,
        f"sandbox ledger: exactly {-(-recipients // 1000)} send requests": len(sends) == -(-recipients // 1000),
        "sandbox ledger: every recipient once": sent_to == expected,
    }
    if backend == "file":
        checks["journal folded into the state file"] = not os.path.exists(state + ".journal")
    return {
        "wall": wall, "load_plan": plan_done, "send_phase": finished - plan_done, "after_send": wall - finished,
        "requests": len(sends), "rss": rss, "io": io, "state_bytes": os.path.getsize(state) if backend == "file" else 0, "sandbox_429s": rejected,
        "checks": checks, "delivered": len(delivered),
    }


def apply_sends(recipients, runs):
    """The same 1000/s send driven through `campaign apply` (CSV -> plan -> intent/request/outcome per batch, each
    written durably; a batch's write overlaps the next batch's request, whose intent it announced) with the state in a file and in PostgreSQL, side by side with the client alone (the same number
    of recipients), alternating; a fresh sandbox each."""
    project = send_project(recipients)
    print(f"apply sends: `campaign apply` of one identity push to {recipients:,} recipients from a CSV "
          f"({-(-recipients // 1000)} requests), state in a file and in PostgreSQL, vs the client alone sending the same")
    backends = ["file", "postgres"]
    time_ratios = {b: [] for b in backends}
    peaks = {b: [] for b in backends}
    rejected = {b: 0 for b in backends}
    failed = []
    for run in range(1, runs + 1):
        client = client_send_run(recipients)
        sequential = client_send_run(recipients, "sends-sequential")
        client_rate = client["requests_per_second"]
        print(f"  run {run}: client alone {client['requests']} requests in {client['seconds']:.3f} s = {client_rate:.1f}/s "
              f"(process {client['process_seconds']:.3f} s; 429s sandbox {client['sandbox_429s']}, client {client['client_429s']}; "
              f"peak RSS {client['rss']:.1f} MiB)")
        print(f"         client one request at a time (as apply sends, no state written) {sequential['requests']} requests in "
              f"{sequential['seconds']:.3f} s = {sequential['requests_per_second']:.1f}/s, "
              f"{sequential['seconds'] / sequential['requests'] * 1000:.2f} ms per request")
        for backend in backends:
            applied = apply_send_run(project, recipients, backend)
            # The apply's request rate over its send phase (first intent to last outcome); its wall time includes
            # starting, reading the CSV, planning, and (file) folding the journal into the state file.
            apply_rate = applied["requests"] / applied["send_phase"]
            ratio = applied["send_phase"] / client["seconds"]
            time_ratios[backend].append(ratio)
            peaks[backend].append(applied["rss"])
            rejected[backend] += applied["sandbox_429s"]
            io = applied["io"]
            print(f"         apply, {backend:8} state: send phase {applied['send_phase']:.3f} s = {apply_rate:.1f}/s "
                  f"({ratio:.3f}x the client's time); wall {applied['wall']:.3f} s (start + CSV + plan {applied['load_plan']:.3f} s, "
                  f"end {applied['after_send']:.3f} s); {applied['send_phase'] / applied['requests'] * 1000:.2f} ms per batch; "
                  f"429s {applied['sandbox_429s']}; peak RSS {applied['rss']:.1f} MiB; wchar {io['wchar'] / 2**20:.1f} MiB"
                  + (f"; state file {applied['state_bytes'] / 2**20:.1f} MiB" if backend == "file" else ""))
            for check, ok in applied["checks"].items():
                if not ok:
                    failed.append(f"run {run} ({backend}): {check}")
            print(f"           checks: {applied['delivered']:,} delivered in state; "
                  + ", ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in applied["checks"].items()))
    for backend in backends:
        median = statistics.median(time_ratios[backend])
        peak = max(peaks[backend])
        print(f"  {backend} state: median send-phase time {median:.3f}x the client alone (goal <= 1.1: {'met' if median <= 1.1 else 'MISSED'}); "
              f"429s {rejected[backend]} (goal 0: {'met' if rejected[backend] == 0 else 'MISSED'}); "
              f"peak RSS {peak:.1f} MiB (goal <= 200 MB = {200e6 / 2**20:.0f} MiB: {'met' if peak * 2**20 <= 200e6 else 'MISSED'})")
    if failed:
        sys.exit("apply-sends checks failed: " + "; ".join(failed))


CLEVERPUSH_KEY = "sandbox-private-key"


def tag_project(members, name, first):
    """The project `name` with one mirror tag audience of `members` subscription ids s{first}..s{first+members-1}."""
    project = os.path.join(OUT, name)
    os.makedirs(project, exist_ok=True)
    with open(os.path.join(project, "project.yaml"), "w") as f:
        # The client's rate cap a little under the sandbox's, so jitter never trips its sliding second.
        f.write("timezone: UTC\ncleverpush: {channel_id: SANDBOXCHANNEL, private_key_env: CLEVERPUSH_PRIVATE_KEY, concurrency: 8}\n")
    with open(os.path.join(project, "vip.yaml"), "w") as f:
        f.write("# Generated by bench.py: the vip tag on every subscription of members.csv.\n"
                "provider: cleverpush\ntype: tag_audience\nname: Bench VIP\ntag_id: tag-vip\nmode: mirror\nmembers: {file: members.csv}\n")
    with open(os.path.join(project, "members.csv"), "w") as f:
        f.write("subscription_id\n")
        f.writelines(f"s{i}\n" for i in range(first, first + members))
    return project


def cleverpush_env(url, rate=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEVERPUSH_") and k != "CAMPAIGN_STATE"}
    env.update(CLEVERPUSH_API_URL=url, CLEVERPUSH_PRIVATE_KEY=CLEVERPUSH_KEY)
    if rate:
        env["CAMPAIGN_CLEVERPUSH_RATE"] = str(rate)
    return env


def cleverpush_tags(members, rate, repeats):
    """A mirror tag audience of `members` where 1% joined and 1% left since the last apply: plan (state of `members`
    rows) vs validate of the same project; then apply: exactly 2% of `members` requests, at >= 90% of the sandbox's
    rate, no row lost, peak memory."""
    import json
    import shutil
    import urllib.request
    moved = members // 100
    state = os.path.join(OUT, f"cleverpush-state-{members}.json")
    if not os.path.exists(state):
        old = tag_project(members, "cleverpush-tags", 0)
        # The state of the last apply: every old member tagged (through the tool itself, at the sandbox's full speed).
        sandbox = Sandbox("--cleverpush-rate", "1000000")
        try:
            done = subprocess.run([CAMPAIGN, "apply", old, "--auto-approve", "--init-state", "--state", state + ".tmp"],
                                  capture_output=True, text=True, env=cleverpush_env(sandbox.url))
        finally:
            sandbox.stop()
        if done.returncode != 0:
            sys.exit(f"could not make the {members}-member state: {done.stdout[-1000:]} {done.stderr[-1000:]}")
        os.rename(state + ".tmp", state)
    # The same project (a state names its projects), its CSV now with the first 1% gone and 1% more.
    new = tag_project(members, "cleverpush-tags", moved)
    shown = subprocess.run([CAMPAIGN, "plan", new, "--state", state], capture_output=True, text=True, env=cleverpush_env("http://127.0.0.1:9"))
    line = next((l for l in shown.stdout.splitlines() if "vip" in l), "")
    print(f"cleverpush tags: a mirror tag audience of {members:,} members, {moved:,} joined and {moved:,} left since the last apply")
    print(f"  plan says: {line}")
    if f"+{moved} tag" not in line or f"-{moved} untag" not in line or f"{members - moved} unchanged" not in line:
        sys.exit(f"unexpected plan: {shown.stdout[-1000:]} {shown.stderr[-500:]}")
    compare(f"cleverpush plan: `campaign plan` (state of {members:,} members) vs `campaign validate` of the same project",
            [CAMPAIGN, "plan", new, "--state", state], [CAMPAIGN, "validate", new], 1.5, repeats)
    # Apply against a fresh sandbox at `rate` requests per second; the client capped 2% under it.
    work = os.path.join(OUT, "cleverpush-apply")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    applied_state = os.path.join(work, "state.json")
    shutil.copy(state, applied_state)
    sandbox = Sandbox("--cleverpush-rate", str(rate))
    try:
        command = [PEAK_RSS, RSS_FILE, CAMPAIGN, "apply", new, "--auto-approve", "--state", applied_state]
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cleverpush_env(sandbox.url, rate * 0.98))
        lines = []
        for raw in proc.stdout:
            lines.append((time.perf_counter() - start, raw.decode(errors="replace").rstrip("\n")))
        err = proc.stderr.read().decode(errors="replace")
        code = proc.wait()
        wall = time.perf_counter() - start
        rss = peak_rss_mib()
        with urllib.request.urlopen(sandbox.url + "/_sandbox/cleverpush/stats") as response:
            stats = json.load(response)
        with urllib.request.urlopen(sandbox.url + "/_sandbox/cleverpush/ledger") as response:
            ledger = json.load(response)
    finally:
        sandbox.stop()
    if code != 0:
        sys.exit(f"campaign apply failed ({code}):\n" + "\n".join(l for _, l in lines[-20:]) + "\n" + err[-2000:])
    plan_done = next((t for t, l in lines if l.startswith("Plan:")), 0.0)
    finished = next((t for t, l in lines if l.startswith("vip: update:")), wall)
    requests = stats["requests"].get("/subscription/tag", 0) + stats["requests"].get("/subscription/untag", 0)
    phase = finished - plan_done
    achieved = requests / phase if phase > 0 else 0
    tagged = {e["subscriptionId"] for e in ledger if e["action"] == "tag"}
    untagged = {e["subscriptionId"] for e in ledger if e["action"] == "untag"}
    shown = subprocess.run([CAMPAIGN, "state", "show", "vip", "--state", applied_state], capture_output=True, text=True, check=True)
    record = json.loads(shown.stdout)
    delivered = record.get("delivered", {}).get("subscription", [])
    expected = {f"s{i}" for i in range(moved, moved + members)}
    checks = {
        f"exactly {2 * moved} requests": requests == 2 * moved,
        "the joiners tagged, the leavers untagged": tagged == {f"s{i}" for i in range(members, members + moved)} and untagged == {f"s{i}" for i in range(moved)},
        "state: every member, once, no intent": set(delivered) == expected and len(delivered) == members and "intent" not in record,
        f">= 90% of {rate}/s": achieved >= 0.9 * rate,
    }
    print(f"cleverpush apply: {requests} requests in a send phase of {phase:.3f} s = {achieved:.1f}/s "
          f"({achieved / rate * 100:.1f}% of the sandbox's {rate}/s; 429s {stats['rate_limited']}); wall {wall:.3f} s "
          f"(start + CSV + plan {plan_done:.3f} s); peak RSS {rss:.1f} MiB")
    print("  checks: " + ", ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in checks.items()))
    if not all(checks.values()):
        sys.exit("cleverpush-tags checks failed")


PERSONACLICK_SECRET = "sandbox-shop-secret"


def prefs_project(contacts, changed, name):
    """The project `name`: subscription preferences of `contacts` contacts c0..; the first `changed` also turn
    `email_chain` on (the rest leave it empty)."""
    project = os.path.join(OUT, name)
    os.makedirs(project, exist_ok=True)
    with open(os.path.join(project, "project.yaml"), "w") as f:
        f.write("timezone: UTC\npersonaclick: {shop_id: SANDBOX-SHOP, shop_secret_env: PERSONACLICK_SHOP_SECRET, concurrency: 8}\n")
    with open(os.path.join(project, "prefs.yaml"), "w") as f:
        f.write("# Generated by bench.py.\nprovider: personaclick\ntype: subscription_preferences\nname: Bench newsletter\nfile: contacts.csv\n"
                "defaults: {email_transactional: true}\n")
    with open(os.path.join(project, "contacts.csv"), "w") as f:
        f.write("email,email_bulk,email_chain\n")
        f.writelines(f"c{i}@example.com,true,{'true' if i < changed else ''}\n" for i in range(contacts))
    return project


def personaclick_env(url, rate=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONACLICK_") and k != "CAMPAIGN_STATE"}
    env.update(PERSONACLICK_API_URL=url, PERSONACLICK_SHOP_SECRET=PERSONACLICK_SECRET)
    if rate:
        env["CAMPAIGN_PERSONACLICK_RATE"] = str(rate)
    return env


def post_json(url, body):
    import json
    import urllib.request
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def get_json(url):
    import json
    import urllib.request
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def personaclick_preferences(contacts, rate, feed_items, repeats):
    """Preferences of `contacts` contacts, 1% changed since the last apply: plan vs validate of the same project (the
    change feed empty, and then with `feed_items` items to read, 20,000 a page, timed); apply: exactly 1% `manage`
    requests at >= 90% of the sandbox's rate, no contact lost or sent twice, peak memory."""
    import json
    import shutil
    changed = contacts // 100
    state = os.path.join(OUT, f"personaclick-state-{contacts}.json")
    if not os.path.exists(state):
        old = prefs_project(contacts, 0, "personaclick-preferences")
        sandbox = Sandbox("--personaclick-rate", "1000000")
        try:
            done = subprocess.run([CAMPAIGN, "apply", old, "--auto-approve", "--init-state", "--state", state + ".tmp"],
                                  capture_output=True, text=True, env=personaclick_env(sandbox.url))
        finally:
            sandbox.stop()
        if done.returncode != 0:
            sys.exit(f"could not make the {contacts}-contact state: {done.stdout[-1000:]} {done.stderr[-1000:]}")
        os.rename(state + ".tmp", state)
    new = prefs_project(contacts, changed, "personaclick-preferences")
    print(f"personaclick preferences: {contacts:,} contacts, {changed:,} changed since the last apply")
    # Plan against a sandbox whose feed is empty, then one whose feed holds `feed_items` items since the last apply.
    sandbox = Sandbox("--personaclick-rate", "1000000")
    try:
        env = personaclick_env(sandbox.url)
        shown = subprocess.run([CAMPAIGN, "plan", new, "--state", state], capture_output=True, text=True, env=env)
        line = next((l for l in shown.stdout.splitlines() if "prefs" in l), "")
        print(f"  plan says: {line[:160]}")
        if f"~{changed} changed" not in line or f"{contacts - changed} unchanged" not in line:
            sys.exit(f"unexpected plan: {shown.stdout[-1000:]} {shown.stderr[-500:]}")
        os.environ.update(env)
        compare(f"personaclick plan: `campaign plan` (state of {contacts:,} contacts, empty change feed) vs `campaign validate` of the same project",
                [CAMPAIGN, "plan", new, "--state", state], [CAMPAIGN, "validate", new], 1.5, repeats)
        post_json(sandbox.url + "/_sandbox/personaclick/seed_changes", {"count": feed_items})
        timed = subprocess.run([CAMPAIGN, "plan", new, "--state", state], capture_output=True, text=True,
                               env=dict(env, CAMPAIGN_PERSONACLICK_FEED_TIMING="1"))
        feed_line = next((l for l in timed.stderr.splitlines() if "change feed read" in l), "(not reported)")
        pages = [e for e in get_json(sandbox.url + "/_sandbox/personaclick/ledger")["entries"] if e["endpoint"] == "/subscriptions/changes"]
        print(f"  {feed_line.strip()} (ledger: {len(pages)} feed requests in all)")
        compare(f"personaclick plan with the change feed: `campaign plan` (+ {feed_items:,} feed items) vs `campaign validate` of the same project",
                [CAMPAIGN, "plan", new, "--state", state], [CAMPAIGN, "validate", new], 1.5, repeats)
    finally:
        sandbox.stop()
        for key in ("PERSONACLICK_API_URL", "PERSONACLICK_SHOP_SECRET"):
            os.environ.pop(key, None)
    # Apply against a fresh sandbox at `rate` requests per second; the client capped 2% under it.
    work = os.path.join(OUT, "personaclick-apply")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    applied_state = os.path.join(work, "state.json")
    shutil.copy(state, applied_state)
    sandbox = Sandbox("--personaclick-rate", str(rate))
    try:
        command = [PEAK_RSS, RSS_FILE, CAMPAIGN, "apply", new, "--auto-approve", "--state", applied_state]
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=personaclick_env(sandbox.url, rate * 0.98))
        lines = []
        for raw in proc.stdout:
            lines.append((time.perf_counter() - start, raw.decode(errors="replace").rstrip("\n")))
        err = proc.stderr.read().decode(errors="replace")
        code = proc.wait()
        wall = time.perf_counter() - start
        rss = peak_rss_mib()
        stats = get_json(sandbox.url + "/_sandbox/personaclick/stats")
        ledger = get_json(sandbox.url + "/_sandbox/personaclick/ledger")["entries"]
    finally:
        sandbox.stop()
    if code != 0:
        sys.exit(f"campaign apply failed ({code}):\n" + "\n".join(l for _, l in lines[-20:]) + "\n" + err[-2000:])
    plan_done = next((t for t, l in lines if l.startswith("Plan:")), 0.0)
    finished = next((t for t, l in lines if l.startswith("prefs: update:")), wall)
    manages = [e for e in ledger if e["endpoint"] == "/subscriptions/manage" and e["status"] == 200]
    requests = stats["requests"].get("/subscriptions/manage", 0)
    phase = finished - plan_done
    achieved = requests / phase if phase > 0 else 0
    shown = subprocess.run([CAMPAIGN, "state", "show", "prefs", "--state", applied_state], capture_output=True, text=True, check=True)
    record = json.loads(shown.stdout)
    delivered = record.get("delivered", {}).get("contact", [])
    checks = {
        f"exactly {changed} manage requests": requests == changed and len(manages) == changed,
        "the changed contacts, once each": sorted(e.get("contact") for e in manages) == sorted(f"c{i}@example.com" for i in range(changed)),
        "state: every contact, once, no intent": len(delivered) == contacts and len({d.split(" #")[0] for d in delivered}) == contacts and "intent" not in record,
        f">= 90% of {rate}/s": achieved >= 0.9 * rate,
    }
    print(f"personaclick apply: {requests} manage requests in a send phase of {phase:.3f} s = {achieved:.1f}/s "
          f"({achieved / rate * 100:.1f}% of the sandbox's {rate}/s; 429s {stats['rate_limited']}); wall {wall:.3f} s "
          f"(start + CSV + feed + plan {plan_done:.3f} s); peak RSS {rss:.1f} MiB")
    print("  checks: " + ", ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in checks.items()))
    if not all(checks.values()):
        sys.exit("personaclick-preferences checks failed")


def subcommands():
    help_text = subprocess.run([CAMPAIGN, "--help"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in help_text.splitlines() if line.startswith("  ") and line.split()}


if __name__ == "__main__":
    main()
