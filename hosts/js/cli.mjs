#!/usr/bin/env node
// Command-line host: `cli.mjs batch [OPTIONS]` implements the batch protocol
// of the ABI (JSON Lines in on stdin, one result line out per request), and
// `cli.mjs call FILE.py FUNC [ARGS_JSON]` calls one function of a file, as
// the native host's `pyreactor call` does (same output, messages and exit
// statuses). Runs
// under Node and Deno; see README.md for Deno's flags and permissions.
// `--isolation process` runs the instance in a child process (this command
// again, through process-reactor.mjs), which a timeout kills: under Deno the
// one way to stop runaway code for certain.
//
// A request line is read and parsed as bytes, as the native host does
// (hosts/native/lib/batch_request.c): JSON's structure is ASCII, and a string's
// bytes, once its escapes are decoded, go to the guest as they are. Bytes
// that are not UTF-8 are passed as a Uint8Array, so the guest answers
// InvalidName, InvalidInput or InvalidArgs for them; decoding the line as
// text first would have turned them into U+FFFD, making two different bad
// names one name. Both hosts answer a bad line with the same message.

import process from 'node:process';
import { Buffer } from 'node:buffer';
import { Reactor, PythonError, OPS } from './reactor.mjs';
import { ProcessReactor } from './process-reactor.mjs';
import { scanJson, stringBytes } from './json-text.mjs';
import { readByteLines, LongLine } from './lines.mjs';
import { splitWords, commandHostFunction, denoCannotRun } from './host-command.mjs';
import { ABI_VERSION } from './guest.mjs';
import { VERSION } from './version.mjs';
import { readFile } from 'node:fs/promises';

/**
 * The longest request line this host reads (its "\n" included): 1 GiB. A
 * longer one is answered InvalidRequest, its bytes dropped as they come, so
 * that one line cannot take the host's memory (the native host reads any
 * line that fits in memory). Below it, a request holds the line and, for
 * code and args_text, their decoded bytes: twice its length at most
 * (args go as a view of the line; --isolation process adds the request's
 * text for the child). The guest needs room for it too (--memory-mb).
 */
const MAX_LINE_BYTES = 2 ** 30;
/** A child (--child) whose call runs this long past --timeout-ms exits by itself. */
const CHILD_GRACE_MS = 2000;

const HELP = `usage: cli.mjs [OPTIONS] batch [OPTIONS] < requests.jsonl
       cli.mjs [OPTIONS] call FILE.py FUNC [ARGS_JSON]
       cli.mjs --help | --version

Runs sandboxed Python 3.11 (python-reactor.wasm) under Node or Deno.

  batch   read JSON Lines requests on stdin ({"op","name","code","args"},
          the ABI's batch protocol), write one result line per request on
          stdout; what the guest prints goes to stderr. A line longer than
          1 GiB is answered InvalidRequest without being kept.
  call    register FILE.py as module <stem>, call <stem>.FUNC with
          ARGS_JSON (a JSON array or object, default []), print the JSON
          result; guest output goes to stderr, so that stdout is only the
          result. A failed call prints TYPE: MESSAGE and the traceback on
          stderr.

options (before or after the command; the guest sees nothing of the host
unless granted here):
  --dir HOST[:GUEST][:ro|:rw]
                           grant directory HOST, seen as GUEST (an absolute
                           path; default HOST); :ro makes it read-only, :rw
                           (the default) writable. Repeatable.
  --env NAME=VALUE         set a guest environment variable. Repeatable.
  --host-function NAME=COMMAND
                           expose host function NAME to the guest: each call
                           runs COMMAND (split into words as a POSIX shell
                           would, run without a shell, looked up in PATH)
                           with the call's args JSON on its stdin; its stdout
                           (a JSON value) is the reply; an exit status other
                           than 0 or output that is not JSON is an error
                           (HostError, the start of its stderr). Repeatable.
  --timeout-ms N           time limit per request, 1 to 2147483647; past it:
                           error Timeout and a rebuilt instance (default: none)
  --memory-mb N            cap on guest memory, 1 to 4096: MemoryError in
                           Python past it (default: none, the wasm32 limit)
  --stack-size-mb N        native stack of the thread running the guest,
                           1 to 16384 (default 256)
  --wasm PATH              the module (default: python-reactor.wasm beside
                           cli.mjs, else build/python-reactor.wasm of its
                           repository; never from the working directory)
  --isolation worker|process
                           run the instance in a worker thread (the default)
                           or in a child process, killed on a timeout
  --child                  (internal, batch) speak to a ProcessReactor
                           parent: see "The child's protocol" in cli.mjs
  --parent-function NAME   (internal, with --child) host function NAME is
                           the parent's. Repeatable.
  --version                print the version and the ABI version, and exit
  --help                   show this help, and exit
  --                       the end of the options

exit status: 0 ok (batch: also when the reader of stdout closed it early),
1 the Python call failed (call) or stdout failed (batch), 2 bad usage (or,
batch, the module could not be loaded), 3 the instance could not be opened
or the call trapped or timed out (call).
`;

