#!/usr/bin/python3
"""How long after its time limit a runaway call actually answers.

usage: overshoot.py [--repeat N] [--limit-ms MS] [--host node|deno|deno-process|native]... [--update FILE.md]

For each host (default: native and node) and each kind of runaway code, one
host process runs `batch --timeout-ms MS`; the same call is sent N times,
one at a time, and the time from writing the request to reading its answer
is measured. The answer comes after the host has stopped the call *and*
rebuilt the instance with its registrations, so the rebuild alone is
measured too (a call that traps at once: `os.abort()`), to tell the two
apart. Prints median and max of (answer time - limit) per kind as a
Markdown table, or with --update puts it between the lines
<!-- overshoot table ... --> and <!-- end overshoot table --> of FILE.

Not a test: nothing is asserted (timings depend on the machine's load).
docs/reliability.md quotes its output. Standard library only.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DENO_RUN = ["node_modules/.bin/deno", "run", "--no-prompt", "--v8-flags=--stack-size=7680",
            "--allow-read=hosts/js,build/python-reactor.wasm"]
HOSTS = {
    "native": ["build/pyreactor", "batch"],
    "node": ["node", "hosts/js/cli.mjs", "batch"],
    "deno": DENO_RUN + ["hosts/js/cli.mjs", "batch"],
    # the instance in a child process, killed at the limit (process-reactor.mjs)
    "deno-process": DENO_RUN + ["--allow-run=" + os.path.realpath(os.path.join(REPO, "node_modules/.bin/deno")),
                                "--allow-env=NODE_V8_COVERAGE", "hosts/js/cli.mjs", "batch", "--isolation", "process"],
}
RUNAWAY = [
    ("busy loop", "def f():\n    while True:\n        pass\n"),
    ("C-level loop", "def f():\n    return sum(range(10**12))\n"),
    ("regex backtracking", "import re\ndef f():\n    return bool(re.match(r'(a+)+$', 'a' * 64 + 'b'))\n"),
    ("time.sleep(3600)", "import time\ndef f():\n    time.sleep(3600)\n"),
    ("print loop", "def f():\n    while True:\n        print('x' * 100, flush=True)\n"),
]
REBUILD = ("rebuild alone (os.abort)", "import os\ndef f():\n    os.abort()\n")


class HostGone(Exception):
    pass


def ask(proc, request):
    proc.stdin.write((json.dumps(request) + "\n").encode())
    proc.stdin.flush()
    started = time.monotonic()
    line = proc.stdout.readline()
    if not line:
        raise HostGone()
    return time.monotonic() - started, json.loads(line)


def measure(command, limit_ms, code, repeat, want_type):
    """Seconds per answer of `repeat` calls of f, each expected to fail with want_type."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command + ["--timeout-ms", str(limit_ms)], cwd=REPO,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        try:
            return calls(proc, code, repeat, want_type)
        except (HostGone, BrokenPipeError):
            proc.kill()
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            sys.exit("overshoot.py: %s stopped answering:\n  %s" % (command[0], "\n  ".join(tail)))
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # not what is measured here
                proc.kill()
                proc.wait()


def calls(proc, code, repeat, want_type):
    """Registers f (and 20 others), then times `repeat` calls of f."""
    ask(proc, {"op": "register_def", "name": "f", "code": code})
    # Enough registrations that replaying them is not free, as in real use.
    for i in range(20):
        ask(proc, {"op": "register_def", "name": "g%d" % i, "code": "def g%d(x):\n    return x\n" % i})
    times = []
    for _ in range(repeat):
        seconds, answer = ask(proc, {"op": "apply_def", "name": "f", "args": []})
        got = answer.get("error", {}).get("type")
        if got != want_type:
            sys.exit("overshoot.py: expected %s, got %s" % (want_type, json.dumps(answer)[:200]))
        times.append(seconds)
    return times


def table(hosts, limit_ms, repeat):
    rows = ["| host | runaway code | answered after the %d ms limit: median | max |" % limit_ms,
            "|---|---|---|---|"]
    for host in hosts:
        for what, code in RUNAWAY:
            over = [t * 1000 - limit_ms for t in measure(HOSTS[host], limit_ms, code, repeat, "Timeout")]
            rows.append("| %s | %s | %.1f ms | %.1f ms |" % (host, what, statistics.median(over), max(over)))
        what, code = REBUILD
        spent = [t * 1000 for t in measure(HOSTS[host], limit_ms, code, repeat, "Trap")]
        rows.append("| %s | %s | %.1f ms | %.1f ms |" % (host, what + ", no limit involved",
                                                        statistics.median(spent), max(spent)))
    return "\n".join(rows) + "\n"


def update(path, text):
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    pattern = re.compile(r"(<!-- overshoot table[^\n]*-->\n).*?(<!-- end overshoot table -->)", re.S)
    if not pattern.search(doc):
        sys.exit("overshoot.py: no <!-- overshoot table --> ... <!-- end overshoot table --> in %s" % path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(pattern.sub(lambda m: m.group(1) + text + m.group(2), doc, count=1))


def main(argv):
    repeat, limit_ms, hosts, target = 30, 200, [], None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--repeat" and args:
            repeat = int(args.pop(0))
        elif a == "--limit-ms" and args:
            limit_ms = int(args.pop(0))
        elif a == "--host" and args and args[0] in HOSTS:
            hosts.append(args.pop(0))
        elif a == "--update" and args:
            target = args.pop(0)
        else:
            sys.exit(__doc__.strip().splitlines()[2])
    text = table(hosts or ["native", "node"], limit_ms, repeat)
    if target:
        update(target, text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
