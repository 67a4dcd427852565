// Arguments, environment, process exit and sockets. The arguments and the
// environment are only what the host's user gave (never the process's);
// proc_exit ends the current call as a trap, never the host process;
// sockets: WASI preview 1 cannot create one and none is ever handed over,
// so every sock_* call fails.

import { E, WasiError } from './constants.mjs';

/** What proc_exit throws to unwind the guest: the host turns it into a trap. */
export class ProcExit extends Error {
  constructor(code) {
    super(`the guest called WASI proc_exit(${code})`);
    this.code = code;
  }
}

const encoder = new TextEncoder();

/** "K=V" strings (or argv) as the NUL-terminated block WASI hands over. */
export function encodeStrings(strings) {
  const encoded = strings.map((s) => encoder.encode(`${s}\0`));
  return { list: encoded, bytes: encoded.reduce((n, b) => n + b.length, 0) };
}

function sizes(ctx, block, countPtr, sizePtr) {
  ctx.mem.check(countPtr, 4);
  ctx.mem.check(sizePtr, 4);
  ctx.mem.setU32(countPtr, block.list.length);
  ctx.mem.setU32(sizePtr, block.bytes);
}

/** Writes the strings at `bufPtr` and their addresses at `listPtr`. */
function strings(ctx, block, listPtr, bufPtr) {
  ctx.mem.check(listPtr, block.list.length * 4);
  const out = ctx.mem.slice(bufPtr, block.bytes);
  let offset = 0;
  block.list.forEach((bytes, i) => {
    out.set(bytes, offset);
    ctx.mem.setU32((listPtr >>> 0) + 4 * i, (bufPtr >>> 0) + offset);
    offset += bytes.length;
  });
}

export const args_sizes_get = (ctx, countPtr, sizePtr) => sizes(ctx, ctx.args, countPtr, sizePtr);
export const args_get = (ctx, listPtr, bufPtr) => strings(ctx, ctx.args, listPtr, bufPtr);
export const environ_sizes_get = (ctx, countPtr, sizePtr) => sizes(ctx, ctx.env, countPtr, sizePtr);
export const environ_get = (ctx, listPtr, bufPtr) => strings(ctx, ctx.env, listPtr, bufPtr);

export function proc_exit(ctx, code) {
  throw new ProcExit(code >>> 0);
}

export function proc_raise() {
  throw new WasiError(E.NOSYS);
}

function noSocket(ctx, fd) {
  throw new WasiError(ctx.fds.has(fd) ? E.NOTSOCK : E.BADF);
}

export const sock_accept = (ctx, fd) => noSocket(ctx, fd);
export const sock_recv = (ctx, fd) => noSocket(ctx, fd);
export const sock_send = (ctx, fd) => noSocket(ctx, fd);
export const sock_shutdown = (ctx, fd) => noSocket(ctx, fd);
