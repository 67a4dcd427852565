// Helpers shared by the JavaScript runners of the benchmark suite.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import process from 'node:process';

/** The trivial def of the warm-call and cold-start measurements. */
export const ECHO_NAME = 'echo';
export const ECHO_CODE = 'def echo(s):\n    return s\n';
export const ECHO_ARGS = '["hello, world"]';
export const ECHO_RESULT = '"hello, world"';

/** Resident and proportional set size of this process, in KiB. */
export function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  let pss = null;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);
  } catch {
    // no smaps_rollup: PSS stays unknown
  }
  return { rss_kb: rss, pss_kb: pss };
}

/** MemAvailable of the machine in KiB (to stop instance scaling in time). */
export function memAvailableKb() {
  return Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))[1]);
}

export function settle() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
}

export function reply(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Line protocol: each stdin line is a command, answered by one JSON line. */
export async function serve(handlers) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const [cmd, ...args] = line.trim().split(/\s+/);
    if (!cmd) continue;
    if (cmd === 'quit') break;
    const handler = handlers[cmd];
    try {
      if (!handler) throw new Error(`unknown command ${cmd}`);
      reply(await handler(...args));
    } catch (error) {
      reply({ error: String(error?.stack ?? error) });
    }
  }
}

/**
 * Instance scaling: calls create() until each count in `counts` is reached,
 * recording memory at every count. Stops early (and says so) when the
 * machine's available memory would drop under `reserveKb`.
 */
export async function scale(counts, create, reserveKb = 3 * 1024 * 1024) {
  const keep = [];
  settle();
  const points = [{ n: 0, ...memory() }];
  let stopped = null;
  const t0 = performance.now();
  for (const target of counts) {
    while (keep.length < target) {
      const last = points[points.length - 1];
      const perInstance = keep.length ? (last.rss_kb - points[0].rss_kb) / keep.length : 200 * 1024;
      if (memAvailableKb() - perInstance < reserveKb) {
        stopped = `stopped at ${keep.length} instances: the machine had ${Math.round(memAvailableKb() / 1024)} MiB available`;
        break;
      }
      keep.push(await create(keep.length));
    }
    if (stopped) break;
    settle();
    points.push({ n: keep.length, ...memory() });
  }
  return { points, stopped, seconds: (performance.now() - t0) / 1e3, keep };
}

/**
 * The first kernel passes of a fresh instance: `load()` (timed) returns
 * `run(name, size)` -> {seconds}; then every kernel of `names` in turn,
 * `count` times. What a JIT does in an instance's first seconds shows in
 * pass 1 against the later ones. One JSON-ready object.
 */
export async function kernelPasses(load, names, count, size) {
  const t0 = performance.now();
  const run = await load();
  const loadMs = performance.now() - t0;
  const passes = [];
  for (let p = 0; p < count; p++) {
    const seconds = {};
    for (const name of names) seconds[name] = (await run(name, size)).seconds;
    passes.push({ seconds, ended_s: (performance.now() - t0) / 1e3 });
  }
  return { load_ms: loadMs, passes };
}

/** Median and 90th percentile (nearest rank) of samples. */
export function medianP90(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { median: at(0.5), p90: at(0.9), n: s.length };
}
