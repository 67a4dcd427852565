#!/usr/bin/env bash
# The `pyreactor` command: usage errors, `call`, grants through --dir/--env,
# and the batch protocol's edge cases (the vectors cover the rest).
#   tests/native/test_cli.sh [PATH_TO_PYREACTOR]
set -u
bin=${1:-build/pyreactor}
tmp=$(mktemp -d /tmp/pyreactor-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "    | $l"; done; }

# run NAME EXPECTED_STATUS CMD... ; leaves $out, $err
run() {
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  status=$?
  out=$(cat "$tmp/out") err=$(cat "$tmp/err")
  if [[ $status -ne $want ]]; then
    fail "$name: exit $status, want $want" "stdout: ${out:0:300}" "stderr: ${err:0:300}"
    return 1
  fi
  return 0
}
has() { # NAME HAYSTACK NEEDLE
  if [[ $2 == *"$3"* ]]; then ok; else fail "$1: missing '$3'" "${2:0:400}"; fi
}
is() { # NAME GOT WANT
  if [[ $2 == "$3" ]]; then ok; else fail "$1: got '${2:0:300}', want '$3'"; fi
}

# ----------------------------------------------------------------- usage --
run help 0 "$bin" --help && has help "$out" "usage: pyreactor" && has help-version "$out" "--version"
run version 0 "$bin" --version && is version "$out" "python-wasi-reactor 0.1.0 (ABI 2)" && is version-stderr "$err" ""
run version-after-options 0 "$bin" --timeout-ms 5 --version && is version-after-options "$out" "python-wasi-reactor 0.1.0 (ABI 2)"
run no-args 2 "$bin" && has no-args "$err" "missing command"
run bad-option 2 "$bin" --bogus batch && has bad-option "$err" "unknown option --bogus"
run bad-command 2 "$bin" frobnicate && has bad-command "$err" "unknown command frobnicate"
run dir-no-value 2 "$bin" batch --dir && has dir-no-value "$err" "--dir needs a value"
run bad-dir 2 "$bin" --dir :x batch && has bad-dir "$err" '--dir takes HOST[:GUEST][:ro|:rw], got ":x"'
run missing-dir 3 "$bin" --dir /nonexistent/pyreactor batch && has missing-dir "$err" "cannot open directory /nonexistent/pyreactor"
run bad-env 2 "$bin" --env NOEQUALS batch && has bad-env "$err" '--env takes NAME=VALUE, got "NOEQUALS"'
run call-short 2 "$bin" call only.py && has call-short "$err" "call needs FILE.py FUNC"
run call-nofile 2 "$bin" call "$tmp/nope.py" f && has call-nofile "$err" "cannot read"
run batch-args 2 "$bin" batch extra && has batch-args "$err" "batch takes no arguments"

# ------------------------------------------------------------------ call --
cat >"$tmp/calc.py" <<'PY'
import os

def add(a, b=10):
    print('adding', a, b)
    return {'sum': a + b, 'big': 2**70}

def fail():
    return 1 / 0

def env():
    return dict(os.environ)

def read(path):
    with open(path) as f:
        return f.read()

def write(path):
    with open(path, 'w') as f:
        f.write('x')
    return 'written'
PY
run call 0 "$bin" call "$tmp/calc.py" add '[1, 2]' &&
  is call-result "$out" '{"sum":3,"big":1180591620717411303424}' &&
  has call-print "$err" 'adding 1 2'
run call-kwargs 0 "$bin" call "$tmp/calc.py" add '{"a": 5}' && has call-kwargs "$out" '"sum":15'
run call-missing-arg 1 "$bin" call "$tmp/calc.py" add
run call-error 1 "$bin" call "$tmp/calc.py" fail && has call-error "$err" "ZeroDivisionError: division by zero" &&
  has call-traceback "$err" "Traceback"
