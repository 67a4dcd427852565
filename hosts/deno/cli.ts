// `pyreactor-deno [OPTIONS] batch`: the batch protocol of the ABI (JSON
// Lines in on stdin, one result line per request on stdout, guest output on
// stderr) through libpyreactor and Deno's FFI; and `call FILE.py FUNC
// [ARGS_JSON]`, as the native command has it. Run by build/pyreactor-deno,
// the launcher that deno.mk writes with the permissions it needs.
//
// Options as the native command takes them (build/pyreactor --help).
// Request lines are read and parsed as bytes, as both other hosts do
// (hosts/native/lib/batch_request.c, hosts/js/cli.mjs), with the same
// InvalidRequest messages: names, code and args_text go to the library as
// the bytes the JSON strings stand for, UTF-8 or not, so that the guest
// judges them.

import process from 'node:process';
import { libraryInfo, PythonError, Reactor } from './mod.ts';
import type { Op, ReactorOptions } from './mod.ts';
import { OP_CODES } from './ffi.ts';
import { scanJson, stringBytes } from '../js/json-text.mjs';
import { LongLine, readByteLines } from '../js/lines.mjs';
import { commandHostFunction, denoCannotRun, splitWords } from '../js/host-command.mjs';

export const VERSION = '0.1.0';

const HELP = `usage: pyreactor-deno [OPTIONS] batch
       pyreactor-deno [OPTIONS] call FILE.py FUNC [ARGS_JSON]
       pyreactor-deno --help | --version

Runs sandboxed Python 3.11 (python-reactor.wasm compiled to native code, in
libpyreactor) under Deno, through its FFI.

  batch   read JSON Lines requests on stdin ({"op","name","code","args"}),
          write one result line per request on stdout; guest output goes
          to stderr
  call    register FILE.py as module <stem>, call <stem>.FUNC with
          ARGS_JSON (a JSON array or object, default []), print the JSON
          result; guest output goes to stderr, so that stdout is only the
          result

options (before or after the mode; the guest sees nothing of the host unless
granted here):
  --dir HOST[:GUEST][:ro|:rw]
                           grant directory HOST, seen as GUEST (an absolute
                           path; default HOST); :ro makes it read-only, :rw
                           (the default) writable. Repeatable.
  --env NAME=VALUE         set a guest environment variable. Repeatable.
  --module OUT.wasm        run a module made by pyreactor pack instead of the
                           library's own (its code must be the library's)
  --timeout-ms N           time limit per request, 1 to 2147483647; past it:
                           error Timeout and a rebuilt instance (default: none)
  --memory-mb N            cap on guest memory, 1 to 4096: MemoryError in
                           Python (default: none; the module itself needs
                           about 17 to start)
  --stack-size-mb N        native stack for guest code (1 to 16384, default 64)
  --host-function NAME=COMMAND
                           expose host function NAME to Python
                           (reactor.call_host): each call runs COMMAND, split
                           into words as a POSIX shell would but run without
                           one, with the args JSON on its stdin; its stdout
                           (JSON) is the reply; an exit status other than 0
                           or output that is not JSON is a HostError with the
                           start of its stderr. Killed when --timeout-ms
                           passes. Repeatable.
  --help                   show this help
  --version                print the version and the ABI version, and exit

exit status: 0 ok, 1 the Python call failed (call), 2 bad usage, 3 the
instance could not be opened, the call trapped (call) or the results could
not be written (batch).
`;

const EXIT_PYERR = 1;
const EXIT_USAGE = 2;
const EXIT_HOST = 3;
/** The longest request line read (as the JavaScript host): longer ones are InvalidRequest. */
const MAX_LINE_BYTES = 2 ** 30;

class UsageError extends Error {}

const LIMITS: Record<string, [keyof ReactorOptions, number]> = {
  '--timeout-ms': ['timeoutMs', 2 ** 31 - 1],
  '--memory-mb': ['memoryMb', 4096],
  '--stack-size-mb': ['stackSizeMb', 16384],
};

