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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--only", action="append", help="run only the named benchmarks")
    parser.add_argument("--creates", type=int, default=30)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    args = parser.parse_args()
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
    benchmarks["recipients-csv"] = lambda: recipients_csv(args.recipients, args.repeats)
    benchmarks["client-creates"] = lambda: client_creates(args.creates)
    benchmarks["client-sends"] = lambda: client_sends(args.recipients)
    for name, bench in benchmarks.items():
        if args.only and name not in args.only:
            continue
        bench()


def completed_state(corpus, path):
    """A state file in which every corpus campaign exists and has completed, built from `campaign compile`'s
    bodies with the same hash the tool uses (sha256 of the compact JSON body)."""
    import hashlib
    import json
    import uuid
    out = subprocess.run([CAMPAIGN, "compile", corpus], capture_output=True, text=True, check=True).stdout
    campaigns = {}
    for index, request in enumerate(json.loads(out)["requests"]):
        body = request["body"]
        compact = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        campaigns[request["key"]] = {
            "type": "scheduled", "name": body["name"], "file": "", "request_sha256": hashlib.sha256(compact).hexdigest(),
            "status": "completed", "when": body["when"], "id": 1_000_000 + index, "stats": {"sent": 100, "clicked": 7},
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        }
    state = {"format_version": 1, "lineage": str(uuid.uuid4()), "serial": 1, "applied_plans": [], "campaigns": campaigns}
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


def client_sends(recipients):
    result, rss, rejected = with_sandbox(["--send-rate", "1000"], "sends", str(recipients))
    rate = result["requests_per_second"]
    print(f"client sends: identity send of {recipients:,} recipients = {result['requests']} requests of <= 1000")
    print(f"  {result['seconds']:.3f} s, {rate:.1f} requests/s vs the 1000/s cap: ratio {rate / 1000:.3f}; "
          f"429s: sandbox {rejected}, client {result['client_429s']}; failures {result['failures']}; peak RSS {rss:.1f} MiB")


def subcommands():
    help_text = subprocess.run([CAMPAIGN, "--help"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in help_text.splitlines() if line.startswith("  ") and line.split()}


if __name__ == "__main__":
    main()