run call-env-none 0 "$bin" call "$tmp/calc.py" env && is call-env-none "$out" '{}'
run call-env 0 "$bin" --env A=1 --env B=two=2 call "$tmp/calc.py" env && is call-env "$out" '{"A":"1","B":"two=2"}'
mkdir -p "$tmp/data" && echo -n 'granted' >"$tmp/data/f.txt"
run call-dir 0 "$bin" --dir "$tmp/data:/data:ro" call "$tmp/calc.py" read '["/data/f.txt"]' && is call-dir "$out" '"granted"'
run call-ro 1 "$bin" --dir "$tmp/data:/data:ro" call "$tmp/calc.py" write '["/data/f.txt"]' && has call-ro "$err" "Read-only file system"
run call-rw 0 "$bin" --dir "$tmp/data:/data" call "$tmp/calc.py" write '["/data/g.txt"]' && is call-rw "$(cat "$tmp/data/g.txt")" x
run call-no-grant 1 "$bin" call "$tmp/calc.py" read "[\"$tmp/data/f.txt\"]"
run call-same-path 0 "$bin" --dir "$tmp/data" call "$tmp/calc.py" read "[\"$tmp/data/f.txt\"]" && is call-same-path "$out" '"granted"'
run call-same-path-ro 1 "$bin" --dir "$tmp/data:ro" call "$tmp/calc.py" write "[\"$tmp/data/f.txt\"]" &&
  has call-same-path-ro "$err" "Read-only file system"
run call-same-path-rw 0 "$bin" --dir "$tmp/data:rw" call "$tmp/calc.py" write "[\"$tmp/data/h.txt\"]"
run call-rw-mode 0 "$bin" --dir "$tmp/data:/data:rw" call "$tmp/calc.py" write '["/data/i.txt"]'
# --dir is exactly HOST[:GUEST][:ro|:rw]: a mistyped mode or a stray part is
# refused, never taken for a (writable) guest path.
for spec in "" "$tmp/data:" "$tmp/data::ro" ":/data" "$tmp/data:/data:" "$tmp/data:RO" \
            "$tmp/data:/data:RO" "$tmp/data:/data:r" "$tmp/data:/data:readonly" "$tmp/data:r" \
            "$tmp/data:/data:ro:x" "$tmp/data:/data:rw:ro" "$tmp/data:data"; do
  run "dir-spec '$spec'" 2 "$bin" --dir "$spec" call "$tmp/calc.py" write '["/data/j.txt"]' &&
    has "dir-spec '$spec'" "$err" "--dir takes HOST[:GUEST][:ro|:rw], got \"$spec\""
done
[[ ! -e $tmp/data/j.txt ]] && ok || fail "dir-spec: a refused --dir was granted"

# ---------------------------------------------------------------- limits --
cat >"$tmp/limits.py" <<'PY'
def spin():
    while True:
        pass

def hog(mb):
    return len(bytearray(mb << 20))
PY
run bad-timeout 2 "$bin" --timeout-ms 0 batch && has bad-timeout "$err" '--timeout-ms takes a whole number from 1 to 86400000, got "0"'
for mb in lots 0 -5 +5 4097 99999 18446744073709551617; do
  run "bad-memory $mb" 2 "$bin" --memory-mb "$mb" batch &&
    has "bad-memory $mb" "$err" "--memory-mb takes a whole number from 1 to 4096, got \"$mb\""
done
run bad-stack 2 "$bin" --stack-size-mb 16385 batch && has bad-stack "$err" '--stack-size-mb takes a whole number from 1 to 16384, got "16385"'
# Below what the module itself needs: refused as such, not as a host failure.
run memory-floor 2 "$bin" --memory-mb 5 call "$tmp/limits.py" hog '[1]' &&
  has memory-floor "$err" "memory_limit 5 MiB is below the " && has memory-floor "$err" " MiB the module needs"
run memory-max 0 "$bin" --memory-mb 4096 call "$tmp/limits.py" hog '[1]' && is memory-max "$out" 1048576
run timeout 3 "$bin" --timeout-ms 300 call "$tmp/limits.py" spin && has timeout "$err" "Timeout: the call took longer than 300 ms"
run memory-cap 1 "$bin" --memory-mb 64 call "$tmp/limits.py" hog '[200]' && has memory-cap "$err" "MemoryError"
run memory-ok 0 "$bin" --memory-mb 64 call "$tmp/limits.py" hog '[8]' && is memory-ok "$out" 8388608