class UsageError extends Error {}

const WHOLE = /^[0-9]+$/;
const NUMBERS = {
  // as Reactor takes it: setTimeout's longest delay, which ProcessReactor passes on
  '--timeout-ms': ['timeoutMs', 2 ** 31 - 1],
  '--memory-mb': ['memoryMb', 4096],
  '--stack-size-mb': ['stackSizeMb', 16384],
};

function whole(flag, value) {
  const [, max] = NUMBERS[flag];
  const n = WHOLE.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) throw new UsageError(`${flag} takes a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

const MODES = new Set(['ro', 'rw']);

/**
 * HOST[:GUEST][:ro|:rw], split at every ':': HOST, HOST:GUEST, HOST:MODE or
 * HOST:GUEST:MODE. GUEST must be absolute, so that a mistyped mode
 * (HOST:RO, HOST:readonly) is refused instead of becoming a writable grant
 * at a guest path of that name (as in the native host).
 */
function addGrant(options, spec) {
  const parts = spec.split(':');
  const mode = parts.length > 1 && MODES.has(parts.at(-1)) ? parts.pop() : 'rw';
  const [host, guest = host, ...rest] = parts;
  const explicitGuest = parts.length > 1;
  if (rest.length > 0 || host === '' || (explicitGuest && !guest.startsWith('/'))) {
    throw new UsageError(`--dir takes HOST[:GUEST][:ro|:rw], got "${spec}"`);
  }
  options.preopens ??= {};
  if (Object.hasOwn(options.preopens, guest)) throw new UsageError(`--dir: guest path "${guest}" is granted twice`);
  options.preopens[guest] = { path: host, readOnly: mode === 'ro' };
}

function addEnv(options, value) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got "${value}"`);
  options.env = { ...options.env, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** NAME=COMMAND: COMMAND split into words now, so that a bad one is a usage error. */
function addHostFunction(options, value) {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--host-function takes NAME=COMMAND, got "${value}"`);
  const name = value.slice(0, eq);
  let argv;
  try {
    argv = splitWords(value.slice(eq + 1));
  } catch (error) {
    throw new UsageError(`--host-function ${name}: ${error.message}`);
  }
  if (argv.length === 0) throw new UsageError(`--host-function ${name}: the command is empty`);
  options.hostCommands ??= {};
  if (Object.hasOwn(options.hostCommands, name)) throw new UsageError(`--host-function: ${name} is given twice`);
  const denied = denoCannotRun(argv);
  if (denied) throw new UsageError(`--host-function ${name}: ${denied}`);
  options.hostCommands[name] = argv;
}

function addParentFunction(options, name) {
  if (name === '') throw new UsageError('--parent-function takes a name');
  (options.parentFunctions ??= []).push(name);
}

function setOption(options, flag, value) {
  if (Object.hasOwn(NUMBERS, flag)) options[NUMBERS[flag][0]] = whole(flag, value);
  else if (flag === '--dir') addGrant(options, value);
  else if (flag === '--env') addEnv(options, value);
  else if (flag === '--wasm') options.wasm = wasmPath(value);
  else if (flag === '--host-function') addHostFunction(options, value);
  else if (flag === '--parent-function') addParentFunction(options, value);
  else options.isolation = isolation(value);
}

function wasmPath(value) {
  if (value === '') throw new UsageError('--wasm takes a file path, got ""');
  return value;
}

function isolation(value) {
  if (value !== 'worker' && value !== 'process') throw new UsageError(`--isolation takes worker or process, got "${value}"`);
  return value;
}

const VALUED = new Set(['--wasm', '--dir', '--env', '--isolation', '--host-function', '--parent-function',
  ...Object.keys(NUMBERS)]);

/** Options before or after the command, as the ABI says; "--" ends them.
 *  {help} or {version}, or {options, command, args}. */
function parseArgs(argv) {
  const options = {};
  const positional = [];
  let optionsEnd = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!optionsEnd && (arg === '--help' || arg === '-h')) return { help: true };
    if (!optionsEnd && arg === '--version') return { version: true };
    if (!optionsEnd && arg === '--') {
      optionsEnd = true;
    } else if (optionsEnd || !arg.startsWith('-')) {
      if (positional.length === 4) throw new UsageError(`too many arguments: ${arg}`);
      positional.push(arg);
    } else if (arg === '--child') {
      options.child = true;
    } else if (!VALUED.has(arg)) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (i + 1 >= argv.length) {
      throw new UsageError(`${arg} needs a value`);
    } else {
      setOption(options, arg, argv[++i]);
    }
  }
  const [command, ...args] = positional;
  if (options.parentFunctions && !options.child) throw new UsageError('--parent-function is for --child only');
  if (command === undefined) throw new UsageError('missing command (batch or call)');
  if (command === 'batch') {
    if (args.length > 0) throw new UsageError('batch takes no arguments');
  } else if (command === 'call') {
    if (args.length < 2) throw new UsageError('call needs FILE.py FUNC [ARGS_JSON]');
    if (options.child) throw new UsageError('--child is for batch only');
  } else {
    throw new UsageError(`unknown command ${command}`);
  }
  return { options, command, args };
}

// ---- requests

const errLine = (error) => JSON.stringify({ tag: 'err', error });
const invalid = (message) => errLine({ type: 'InvalidRequest', message });

class InvalidRequest extends Error {}

const fatal = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder();

/** A name as text when its bytes are UTF-8 (Reactor's replay warnings show
 *  it then), else the bytes. */
function nameOf(bytes) {
  try {
    return fatal.decode(bytes);
  } catch {
    return bytes;
  }
}

/** The length of the valid UTF-8 sequence at bytes[i], or 0. */
function sequenceLength(bytes, i) {
  const c = bytes[i];
  if (c < 0x80) return 1;
  const length = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  let cp = c & (0x3f >> (length - 1));
  for (let k = 1; k < length; k++) {
    if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (bytes[i + k] & 0x3f);
  }
  const min = [0, 0, 0x80, 0x800, 0x10000][length];
  return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : length;
}

/** Bytes as text for a message, the way json_writer.c writes them: each
 *  byte that does not start a valid UTF-8 sequence is one U+FFFD. */
function messageText(bytes) {
  let text = '';
  let run = 0; // start of the current run of valid sequences
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text += `${lossy.decode(bytes.subarray(run, i))}\uFFFD`;
    run = ++i;
  }
  return text + lossy.decode(bytes.subarray(run));
}

// The members a request may have, and the private ones of the child's
// protocol (below): a member of another name is ignored, as anywhere.
const FIELDS = new Set(['op', 'name', 'code', 'args', 'args_text', 'files']);
const CHILD_FIELDS = new Set(['name_b64', 'code_b64', 'args_text_b64', 'output']);
/** Longer than any field name even with every character escaped. */
const MAX_KEY_BYTES = 80;

/** The request's members that matter, by decoded name; the last one wins. */
function fieldsOf(line, members, child) {
  const fields = new Map();
  for (const member of members) {
    if (member.keyEnd - member.keyStart > MAX_KEY_BYTES) continue;
    const key = lossy.decode(stringBytes(line, member.keyStart, member.keyEnd));
    if (FIELDS.has(key) || (child && CHILD_FIELDS.has(key))) fields.set(key, member);
  }
  return fields;
}

const isString = (line, member) => member !== undefined && line[member.valueStart] === 0x22;
const valueBytes = (line, member) => line.subarray(member.valueStart, member.valueEnd);
const decoded = (line, member) => stringBytes(line, member.valueStart, member.valueEnd);

/** A string member's bytes, or its base64 twin's (child). Payloads stay
 *  bytes: the guest checks their UTF-8, and a string of tens of MiB would
 *  cost a decoding here and an encoding in Reactor. */
function stringField(line, fields, key) {
  const encoded = fields.get(`${key}_b64`);
  if (isString(line, encoded)) return new Uint8Array(Buffer.from(lossy.decode(decoded(line, encoded)), 'base64'));
  const member = fields.get(key);
  return isString(line, member) ? decoded(line, member) : undefined;
}

/** What to hand to Reactor.call for one request line, or InvalidRequest
 *  with the native host's message. */
function requestOf(line, child) {
  const scanned = scanJson(line);
  if (scanned.error !== undefined) throw new InvalidRequest(`not valid JSON: unexpected input at byte ${scanned.error}`);
  if (scanned.members === null) throw new InvalidRequest('a request must be a JSON object');
  const fields = fieldsOf(line, scanned.members, child);
  const opMember = fields.get('op');
  const op = isString(line, opMember) ? lossy.decode(decoded(line, opMember)) : undefined;
  if (!Object.hasOwn(OPS, op ?? '')) {
    const raw = opMember ? messageText(valueBytes(line, opMember).subarray(0, 200)) : 'missing';
    throw new InvalidRequest(`unknown op: ${raw}`);
  }
  const kind = OPS[op];
  const output = child && fields.has('output') && lossy.decode(valueBytes(line, fields.get('output'))) === 'true';
  const request = requestFields(line, fields, op, kind);
  return output ? { ...request, output } : request;
}

/** {op, name, payload} of a request line whose op is known. */
function requestFields(line, fields, op, kind) {
  const named = kind !== 'none' && kind !== 'cell'; // run takes code alone
  const nameBytes = named ? stringField(line, fields, 'name') : undefined;
  const name = nameBytes && nameOf(nameBytes);
  if (named && name === undefined) throw new InvalidRequest(`${op} needs "name", a string`);
  if (kind === 'code' || kind === 'cell') {
    const code = stringField(line, fields, 'code');
    if (code === undefined) throw new InvalidRequest(`${op} needs "code", a string`);
    return { op, name, payload: code };
  }
  if (kind === 'files') { // register_package: the object's exact text
    const files = fields.get('files');
    if (files === undefined || line[files.valueStart] !== 0x7b) {
      throw new InvalidRequest(`${op} needs "files", an object of path: text`);
    }
    return { op, name, payload: valueBytes(line, files) };
  }
  return { op, name, payload: kind === 'args' ? argsOf(line, fields) : undefined };
}

/** args_text (decoded) wins over args (the exact bytes of the line: no
 *  rounding of big ints); neither means []. */
function argsOf(line, fields) {
  if (fields.has('args_text') || fields.has('args_text_b64')) {
    const text = stringField(line, fields, 'args_text');
    if (text === undefined) throw new InvalidRequest('"args_text" must be a string');
    return text;
  }
  return fields.has('args') ? valueBytes(line, fields.get('args')) : '[]';
}

const isBlank = (line) => line.every((c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d);

// ---- answers

/**
 * Why a guest record breaks the contract, or null: its text must be one JSON
 * value (an output line must stay one), an err's an object. Such a record is
 * an InvalidResult, with the native host's message (pyreactor_calls.c,
 * check_text). The native host then rebuilds the instance, as after a trap,
 * replaying the registrations that had succeeded: the call that broke the
 * contract is not one of them, whatever its op.
 */
function breach({ tag, text }) {
  const scanned = scanJson(text); // not JSON.parse: no copy of a big result
  if (scanned.error !== undefined) return 'the guest returned text that is not JSON';
  return tag === 'err' && scanned.members === null ? 'the guest returned an err that is not a JSON object' : null;
}

/** The output line for a guest record; its text goes in unchanged. */
const resultLine = ({ tag, text }) => (tag === 'ok' ? `{"tag":"ok","value":${text}}` : `{"tag":"err","error":${text}}`);

const hostError = (error) => (error instanceof PythonError
  ? { type: error.type, message: error.message, traceback: error.traceback }
  : { type: 'HostError', message: error?.message ?? String(error) }); // e.g. no new instance

// The child's protocol: what `--child` changes, for process-reactor.mjs,
// which starts this command as its child and is its only user.
//
// Requests: a name, code or args_text that is not UTF-8 cannot be a JSON
// string (JSON strings hold Unicode: "\u00ff" is U+00FF, not the byte 0xff),
// so it comes base64-encoded in name_b64, code_b64 or args_text_b64 instead.
// The end of stdin ends the process at once, even during a call: the parent
// has closed it, or has died, and the guest must not outlive it.
//
// Answers: as usual, except an error of the host (the call was rejected:
// Trap, Timeout, ...; or a record that broke the contract, InvalidResult),
// which carries "host":true, and "exits":true when this process ends right
// after it. It ends after a Timeout (under Deno its worker may still be
// running the guest) and after an InvalidResult (the instance holds what
// the guest did, e.g. a registration, which the parent does not log: the
// parent's new child, with the log replayed, is the native host's rebuild).
// These members come first, so that an ordinary result line can be taken
// apart by its prefix. And a call that runs CHILD_GRACE_MS past
// --timeout-ms ends the process (a watchdog, for when the Timeout could not
// be answered): the parent sees it die.
//
// Output of a call: a request with "output":true is run with { output: true }
// (what the guest prints during it is kept apart, not written to stderr),
// and its answer is preceded by a line
//   {"output":{"stdout":TEXT,"stderr":TEXT,"stdoutTruncated":B,"stderrTruncated":B}}
// (the same line before a host error's answer, with what was printed
// before the error). The parent reads a line starting {"output": as that.
//
// Host functions: each `--parent-function NAME` is a host function of the
// parent's (its JavaScript function, or its --host-function command). When
// the guest calls one during a request, this process writes, before the
// request's answer, a line
//   {"call":NAME,"args":ARGS}
// (NAME a JSON string; ARGS the args text, exactly as the guest wrote it,
// as a JSON string), and waits for the parent's line on stdin
//   {"reply":"ok"|"err","text":TEXT}
// (TEXT the reply's JSON text as a JSON string: the value for "ok", the
// error object {type, message} for "err"). Both carry text as strings so
// that anything the guest or a raw host function produces, JSON or not,
// keeps its line and arrives unchanged. The parent reads a line starting
// {"call": as a host call, never as an answer; this process reads a line
// starting {"reply": as the reply, never as a request. The parent sends a
// reply only while a call of its waits, so at most one is pending. The
// time limit covers the wait: past it, the answer is Timeout as for any
// call (and the parent kills this process anyway).

function childHostLine(error, exits) {
  return JSON.stringify({ host: true, ...(exits ? { exits } : {}), tag: 'err', error: hostError(error) });
}

/** The answer line to one request line, and whether to end after it. */
async function answer(reactor, line, options) {
  let request;
  try {
    request = requestOf(line, options.child);
  } catch (error) {
    if (error instanceof InvalidRequest) return { line: invalid(error.message) };
    throw error;
  }
  const { op, name, payload, output } = request;
  const { child, timeoutMs } = options;
  const watchdog = child && timeoutMs && op !== 'init'
    ? setTimeout(() => process.exit(3), timeoutMs + CHILD_GRACE_MS) : undefined;
  let printed; // with "output": the line of what the call printed, before its answer
  try {
    let result = await reactor.call(op, name, payload, output ? { output } : undefined);
    if (output) {
      printed = outputLine(result);
      result = result.value;
    }
    const why = breach(result);
    if (why === null) return { printed, line: resultLine(result) };
    const error = new PythonError({ type: 'InvalidResult', message: why });
    return child ? { printed, line: childHostLine(error, true), exit: true } : { line: errLine(hostError(error)) };
  } catch (error) {
    if (output && typeof error?.stdout === 'string') printed = outputLine(error);
    const exit = child && error?.type === 'Timeout';
    return { printed, line: child ? childHostLine(error, exit) : errLine(hostError(error)), exit };
  } finally {
    clearTimeout(watchdog);
  }
}

/** The child's line for what a call printed (see "The child's protocol"). */
function outputLine({ stdout, stderr, stdoutTruncated, stderrTruncated }) {
  return JSON.stringify({ output: { stdout, stderr, stdoutTruncated, stderrTruncated } });
}

// ---- input and output

/**
 * The lines of stdin in a child: read ahead (the parent sends one request at
 * a time and waits, so this holds one line at most), so that the end of
 * stdin is seen at once, even while a call runs, and ends this process.
 */
async function* parentLines(lines, replies) {
  const queue = [];
  let wake = () => {};
  (async () => {
    try {
      for await (const line of lines) {
        if (startsWith(line, REPLY_PREFIX)) {
          replies.deliver(line);
          continue;
        }
        queue.push(line);
        wake();
      }
    } finally {
      process.exit(0);
    }
  })();
  for (;;) {
    while (queue.length > 0) yield queue.shift();
    await new Promise((resolve) => { wake = resolve; });
  }
}

const REPLY_PREFIX = new TextEncoder().encode('{"reply":');
const startsWith = (line, prefix) => !(line instanceof LongLine) && line.length >= prefix.length
  && prefix.every((byte, i) => line[i] === byte);

/** The parent's replies to this child's host calls, one at a time. */
class ParentReplies {
  #waiting = null;

  /** The next reply line, parsed: {reply, text}. */
  next() {
    return new Promise((resolve) => { this.#waiting = resolve; });
  }

  deliver(line) {
    const resolve = this.#waiting;
    this.#waiting = null;
    if (resolve === null) {
      process.stderr.write('cli.mjs: the parent sent a host-call reply no call waits for; dropped\n');
      return;
    }
    try {
      resolve(JSON.parse(lossy.decode(line)));
    } catch {
      resolve({ reply: 'err', text: JSON.stringify({ type: 'HostError', message: 'the parent\'s reply line is not JSON' }) });
    }
  }
}

/** JSON.parse(text), or null for text that is not JSON. */
function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** An error reply's text as what a raw host function throws for it. */
function thrownFor(text) {
  const error = parseOrNull(text);
  if (error === null || typeof error !== 'object') return new Error(`the parent replied an error that is not an object: ${text.slice(0, 200)}`);
  return Object.assign(new Error(String(error.message ?? '')), { type: error.type });
}

/** Host function NAME of the parent (see "The child's protocol"), as a raw one here. */
function parentFunction(name, output, replies) {
  return async (argsText) => {
    const reply = replies.next();
    await output.write(JSON.stringify({ call: name, args: argsText }));
    const { reply: tag, text } = await reply;
    if (tag === 'ok' && typeof text === 'string') return text;
    throw thrownFor(typeof text === 'string' ? text : 'null');
  };
}

/** The raw host functions of the options: commands, or the parent's functions. */
function hostFunctionsRaw({ hostCommands = {}, parentFunctions = [] }, output, replies) {
  const functions = {};
  for (const [name, argv] of Object.entries(hostCommands)) functions[name] = commandHostFunction(argv);
  for (const name of parentFunctions) functions[name] = parentFunction(name, output, replies);
  return functions;
}

/** stdout, one line at a time; `closed` once the reader has gone (EPIPE). */
class Output {
  closed = false;
  failure = null;

  constructor(stream) {
    this.stream = stream;
    stream.on('error', (error) => this.#fail(error));
  }

  #fail(error) {
    this.closed = true;
    if (error?.code !== 'EPIPE') this.failure ??= error;
  }

  /** Waits while the pipe is full; a closed pipe makes it resolve at once. */
  async write(line) {
    if (this.closed) return;
    try {
      if (this.stream.write(`${line}\n`)) return;
    } catch (error) { // Deno may throw where Node emits 'error'
      this.#fail(error);
      return;
    }
    await new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
  }
}

async function batch(options) {
  // User output goes to stderr so that stdout holds only result lines.
  const { isolation, child, hostCommands, parentFunctions, ...rest } = options;
  const output = new Output(process.stdout);
  const replies = new ParentReplies();
  let lines = readByteLines(process.stdin, { maxBytes: MAX_LINE_BYTES });
  if (child) lines = parentLines(lines, replies); // before the load: a parent may die during it
  // With --isolation process the commands run here, in the parent: the
  // child asks for them (--parent-function), and needs no permission to run them.
  rest.hostFunctionsRaw = hostFunctionsRaw({ hostCommands, parentFunctions }, output, replies);
  const reactor = isolation === 'process'
    ? await ProcessReactor.load({ ...rest, output: 'inherit' })
    : await Reactor.load({ ...rest, stdout: 'stderr', stderr: 'stderr' });
  try {
    for await (const line of lines) {
      if (line instanceof LongLine) {
        await output.write(invalid(`the request line is ${line.length} bytes long; this host reads at most ${MAX_LINE_BYTES}`));
      } else if (!isBlank(line)) {
        const { printed, line: out, exit } = await answer(reactor, line, options);
        if (printed !== undefined) await output.write(printed);
        await output.write(out);
        if (exit) process.exit(0); // the parent starts another child
      }
      if (output.closed) break;
    }
  } finally {
    await reactor.close();
  }
  if (output.failure) {
    process.stderr.write(`cli.mjs: cannot write the results: ${output.failure.message}\n`);
    process.exitCode = 1;
  }
  // The reader of stdout went away: nothing waits for the rest, stdin may
  // never end (yes | cli.mjs batch | head -1).
  if (output.closed) process.exit();
}

// ---- call: one function of a file, as the native host's `pyreactor call`

/** "dir/name.py" -> "name". */
function moduleName(file) {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return base.length > 3 && base.endsWith('.py') ? base.slice(0, -3) : base;
}

// What strerror says, as the native host prints it, for the usual reasons a file cannot be read.
const STRERROR = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/** Exit statuses of call, as the native host's. */
const EXIT_PYERR = 1;
const EXIT_USAGE = 2;
const EXIT_HOST = 3;

/** Prints an error record (its JSON text) as the native host does: TYPE: MESSAGE, then the traceback. */
function printError(text) {
  let error = parseOrNull(text);
  if (error === null || typeof error !== 'object') error = { type: 'InvalidResult', message: `guest error is not a JSON object: ${text}` };
  const type = typeof error.type === 'string' ? error.type : 'Error';
  process.stderr.write(`${type}: ${error.message ?? ''}\n`);
  if (typeof error.traceback === 'string') process.stderr.write(error.traceback);
}

/** The result of a record: printed on stdout (ok) or stderr (err); the exit status. */
function report({ tag, text }) {
  if (tag === 'ok') {
    process.stdout.write(`${text}\n`);
    return 0;
  }
  printError(text);
  return EXIT_PYERR;
}

async function call(options, [file, func, args = '[]']) {
  let code;
  try {
    code = new Uint8Array(await readFile(file));
  } catch (error) {
    process.stderr.write(`cli.mjs: cannot read ${file}: ${STRERROR[error?.code] ?? error?.message ?? error}\n`);
    return EXIT_USAGE;
  }
  const { isolation, hostCommands, ...rest } = options;
  rest.hostFunctionsRaw = hostFunctionsRaw({ hostCommands }, null, null);
  let reactor;
  try {
    // What the guest prints goes to stderr, so that stdout is only the result.
    reactor = isolation === 'process'
      ? await ProcessReactor.load({ ...rest, output: 'inherit' })
      : await Reactor.load({ ...rest, stdout: 'stderr', stderr: 'stderr' });
  } catch (error) {
    process.stderr.write(`cli.mjs: ${error?.message ?? error}\n`);
    return EXIT_HOST;
  }
  const mod = moduleName(file);
  try {
    const registered = await reactor.call('register_module', mod, code);
    if (registered.tag !== 'ok') return report(registered);
    return report(await reactor.call('apply_def', `${mod}.${func}`, args));
  } catch (error) {
    // the call trapped, timed out, or broke the contract: the host's error
    const { type, message, traceback } = hostError(error);
    printError(JSON.stringify({ type, message, traceback }));
    return EXIT_HOST;
  } finally {
    await reactor.close();
  }
}

let parsed;
try {
  parsed = parseArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`cli.mjs: ${error.message}\nTry 'cli.mjs --help'.\n`);
  process.exitCode = 2;
}
if (parsed?.help) {
  process.stdout.write(HELP);
} else if (parsed?.version) {
  process.stdout.write(`python-wasi-reactor ${VERSION} (ABI ${ABI_VERSION})\n`);
} else if (parsed?.command === 'call') {
  process.exitCode = await call(parsed.options, parsed.args);
} else if (parsed) {
  try {
    await batch(parsed.options);
  } catch (error) {
    process.stderr.write(`cli.mjs: ${error?.message ?? error}\n`);
    process.exit(2); // not only exitCode: a child (--child) is reading stdin already
  }
}
