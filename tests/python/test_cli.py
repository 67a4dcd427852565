"""python3 -m pyreactor: usage, batch, call, --host-function commands, and
the same answers as the native command."""

import json
import os
import subprocess
import tempfile
import time
import unittest

from pyreactor._command import CommandError, split
from support import PYTHON, ROOT, child_env, cli

NATIVE = os.path.join(ROOT, "build", "pyreactor")


def running_in_group(pgid):
    """Processes of group pgid that are not zombies (which a container's
    init may leave unreaped)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry))
    return found


def lines(out):
    return [json.loads(line) for line in out.decode("utf-8").splitlines()]


def batch(requests, *options, **kw):
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in requests)
    return cli(*options, "batch", input=text.encode("utf-8"), **kw)


class Usage(unittest.TestCase):
    def test_help_and_version(self):
        done = cli("--help")
        self.assertEqual(done.returncode, 0)
        for option in ("--dir HOST[:GUEST][:ro|:rw]", "--env", "--timeout-ms", "--memory-mb", "--stack-size-mb",
                       "--host-function NAME=COMMAND", "--version", "batch", "call"):
            self.assertIn(option, done.stdout.decode())
        done = cli("--version")
        self.assertEqual(done.returncode, 0)
        # The first line is what every host's command prints (build/pyreactor --version).
        native = subprocess.run([NATIVE, "--version"], stdout=subprocess.PIPE)
        first, second = done.stdout.decode().split("\n", 1)
        self.assertEqual(first + "\n", native.stdout.decode())
        self.assertRegex(first, r"^python-wasi-reactor \d+\.\d+\.\d+ \(ABI 2\)$")
        self.assertRegex(second, r"^the Python host over libpyreactor \d+\.\d+\.\d+ \(.*libpyreactor.*\)\n$")

    def test_bad_usage_exits_2(self):
        cases = [
            (["--dir", "/tmp:RO", "batch"], '--dir takes HOST[:GUEST][:ro|:rw], got "/tmp:RO"'),
            (["--dir", "/tmp:rel", "batch"], "--dir takes"),
            (["--memory-mb", "99999", "batch"], '--memory-mb takes a whole number from 1 to 4096, got "99999"'),
            (["--memory-mb", "0", "batch"], "--memory-mb takes"),
            (["--memory-mb", "5", "batch"], "below the 17 MiB the module needs"),
            (["--timeout-ms", "1.5", "batch"], "--timeout-ms takes a whole number from 1 to 86400000"),
            (["--stack-size-mb", "-1", "batch"], "--stack-size-mb takes"),
            (["--env", "NOEQUALS", "batch"], "--env takes NAME=VALUE"),
            (["--env", "=v", "batch"], "--env takes NAME=VALUE"),
            (["--host-function", "noequals", "batch"], "--host-function takes NAME=COMMAND"),
            (["--host-function", "f=a | b", "batch"], "needs a shell"),
            (["--host-function", "f=cat", "--host-function", "f=cat", "batch"], "given twice"),
            (["--bogus", "batch"], "unknown option --bogus"),
            (["batch", "--timeout-ms"], "--timeout-ms needs a value"),
            ([], "missing command"),
            (["frobnicate"], "unknown command frobnicate"),
            (["batch", "extra"], "batch takes no arguments"),
            (["call", "x.py"], "call needs FILE.py FUNC"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                done = cli(*args)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(message, done.stderr.decode())
                self.assertEqual(done.stdout, b"")

    def test_library_not_found_exits_3(self):
        done = cli("batch", env=child_env(PYREACTOR_LIB="/nonexistent/libpyreactor.so"))
        self.assertEqual(done.returncode, 3)
        self.assertIn("/nonexistent/libpyreactor.so", done.stderr.decode())


class Batch(unittest.TestCase):
    def test_requests_and_options_after_the_mode(self):
        done = batch(
            [
                {"op": "register_lambda", "name": "sq", "code": "lambda x: x*x"},
                {"op": "apply_lambda", "name": "sq", "args": [18446744073709551617]},
                {"op": "run", "code": "print('guest says hi')\nimport os\nos.environ['K']"},
                {"op": "apply_lambda", "name": "sq", "args_text": "[1,"},
                {"op": "run", "code": "while True: pass"},
                {"op": "apply_lambda", "name": "sq", "args": [3]},
            ],
            "--env", "K=v", "--timeout-ms", "1000",
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        out = done.stdout.decode().splitlines()
        self.assertEqual(out[0], '{"tag":"ok","value":"sq"}')
        self.assertEqual(out[1], '{"tag":"ok","value":340282366920938463500268095579187314689}')
        self.assertEqual(out[2], '{"tag":"ok","value":"v"}')
        got = lines(done.stdout)
        self.assertEqual(got[3]["error"]["type"], "InvalidArgs")
        self.assertEqual(got[4]["error"]["type"], "Timeout")
        self.assertEqual(got[5], {"tag": "ok", "value": 9})
        self.assertIn(b"guest says hi\n", done.stderr)  # guest output: stderr

    def test_invalid_requests(self):
        done = batch(["not json", "[1]", '{"name": "x"}', '{"op": "fly"}', '{"op": 5}',
                      '{"op": "register_def", "code": "x"}', '{"op": "run"}',
                      '{"op": "apply_def", "name": "f", "args_text": 5}', "", "  ",
                      '{"op": "init"}'])
        got = lines(done.stdout)
        self.assertEqual(len(got), 9)  # blank lines get no answer
        messages = [g["error"]["message"] for g in got[:8]]
        self.assertEqual({g["error"]["type"] for g in got[:8]}, {"InvalidRequest"})
        self.assertEqual(messages, [
            "not valid JSON: unexpected input at byte 0",
            "a request must be a JSON object",
            "unknown op: missing",
            'unknown op: "fly"',
            "unknown op: 5",
            'register_def needs "name", a string',
            'run needs "code", a string',
            '"args_text" must be a string',
        ])
        self.assertEqual(got[8], {"tag": "ok", "value": None})

    def test_grants(self):
        with tempfile.TemporaryDirectory() as d:
            done = batch([{"op": "run", "code": "open('/in/f', 'w').write('x')"},
                          {"op": "run", "code": "open('/out/f', 'w').write('y')"}],
                         "--dir", f"{d}:/in:ro", "--dir", f"{d}:/out")
            got = lines(done.stdout)
            self.assertEqual(got[0]["tag"], "err")
            self.assertIn("Read-only", got[0]["error"]["message"])
            self.assertEqual(got[1], {"tag": "ok", "value": 1})
            with open(os.path.join(d, "f")) as f:
                self.assertEqual(f.read(), "y")

    def test_reader_closes_stdout_early(self):
        requests = "".join(json.dumps({"op": "run", "code": str(i)}) + "\n" for i in range(2000))
        env = child_env()
        script = f"{PYTHON} -m pyreactor batch | head -1"
        done = subprocess.run(["sh", "-c", script], input=requests.encode(), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, cwd=ROOT)
        self.assertEqual(done.stdout, b'{"tag":"ok","value":0}\n')
        self.assertIn(b"cannot write the results", done.stderr)


class Call(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.file = os.path.join(tmp.name, "my_code.py")
        with open(self.file, "w") as f:
            f.write("def main(a, b=2):\n    print('printed')\n    return [a, b, a * b]\n\n"
                    "def fails():\n    raise ValueError('nope')\n")

    def test_call(self):
        done = cli("call", self.file, "main", "[3, 18446744073709551617]")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, b"[3,18446744073709551617,55340232221128654851]\n")
        self.assertEqual(done.stderr, b"printed\n")
        done = cli("call", self.file, "main", '{"a": 5}', "--memory-mb", "256")
        self.assertEqual(done.stdout, b"[5,2,10]\n")
        done = cli("call", self.file, "main")
        self.assertEqual(done.returncode, 1)
        self.assertIn(b"TypeError", done.stderr)

    def test_call_that_raises(self):
        done = cli("call", self.file, "fails")
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stdout, b"")
        self.assertIn(b"ValueError: nope\n", done.stderr)
        self.assertIn(b"Traceback", done.stderr)

    def test_call_trap_exits_3(self):
        with open(self.file, "a") as f:
            f.write("def spin():\n    while True:\n        pass\n")
        done = cli("call", self.file, "spin", "--timeout-ms", "200")
        self.assertEqual(done.returncode, 3)
        self.assertIn(b"Timeout", done.stderr)

    def test_unreadable_file(self):
        done = cli("call", "/nonexistent/x.py", "main")
        self.assertEqual(done.returncode, 2)
        self.assertIn(b"cannot read /nonexistent/x.py", done.stderr)


class HostCommands(unittest.TestCase):
    CALL = {"op": "register_def", "name": "via",
            "code": "import reactor\n\ndef via(name, *a, **k):\n    return reactor.call_host(name, *a, **k)\n"}

    def via(self, name, *args):
        return {"op": "apply_def", "name": "via", "args": [name, *args]}

    def test_echo_fail_and_the_rest(self):
        done = batch(
            [self.CALL, self.via("echo", 1, "ключ", 18446744073709551617), self.via("fail"),
             self.via("missing"), self.via("notjson"), self.via("status"), self.via("nothing")],
            "--host-function", "echo=cat",
            "--host-function", "fail=sh -c 'echo nope >&2; exit 3'",
            "--host-function", "missing=/nonexistent/cmd",
            "--host-function", "notjson=echo {x",
            "--host-function", "status=sh -c 'exit 4'",
            "--host-function", "nothing=true",
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        out = done.stdout.decode().splitlines()
        self.assertEqual(out[1], '{"tag":"ok","value":[1,"ключ",18446744073709551617]}')
        errors = [g["error"] for g in lines(done.stdout)[2:]]
        self.assertEqual([e["type"] for e in errors], ["HostError"] * 5)
        self.assertEqual(errors[0]["message"], "nope")
        self.assertEqual(errors[1]["message"], "cannot run /nonexistent/cmd: No such file or directory")
        self.assertEqual(errors[2]["message"], "the output of echo is not JSON")
        self.assertEqual(errors[3]["message"], "sh exited with status 4")
        self.assertEqual(errors[4]["message"], "the output of true is not JSON")

    def test_only_path_reaches_the_command(self):
        env = child_env(SECRET_MARK="leak")
        done = batch([self.CALL, self.via("env")], "--host-function",
                     """env=sh -c 'printf "%s" "$(env | cut -d= -f1 | sort | tr "\\n" " ")" | python3 -c "import json,sys; print(json.dumps(sys.stdin.read().split()))"'""",
                     env=env)
        got = lines(done.stdout)
        self.assertEqual(got[1]["tag"], "ok", got)
        names = set(got[1]["value"]) - {"PWD", "SHLVL", "_", "OLDPWD"}  # what sh sets itself
        self.assertEqual(names, {"PATH"})

    def test_a_hanging_command_is_killed_at_the_time_limit(self):
        with tempfile.TemporaryDirectory() as d:
            pidfile = os.path.join(d, "pid")
            start = time.monotonic()
            done = batch([self.CALL, self.via("hang"), {"op": "run", "code": "1 + 1"}],
                         "--timeout-ms", "500", "--host-function",
                         f"hang=sh -c 'echo $$ > {pidfile}; sleep 30 & sleep 30'")
            took = time.monotonic() - start
            got = lines(done.stdout)
            self.assertEqual(got[1]["error"]["type"], "Timeout")
            self.assertEqual(got[2], {"tag": "ok", "value": 2})
            self.assertLess(took, 20)
            with open(pidfile) as f:
                pid = int(f.read())
            time.sleep(0.2)
            self.assertEqual(running_in_group(pid), [])  # its whole group is gone


    def test_a_command_that_does_not_read_its_input(self):
        big = "x" * (1 << 20)
        done = batch([self.CALL, self.via("const", big)], "--host-function", "const=echo 7")
        self.assertEqual(lines(done.stdout)[1], {"tag": "ok", "value": 7})

    def test_big_pipes_both_ways(self):
        big = "y" * (3 << 20)
        done = batch([self.CALL, {"op": "apply_def", "name": "via", "args": ["echo", big]},
                      {"op": "run", "code": "import reactor\nlen(reactor.host.echo('z' * 3000000)[0])"}],
                     "--host-function", "echo=cat")
        got = lines(done.stdout)
        self.assertEqual(got[1], {"tag": "ok", "value": [big]})
        self.assertEqual(got[2], {"tag": "ok", "value": 3000000})


class Split(unittest.TestCase):
    """The native host's table (tests/native/test_host_functions.c)."""

    CASES = [
        ("cat", ["cat"]),
        ("  sort   -n\t-r\n", ["sort", "-n", "-r"]),
        ("sh -c 'echo nope >&2; exit 3'", ["sh", "-c", "echo nope >&2; exit 3"]),
        ("a 'b c' \"d e\" f\\ g", ["a", "b c", "d e", "f g"]),
        ("a''b \"\"c ''", ["ab", "c", ""]),
        ('echo "a\\"b\\\\c\\$d\\`e\\x"', ["echo", 'a"b\\c$d`e\\x']),
        ("echo 'a\\b' \\'q\\'", ["echo", "a\\b", "'q'"]),
        ('echo a\\\nb "c\\\nd"', ["echo", "ab", "cd"]),
        ("printf %s x=1 a#b a~b", ["printf", "%s", "x=1", "a#b", "a~b"]),
        ("ls *.c ? [ab]", ["ls", "*.c", "?", "[ab]"]),
        ("'A=1' b", ["A=1", "b"]),
        ("A\\=1 b", ["A=1", "b"]),
        ("9A=1 b", ["9A=1", "b"]),
        ("ключ 😀", ["ключ", "😀"]),
    ]
    REFUSED = [
        ("a 'b", "an unterminated single quote"),
        ('a "b', "an unterminated double quote"),
        ("a \\", "a backslash at the end"),
        ('a "$HOME"', "$ or ` between double quotes (a shell would expand it)"),
        ("", "no words"),
        (" \t\n", "no words"),
        ("A=1 b", "a NAME=VALUE first word (a shell would take it for an assignment; run env NAME=VALUE COMMAND)"),
    ]
    SHELL_ONLY = ["a | b", "a;b", "a && b", "a > f", "a < f", "(a)", "echo $HOME", "echo `x`", "a #comment",
                  "cd ~", "a 2>&1"]

    def test_table(self):
        for text, words in self.CASES:
            with self.subTest(text=text):
                self.assertEqual(split(text), words)
        for text, why in self.REFUSED:
            with self.subTest(text=text), self.assertRaises(CommandError) as cm:
                split(text)
            self.assertEqual(str(cm.exception), why)
        for text in self.SHELL_ONLY:
            with self.subTest(text=text), self.assertRaises(CommandError) as cm:
                split(text)
            self.assertIn("shell", str(cm.exception))