# ----------------------------------------------------------------- batch --
batch() { printf '%s\n' "$@" | "$bin" batch 2>"$tmp/err"; }
out=$(batch '{"op": "register_lambda", "name": "id", "code": "lambda x: print(\"noise\") or x"}' \
            '' '   ' \
            '{"op": "apply_lambda", "name": "id", "args": [123456789012345678901234567890]}' \
            'not json' '[1, 2]' '{"op": "explode"}' '{"name": "x"}' \
            '{"op": "apply_lambda", "args": []}' '{"op": "register_def", "name": "f"}' \
            '{"op": "apply_lambda", "name": "id", "args_text": 5}' \
            '{"op": "apply_lambda", "name": "id", "args_text": "[1.50]"}' \
            '{"op": "apply_lambda", "name": "id"}' \
            '{"op": "init"}')
mapfile -t lines <<<"$out"
is batch-count "${#lines[@]}" 12
is batch-register "${lines[0]}" '{"tag":"ok","value":"id"}'
is batch-bigint "${lines[1]}" '{"tag":"ok","value":123456789012345678901234567890}'
has batch-invalid-json "${lines[2]}" '{"tag":"err","error":{"type":"InvalidRequest","message":"not valid JSON'
has batch-not-object "${lines[3]}" '"message":"a request must be a JSON object"'
has batch-unknown-op "${lines[4]}" '"message":"unknown op: \"explode\""'
has batch-missing-op "${lines[5]}" '"message":"unknown op: missing"'
has batch-no-name "${lines[6]}" '"message":"apply_lambda needs \"name\", a string"'
has batch-no-code "${lines[7]}" '"message":"register_def needs \"code\", a string"'
has batch-args-text-type "${lines[8]}" '"message":"\"args_text\" must be a string"'
is batch-args-text "${lines[9]}" '{"tag":"ok","value":1.5}'
has batch-missing-args "${lines[10]}" '"type":"TypeError"'
is batch-init "${lines[11]}" '{"tag":"ok","value":null}'
has batch-user-output "$(cat "$tmp/err")" "noise"

out=$(batch '{"op": "register_def", "name": "boom", "code": "import os\ndef boom():\n    os.abort()\n"}' \
            '{"op": "register_lambda", "name": "two", "code": "lambda: 2"}' \
            '{"op": "apply_def", "name": "boom"}' \
            '{"op": "apply_lambda", "name": "two"}')
mapfile -t lines <<<"$out"
has batch-trap "${lines[2]}" '{"tag":"err","error":{"type":"Trap","message":"wasm trap: unreachable'
is batch-after-trap "${lines[3]}" '{"tag":"ok","value":2}'

# -------------------------------------------------------- host functions --
# --host-function NAME=COMMAND: COMMAND split as a POSIX shell would, run
# without one; what needs a shell is refused (exit 2), never half-run.
run hf-no-eq 2 "$bin" --host-function echo batch && has hf-no-eq "$err" '--host-function takes NAME=COMMAND, got "echo"'
run hf-no-name 2 "$bin" --host-function =cat batch && has hf-no-name "$err" '--host-function takes NAME=COMMAND, got "=cat"'
run hf-quote 2 "$bin" --host-function "x=a 'b" batch && has hf-quote "$err" "--host-function x=a 'b: the command has an unterminated single quote"
run hf-pipe 2 "$bin" --host-function "x=a | b" batch && has hf-pipe "$err" "it needs a shell"
run hf-dollar 2 "$bin" --host-function 'x=echo $HOME' batch && has hf-dollar "$err" "it needs a shell"
run hf-assign 2 "$bin" --host-function "x=LANG=C sort" batch && has hf-assign "$err" "a NAME=VALUE first word"
run hf-no-words 2 "$bin" --host-function "x=  " batch && has hf-no-words "$err" "the command has no words"
run hf-twice 2 "$bin" --host-function x=cat --host-function x=sort batch && has hf-twice "$err" "host function x is given twice"

