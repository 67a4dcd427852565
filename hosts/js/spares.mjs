// Spare workers for Reactor (reactor.mjs).
//
// Starting a worker (a new isolate that loads this host's modules) takes
// about as long as everything else in Reactor.load together. A spare is a
// worker started ahead of time, booted and waiting for its job; a load or a
// rebuild that finds one skips the wait. Spares are kept per stackSizeMb
// (the only worker option fixed at creation), once a process has shown it
// starts workers more than once (a second Reactor, a rebuild after a trap)
// or asked for them (prestart).

import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL('./worker.mjs', import.meta.url);
const isDeno = typeof globalThis.Deno !== 'undefined';
const spares = new Map(); // stackSizeMb -> [{worker, booted}]
let workersStarted = 0;
let sparesWanted = false;
// Under Deno, whose Worker constructor blocks the calling thread until the
// worker has booted, a spare saves nothing: none by default.
let spareCount = isDeno ? 0 : 1;
// A spare starts this long after a load or rebuild is done, so that it does
// not compete with the first calls of the new instance.
const REFILL_DELAY_MS = 20;

/** How many spares to keep per stackSizeMb (Reactor.spareWorkers). */
export function spareWorkers() {
  return spareCount;
}

/** Sets it: a whole number >= 0 (anything else is a TypeError, nothing changed). */
export function setSpareWorkers(count) {
  if (!Number.isInteger(count) || count < 0) {
    throw new TypeError(`Reactor.spareWorkers must be a whole number >= 0, not ${String(count)}`);
  }
  spareCount = count;
}

/** A new worker thread, with its job (or none: a spare waits for one by message). */
export function newWorker(stackSizeMb, job) {
  workersStarted++;
  const worker = new Worker(WORKER_URL, {
    workerData: job ? { job } : {},
    resourceLimits: { stackSizeMb },
    env: {}, // the guest gets options.env through WASI, nothing else
  });
  worker.unref(); // an idle reactor (or spare) does not keep the process alive
  return worker;
}

function addSpare(stackSizeMb) {
  const worker = newWorker(stackSizeMb, null);
  const list = spares.get(stackSizeMb) ?? [];
  spares.set(stackSizeMb, list);
  let booted;
  const spare = { worker, taken: false, booted: new Promise((resolve) => { booted = resolve; }) };
  spare.ready = () => booted();
  const drop = () => {
    const i = list.indexOf(spare);
    if (i >= 0) list.splice(i, 1);
    booted();
  };
  spare.onMessage = (message) => {
    if (message === 'booted') booted();
  };
  spare.onError = drop;
  spare.onExit = drop;
  worker.on('message', spare.onMessage);
  worker.on('error', spare.onError);
  worker.on('exit', spare.onExit);
  worker.unref(); // again: a 'message' listener refs the worker's port (Node)
  list.push(spare);
  return spare;
}

/** A spare worker (booted, or still booting) for this stack size, or null. */
export function takeSpare(stackSizeMb) {
  const spare = spares.get(stackSizeMb)?.shift();
  if (!spare) return null;
  spare.taken = true;
  spare.ready(); // for prestart(): it is in use now
  spare.worker.off('message', spare.onMessage);
  spare.worker.off('error', spare.onError);
  spare.worker.off('exit', spare.onExit);
  return spare.worker;
}

/** Tops the spares of `stackSizeMb` up to spareWorkers(), if wanted. */
function refillSpares(stackSizeMb) {
  if (!sparesWanted && workersStarted < 2) return;
  while ((spares.get(stackSizeMb)?.length ?? 0) < spareCount) addSpare(stackSizeMb);
}

/** A worker of `stackSizeMb` has booted its instance: spares follow, if wanted. */
export function workerReady(stackSizeMb) {
  if (spareCount > 0 && (sparesWanted || workersStarted >= 2)) {
    setTimeout(() => refillSpares(stackSizeMb), REFILL_DELAY_MS);
  }
}

/** Reactor.prestart: starts spares now and resolves when they have booted. */
export async function prestart({ stackSizeMb = 256, count = Math.max(spareCount, 1) } = {}) {
  sparesWanted = true;
  while ((spares.get(stackSizeMb)?.length ?? 0) < count) addSpare(stackSizeMb);
  const waiting = [...(spares.get(stackSizeMb) ?? [])];
  for (const spare of waiting) spare.worker.ref(); // the process waits for them
  try {
    await Promise.all(waiting.map((spare) => spare.booted));
  } finally {
    for (const spare of waiting) if (!spare.taken) spare.worker.unref();
  }
}