type Parsed = {
  help?: boolean;
  version?: boolean;
  mode?: string;
  operands: string[]; // call's FILE FUNC [ARGS_JSON]
  options: ReactorOptions;
  commands: Record<string, string[]>;
};

/** HOST[:GUEST][:ro|:rw]; GUEST absolute, so that a mistyped mode is refused (as in the other hosts). */
function grant(options: ReactorOptions, spec: string): void {
  const parts = spec.split(':');
  const mode = parts.length > 1 && (parts.at(-1) === 'ro' || parts.at(-1) === 'rw') ? parts.pop() : 'rw';
  const [host, guest = host, ...rest] = parts;
  if (rest.length > 0 || host === '' || (parts.length > 1 && !guest.startsWith('/'))) {
    throw new UsageError(`--dir takes HOST[:GUEST][:ro|:rw], got "${spec}"`);
  }
  const preopens = (options.preopens ??= {});
  if (Object.hasOwn(preopens, guest)) throw new UsageError(`--dir: guest path "${guest}" is granted twice`);
  preopens[guest] = { path: host, readOnly: mode === 'ro' };
}

/** NAME=VALUE (--env) or NAME=COMMAND (--host-function): [NAME, rest]. */
function pair(flag: string, value: string, what: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} takes NAME=${what}, got "${value}"`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

function hostCommand(parsed: Parsed, value: string): void {
  const [name, command] = pair('--host-function', value, 'COMMAND');
  let argv: string[];
  try {
    argv = splitWords(command);
  } catch (error) {
    throw new UsageError(`--host-function ${name}: ${(error as Error).message}`);
  }
  if (argv.length === 0) throw new UsageError(`--host-function ${name}: the command is empty`);
  if (Object.hasOwn(parsed.commands, name)) throw new UsageError(`--host-function: ${name} is given twice`);
  const denied = denoCannotRun(argv);
  if (denied) throw new UsageError(`--host-function ${name}: ${denied}`);
  parsed.commands[name] = argv;
}

function setOption(parsed: Parsed, flag: string, value: string): void {
  const { options } = parsed;
  if (Object.hasOwn(LIMITS, flag)) {
    const [key, max] = LIMITS[flag];
    const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= max)) throw new UsageError(`${flag} takes a whole number from 1 to ${max}, got "${value}"`);
    (options as Record<string, number>)[key] = n;
  } else if (flag === '--dir') {
    grant(options, value);
  } else if (flag === '--env') {
    const [name, text] = pair('--env', value, 'VALUE');
    options.env = { ...options.env, [name]: text };
  } else if (flag === '--module') {
    (options as { module?: string }).module = value;
  } else {
    hostCommand(parsed, value);
  }
}

const VALUED = new Set(['--dir', '--env', '--host-function', '--module', ...Object.keys(LIMITS)]);

/** Options before or after the command; "--" ends them. */
export function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = { options: {}, commands: {}, operands: [] };
  let optionsEnd = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!optionsEnd && (arg === '--help' || arg === '-h')) return { ...parsed, help: true };
    if (!optionsEnd && arg === '--version') return { ...parsed, version: true };
    if (!optionsEnd && arg === '--') {
      optionsEnd = true;
    } else if (optionsEnd || !arg.startsWith('-')) {
      if (parsed.mode === undefined) parsed.mode = arg;
      else parsed.operands.push(arg);
    } else if (!VALUED.has(arg)) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (i + 1 >= argv.length) {
      throw new UsageError(`${arg} needs a value`);
    } else {
      setOption(parsed, arg, argv[++i]);
    }
  }
  const { mode, operands } = parsed;
  if (mode === undefined) throw new UsageError('missing command (batch or call)');
  if (mode !== 'batch' && mode !== 'call') throw new UsageError(`unknown command "${mode}" (batch or call)`);
  if (mode === 'batch' && operands.length > 0) throw new UsageError(`batch takes no arguments, got "${operands[0]}"`);
  if (mode === 'call' && (operands.length < 2 || operands.length > 3)) throw new UsageError('call needs FILE.py FUNC [ARGS_JSON]');
  return parsed;
}

// ---- requests

type Member = { keyStart: number; keyEnd: number; valueStart: number; valueEnd: number };
type Request = { op: Op; name?: Uint8Array; payload?: Uint8Array };

class InvalidRequest extends Error {}

const lossy = new TextDecoder();
const KINDS: Record<string, 'none' | 'name' | 'code' | 'args' | 'cell' | 'files'> = {
  init: 'none', run: 'cell', apply_lambda: 'args', apply_def: 'args', register_package: 'files',
  register_lambda: 'code', register_def: 'code', register_module: 'code',
  unregister_lambda: 'name', unregister_def: 'name', unregister_module: 'name',
};

/** A request line's members by decoded key (the last of a key wins). */
function membersOf(line: Uint8Array, members: Member[]): Map<string, Member> {
  const byKey = new Map<string, Member>();
  for (const m of members) {
    if (m.keyEnd - m.keyStart <= 80) byKey.set(lossy.decode(stringBytes(line, m.keyStart, m.keyEnd)), m);
  }
  return byKey;
}

/** The bytes a string member stands for, or undefined when it is missing or not a string. */
function stringOf(line: Uint8Array, member: Member | undefined): Uint8Array | undefined {
  if (member === undefined || line[member.valueStart] !== 0x22) return undefined;
  return stringBytes(line, member.valueStart, member.valueEnd);
}

/** Bytes as text for a message, as json_writer.c writes them. */
function shown(bytes: Uint8Array): string {
  return lossy.decode(bytes);
}

export function requestOf(line: Uint8Array): Request {
  const scanned = scanJson(line);
  if (scanned.error !== undefined) throw new InvalidRequest(`not valid JSON: unexpected input at byte ${scanned.error}`);
  if (scanned.members === null) throw new InvalidRequest('a request must be a JSON object');
  const fields = membersOf(line, scanned.members);
  const opMember = fields.get('op');
  const opBytes = stringOf(line, opMember);
  const op = opBytes === undefined ? undefined : lossy.decode(opBytes);
  if (op === undefined || !Object.hasOwn(OP_CODES, op)) {
    const raw = opMember ? shown(line.subarray(opMember.valueStart, opMember.valueEnd).subarray(0, 200)) : 'missing';
    throw new InvalidRequest(`unknown op: ${raw}`);
  }
  const kind = KINDS[op];
  const request: Request = { op: op as Op };
  if (kind === 'name' || kind === 'code' || kind === 'args' || kind === 'files') {
    request.name = stringOf(line, fields.get('name'));
    if (request.name === undefined) throw new InvalidRequest(`${op} needs "name", a string`);
  }
  if (kind === 'code' || kind === 'cell') {
    request.payload = stringOf(line, fields.get('code'));
    if (request.payload === undefined) throw new InvalidRequest(`${op} needs "code", a string`);
  } else if (kind === 'files') { // register_package: the object's exact text
    const files = fields.get('files');
    if (files === undefined || line[files.valueStart] !== 0x7b) throw new InvalidRequest(`${op} needs "files", an object of path: text`);
    request.payload = line.subarray(files.valueStart, files.valueEnd);
  } else if (kind === 'args') {
    const text = fields.get('args_text');
    const args = fields.get('args');
    if (text !== undefined) {
      request.payload = stringOf(line, text);
      if (request.payload === undefined) throw new InvalidRequest('"args_text" must be a string');
    } else {
      request.payload = args === undefined ? new TextEncoder().encode('[]') : line.subarray(args.valueStart, args.valueEnd);
    }
  }
  return request;
}

const errLine = (error: unknown) => JSON.stringify({ tag: 'err', error });

/** The result line for one request line. */
async function answer(reactor: Reactor, line: Uint8Array): Promise<string> {
  let request: Request;
  try {
    request = requestOf(line);
  } catch (error) {
    if (error instanceof InvalidRequest) return errLine({ type: 'InvalidRequest', message: error.message });
    throw error;
  }
  try {
    const { tag, text } = await reactor.call(request.op, request.name, request.payload);
    return tag === 'ok' ? `{"tag":"ok","value":${text}}` : `{"tag":"err","error":${text}}`;
  } catch (error) {
    if (error instanceof PythonError) return errLine({ type: error.type, message: error.message, traceback: error.traceback });
    return errLine({ type: 'HostError', message: (error as Error)?.message ?? String(error) });
  }
}

const isBlank = (line: Uint8Array) => line.every((c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d);

/** Writes a line to stdout; false once the reader has gone. */
function emit(text: string): boolean {
  const bytes = new TextEncoder().encode(`${text}\n`);
  try {
    for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return false;
    throw error;
  }
}

/** The instance of the options, or the exit status when it cannot be opened. */
async function open({ options, commands }: Parsed): Promise<Reactor | number> {
  const hostFunctionsRaw: Record<string, unknown> = {};
  for (const [name, argv] of Object.entries(commands)) hostFunctionsRaw[name] = commandHostFunction(argv);
  try {
    // What the guest prints goes to stderr in both modes: stdout carries only results.
    return await Reactor.load({
      ...options, hostFunctionsRaw: hostFunctionsRaw as ReactorOptions['hostFunctionsRaw'], stdout: 'stderr', stderr: 'stderr',
    });
  } catch (error) {
    // A refused option (--memory-mb below what the module needs) is the user's mistake.
    const usage = error instanceof TypeError;
    process.stderr.write(`pyreactor-deno: ${usage ? '' : 'cannot start: '}${(error as Error).message}\n`);
    return usage ? EXIT_USAGE : EXIT_HOST;
  }
}

/** call FILE.py FUNC [ARGS_JSON]: the file as module <stem>, <stem>.FUNC's JSON value on stdout. */
async function call(parsed: Parsed): Promise<number> {
  const [file, func, args = '[]'] = parsed.operands;
  let code: Uint8Array;
  try {
    code = await Deno.readFile(file);
  } catch (error) {
    process.stderr.write(`pyreactor-deno: cannot read ${file}: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const module = (file.split('/').at(-1) ?? file).replace(/\.py$/, '');
  const reactor = await open(parsed);
  if (typeof reactor === 'number') return reactor;
  try {
    let result = await reactor.call('register_module', module, code);
    if (result.tag === 'ok') result = await reactor.call('apply_def', `${module}.${func}`, args);
    if (result.tag === 'ok') {
      process.stdout.write(`${result.text}\n`);
      return 0;
    }
    const error = PythonError.fromText(result.text);
    process.stderr.write(`${error.type}: ${error.message}\n${error.traceback ?? ''}`);
    return EXIT_PYERR;
  } catch (error) {
    const e = error as PythonError;
    process.stderr.write(`${e.type ?? 'HostError'}: ${e.message}\n`);
    return EXIT_HOST;
  } finally {
    await reactor.close();
  }
}