hf=(--host-function echo=cat --host-function "fail=sh -c 'echo nope >&2; exit 3'"
    --host-function "fds=sh -c 'ls /proc/self/fd | wc -l'"
    --host-function "nojson=sh -c 'echo not json; echo oops >&2'" --host-function "deaf=echo 1"
    --host-function "hang=sh -c 'sleep 7.31 & sleep 7.32'" --host-function "missing=/nonexistent/cmd")
start=$(date +%s%N)
# fd 9 is open in the command: the host function must not see it.
out=$(printf '%s\n' '{"op": "register_def", "name": "h", "code": "import reactor\ndef h(name, *a):\n    return reactor.call_host(name, *a)\n"}' \
        '{"op": "apply_def", "name": "h", "args": ["echo", 123456789012345678901234567890, "ключ"]}' \
        '{"op": "apply_def", "name": "h", "args": ["fail"]}' \
        '{"op": "apply_def", "name": "h", "args": ["fds"]}' \
        '{"op": "apply_def", "name": "h", "args": ["nojson"]}' \
        '{"op": "run", "code": "import reactor\nreactor.call_host(\"deaf\", \"w\" * 3000000)"}' \
        '{"op": "apply_def", "name": "h", "args": ["missing"]}' \
        '{"op": "apply_def", "name": "h", "args": ["hang"]}' \
        '{"op": "apply_def", "name": "h", "args": ["echo", 1]}' |
      "$bin" "${hf[@]}" --timeout-ms 600 batch 2>"$tmp/err" 9<"$tmp/calc.py")
took=$(( ($(date +%s%N) - start) / 1000000 ))
mapfile -t lines <<<"$out"
is hf-count "${#lines[@]}" 9
is hf-echo "${lines[1]}" '{"tag":"ok","value":[123456789012345678901234567890,"ключ"]}'
has hf-fail "${lines[2]}" '{"tag":"err","error":{"type":"HostError","message":"nope"'
is hf-fds "${lines[3]}" '{"tag":"ok","value":4}'
has hf-not-json "${lines[4]}" '{"tag":"err","error":{"type":"HostError","message":"oops"'
is hf-deaf "${lines[5]}" '{"tag":"ok","value":1}'
has hf-missing "${lines[6]}" '"message":"cannot run /nonexistent/cmd: No such file or directory"'
is hf-hang "${lines[7]}" '{"tag":"err","error":{"type":"Timeout","message":"the call took longer than 600 ms"}}'
is hf-after-hang "${lines[8]}" '{"tag":"ok","value":[1]}'
# The hanging command and the child it started are gone, within the limit.
(( took < 4000 )) && ok || fail "hf-hang: the batch took $took ms"
sleep 0.2
left=$(pgrep -f 'sleep 7\.3[12]' || true)
is hf-hang-killed "$left" ""

cat >"$tmp/hostf.py" <<'PY'
import reactor

def twice(x):
    return reactor.host.echo(x, x)
PY
run hf-call 0 "$bin" --host-function echo=cat call "$tmp/hostf.py" twice '[21]' && is hf-call "$out" '[21,21]'
run hf-call-none 1 "$bin" call "$tmp/hostf.py" twice '[21]' && has hf-call-none "$err" "NoSuchHostFunction: no host function named echo"

# ------------------------------------------------- a reader that goes away --
# `pyreactor batch | head -1` on an endless input: SIGPIPE ends it (141 from
# the shell) or, with SIGPIPE ignored, the failed write does (exit 3). It
# must stop either way, not answer into the void until the timeout (124).
early_close() { # NAME IGNORE_SIGPIPE WANT_STATUS
  local status
  status=$(if [[ $2 == 1 ]]; then trap '' PIPE; fi
           yes '{"op": "init"}' 2>/dev/null | timeout 20 "$bin" batch 2>"$tmp/err" | head -1 >"$tmp/out"
           echo "${PIPESTATUS[1]}")
  is "$1 status" "$status" "$3"
  is "$1 first line" "$(cat "$tmp/out")" '{"tag":"ok","value":null}'
}
early_close early-close 0 141
early_close early-close-sigpipe-ignored 1 3
has early-close-sigpipe-ignored "$(cat "$tmp/err")" "pyreactor: cannot write the results: Broken pipe"

echo "native-cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
