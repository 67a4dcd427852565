// The JavaScript host's WASI layer (hosts/js/wasi/), import by import, with
// a memory of our own: bounds, the instance's own stdio, confined grants,
// read-only grants, what is refused. Runs under Node and Deno (fixtures
// under build/, which Deno's test run may write).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, fstatSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { WasiHost, ProcExit } from '../../hosts/js/wasi/wasi-host.mjs';
import { E, OFLAG, RIGHT } from '../../hosts/js/wasi/constants.mjs';

const isDeno = typeof globalThis.Deno !== 'undefined';
// Deno allows symlinkSync only with unscoped read and write permissions:
// the fixture's links are made by ln (tests/js/deno-test.sh allows it).
const run = (command, args) => execFileSync(command, args, { env: {} });
const symlinkSync = (target, path) => run('ln', ['-s', target, path]);
const module = await WebAssembly.compile(await readFile(new URL('../../build/python-reactor.wasm', import.meta.url)));
const PAGE = 65536;
const READ = RIGHT.FD_READ | RIGHT.FD_SEEK | RIGHT.FD_FILESTAT_GET;
const WRITE = READ | RIGHT.FD_WRITE;

function fixture() {
  mkdirSync('build', { recursive: true });
  const root = mkdtempSync(`${process.cwd()}/build/wasi-test-`);
  mkdirSync(`${root}/outside`);
  writeFileSync(`${root}/outside/secret.txt`, 'TOP SECRET');
  mkdirSync(`${root}/rw/sub`, { recursive: true });
  writeFileSync(`${root}/rw/inner.txt`, 'inner');
  symlinkSync('/etc', `${root}/rw/etc`);
  symlinkSync('../outside/secret.txt', `${root}/rw/link_out`);
  symlinkSync('link_out', `${root}/rw/chain`);
  symlinkSync('inner.txt', `${root}/rw/ok_link`);
  symlinkSync('sub/../inner.txt', `${root}/rw/ok_chain`);
  mkdirSync(`${root}/ro`);
  writeFileSync(`${root}/ro/file.txt`, 'read me');
  return root;
}

/** A WasiHost over a memory of its own, with helpers to call its imports. */
function harness(options = {}) {
  const out = [];
  const err = [];
  const host = new WasiHost({ stdout: (b) => out.push(b), stderr: (b) => err.push(b), ...options });
  const memory = new WebAssembly.Memory({ initial: 2 });
  host.bind(memory);
  const wasi = host.imports(module);
  const bytes = () => new Uint8Array(memory.buffer);
  const view = () => new DataView(memory.buffer);
  let heap = 1024;
  const put = (data) => {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const ptr = heap;
    bytes().set(b, ptr);
    heap += b.length + 8;
    return [ptr, b.length];
  };
  const iovec = (ptr, len) => {
    const at = heap;
    view().setUint32(at, ptr, true);
    view().setUint32(at + 4, len, true);
    heap += 8;
    return at;
  };
  const RESULT = 64; // scratch for out-parameters
  const open = (dirFd, path, rights = READ, oflags = 0, lookup = 0) => {
    const [p, n] = put(path);
    const errno = wasi.path_open(dirFd, lookup, p, n, oflags, rights, 0n, 0, RESULT);
    return { errno, fd: view().getUint32(RESULT, true) };
  };
  const read = (fd, len = 100) => {
    const buf = heap;
    heap += len;
    const errno = wasi.fd_read(fd, iovec(buf, len), 1, RESULT);
    const n = view().getUint32(RESULT, true);
    return { errno, text: new TextDecoder().decode(bytes().slice(buf, buf + n)) };
  };
  const write = (fd, text) => {
    const [p, n] = put(text);
    return wasi.fd_write(fd, iovec(p, n), 1, RESULT);
  };
  return { host, memory, wasi, out, err, put, iovec, open, read, write, RESULT, view };
}

