// Checks of the options of Reactor.load and ProcessReactor.load. A value of
// the wrong kind, out of range, or under an unknown key is a TypeError that
// names the key and the value: before these checks, timeoutMs: '200' made
// every call fail at once with a false Timeout, memoryMb: 'abc' or 0 gave no
// cap at all, and a misspelt key (timeout: 100) was ignored, so a limit the
// caller asked for could be silently off. A key whose value is undefined
// counts as not given (so that `{ ...defaults, timeoutMs: undefined }` works).
//
// Each check takes (value, key) and returns the value to use; the tables at
// the end say which keys each class takes. What the module itself needs
// (memoryMb below ~17 MiB cannot even hold the interpreter) is checked where
// the module is instantiated, not here.

import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const encoder = new TextEncoder();

/**
 * The module used when `wasm` is not given, found from this file, never
 * from the working directory: python-reactor.wasm beside it (a package
 * that holds the host's files and the module in one folder), else this
 * repository's build/python-reactor.wasm. A file path.
 */
export function defaultWasm() {
  const beside = fileURLToPath(new URL('./python-reactor.wasm', import.meta.url));
  try {
    if (statSync(beside).isFile()) return beside;
  } catch {
    // not there (or not readable: Deno without --allow-read on it)
  }
  return fileURLToPath(new URL('../../build/python-reactor.wasm', import.meta.url));
}

/** The largest delay setTimeout keeps (2**31 - 1 ms, about 24.8 days): a
 *  longer one fires at once, which would be a false Timeout. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** wasm32 addresses 4 GiB. */
const MAX_MEMORY_MB = 4096;
const MIN_CHANNEL_BYTES = 256;
const MAX_CHANNEL_BYTES = 2 ** 30; // the channel's length cells are Int32
const OUTPUT_TARGETS = ['inherit', 'stdout', 'stderr', 'ignore'];
const PROCESS_OUTPUTS = ['inherit', 'ignore'];

/** `"200"`, `-1`, `NaN`, `a function`, `an object`: the value in a message. */
function show(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return 'an array';
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

function refuse(key, value, what) {
  return new TypeError(`${key} must be ${what}, not ${show(value)}`);
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own string keys and values of a plain object; symbol keys refused. */
function entriesOf(value, key, what) {
  if (!isPlainObject(value)) throw refuse(key, value, what);
  if (Object.getOwnPropertySymbols(value).length > 0) throw new TypeError(`${key}: symbol keys are not allowed`);
  return Object.entries(value);
}

const hasNul = (text) => text.includes('\0');

// ---- one check per kind of value

const integerIn = (min, max, unit) => (value, key) => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw refuse(key, value, `a whole number of ${unit} from ${min} to ${max}`);
  }
  return value;
};

export const timeoutMs = integerIn(1, MAX_TIMEOUT_MS, 'milliseconds');
export const memoryMb = integerIn(1, MAX_MEMORY_MB, 'MiB');
// The CLIs' range too (ProcessReactor passes it on to its child's).
export const stackSizeMb = integerIn(1, 16384, 'MiB');
export const channelBytes = integerIn(MIN_CHANNEL_BYTES, MAX_CHANNEL_BYTES, 'bytes');

export function spinMicros(value, key) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw refuse(key, value, 'a finite number of microseconds >= 0');
  }
  return value;
}

export function boolean(value, key) {
  if (typeof value !== 'boolean') throw refuse(key, value, 'true or false');
  return value;
}

/** A non-empty string without NUL (a path, as the host or the guest names it). */
function path(value, key) {
  if (typeof value !== 'string' || value === '' || hasNul(value)) {
    throw refuse(key, value, 'a non-empty string without NUL');
  }
  return value;
}

