// The JavaScript host's WASI preview 1 layer: deny by default, in plain
// JavaScript over node:fs, so that it runs unchanged under Node and Deno.
// It replaces node:wasi, which hands the guest the process's own fds 0-2
// and follows symbolic links out of a preopened directory (Node's own
// documentation says it is no sandbox). The rules are ABI.md's "The
// sandbox", as the native host keeps them (docs/wasi-layer.md).
//
// Shape: a flat link table of small functions (fd-ops, path-ops, clock-ops,
// proc-ops), each taking the layer's context first and throwing a
// WasiError for a refusal; `link()` wraps each so that the guest only ever
// gets an errno back. What the module imports and the table lacks answers
// ENOSYS.

import { realpathSync, statSync } from 'node:fs';
import { E, WasiError, errnoOf, isPermissionDenial } from './constants.mjs';
import { GuestMemory } from './guest-memory.mjs';
import { FdTable, dirEntry, stdioEntry } from './fd-table.mjs';
import * as fdOps from './fd-ops.mjs';
import * as pathOps from './path-ops.mjs';
import * as clockOps from './clock-ops.mjs';
import * as procOps from './proc-ops.mjs';
import { ProcExit, encodeStrings } from './proc-ops.mjs';
import { SleepInterrupted } from './clock-ops.mjs';

export { ProcExit, SleepInterrupted };

const encoder = new TextEncoder();
const OPERATIONS = { ...fdOps, ...pathOps, ...clockOps, ...procOps };
const isDeno = typeof globalThis.Deno !== 'undefined';

/** A preopen option value: a host path (read-write) or {path, readOnly}. */
function grantSpec(guestPath, value) {
  if (typeof value === 'string') return { path: value, readOnly: false };
  if (value && typeof value === 'object' && typeof value.path === 'string') {
    return { path: value.path, readOnly: value.readOnly === true };
  }
  throw new TypeError(`preopens[${JSON.stringify(guestPath)}] must be a host path or {path, readOnly}`);
}

/** Deno asks for permission per path: say which flag is missing, not just "denied". */
function checkDenoPermissions(guestPath, host, readOnly) {
  if (!isDeno) return;
  for (const name of readOnly ? ['read'] : ['read', 'write']) {
    if (globalThis.Deno.permissions.querySync({ name, path: host }).state !== 'granted') {
      throw new Error(`grant ${JSON.stringify(guestPath)}: Deno has no ${name} permission for ${host} `
        + `(run deno with --allow-${name}=${host})`);
    }
  }
}

/**
 * Opens a grant: its host directory, resolved once to a real path (every
 * later path is built on it, so a link in the path the user gave is fine;
 * links below it are not followed out).
 */
function openGrant(guestPath, value) {
  const { path, readOnly } = grantSpec(guestPath, value);
  const label = `grant ${JSON.stringify(guestPath)}`;
  checkDenoPermissions(guestPath, path, readOnly);
  let root;
  try {
    root = realpathSync(path);
    if (!statSync(root).isDirectory()) throw new Error(`${label}: ${path} is not a directory`);
  } catch (error) {
    if (error?.code === 'ENOENT') throw new Error(`${label}: host directory ${path} does not exist`);
    if (error?.code === 'ENOTDIR') throw new Error(`${label}: ${path} is not a directory`);
    if (isPermissionDenial(error)) throw new Error(`${label}: no permission to read ${path} (${error.message})`);
    if (error?.code) throw new Error(`${label}: cannot open ${path}: ${error.message}`);
    throw error;
  }
  return { root, guestPath, readOnly };
}

/** What the guest reads on fd 0: bytes the host's user gave, or a function
 *  asked for more whenever they are used up; end of file otherwise. */
class StdinSource {
  #next;
  #pending;
  #offset = 0;

  constructor(input) {
    this.#next = typeof input === 'function' ? input : null;
    this.#pending = this.#next ? new Uint8Array(0) : toBytes(input ?? new Uint8Array(0));
  }

  read(buffers) {
    let total = 0;
    for (const buffer of buffers) {
      if (this.#offset === this.#pending.length && (total > 0 || !this.#refill(buffer.length))) break;
      const n = Math.min(buffer.length, this.#pending.length - this.#offset);
      buffer.set(this.#pending.subarray(this.#offset, this.#offset + n));
      this.#offset += n;
      total += n;
      if (n < buffer.length) break;
    }
    return total;
  }

  #refill(max) {
    if (this.#next === null) return false;
    const chunk = this.#next(max);
    if (chunk === null || chunk === undefined) return false;
    this.#pending = toBytes(chunk);
    this.#offset = 0;
    return this.#pending.length > 0;
  }
}

function toBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encoder.encode(value);
  throw new TypeError(`stdin must be a string, a Uint8Array or a function, got ${typeof value}`);
}

/** Errors that must unwind the guest (a trap), not become an errno. */
function unwinds(error) {
  if (error instanceof ProcExit || error instanceof SleepInterrupted) return true;
  if (error instanceof RangeError) return true; // the native stack ran out: the instance is unusable
  // A host bug (not an fs error): trapping shows it; an errno would hide it.
  return !(error instanceof WasiError) && error?.code === undefined && !isPermissionDenial(error);
}

export class WasiHost {
  #ctx;

  /**
   * @param {object} options
   *   args: string[] (default none), env: {NAME: value} (default none),
   *   preopens: {guestPath: hostPath | {path, readOnly}} (default none),
   *   stdin: string | Uint8Array | (maxBytes) => string|Uint8Array|null (default: end of file),
   *   stdout, stderr: (bytes: Uint8Array) => void, the instance's fd 1 and 2,
   *   wakeup: Int32Array on a SharedArrayBuffer; non-zero stops a sleep.
   */
  constructor(options = {}) {
    const grants = Object.entries(options.preopens ?? {}).map(([guest, value]) => openGrant(guest, value));
    const fds = new FdTable([stdioEntry('stdin'), stdioEntry('stdout'), stdioEntry('stderr'),
      ...grants.map((grant) => dirEntry(grant, [], encoder.encode(grant.guestPath)))]);
    this.#ctx = {
      mem: new GuestMemory(),
      fds,
      stdin: new StdinSource(options.stdin),
      sinks: [null, options.stdout ?? (() => {}), options.stderr ?? (() => {})],
      args: encodeStrings(options.args ?? []),
      env: encodeStrings(Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)),
      wakeup: options.wakeup ?? new Int32Array(new SharedArrayBuffer(4)),
    };
  }

  /** The import object's `wasi_snapshot_preview1` for `module`: every name it imports. */
  imports(module) {
    const table = {};
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      if (from !== 'wasi_snapshot_preview1' || kind !== 'function') continue;
      const operation = OPERATIONS[name];
      table[name] = operation ? this.#link(operation) : () => E.NOSYS;
    }
    return table;
  }

  /** Gives the layer the instance's memory (before any import runs). */
  bind(memory) {
    this.#ctx.mem.bind(memory);
  }

  /** Closes the host files the guest still has open. */
  close() {
    this.#ctx.fds.closeAll();
  }

  #link(operation) {
    const ctx = this.#ctx;
    return (...args) => {
      try {
        ctx.mem.refresh();
        operation(ctx, ...args);
        return E.SUCCESS;
      } catch (error) {
        if (unwinds(error)) throw error;
        return errnoOf(error);
      }
    };
  }
}