test('bounds: pointers past the end of memory are EFAULT, never a host exception', () => {
  const h = harness();
  const end = 2 * PAGE;
  assert.equal(h.wasi.fd_write(1, end - 4, 1, h.RESULT), E.FAULT); // the iovec array crosses the end
  assert.equal(h.wasi.fd_write(1, h.iovec(end - 2, 4), 1, h.RESULT), E.FAULT); // a buffer crosses it
  assert.equal(h.wasi.fd_write(1, h.iovec(0, 1), 1, end - 2), E.FAULT); // the out-pointer
  assert.equal(h.wasi.fd_write(1, h.iovec(0, 1), 0x7fffffff, h.RESULT), E.FAULT); // a huge count
  assert.equal(h.wasi.fd_write(1, -8, 1, h.RESULT), E.FAULT); // u32 0xfffffff8
  assert.equal(h.wasi.random_get(end - 10, 11), E.FAULT);
  assert.equal(h.wasi.clock_time_get(0, 0n, end - 7), E.FAULT);
  assert.equal(h.wasi.fd_prestat_get(3, end), E.BADF); // no grant: fd 3 does not exist
  assert.equal(h.wasi.path_open(3, 0, 0, 1, 0, READ, 0n, 0, h.RESULT), E.BADF);
  assert.deepEqual(h.out, []);
});

test('stdin is end of file unless given; the process stdin is never read', () => {
  const h = harness();
  assert.deepEqual(h.read(0), { errno: E.SUCCESS, text: '' });
  const given = harness({ stdin: 'line one\nline two\n' });
  assert.deepEqual(given.read(0, 9), { errno: E.SUCCESS, text: 'line one\n' });
  assert.deepEqual(given.read(0), { errno: E.SUCCESS, text: 'line two\n' });
  assert.deepEqual(given.read(0), { errno: E.SUCCESS, text: '' });
  const chunks = ['a', 'bc', null];
  const asked = harness({ stdin: () => chunks.shift() });
  assert.equal(asked.read(0).text, 'a');
  assert.equal(asked.read(0).text, 'bc');
  assert.equal(asked.read(0).text, '');
});

test('fds 0-2 are the instance\'s own: closing and renumbering change nothing outside', () => {
  const h = harness();
  assert.equal(h.write(1, 'to the sink'), E.SUCCESS);
  assert.equal(new TextDecoder().decode(h.out[0]), 'to the sink');
  for (const fd of [0, 1, 2]) assert.equal(h.wasi.fd_close(fd), E.SUCCESS);
  assert.equal(h.write(1, 'lost'), E.BADF);
  assert.equal(h.read(0).errno, E.BADF);
  assert.equal(h.out.length, 1);
  for (const fd of [0, 1, 2]) assert.ok(fstatSync(fd)); // the process's are still open
  if (h.wasi.fd_renumber) assert.equal(h.wasi.fd_renumber(1, 2), E.BADF);
  assert.equal(h.wasi.fd_fdstat_set_flags(5, 0), E.BADF);
});

test('output sinks get copies, stdout and stderr apart', () => {
  const h = harness();
  h.write(2, 'err');
  h.write(1, 'out');
  assert.equal(new TextDecoder().decode(h.err[0]), 'err');
  assert.equal(new TextDecoder().decode(h.out[0]), 'out');
  new Uint8Array(h.memory.buffer).fill(0);
  assert.equal(new TextDecoder().decode(h.out[0]), 'out');
});

test('environment and arguments are only what was given', () => {
  const h = harness({ env: { GRANTED: 'yes' } });
  assert.equal(h.wasi.environ_sizes_get(h.RESULT, h.RESULT + 4), E.SUCCESS);
  assert.equal(h.view().getUint32(h.RESULT, true), 1);
  assert.equal(h.view().getUint32(h.RESULT + 4, true), 'GRANTED=yes\0'.length);
  if (h.wasi.args_sizes_get) { // imported by some builds only
    assert.equal(h.wasi.args_sizes_get(h.RESULT, h.RESULT + 4), E.SUCCESS);
    assert.equal(h.view().getUint32(h.RESULT, true), 0);
  }
});

test('proc_exit unwinds as a trap; sockets and unknown imports fail', () => {
  const h = harness();
  assert.throws(() => h.wasi.proc_exit(3), ProcExit);
  assert.equal(h.wasi.sock_shutdown(1, 0), E.NOTSOCK);
  assert.equal(h.wasi.sock_shutdown(9, 0), E.BADF);
});