/** { NAME: 'value' }: names non-empty, without '=' or NUL; values without NUL. */
export function env(value, key) {
  const copy = {};
  for (const [name, text] of entriesOf(value, key, 'an object of NAME: "value" strings')) {
    if (name === '' || name.includes('=') || hasNul(name)) {
      throw new TypeError(`${key}: the name ${show(name)} must be non-empty, without '=' or NUL`);
    }
    if (typeof text !== 'string' || hasNul(text)) throw refuse(`${key}.${name}`, text, 'a string without NUL');
    copy[name] = text;
  }
  return copy;
}

/**
 * { guestPath: hostPath | { path: hostPath, readOnly?: boolean } }, a plain
 * string granting read and write. Returns { guestPath: { path, readOnly } }.
 */
export function preopens(value, key) {
  const grants = {};
  for (const [guest, grant] of entriesOf(value, key, 'an object of guestPath: hostPath')) {
    // Absolute, as both command lines require: a relative one would be
    // taken for a mode there (`HOST:ro`), and wasi-libc maps absolute paths.
    if (typeof guest !== 'string' || !guest.startsWith('/') || hasNul(guest)) {
      throw refuse(`${key}: a guest path`, guest, 'an absolute path without NUL');
    }
    const where = `${key}[${JSON.stringify(guest)}]`;
    if (typeof grant === 'string') {
      grants[guest] = { path: path(grant, where), readOnly: false };
      continue;
    }
    const fields = entriesOf(grant, where, 'a host path or { path, readOnly }');
    for (const [field] of fields) {
      if (field !== 'path' && field !== 'readOnly') {
        throw new TypeError(`${where}: unknown key ${show(field)} (known: path, readOnly)`);
      }
    }
    const readOnly = grant.readOnly === undefined ? false : boolean(grant.readOnly, `${where}.readOnly`);
    grants[guest] = { path: path(grant.path, `${where}.path`), readOnly };
  }
  return grants;
}

/**
 * The guest's standard input: its bytes (a string is sent as UTF-8; bytes
 * are copied, so that later changes do not reach the guest), or a function
 * (maxBytes) => string | Uint8Array | null giving the next chunk.
 */
export function stdin(value, key) {
  if (typeof value === 'function') return value;
  if (typeof value === 'string') return encoder.encode(value);
  if (value instanceof Uint8Array) return new Uint8Array(value); // a copy (Buffer#slice is not)
  throw refuse(key, value, 'a string, a Uint8Array or a function (maxBytes) => chunk');
}

const oneOf = (choices) => (value, key) => {
  if (typeof value === 'function' || choices.includes(value)) return value;
  throw refuse(key, value, `a function or one of ${choices.map((c) => `'${c}'`).join(', ')}`);
};

export const output = oneOf(OUTPUT_TARGETS);
export const processOutput = oneOf(PROCESS_OUTPUTS);

/**
 * Host functions: { name: function }, names non-empty and without NUL (a
 * guest names them in UTF-8 through host.call). Returns a copy.
 */
export function hostFunctions(value, key) {
  const copy = {};
  for (const [name, fn] of entriesOf(value, key, 'an object of name: function')) {
    if (name === '' || hasNul(name)) throw new TypeError(`${key}: the name ${show(name)} must be non-empty, without NUL`);
    if (typeof fn !== 'function') throw refuse(`${key}.${name}`, fn, 'a function');
    copy[name] = fn;
  }
  return copy;
}

/** A name may be a host function of one form only. */
function checkHostForms(checked) {
  for (const name of Object.keys(checked.hostFunctionsRaw ?? {})) {
    if (Object.hasOwn(checked.hostFunctions ?? {}, name)) {
      throw new TypeError(`hostFunctions and hostFunctionsRaw both have ${show(name)}: a name is one host function`);
    }
  }
  return checked;
}

/** Reactor's wasm: a path, a URL, the module's bytes or the compiled module. */
export function wasm(value, key) {
  if (typeof value === 'string') return path(value, key);
  if (value instanceof URL || value instanceof Uint8Array || value instanceof ArrayBuffer
      || value instanceof WebAssembly.Module) {
    return value;
  }
  throw refuse(key, value, 'a path, a URL, a Uint8Array, an ArrayBuffer or a WebAssembly.Module');
}

