// What both reactors (reactor.mjs's worker host, process-reactor.mjs) need
// to replay registrations into a new instance after a trap: which ops are
// logged, which records may be, and the warning for one that fails again.

import process from 'node:process';

/** The ops whose success changes what a new instance must be given again. */
export const isRegistration = (op) => op.startsWith('register_') || op.startsWith('unregister_');

/** Why a result record breaks the contract (ABI.md: JSON text; an err is an object), or null. */
export function contractBreach({ tag, text }) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the guest returned text that is not JSON';
  }
  if (tag === 'err' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    return 'the guest returned an err that is not a JSON object';
  }
  return null;
}

/** A process warning about a registration replayed into a new instance. */
export function warnReplay(entry, what) {
  const name = typeof entry.name === 'string' ? entry.name : '(bytes)';
  process.emitWarning(`replaying ${entry.op} ${name} after a trap ${what}`, 'PythonReactorWarning');
}
