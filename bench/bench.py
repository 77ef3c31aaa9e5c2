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


def run_once(command):
    """Wall time (s) and peak resident memory (MiB) of one run; output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"benchmark command failed ({code}): {' '.join(command)}\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024.0


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
    return corpus


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=5)
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
    benchmarks["client-creates"] = lambda: client_creates(args.creates)
    benchmarks["client-sends"] = lambda: client_sends(args.recipients)
    for name, bench in benchmarks.items():
        if args.only and name not in args.only:
            continue
        bench()


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
    proc = subprocess.Popen([CLIENT_BENCH, sandbox.url, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"client bench failed: {out} {proc.stderr.read()}")
    return json.loads(out), usage.ru_maxrss / 1024.0


def client_creates(count):
    sandbox = Sandbox("--create-rate", "1")
    try:
        result, rss = run_client(sandbox, "creates", str(count))
        rejected = sum(sandbox.stats()["rejected_429"].values())
    finally:
        sandbox.stop()
    floor = count - 1  # n creates at 1/s: the first at 0 s, the last at n-1 s
    print(f"client creates: {count} creates through the client at 1/s against the sandbox")
    print(f"  wall {result['seconds']:.3f} s vs floor {floor} s: ratio {result['seconds'] / floor:.3f}; "
          f"429s: sandbox {rejected}, client {result['client_429s']}; failures {result['failures']}; peak RSS {rss:.1f} MiB")


def client_sends(recipients):
    sandbox = Sandbox("--send-rate", "1000")
    try:
        result, rss = run_client(sandbox, "sends", str(recipients))
        rejected = sum(sandbox.stats()["rejected_429"].values())
    finally:
        sandbox.stop()
    rate = result["requests_per_second"]
    print(f"client sends: identity send of {recipients:,} recipients = {result['requests']} requests of <= 1000")
    print(f"  {result['seconds']:.3f} s, {rate:.1f} requests/s vs the 1000/s cap: ratio {rate / 1000:.3f}; "
          f"429s: sandbox {rejected}, client {result['client_429s']}; failures {result['failures']}; peak RSS {rss:.1f} MiB")


def subcommands():
    help_text = subprocess.run([CAMPAIGN, "--help"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in help_text.splitlines() if line.startswith("  ") and line.split()}


if __name__ == "__main__":
    main()
