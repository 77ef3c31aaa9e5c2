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
    for name, bench in benchmarks.items():
        if args.only and name not in args.only:
            continue
        bench()


def subcommands():
    help_text = subprocess.run([CAMPAIGN, "--help"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in help_text.splitlines() if line.startswith("  ") and line.split()}


if __name__ == "__main__":
    main()
