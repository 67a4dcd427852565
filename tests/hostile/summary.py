#!/usr/bin/python3
"""The hostile corpus as a table: category, case, what its code tries, the
outcome every host must give and, with --run, what each host gave.

usage: summary.py [--run] [--update FILE.md] [--corpus FILE.jsonl]

  --run          pipe the corpus through each host's batch command, with the
                 limits `make test` uses, and add one column per host
  --update FILE  replace the text between the markers
                 <!-- hostile table --> and <!-- end hostile table -->
                 in FILE instead of printing

The table is generated from corpus.jsonl, so a case added there shows up
here; a case whose name is not in CATEGORIES lands in "uncategorised", a
sign to add it below. Standard library only (Debian's python3).
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(REPO, "tests", "hostile", "corpus.jsonl")
LIMITS = ["--timeout-ms", "20000", "--memory-mb", "512"]
DENO = ["node_modules/.bin/deno", "run", "--no-prompt", "--v8-flags=--stack-size=7680",
        "--allow-read=hosts/js,build/python-reactor.wasm", "hosts/js/cli.mjs", "batch"]
# The same commands as tests/suites.sh's hostile-* suites.
HOSTS = [
    ("node", ["node", "hosts/js/cli.mjs", "batch"] + LIMITS),
    ("deno", DENO + LIMITS),
    ("native", ["build/pyreactor", "batch"] + LIMITS),
]

CATEGORIES = [
    ("processes", ["fork", "fork_bomb", "spawn", "system", "kill"]),
    ("host files", ["proc", "passwd", "listroot", "write_tmp"]),
    ("environment", ["env"]),
    ("native code", ["ctypes", "dlopen"]),
    ("network", ["sock", "dns"]),
    ("threads", ["thread"]),
    ("exiting", ["sys_exit", "os_exit", "abort", "raise_signal", "posix_exit"]),
    ("memory", ["huge_bytes", "huge_str", "huge_list", "hoard", "big_int_str"]),
    ("recursion and stack", ["deep_python", "deep_c", "deep_json", "deep_result", "deep_repr"]),
    ("output floods", ["flood", "flood_err"]),
    ("the reactor's own state", ["own_registry", "close_stdout", "print_after_close"]),
]
CATEGORY_OF = {name: cat for cat, names in CATEGORIES for name in names}
ORDER = [cat for cat, _ in CATEGORIES] + ["uncategorised"]
LIVENESS = "alive"  # the lambda each case is followed by


def read_corpus(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def cases(lines):
    """Groups the corpus into cases: a registration and the calls of it.
    Returns (cases, liveness checks); a case is a dict with name, code and
    steps [(line index, request)]."""
    found, by_name, alive = [], {}, 0
    for i, req in enumerate(lines):
        name = req.get("name")
        if name == LIVENESS:
            alive += req["op"].startswith("apply")
            continue
        if req["op"].startswith("register"):
            case = {"name": name, "code": req.get("code", ""), "steps": []}
            found.append(case)
            by_name[name] = case
        if name in by_name:
            by_name[name]["steps"].append((i, req))
    return found, alive


def tries(code, name):
    """The gist of a case's code: everything but its `def name(...):` line."""
    kept = [l.strip() for l in code.splitlines() if l.strip() and not l.startswith("def %s(" % name)]
    text = ""
    for line in kept:  # "while True: x; y", as one would write it on one line
        text += line if not text else (" " if text.endswith(":") else "; ") + line
    return text if len(text) <= 90 else text[:87] + "..."


def expected(req):
    e = req["expect"]
    if e["tag"] == "ok":
        return "ok " + json.dumps(e["value"]) if "value" in e else "ok"
    types = e.get("type")
    if types is None:
        return "err (any type)"
    return "err " + " / ".join([types] if isinstance(types, str) else types)


