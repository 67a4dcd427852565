// The only way the WASI layer touches guest memory. Every guest pointer and
// length is checked against the memory's current size before use (the
// memory can grow between two imports, which detaches the old buffer, so
// views are refreshed at the start of each import). Pointers arrive as i32
// and are read as unsigned; sums stay below 2**33, exact in a double.

import { E, WasiError } from './constants.mjs';

const PATH_MAX = 4096;
// More iovecs than this are cut short: short reads and writes are allowed,
// and the guest loops (the native host does the same with IOV_MAX).
const IOV_MAX = 1024;
const decoder = new TextDecoder('utf-8', { fatal: true });

export class GuestMemory {
  #memory = null;
  #buffer = null;
  bytes = new Uint8Array(0);
  view = new DataView(new ArrayBuffer(0));

  bind(memory) {
    this.#memory = memory;
    this.refresh();
  }

  /** Makes the views current; called by each import before it reads. */
  refresh() {
    const buffer = this.#memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.bytes = new Uint8Array(buffer);
      this.view = new DataView(buffer);
    }
  }

  /** Throws EFAULT unless [ptr, ptr + len) lies inside guest memory. */
  check(ptr, len) {
    ptr >>>= 0;
    if (len < 0 || ptr + len > this.bytes.length) throw new WasiError(E.FAULT);
    return ptr;
  }

  u8(ptr) { return this.view.getUint8(this.check(ptr, 1)); }
  u16(ptr) { return this.view.getUint16(this.check(ptr, 2), true); }
  u32(ptr) { return this.view.getUint32(this.check(ptr, 4), true); }
  u64(ptr) { return this.view.getBigUint64(this.check(ptr, 8), true); }
  setU32(ptr, value) { this.view.setUint32(this.check(ptr, 4), value >>> 0, true); }
  setU64(ptr, value) { this.view.setBigUint64(this.check(ptr, 8), BigInt.asUintN(64, BigInt(value)), true); }

  /** A view of guest bytes (valid until the memory grows). */
  slice(ptr, len) {
    len >>>= 0;
    ptr = this.check(ptr, len);
    return this.bytes.subarray(ptr, ptr + len);
  }

  /** Zeroed view of `len` bytes at `ptr`, for a struct about to be written. */
  zeroed(ptr, len) {
    const view = this.slice(ptr, len);
    view.fill(0);
    return view;
  }

  /**
   * The iovec array ({u32 buf, u32 len} each) at `ptr` as views, every
   * buffer checked; the total stays below 2**32 as the result must fit a u32.
   */
  iovecs(ptr, count) {
    count >>>= 0;
    this.check(ptr, count * 8);
    const n = Math.min(count, IOV_MAX);
    const out = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const base = (ptr >>> 0) + 8 * i;
      const buf = this.view.getUint32(base, true);
      const len = this.view.getUint32(base + 4, true);
      const view = this.slice(buf, len);
      if (total + len > 0xffffffff) break;
      total += len;
      out.push(view);
    }
    return out;
  }

  /**
   * A guest path as a string. A NUL inside cannot be a host path (EILSEQ,
   * as the native host); bytes that are not UTF-8 neither, since host paths
   * are handled as strings here.
   */
  path(ptr, len) {
    len >>>= 0;
    if (len > PATH_MAX) throw new WasiError(E.NAMETOOLONG);
    const bytes = this.slice(ptr, len);
    if (bytes.includes(0)) throw new WasiError(E.ILSEQ);
    try {
      return decoder.decode(bytes);
    } catch {
      throw new WasiError(E.ILSEQ);
    }
  }
}
