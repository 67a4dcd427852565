// The call surface shared by Reactor (reactor.mjs, the worker host) and
// ProcessReactor (process-reactor.mjs): PythonError, a call's arguments
// checked and normalized into a request, and ReactorCalls, the calls of the
// contract as values on top of a subclass's call(op, name, payload).

import { OPS } from './ops.mjs';
import { argsText } from './args-json.mjs';

/** An `err` result of the guest, or a trap (`type === 'Trap'`). */
export class PythonError extends Error {
  constructor({ type, message, traceback } = {}) {
    super(message === undefined ? '' : String(message));
    this.name = 'PythonError';
    this.type = String(type ?? 'Error');
    this.traceback = traceback ?? undefined;
  }

  static fromText(text) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === 'object') return new PythonError(parsed);
    } catch {
      // fall through: not the error object the ABI promises
    }
    return new PythonError({ type: 'InvalidResult', message: `guest error is not a JSON object: ${text}` });
  }
}

/** The value of a result, or the PythonError it stands for. */
export function valueOf({ tag, text }) {
  if (tag === 'err') throw PythonError.fromText(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new PythonError({ type: 'InvalidResult', message: 'the guest returned text that is not JSON' });
  }
}

/** Normalizes the third argument of call(): code or args text, never a number. */
function payloadFor(op, value) {
  const kind = OPS[op];
  if (kind === 'args') {
    if (value === undefined) return '[]';
    if (typeof value === 'string' || value instanceof Uint8Array) return value;
    return argsText(value);
  }
  if (kind === 'code' || kind === 'cell') {
    if (typeof value === 'string' || value instanceof Uint8Array) return value;
    throw new TypeError(`${op}: code must be a string or Uint8Array`);
  }
  return '';
}

/** A call's arguments checked as Reactor.call takes them: {op, name, payload}. */
export function requestFor(op, name, textOrArgs) {
  if (!Object.hasOwn(OPS, op)) throw new TypeError(`unknown op: ${op}`);
  const payload = payloadFor(op, textOrArgs);
  const named = OPS[op] !== 'none' && OPS[op] !== 'cell';
  return { op, name: named ? (name ?? '') : '', payload };
}

/**
 * The calls of the contract as values, on top of a subclass's call(op, name,
 * payload) -> Promise<{tag, text}>: shared by Reactor and ProcessReactor.
 */
export class ReactorCalls {
  init() { return this.#value('init'); }
  registerLambda(name, code) { return this.#value('register_lambda', name, code); }
  registerDef(name, code) { return this.#value('register_def', name, code); }
  registerModule(name, code) { return this.#value('register_module', name, code); }
  unregisterLambda(name) { return this.#value('unregister_lambda', name); }
  unregisterDef(name) { return this.#value('unregister_def', name); }
  unregisterModule(name) { return this.#value('unregister_module', name); }
  // async: args that cannot be sent (args-json.mjs) reject instead of throwing
  async applyLambda(name, args = []) { return this.#value('apply_lambda', name, argsText(args)); }
  async applyDef(name, args = []) { return this.#value('apply_def', name, argsText(args)); }
  applyLambdaRaw(name, argsText = '[]') { return this.call('apply_lambda', name, argsText); }
  applyDefRaw(name, argsText = '[]') { return this.call('apply_def', name, argsText); }
  /** Runs a code cell in the instance's __main__; its last expression's value. */
  run(code) { return this.#value('run', undefined, code); }

  async #value(op, name, payload) {
    return valueOf(await this.call(op, name, payload));
  }
}