@unittest.skipUnless(os.access(NATIVE, os.X_OK), f"{NATIVE} is not built (make native)")
class SameAsNative(unittest.TestCase):
    """Lines where a host could easily differ, through both commands: the
    result lines must be the same bytes."""

    REQUESTS = [
        '{"op": "register_lambda", "name": "same", "code": "lambda *a, **k: [a, k]"}',
        '{"op": "apply_lambda", "name": "same", "args": [1.0e5, -0, 1E-7, 18446744073709551617, "\\ud83d\\ude00"]}',
        '{"op": "apply_lambda", "name": "same", "args": {"k": [ 1 , 2 ]}}',
        '{"op": "apply_lambda", "name": "same", "args": "not an array"}',
        '{"op": "apply_lambda", "name": "same", "args_text": "[1, 2"}',
        '{"op": "apply_lambda", "name": "same", "args": [1], "args": [2]}',
        '{"op": "apply_lambda", "name": "\\ud800lone"}',
        '{"op": "apply_lambda", "name": "sa\\u006de", "args": []}',
        '{"op": "register_def", "name": "x", "code": "def x(:"}',
        '{"op": "run", "code": "print(\'out\')\\n{\'\\u00fc\': [1, 2.5]}"}',
        '{"op": "run", "code": "1/0"}',
        '{"op": "init", "name": 5}',
        '{"op": "apply_def", "name": 5}',
        '{"op": "register_module"}',
        '{"op": "unregister_module", "name": "nothing"}',
        '{"op": "apply_lambda", "name": "same"} trailing',
        '{"op": "run", "code": "x = 1"}\t',
        '"just a string"',
        '{"op": "nope"}',
        '{"op": "' + "y" * 300 + '"}',
        '{"op": NaN}',
        '{"op": "run", "code": "import reactor\\nreactor.host.echo(1)"}',
        '{"op": "run", "code": "import reactor\\nreactor.call_host(\\"echo\\", \\"\\\\udcff\\")"}',
    ]

    def run_both(self, raw_input, *options):
        ours = cli(*options, "batch", input=raw_input)
        native = subprocess.run([NATIVE, *options, "batch"], input=raw_input, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=120, cwd=ROOT)
        return ours, native

    def test_same_result_lines(self):
        text = "".join(r + "\n" for r in self.REQUESTS).encode("utf-8")
        ours, native = self.run_both(text, "--host-function", "echo=cat")
        self.assertEqual(native.returncode, 0)
        self.assertEqual(ours.returncode, 0, ours.stderr)
        for a, b in zip(ours.stdout.splitlines(), native.stdout.splitlines()):
            self.assertEqual(a, b)
        self.assertEqual(len(ours.stdout.splitlines()), len(native.stdout.splitlines()))
        self.assertEqual(ours.stderr, native.stderr)

    def test_same_for_bytes_that_are_not_utf8(self):
        raw = (b'{"op": "register_lambda", "name": "n\xffx", "code": "lambda: 1"}\n'
               b'{"op": "run", "code": "\'\xc3\x28\'"}\n'
               b'\xff\xfe\n'
               b'{"op": "apply_lambda", "name": "x", "args_text": "[\\"\xe2\x82\"]"}\n')
        ours, native = self.run_both(raw)
        self.assertEqual(ours.stdout, native.stdout)


if __name__ == "__main__":
    unittest.main()