async function batch(parsed: Parsed): Promise<number> {
  const reactor = await open(parsed);
  if (typeof reactor === 'number') return reactor;
  try {
    for await (const line of readByteLines(process.stdin, { maxBytes: MAX_LINE_BYTES })) {
      let out: string;
      if (line instanceof LongLine) {
        out = errLine({ type: 'InvalidRequest', message: `the request line is ${line.length} bytes long; this host reads at most ${MAX_LINE_BYTES}` });
      } else if (isBlank(line)) {
        continue;
      } else {
        out = await answer(reactor, line);
      }
      if (!emit(out)) return 0; // the reader went away: nothing waits for the rest
    }
  } catch (error) {
    process.stderr.write(`pyreactor-deno: cannot write the results: ${(error as Error).message}\n`);
    return EXIT_HOST;
  } finally {
    await reactor.close();
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`pyreactor-deno: ${error.message}\nTry 'pyreactor-deno --help'.\n`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.version) {
    // As the other hosts' commands print it: the library's version and ABI.
    let info;
    try {
      info = libraryInfo();
    } catch (error) {
      process.stderr.write(`pyreactor-deno: cannot open the library: ${(error as Error).message}\n`);
      return EXIT_HOST;
    }
    process.stdout.write(`python-wasi-reactor ${info.version ?? VERSION} (ABI ${info.abi})\n`);
    return 0;
  }
  return await (parsed.mode === 'call' ? call(parsed) : batch(parsed));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