def meets(result, expect):
    """Same rule as tests/js/run-vectors.mjs: tag, then value or type."""
    if result is None or result.get("tag") != expect["tag"]:
        return False
    if expect["tag"] == "ok":
        return "value" not in expect or result.get("value") == expect["value"]
    allowed = expect.get("type")
    if allowed is None:
        return True
    return result.get("error", {}).get("type") in ([allowed] if isinstance(allowed, str) else allowed)


def outcome(result):
    if result is None:
        return "no answer"
    if result.get("tag") == "ok":
        return "ok"
    return result.get("error", {}).get("type", "err")


def run_host(command, lines):
    """Every request (without its expectation) through one host process.
    Returns (results by line index, seconds until the last answer)."""
    stdin = "".join(json.dumps({k: v for k, v in req.items() if k != "expect"}) + "\n"
                    for req in lines).encode()
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    # Written from a thread: the host answers while it reads, and its answers
    # would fill the pipe if we wrote everything first.
    writer = threading.Thread(target=feed, args=(proc.stdin, stdin))
    writer.start()
    results = []
    while len(results) < len(lines):
        line = proc.stdout.readline()
        if not line:
            break
        try:
            results.append(json.loads(line))
        except ValueError:
            results.append(None)
    seconds = time.monotonic() - started
    writer.join()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a host that lingers after EOF: not measured here
        proc.kill()
        proc.wait()
    results += [None] * (len(lines) - len(results))
    return results, seconds


def feed(pipe, data):
    try:
        pipe.write(data)
        pipe.close()
    except BrokenPipeError:  # the host died; its missing answers say so
        pass


def md(s):
    return s.replace("|", "\\|")


def table(lines, runs):
    found, alive = cases(lines)
    head = ["category", "case", "the code", "every host must give"] + [h for h, _, _ in runs]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cat in ORDER:
        for case in (c for c in found if CATEGORY_OF.get(c["name"], "uncategorised") == cat):
            i, last = case["steps"][-1]  # the call that decides the case
            cells = [cat, "`%s`" % case["name"], "`%s`" % md(tries(case["code"], case["name"])),
                     md(expected(last))]
            for _, results, _ in runs:
                got = outcome(results[i])
                cells.append(md(got) if meets(results[i], last["expect"]) else "**%s** (wrong)" % md(got))
            out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("%d cases in %d categories, %d requests; each case is followed by a call of `%s` "
               "(%d in all) that must still answer `\"alive\"`."
               % (len(found), len({CATEGORY_OF.get(c["name"], "uncategorised") for c in found}),
                  len(lines), LIVENESS, alive))
    for host, results, seconds in runs:
        passed = sum(meets(r, req["expect"]) for r, req in zip(results, lines))
        out.append("%s: %d of %d requests as expected, the whole corpus in %.1f s."
                   % (host, passed, len(lines), seconds))
    return "\n".join(out) + "\n"


def update(path, text):
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    pattern = re.compile(r"(<!-- hostile table -->\n).*?(<!-- end hostile table -->)", re.S)
    if not pattern.search(doc):
        sys.exit("summary.py: no <!-- hostile table --> ... <!-- end hostile table --> in %s" % path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(pattern.sub(lambda m: m.group(1) + text + m.group(2), doc, count=1))


def main(argv):
    run, target, corpus = False, None, CORPUS
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--run":
            run = True
        elif a in ("--update", "--corpus") and args:
            if a == "--update":
                target = args.pop(0)
            else:
                corpus = args.pop(0)
        else:
            sys.exit(__doc__.strip().splitlines()[3])
    lines = read_corpus(corpus)
    runs = []
    if run:
        for host, command in HOSTS:
            results, seconds = run_host(command, lines)
            runs.append((host, results, seconds))
    text = table(lines, runs)
    if target:
        update(target, text)
    else:
        sys.stdout.write(text)
    failed = sum(not meets(r, req["expect"]) for _, results, _ in runs for r, req in zip(results, lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
