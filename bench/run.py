#!/usr/bin/python3.11
"""The benchmark suite of python-wasi-reactor: `make bench` runs this.

Every system is measured in the same run, interleaved round by round (each
round visits every system, in a rotated order), so that whatever else the
machine does spreads over all of them alike. Each figure is the median over
the rounds, with the interquartile range and min-max as its spread.

Systems:
  native   the native host: libpyreactor (python-reactor.wasm through wasm2c)
           in-process (bench/native_bench.c), and `build/pyreactor batch`
  js-api   the JavaScript host under Node, through its public Reactor API
           (the instance runs in a worker thread; each call is a message)
  js-inth  the same host's byte-level binding hosts/js/guest.mjs, in-thread
  js-deno  the JavaScript host's Reactor API under Deno (node_modules/.bin/deno)
  cpython  native CPython 3.11.2 built from the same source (the yardstick)
  debian   Debian's /usr/bin/python3.11
  pyodide  Pyodide from npm (pinned in package.json), under Node, offline

Writes build/bench/results.json, then bench/report.py renders it into
docs/performance.md and docs/performance.svg (a quick run: into build/bench/).
"""

import argparse
import ast
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
sys.path.insert(0, BENCH)
sys.dont_write_bytecode = True  # no bench/__pycache__
import kernels  # noqa: E402  (for the kernel names and SNAPSHOT_HOLDS only)

ECHO_CODE = "def echo(s):\n    return s\n"
ECHO_ARGS = '["hello, world"]'
ECHO_RESULT = '"hello, world"'
# What `python3.11 -c` runs for the whole-process cold start: the same work as
# a batch of register_def + apply_def (parse JSON args, call, write JSON).
PY_C_CODE = ECHO_CODE + "import json\nprint(json.dumps(echo(*json.loads(%r))))\n" % ECHO_ARGS
BATCH_LINES = (
    json.dumps({"op": "register_def", "name": "echo", "code": ECHO_CODE}) + "\n"
    + json.dumps({"op": "apply_def", "name": "echo", "args": json.loads(ECHO_ARGS)}) + "\n"
)
BATCH_LAST = '{"tag":"ok","value":"hello, world"}'

# idle: {ms of quiet before a call: calls per round}; first_rounds: fresh
# processes per system for the first kernel passes, first_passes passes each.
FULL = dict(proc_rounds=9, cold_rounds=15, warm_rounds=9, warm_target_s=0.25,
            kernel_rounds=7, kernel_size=1.0, mem_reps=3, counts=[1, 2, 10, 50, 100],
            pyodide_counts=[1, 2, 4], idle_rounds=3, idle={1: 20, 10: 10, 100: 5, 1000: 3},
            first_rounds=3, first_passes=3)
QUICK = dict(proc_rounds=3, cold_rounds=5, warm_rounds=3, warm_target_s=0.05,
             kernel_rounds=3, kernel_size=0.2, mem_reps=1, counts=[1, 2, 10], pyodide_counts=[1, 2],
             idle_rounds=2, idle={1: 10, 10: 5, 100: 3, 1000: 1}, first_rounds=1, first_passes=3)

T_START = time.perf_counter()


def log(msg):
    print("[bench %6.1fs] %s" % (time.perf_counter() - T_START, msg), file=sys.stderr, flush=True)