test('a grant confines: .., absolute paths, links out (existing ones too) are refused', () => {
  const root = fixture();
  try {
    const h = harness({ preopens: { '/rw': `${root}/rw`, '/ro': { path: `${root}/ro`, readOnly: true } } });
    assert.equal(h.wasi.fd_prestat_get(3, h.RESULT), E.SUCCESS);
    assert.equal(h.view().getUint32(h.RESULT + 4, true), 3);
    const follow = 1;
    for (const path of ['../outside/secret.txt', 'sub/../../outside/secret.txt', '/etc/passwd']) {
      assert.equal(h.open(3, path).errno, E.NOTCAPABLE, path);
    }
    for (const path of ['etc/hostname', 'etc/passwd', 'link_out', 'chain']) {
      assert.equal(h.open(3, path, READ, 0, follow).errno, E.NOTCAPABLE, path);
    }
    assert.equal(h.open(3, 'link_out').errno, E.LOOP); // not followed: O_NOFOLLOW's answer
    const inner = h.open(3, 'sub/../ok_chain', READ, 0, follow);
    assert.equal(inner.errno, E.SUCCESS);
    assert.equal(h.read(inner.fd).text, 'inner');
    // The directory fd of a subdirectory is confined the same way.
    const sub = h.open(3, 'sub', READ, OFLAG.DIRECTORY);
    assert.equal(sub.errno, E.SUCCESS);
    assert.equal(h.open(sub.fd, '../../outside/secret.txt').errno, E.NOTCAPABLE);
    assert.equal(h.read(h.open(sub.fd, '../inner.txt').fd).text, 'inner');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a read-only grant refuses every change; a writable one works', () => {
  const root = fixture();
  try {
    const h = harness({ preopens: { '/rw': `${root}/rw`, '/ro': { path: `${root}/ro`, readOnly: true } } });
    assert.equal(h.open(4, 'file.txt', WRITE).errno, E.ROFS);
    assert.equal(h.open(4, 'new.txt', WRITE, OFLAG.CREAT).errno, E.ROFS);
    assert.equal(h.open(4, 'file.txt', READ, OFLAG.TRUNC).errno, E.ROFS);
    const [p, n] = h.put('newdir');
    assert.equal(h.wasi.path_create_directory(4, p, n), E.ROFS);
    const [f, fn] = h.put('file.txt');
    assert.equal(h.wasi.path_unlink_file(4, f, fn), E.ROFS);
    const [t, tn] = h.put('x');
    assert.equal(h.wasi.path_symlink(t, tn, 4, p, n), E.ROFS);
    assert.equal(h.wasi.path_link(4, 0, f, fn, 3, p, n), E.ROFS);
    const ro = h.open(4, 'file.txt');
    assert.equal(h.write(ro.fd, 'no'), E.ROFS);
    assert.equal(readFileSync(`${root}/ro/file.txt`, 'utf8'), 'read me');
    // Writable: create, write, read back.
    const created = h.open(3, 'made.txt', WRITE, OFLAG.CREAT);
    assert.equal(created.errno, E.SUCCESS);
    assert.equal(h.write(created.fd, 'made'), E.SUCCESS);
    assert.equal(readFileSync(`${root}/rw/made.txt`, 'utf8'), 'made');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('links the guest makes may not lead out of the grant', () => {
  const root = fixture();
  try {
    const h = harness({ preopens: { '/rw': `${root}/rw` } });
    const link = (target, path) => {
      const [t, tn] = h.put(target);
      const [p, pn] = h.put(path);
      return h.wasi.path_symlink(t, tn, 3, p, pn);
    };
    assert.equal(link('/etc', 'abs'), E.NOTCAPABLE);
    assert.equal(link('../outside', 'up'), E.NOTCAPABLE);
    assert.equal(link('sub/../../x', 'up2'), E.NOTCAPABLE);
    // Deno makes no symbolic link under path-scoped permissions at all.
    assert.equal(link('../inner.txt', 'sub/fine'), isDeno ? E.NOTCAPABLE : E.SUCCESS);
    assert.equal(existsSync(`${root}/rw/up`), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a FIFO in a grant is refused at once, not opened', () => {
  const root = fixture();
  try {
    run('mkfifo', [`${root}/rw/fifo`]);
    const h = harness({ preopens: { '/rw': `${root}/rw` } });
    assert.equal(h.open(3, 'fifo').errno, E.NOTCAPABLE);
    assert.equal(h.open(3, 'fifo', WRITE).errno, E.NOTCAPABLE);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a missing grant directory is named', () => {
  assert.throws(() => new WasiHost({ preopens: { '/data': 'build/no-such-dir' } }),
    /grant "\/data": host directory build\/no-such-dir does not exist/);
});