/** ProcessReactor's wasm: a file path, which the child reads. */
export function wasmPath(value, key) {
  if (typeof value !== 'string') throw refuse(key, value, 'a file path (a string)');
  return path(value, key);
}

// ---- the keys of each class

const HOST_FUNCTIONS = { hostFunctions, hostFunctionsRaw: hostFunctions };

const REACTOR = {
  wasm, preopens, env, stdin, stdout: output, stderr: output,
  stackSizeMb, timeoutMs, memoryMb, channelBytes, spinMicros, topTier: boolean, ...HOST_FUNCTIONS,
};

const PROCESS_REACTOR = {
  wasm: wasmPath, preopens, env, timeoutMs, memoryMb, stackSizeMb, output: processOutput, spare: boolean,
  ...HOST_FUNCTIONS,
};

/**
 * The checked options: only the keys given (not undefined), each as its
 * check returned it. `label` starts each message.
 */
function checkOptions(options, checks, label) {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new TypeError(`${label}: options must be an object, not ${show(options)}`);
  const checked = {};
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(checks, key)) {
      throw new TypeError(`${label}: unknown option ${show(key)} (known: ${Object.keys(checks).join(', ')})`);
    }
    const value = options[key];
    if (value === undefined) continue;
    try {
      checked[key] = checks[key](value, key);
    } catch (error) {
      throw error instanceof TypeError ? new TypeError(`${label}: ${error.message}`) : error;
    }
  }
  try {
    return checkHostForms(checked);
  } catch (error) {
    throw new TypeError(`${label}: ${error.message}`);
  }
}

export const reactorOptions = (options) => checkOptions(options, REACTOR, 'Reactor');
export const processReactorOptions = (options) => checkOptions(options, PROCESS_REACTOR, 'ProcessReactor');

/**
 * The host-function options of Guest.create (the in-thread binding, whose
 * other options are its callers' business): hostFunctions and
 * hostFunctionsRaw checked as above, and not together with the lower-level
 * hostCall hook.
 */
export function guestHostOptions({ hostFunctions: functions, hostFunctionsRaw, hostCall, hostCallBytes } = {}) {
  const checked = checkOptions({ hostFunctions: functions, hostFunctionsRaw }, HOST_FUNCTIONS, 'Guest');
  for (const [key, hook] of [['hostCall', hostCall], ['hostCallBytes', hostCallBytes]]) {
    if (hook !== undefined && (checked.hostFunctions || checked.hostFunctionsRaw)) {
      throw new TypeError(`Guest: ${key} and hostFunctions/hostFunctionsRaw cannot be given together`);
    }
    if (hook !== undefined && typeof hook !== 'function') throw new TypeError(`Guest: ${refuse(key, hook, 'a function').message}`);
  }
  if (hostCall !== undefined && hostCallBytes !== undefined) throw new TypeError('Guest: hostCall and hostCallBytes cannot be given together');
  return checked;
}

/**
 * The options object a call may take as its last argument (`{ output: true }`):
 * undefined or a plain object whose only key is `output`, a boolean (or
 * undefined). Anything else is a TypeError: an option is never silently
 * ignored. Returns whether the call's output is to be captured.
 */
export function callOptions(options, label) {
  if (options === undefined) return false;
  if (!isPlainObject(options)) throw new TypeError(`${label}: call options must be an object like { output: true }, not ${show(options)}`);
  if (Object.getOwnPropertySymbols(options).length > 0) throw new TypeError(`${label}: call options: symbol keys are not allowed`);
  for (const key of Object.keys(options)) {
    if (key !== 'output') throw new TypeError(`${label}: unknown call option ${show(key)} (known: output)`);
  }
  const { output } = options;
  if (output !== undefined && typeof output !== 'boolean') throw new TypeError(`${label}: ${refuse('output', output, 'a boolean').message}`);
  return output === true;
}