def quantile(sorted_xs, q):
    if len(sorted_xs) == 1:
        return sorted_xs[0]
    pos = (len(sorted_xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def stats(samples):
    xs = sorted(samples)
    if not xs:
        return None
    return {"median": statistics.median(xs), "q1": quantile(xs, 0.25), "q3": quantile(xs, 0.75),
            "min": xs[0], "max": xs[-1], "n": len(xs), "samples": samples}


def machine_busy_seconds():
    """CPU-seconds the whole machine has spent busy since boot (/proc/stat)."""
    fields = open("/proc/stat").readline().split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    """CPU-seconds used by this process and every descendant reaped so far."""
    import resource
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def clean_env(extra=None):
    """The environment of every measured process: the same, small one."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
           "LANG": "C.UTF-8"}
    env.update(extra or {})
    return env


class Skip(Exception):
    """A system that cannot be measured in this run (the reason goes in the report)."""


class Server:
    """A long-lived runner process speaking the line protocol of bench/*runner*."""

    def __init__(self, name, argv, logdir, env):
        self.name = name
        self.log_path = os.path.join(logdir, name + ".log")
        self.err = open(self.log_path, "w")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                  text=True, cwd=ROOT, env=env, bufsize=1)
        self.info = self._recv()
        self.maxrss_kb = None

    def _recv(self):
        line = self.p.stdout.readline()
        if not line:
            self.err.flush()
            with open(self.log_path) as f:
                tail = f.read()[-1500:]
            raise RuntimeError("%s runner ended unexpectedly:\n%s" % (self.name, tail))
        return json.loads(line)

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        answer = self._recv()
        if isinstance(answer, dict) and "error" in answer:
            raise RuntimeError("%s: %s -> %s" % (self.name, cmd, answer["error"]))
        return answer

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
        except OSError:
            pass
        try:
            _, status, ru = os.wait4(self.p.pid, 0)
            self.p.returncode = os.waitstatus_to_exitcode(status)
            self.maxrss_kb = ru.ru_maxrss
        except ChildProcessError:
            pass
        self.err.close()


SPAWN = None  # build/bench/spawn (bench/spawn.c), set in main


def spawn(argv, stdin_data=None, env=None):
    """Runs one whole process through bench/spawn.c: wall time from fork to
    reaped, and the process's own peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout, ferr = (os.path.join(tmp, n) for n in ("in", "out", "err"))
        with open(fin, "w") as f:
            f.write(stdin_data or "")
        p = subprocess.run([SPAWN, fin, fout, ferr] + list(argv), capture_output=True, text=True, cwd=ROOT, env=env)
        if p.returncode != 0:
            raise RuntimeError("spawn failed: %s" % p.stderr)
        r = json.loads(p.stdout)
        with open(fout, errors="replace") as f:
            r["stdout"] = f.read()
        with open(ferr, errors="replace") as f:
            r["stderr"] = f.read()
        return r


def rotate(items, k):
    k %= len(items) or 1
    return items[k:] + items[:k]


# ------------------------------------------------------------------ sizes --

def wasm_sections(data):
    """[(section id, bytes of the whole section)] of a wasm module."""
    assert data[:4] == b"\0asm", "not a wasm module"
    out = []
    i = 8
    while i < len(data):
        sid = data[i]
        j = i + 1
        size = shift = 0
        while True:
            b = data[j]
            j += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        out.append((sid, data[i:j + size]))
        i = j + size
    return out


def wasm_strip(data):
    """The module without custom sections (what wasm-strip does)."""
    return data[:8] + b"".join(sec for sid, sec in wasm_sections(data) if sid != 0)


def gz(data):
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(args, native_ok):
    out = {"wasm": [], "native": [], "pyodide": [], "pyodide_version": None}
    out["data_segments"], out["gzip_parts"] = {}, {}
    for key, label, path in (("plain", "plain", args.wasm_plain), ("snapshot", "snapshot, the default", args.wasm)):
        data = open(path, "rb").read()
        stripped = wasm_strip(data)
        out["wasm"].append({"label": label, "path": os.path.relpath(path, ROOT), "bytes": len(data),
                            "stripped": len(stripped), "gzip": gz(stripped)})
        secs = wasm_sections(data)
        code = b"".join(sec for sid, sec in secs if sid == 10)
        dseg = b"".join(sec for sid, sec in secs if sid == 11)
        out["data_segments"][key] = len(dseg)
        out["gzip_parts"][key] = {"code": [len(code), gz(code)], "data": [len(dseg), gz(dseg)]}
    if native_ok:
        for path in (os.path.join(args.build, "pyreactor"), os.path.join(args.build, "libpyreactor.a")):
            data = open(path, "rb").read()
            entry = {"path": os.path.relpath(path, ROOT), "bytes": len(data)}
            if path.endswith("pyreactor"):
                with tempfile.TemporaryDirectory() as tmp:
                    copy = os.path.join(tmp, "pyreactor")
                    subprocess.run(["strip", "-o", copy, path], check=True)
                    sdata = open(copy, "rb").read()
                entry.update(stripped=len(sdata), gzip=gz(sdata))
            out["native"].append(entry)
    pdir = os.path.join(ROOT, "node_modules", "pyodide")
    if os.path.isdir(pdir):
        out["pyodide_version"] = json.load(open(os.path.join(pdir, "package.json")))["version"]
        # What loadPyodide() reads from indexURL to start (no packages loaded).
        for name in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"):
            path = os.path.join(pdir, name)
            if os.path.exists(path):
                data = open(path, "rb").read()
                out["pyodide"].append({"path": "node_modules/pyodide/" + name, "bytes": len(data), "gzip": gz(data)})
    return out


# ---------------------------------------------------------- the measures --

def last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


FAILURES = {}  # "part: system" -> what went wrong; the run goes on without it


def failed(part, name, error):
    key = "%s: %s" % (part, name)
    FAILURES[key] = str(error)[-1500:]
    log("FAILED %s -- %s" % (key, str(error).strip().splitlines()[-1] if str(error).strip() else "?"))


def whole_process(cfg, systems, env_for):
    """Whole-process cold starts, round-robin; also the in-process figures
    that only a fresh process gives (first native instance, loadPyodide).
    systems: {name: (argv, stdin text or None, expected last stdout line or None)}."""
    def run(name):
        argv, stdin, expect = systems[name]
        r = spawn(argv, stdin, env_for(name))
        if r["rc"] != 0 or (expect is not None and last_line(r["stdout"]) != expect):
            raise RuntimeError("exit %s, stdout %r, expected %r as its last line; stderr %r"
                               % (r["rc"], r["stdout"][-300:], expect, r["stderr"][-600:]))
        return r

    names = []
    for name in systems:
        try:
            run(name)  # warm-up: page cache, compiled stdlib
            names.append(name)
        except Exception as e:
            failed("whole process", name, e)
    runs = {name: [] for name in names}
    for rnd in range(cfg["proc_rounds"]):
        for name in rotate(list(runs), rnd):
            try:
                runs[name].append(run(name))
            except Exception as e:
                failed("whole process", name, e)
                del runs[name]
        log("whole-process round %d/%d" % (rnd + 1, cfg["proc_rounds"]))
    out = {}
    for name, rs in runs.items():
        entry = {"ms": stats([r["ms"] for r in rs]), "maxrss_kb": stats([r["maxrss_kb"] for r in rs])}
        if name == "pyodide":
            inner = [json.loads(last_line(r["stderr"])) for r in rs]
            entry["load_ms"] = stats([x["load_ms"] for x in inner])
            entry["first_result_ms"] = stats([x["first_result_ms"] for x in inner])
        if name in ("native-first", "js-first"):
            inner = [json.loads(last_line(r["stdout"])) for r in rs]
            entry["first_ms"] = stats([x["ms"] for x in inner])
            entry["phases"] = {k: stats([x["phases"][k] for x in inner]) for k in inner[0]["phases"]}
            entry["faults"] = {k: stats([x["faults"][k] for x in inner]) for k in inner[0].get("faults", {})}
            if "since_process_start_ms" in inner[0]:
                entry["since_process_start_ms"] = stats([x["since_process_start_ms"] for x in inner])
        out[name] = entry
    return out


def interleave(rounds, jobs, what, warmup=1):
    """jobs: {label: (server, cmd, extract)}; returns {label: [samples]}.
    A job whose runner fails is dropped (and reported)."""
    jobs = dict(jobs)

    def ask(label):
        srv, cmd, extract = jobs[label]
        try:
            return extract(srv.ask(cmd))
        except Exception as e:
            failed(what, label, e)
            del jobs[label]
            return None

    for _ in range(warmup):
        for label in list(jobs):
            ask(label)
    samples = {label: [] for label in jobs}
    for rnd in range(rounds):
        for label in rotate(list(jobs), rnd):
            x = ask(label)
            if x is not None:
                samples[label].append(x)
    log("%s: %d rounds" % (what, rounds))
    return {label: xs for label, xs in samples.items() if label in jobs and xs}


def warm_calls(cfg, jobs, what, rounds=None):
    """jobs: {label: (server, cmd)}: calibrates N per system, then rounds."""
    plan = {}
    for label, (srv, cmd) in jobs.items():
        try:
            # The first calls of a batch can be far slower than the rest (the
            # JS host's threads after an idle moment: see docs/performance.md),
            # and an estimate from them makes batches that are all start. So
            # the length grows (at least doubling) until a warm-up batch
            # itself takes half the target time.
            n = 200
            for _ in range(16):
                est = srv.ask("%s %d" % (cmd, n))["ns_per_call"]
                if est * n / 1e9 >= cfg["warm_target_s"] / 2 or n >= 1_000_000:
                    break
                n = int(min(1_000_000, max(2 * n, cfg["warm_target_s"] * 1e9 / est)))
            plan[label] = (srv, "%s %d" % (cmd, n), lambda a: a["ns_per_call"])
        except Exception as e:
            failed(what, label, e)
    samples = interleave(rounds or cfg["warm_rounds"], plan, what, warmup=0)
    return {label: dict(stats(xs), calls_per_batch=int(plan[label][1].split()[-1])) for label, xs in samples.items()}


def kernel_rounds(cfg, servers):
    """Every kernel on every system, interleaved kernel by kernel."""
    size = cfg["kernel_size"]
    servers = dict(servers)
    checks = {s: {} for s in servers}

    def ask(s, k):
        try:
            return servers[s].ask("kernel %s %s" % (k, size))
        except Exception as e:
            failed("kernels", s, e)
            del servers[s]
            return None

    names = kernels.NAMES + kernels.EXTRA_NAMES
    # warm-up: every kernel once on every system (JIT tiers, test data);
    # its times are each runner's first pass (after its cold and warm parts)
    first = {s: {} for s in servers}
    for k in names:
        for s in list(servers):
            r = ask(s, k)
            if r is not None:
                checks[s][k] = r["check"]
                first[s][k] = r["seconds"]
    log("kernels: warm-up done")
    times = {s: {k: [] for k in names} for s in servers}
    for rnd in range(cfg["kernel_rounds"]):
        for k in names:
            for s in rotate(list(servers), rnd):
                r = ask(s, k)
                if r is not None:
                    times[s][k].append(r["seconds"])
        log("kernels: round %d/%d" % (rnd + 1, cfg["kernel_rounds"]))
    checks["_first"] = {s: v for s, v in first.items() if s in servers}
    return {s: v for s, v in times.items() if s in servers}, checks


def kernel_summary(times, checks, ref="cpython"):
    out = {"seconds": {}, "ratio": {}, "geomean": {}, "check_mismatch": [], "extra": kernels.EXTRA_NAMES}
    for s, per in times.items():
        out["seconds"][s] = {k: stats(v) for k, v in per.items()}
        for k in per:
            if ref in checks and checks[s].get(k) != checks[ref].get(k):
                out["check_mismatch"].append({"system": s, "kernel": k, "got": checks[s].get(k),
                                              "expected": checks[ref].get(k)})
    if ref not in times:
        return out
    rounds = min(len(v) for per in times.values() for v in per.values())
    for s, per in times.items():
        # per-round ratios: the rounds are interleaved, so round i of two
        # systems ran at nearly the same time, under the same machine load
        ratios = {k: [per[k][i] / times[ref][k][i] for i in range(rounds)] for k in per}
        out["ratio"][s] = {k: stats(v) for k, v in ratios.items()}
        geo = []
        for i in range(rounds):
            logs = [ratios[k][i] for k in ratios if k in kernels.NAMES]
            prod = 1.0
            for x in logs:
                prod *= x
            geo.append(prod ** (1.0 / len(logs)))
        out["geomean"][s] = stats(geo)
    return out


def idle_calls(cfg, jobs):
    """jobs: {label: (server, cmd)}; cmd MS N answers {us: [...]}, N calls
    each after MS ms of quiet. Rounds rotate the systems; per label and MS,
    the stats over every call of every round."""
    samples = {label: {ms: [] for ms in cfg["idle"]} for label in jobs}
    jobs = dict(jobs)
    for rnd in range(cfg["idle_rounds"]):
        for ms, n in cfg["idle"].items():
            for label in rotate(list(jobs), rnd):
                srv, cmd = jobs[label]
                try:
                    samples[label][ms] += srv.ask("%s %d %d" % (cmd, ms, n))["us"]
                except Exception as e:
                    failed("idle calls", label, e)
                    del jobs[label]
        log("idle calls: round %d/%d" % (rnd + 1, cfg["idle_rounds"]))
    return {label: {str(ms): dict(stats(xs), p90=quantile(sorted(xs), 0.9)) for ms, xs in per.items() if xs}
            for label, per in samples.items() if label in jobs}


def first_passes(cfg, argvs, env_for):
    """Fresh processes (argvs: {label: argv} answering one kernelPasses
    line), cfg first_rounds of each, interleaved: per label, the load time
    and each pass's kernel times (stats over the processes)."""
    runs = {label: [] for label in argvs}
    for rnd in range(cfg["first_rounds"]):
        for label in rotate(list(argvs), rnd):
            try:
                p = subprocess.run(argvs[label], capture_output=True, text=True, cwd=ROOT, env=env_for(label),
                                   timeout=600)
                if p.returncode != 0:
                    raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr[-1500:]))
                runs[label].append(json.loads(last_line(p.stdout)))
            except Exception as e:
                failed("first passes", label, e)
        log("first passes: round %d/%d" % (rnd + 1, cfg["first_rounds"]))
    out = {}
    for label, rs in runs.items():
        if not rs:
            continue
        npass = min(len(r["passes"]) for r in rs)
        out[label] = {"load_ms": stats([r["load_ms"] for r in rs]),
                      "passes": [{k: stats([r["passes"][i]["seconds"][k] for r in rs]) for k in rs[0]["passes"][i]["seconds"]}
                                 for i in range(npass)],
                      "ended_s": [stats([r["passes"][i]["ended_s"] for r in rs]) for i in range(npass)]}
    return out


def instance_scaling(cfg, argv, reps, env):
    """Runs an instance-scaling process `reps` times; per count, the median."""
    results = []
    for _ in range(reps):
        r = spawn(argv, None, env)
        if r["rc"] != 0:
            raise RuntimeError("exit %d: %s" % (r["rc"], r["stderr"][-800:]))
        results.append(json.loads(r["stdout"].strip().splitlines()[-1]))
    counts = sorted({p["n"] for res in results for p in res["points"]})
    points = []
    for n in counts:
        rows = [p for res in results for p in res["points"] if p["n"] == n]
        points.append({"n": n, "rss_kb": stats([p["rss_kb"] for p in rows]),
                       "pss_kb": stats([p["pss_kb"] for p in rows]) if rows[0]["pss_kb"] is not None else None})
    per_extra = []
    for res in results:
        pts = {p["n"]: p for p in res["points"]}
        top = max(pts)
        if top > 1 and 1 in pts:
            per_extra.append((pts[top]["rss_kb"] - pts[1]["rss_kb"]) / (top - 1))
    return {"points": points, "per_extra_rss_kb": stats(per_extra) if per_extra else None,
            "stopped": [res["stopped"] for res in results if res.get("stopped")],
            "seconds": stats([res["seconds"] for res in results])}


# ------------------------------------------------------------------- main --

def check_snapshot_list():
    """kernels.SNAPSHOT_HOLDS is a copy of _reactor's PRELOAD (kernels.py
    runs unchanged in every system, where the guest's module is not there to
    import); the `imports` entry only compares like with like while they
    agree."""
    path = os.path.join(ROOT, "guest", "_reactor.py")
    with open(path) as fh:
        tree = ast.parse(fh.read(), path)
    preload = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
               and any(getattr(t, "id", None) == "PRELOAD" for t in node.targets)]
    if [list(p) for p in preload] != [kernels.SNAPSHOT_HOLDS]:
        sys.exit("bench/kernels.py: SNAPSHOT_HOLDS differs from PRELOAD in %s" % path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer rounds, smaller kernels (development)")
    ap.add_argument("--cpython", required=True, help="the native CPython of the same source")
    ap.add_argument("--debian-python", default="/usr/bin/python3.11")
    ap.add_argument("--wasm", default=os.path.join(ROOT, "build/python-reactor.wasm"))
    ap.add_argument("--wasm-plain", default=os.path.join(ROOT, "build/python-reactor-plain.wasm"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", help="results JSON (default BUILD/bench/results.json)")
    ap.add_argument("--only", help="comma-separated parts: sizes,process,cold,warm,idle,kernels,first,memory")
    args = ap.parse_args()
    check_snapshot_list()
    for a in ("cpython", "wasm", "wasm_plain", "build"):
        setattr(args, a, os.path.abspath(getattr(args, a)))
    cfg = QUICK if args.quick else FULL
    parts = set((args.only or "sizes,process,cold,warm,idle,kernels,first,memory").split(","))
    outdir = os.path.join(args.build, "bench")
    logdir = os.path.join(outdir, "logs")
    os.makedirs(logdir, exist_ok=True)
    out_path = args.out or os.path.join(outdir, "results-quick.json" if args.quick else "results.json")

    node = shutil.which("node") or "node"
    global SPAWN
    SPAWN = os.path.join(outdir, "spawn")
    if not os.path.exists(SPAWN):
        sys.exit("bench: %s is missing (make bench builds it from bench/spawn.c)" % SPAWN)
    native_cli = os.path.join(args.build, "pyreactor")
    native_bench = os.path.join(outdir, "native_bench")
    skipped = {}
    native_ok = os.path.exists(native_cli) and os.path.exists(native_bench)
    if not native_ok:
        skipped["native"] = ("not built: %s is missing (the native host, hosts/native/native.mk, "
                             "was not part of this build)" % os.path.relpath(
                                 native_cli if not os.path.exists(native_cli) else native_bench, ROOT))
    pyodide_ok = os.path.isdir(os.path.join(ROOT, "node_modules", "pyodide"))
    if not pyodide_ok:
        skipped["pyodide"] = "not installed: node_modules/pyodide is missing (run npm ci)"

    deno = os.path.join(ROOT, "node_modules", ".bin", "deno")
    deno_ok = os.path.exists(deno)
    # The JS host under Deno: the same runner (bench/js_runner.mjs).
    deno_js = [deno, "run", "--quiet", "--no-prompt", "--no-config", "--allow-all", "--v8-flags=--expose-gc"]
    if not deno_ok:
        skipped["js-deno"] = "not installed: node_modules/.bin/deno is missing (run npm ci)"
    deno_ffi_ok = os.path.exists(os.path.join(args.build, "libpyreactor.so")) and deno_ok
    if not deno_ffi_ok:
        skipped["deno-ffi"] = "not built: build/libpyreactor.so or node_modules/.bin/deno is missing"

    pycache = os.path.join(outdir, "pycache")

    def env_for(name):
        # The same-source CPython runs from its build tree: its compiled
        # stdlib goes to a cache of ours (written by the warm-up run), as an
        # installed Python would have it, instead of into the shared tree.
        if name == "cpython":
            return clean_env({"PYTHONPYCACHEPREFIX": pycache})
        if name == "debian":
            # Its stdlib is compiled already (Debian ships the .pyc files);
            # this only keeps bench/kernels.py's out of the source tree.
            return clean_env({"PYTHONDONTWRITEBYTECODE": "1"})
        return clean_env()

    results = {
        "quick": args.quick, "config": cfg, "skipped": skipped,
        "machine": {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
                    "uname": " ".join(os.uname()), "node": subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip(),
                    "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
                    "mem_total_kb": int(open("/proc/meminfo").read().split("MemTotal:")[1].split()[0])},
        "python": {},
        "echo": {"code": ECHO_CODE, "args": ECHO_ARGS, "python_c": PY_C_CODE},
    }
    for name, exe in (("cpython", args.cpython), ("debian", args.debian_python)):
        results["python"][name] = subprocess.run([exe, "-c", "import sys; print(sys.version.split()[0])"],
                                                 capture_output=True, text=True, env=env_for(name)).stdout.strip()
    busy0, own0 = machine_busy_seconds(), own_cpu_seconds()
    log("%s run, results to %s" % ("quick" if args.quick else "full", out_path))

    if "sizes" in parts:
        results["sizes"] = sizes(args, native_ok)
        log("sizes")

    if "process" in parts:
        systems = {}
        if native_ok:
            systems["native-batch"] = ([native_cli, "batch"], BATCH_LINES, BATCH_LAST)
            systems["native-first"] = ([native_bench, "first"], None, None)
        systems["js-first"] = ([node, os.path.join(BENCH, "js_runner.mjs"), "first", args.wasm], None, None)
        systems["js-cli"] = ([node, os.path.join(ROOT, "hosts/js/cli.mjs"), "batch", "--wasm", args.wasm],
                             BATCH_LINES, BATCH_LAST)
        if pyodide_ok:
            systems["pyodide"] = ([node, os.path.join(BENCH, "pyodide_runner.mjs"), "script"], None, ECHO_RESULT)
        systems["debian"] = ([args.debian_python, "-c", PY_C_CODE], None, ECHO_RESULT)
        systems["cpython"] = ([args.cpython, "-c", PY_C_CODE], None, ECHO_RESULT)
        results["process"] = whole_process(cfg, systems, env_for)

    servers = {}
    try:
        if parts & {"cold", "warm", "idle", "kernels"}:
            kpath = os.path.join(BENCH, "kernels.py")
            specs = []
            if native_ok:
                specs.append(("native", [native_bench, "serve", kpath]))
            specs.append(("js", [node, "--expose-gc", os.path.join(BENCH, "js_runner.mjs"), "serve", args.wasm, kpath]))
            if deno_ok:
                specs.append(("js-deno", deno_js + [os.path.join(BENCH, "js_runner.mjs"), "serve", args.wasm, kpath]))
            if deno_ffi_ok:
                # The Deno host on libpyreactor.so (hosts/deno/bench.ts, the same line protocol).
                specs.append(("deno-ffi", [deno, "run", "--quiet", "--no-prompt", "--no-config", "--allow-ffi",
                                           "--allow-read", "--allow-env", os.path.join(ROOT, "hosts/deno/bench.ts"),
                                           "serve", kpath]))
            specs.append(("cpython", [args.cpython, os.path.join(BENCH, "cpython_runner.py"), "serve"]))
            specs.append(("debian", [args.debian_python, os.path.join(BENCH, "cpython_runner.py"), "serve"]))
            if pyodide_ok:
                specs.append(("pyodide", [node, "--expose-gc", os.path.join(BENCH, "pyodide_runner.mjs"), "serve", kpath]))
            for name, argv in specs:
                try:
                    servers[name] = Server(name, argv, logdir, env_for(name))
                except Exception as e:
                    failed("runner start", name, e)
            if "pyodide" in servers:
                results["pyodide_python"] = servers["pyodide"].info.get("python", "").split()[0]
            log("runners started: %s" % ", ".join(servers))

        def jobs_of(spec):
            """{label: (server name, cmd)} -> {label: (server, cmd)} for the runners that are up."""
            return {label: (servers[srv], cmd) for label, (srv, cmd) in spec.items() if srv in servers}

        if "cold" in parts:
            spec = {"native": ("native", "cold"), "native-reset": ("native", "reset"),
                    "js-api": ("js", "cold-api"), "js-inthread": ("js", "cold-inthread")}
            jobs = {label: (srv, cmd, lambda a: a) for label, (srv, cmd) in jobs_of(spec).items()}
            samples = interleave(cfg["cold_rounds"], jobs, "in-process cold start")
            results["cold"] = {
                label: {"ms": stats([x["ms"] for x in xs]),
                        "phases": {k: stats([x["phases"][k] for x in xs]) for k in xs[0]["phases"]},
                        "faults": {k: stats([x["faults"][k] for x in xs]) for k in xs[0].get("faults", {})}}
                for label, xs in samples.items()}

        if "warm" in parts:
            spec = {"native": ("native", "warm"), "js-api": ("js", "warm-api"), "js-api-sync": ("js", "warm-api-sync"),
                    "js-inthread": ("js", "warm-inthread"),
                    "cpython": ("cpython", "warm"), "debian": ("debian", "warm"), "pyodide": ("pyodide", "warm"),
                    "deno-ffi": ("deno-ffi", "warm-api")}
            results["warm"] = warm_calls(cfg, jobs_of(spec), "warm calls")
            spec = {"native": ("native", "noop"), "js-api": ("js", "noop-api"), "js-inthread": ("js", "noop-inthread"),
                    "deno-ffi": ("deno-ffi", "noop-api")}
            results["noop"] = warm_calls(cfg, jobs_of(spec), "empty calls", rounds=max(3, cfg["warm_rounds"] // 2))
            spec = {"native": ("native", "hostcall"), "native-host-part": ("native", "hostpart")}
            results["hostcall"] = warm_calls(cfg, jobs_of(spec), "host calls", rounds=max(3, cfg["warm_rounds"] // 2))
            # The JS host's host-call round trip (issue 13), by the same measure as the native host's.
            spec = {"js-api": ("js", "hostcall-api"), "js-inthread": ("js", "hostcall-inthread"),
                    "deno-ffi": ("deno-ffi", "hostcall-api")}
            results.setdefault("hostcall", {}).update(
                warm_calls(cfg, jobs_of(spec), "JS host calls", rounds=max(3, cfg["warm_rounds"] // 2)))

        if "idle" in parts:
            spec = {"native": ("native", "idle"), "js-api": ("js", "idle-api"), "js-api-sync": ("js", "idle-api-sync"),
                    "js-deno": ("js-deno", "idle-api"), "js-deno-sync": ("js-deno", "idle-api-sync")}
            results["idle"] = idle_calls(cfg, jobs_of(spec))

        if "kernels" in parts:
            ksrv = {("js-api" if k == "js" else k): v for k, v in servers.items()}
            times, checks = kernel_rounds(cfg, ksrv)
            warmup = checks.pop("_first")
            results["kernels"] = kernel_summary(times, checks)
            results["kernels"]["warmup_seconds"] = warmup
            results["kernels"]["checks"] = checks.get("cpython")
            results["kernels"]["size"] = cfg["kernel_size"]
    finally:
        for srv in servers.values():
            srv.close()
        results["runner_maxrss_kb"] = {k: v.maxrss_kb for k, v in servers.items()}

    if "first" in parts:
        names = ",".join(kernels.NAMES)
        size = str(cfg["kernel_size"])
        passes = str(cfg["first_passes"])
        jr = os.path.join(BENCH, "js_runner.mjs")
        fresh = {"js-api": [node, jr, "passes", args.wasm, os.path.join(BENCH, "kernels.py"), passes, size, names],
                 "js-top": [node, jr, "passes", args.wasm, os.path.join(BENCH, "kernels.py"), passes, size, names, "top"]}
        if deno_ok:
            fresh["js-deno"] = deno_js + [jr, "passes", args.wasm, os.path.join(BENCH, "kernels.py"), passes, size, names]
        if pyodide_ok:
            fresh["pyodide"] = [node, os.path.join(BENCH, "pyodide_runner.mjs"), "passes",
                                os.path.join(BENCH, "kernels.py"), passes, size, names]
        results["first"] = first_passes(cfg, fresh, env_for)

    if "memory" in parts:
        mem = {}
        counts = ",".join(map(str, cfg["counts"]))
        jobs = []
        if native_ok:
            jobs.append(("native", [native_bench, "instances", counts]))
        jobs.append(("js-inthread", [node, "--expose-gc", os.path.join(BENCH, "js_runner.mjs"), "instances",
                                     "inthread", args.wasm, counts]))
        jobs.append(("js-api", [node, "--expose-gc", os.path.join(BENCH, "js_runner.mjs"), "instances",
                                "api", args.wasm, counts]))
        if pyodide_ok:
            jobs.append(("pyodide", [node, "--expose-gc", os.path.join(BENCH, "pyodide_runner.mjs"), "instances",
                                     ",".join(map(str, cfg["pyodide_counts"]))]))
        for label, argv in jobs:
            try:
                mem[label] = instance_scaling(cfg, argv, cfg["mem_reps"], clean_env())
                log("instances: %s" % label)
            except Exception as e:
                failed("instances", label, e)
        results["memory"] = mem

    results["failures"] = FAILURES
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["date"] = time.strftime("%Y-%m-%d %H:%M")
    results["seconds"] = time.perf_counter() - T_START
    # How busy the machine was with other work while the suite ran: its busy
    # CPU time minus the suite's own (this process and all it started).
    results["machine"]["others_cpu_seconds"] = max(0.0, (machine_busy_seconds() - busy0) - (own_cpu_seconds() - own0))
    results["machine"]["own_cpu_seconds"] = own_cpu_seconds() - own0
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1)
    log("results written: %s" % out_path)
    if FAILURES:
        log("WARNING: %d part(s) failed and are missing from the report: %s" % (len(FAILURES), "; ".join(FAILURES)))


if __name__ == "__main__":
    main()
