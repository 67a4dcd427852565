"""Benchmark runner for a native CPython (the same-source build, Debian's
python3.11), driven by bench/run.py.

    PYTHON bench/cpython_runner.py serve
        line protocol on stdin, one JSON line answered per command:
          kernel NAME SIZE   kernels.run(NAME, SIZE) (bench/kernels.py, imported)
          warm N             N times: json.loads(args text), call the trivial
                             def, json.dumps(result) -- what a reactor's
                             apply_def does, without the sandbox
          quit
"""

import json
import sys
import time

import kernels

ECHO_ARGS = '["hello, world"]'
ECHO_RESULT = '"hello, world"'


def echo(s):
    return s


def warm(n):
    loads, dumps, f, args = json.loads, json.dumps, echo, ECHO_ARGS
    t0 = time.perf_counter()
    for _ in range(n):
        out = dumps(f(*loads(args)))
    t1 = time.perf_counter()
    assert out == ECHO_RESULT, out
    return {"ns_per_call": (t1 - t0) * 1e9 / n}


def main():
    if sys.argv[1:] != ["serve"]:
        sys.exit("usage: cpython_runner.py serve")
    out = sys.stdout
    out.write(json.dumps({"ready": True, "python": sys.version, "executable": sys.executable}) + "\n")
    out.flush()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], words[1:]
        if cmd == "quit":
            break
        try:
            if cmd == "kernel":
                answer = kernels.run(args[0], float(args[1]))
            elif cmd == "warm":
                answer = warm(int(args[0]))
            else:
                answer = {"error": "unknown command " + cmd}
        except Exception as e:  # reported, the run goes on
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
