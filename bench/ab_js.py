#!/usr/bin/python3.11
"""A/B of the JavaScript host: two trees' bench/js_runner.mjs, in one run.

    bench/ab_js.py BEFORE_TREE AFTER_TREE [--rounds N] [--wasm PATH] [--only TEXT]...

Starts `js_runner.mjs serve` from each tree (both on the same module and
kernels), then sends each measurement to both in turn, alternating which
goes first, round after round, so that whatever else the machine does
falls on both alike. Prints a Markdown table of medians (and the ratio
after/before), and the range of each side's samples. `--only TEXT` keeps
the measures whose label contains TEXT (repeatable; e.g. `--only "host
call"`). A tree is a checkout of this repository (e.g. a
`git worktree add` of the base commit, with build/ and node_modules/
linked); its js_runner.mjs and hosts/js are what is measured.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, command, field, scale): field of the runner's answer, times scale.
MEASURES = [
    ("warm call, Reactor async (us)", "warm-api 20000", "ns_per_call", 1e-3),
    ("warm call, Reactor sync (us)", "warm-api-sync 20000", "ns_per_call", 1e-3),
    ("warm call, in-thread Guest (us)", "warm-inthread 20000", "ns_per_call", 1e-3),
    ("cold: Reactor.load to first result (ms)", "cold-api", "ms", 1),
    ("cold: Guest.create to first result (ms)", "cold-inthread", "ms", 1),
    ("kernel fib (ms)", "kernel fib 1.0", "seconds", 1e3),
    ("kernel json (ms)", "kernel json 1.0", "seconds", 1e3),
    ("kernel strings (ms)", "kernel strings 1.0", "seconds", 1e3),
    ("kernel imports (ms)", "kernel imports 1.0", "seconds", 1e3),
    # the round trip of a trivial host function called from a def, per call,
    # minus the def's own loop (js_runner.mjs hostCallCost)
    ("host call, Reactor async (us)", "hostcall-api 100000", "ns_per_call", 1e-3),
    ("host call, in-thread Guest (us)", "hostcall-inthread 100000", "ns_per_call", 1e-3),
]


class Runner:
    def __init__(self, tree, wasm, kernels):
        self.proc = subprocess.Popen(
            ["node", "--expose-gc", os.path.join(tree, "bench", "js_runner.mjs"), "serve", wasm, kernels],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tree)
        ready = json.loads(self.proc.stdout.readline())
        if not ready.get("ready"):
            sys.exit(f"{tree}: runner not ready: {ready}")

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            sys.exit(f"{command}: {answer['error']}")
        return answer

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--wasm", default=os.path.join(ROOT, "build", "python-reactor.wasm"))
    parser.add_argument("--only", action="append", default=[], help="keep the measures whose label contains this")
    args = parser.parse_args()
    measures = [m for m in MEASURES if not args.only or any(text in m[0] for text in args.only)]
    if not measures:
        sys.exit(f"--only {args.only}: no measure matches (labels: {', '.join(m[0] for m in MEASURES)})")
    kernels = os.path.join(ROOT, "bench", "kernels.py")
    runners = [Runner(os.path.abspath(t), os.path.abspath(args.wasm), kernels) for t in (args.before, args.after)]
    samples = {label: ([], []) for label, *_ in measures}
    for r in range(args.rounds):
        for label, command, field, scale in measures:
            order = (0, 1) if r % 2 == 0 else (1, 0)
            for side in order:
                samples[label][side].append(runners[side].ask(command)[field] * scale)
    for runner in runners:
        runner.close()
    print(f"| measure (median of {args.rounds}) | before | after | after/before | before, range | after, range |")
    print("|---|---|---|---|---|---|")
    for label, *_ in measures:
        before, after = (statistics.median(s) for s in samples[label])
        spans = ["{:.2f}-{:.2f}".format(min(s), max(s)) for s in samples[label]]
        print(f"| {label} | {before:.2f} | {after:.2f} | {after / before:.2f} | {spans[0]} | {spans[1]} |")


if __name__ == "__main__":
    main()
