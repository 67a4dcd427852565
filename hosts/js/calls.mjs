// The call surface shared by Reactor (reactor.mjs, the worker host) and
// ProcessReactor (process-reactor.mjs): PythonError, a call's arguments
// checked and normalized into a request, and ReactorCalls, the calls of the
// contract as values on top of a subclass's call(op, name, payload).

import { OPS } from './ops.mjs';
import { argsText } from './args-json.mjs';
import { callOptions } from './options.mjs';

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
  if (kind === 'files') { // an object {path: text}, or its JSON text
    if (typeof value === 'string' || value instanceof Uint8Array) return value;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)
        && Object.values(value).every((text) => typeof text === 'string')) return JSON.stringify(value);
    throw new TypeError(`${op}: files must be an object of path: text (or its JSON text)`);
  }
  return '';
}

/**
 * A call's arguments checked as Reactor.call takes them: {op, name, payload,
 * output}, `output` true when its options ({ output: true }, checked
 * strictly: options.mjs) ask for the call's output. `label` starts an
 * error's message.
 */
export function requestFor(op, name, textOrArgs, options, label = 'call') {
  if (!Object.hasOwn(OPS, op)) throw new TypeError(`unknown op: ${op}`);
  const output = callOptions(options, label);
  const payload = payloadFor(op, textOrArgs);
  const named = OPS[op] !== 'none' && OPS[op] !== 'cell';
  return { op, name: named ? (name ?? '') : '', payload, output };
}

/** Gives a PythonError the output fields of its call ({ output: true }); other errors pass as they are. */
export function withOutput(error, { stdout, stderr, stdoutTruncated, stderrTruncated }) {
  if (error instanceof PythonError) Object.assign(error, { stdout, stderr, stdoutTruncated, stderrTruncated });
  return error;
}

/**
 * The value of what call() answered: with `output` (the call's options
 * asked for it), the answer is {value: {tag, text}, stdout, ...} and so is
 * the result, with the value decoded; an err throws its PythonError, with
 * the output the call printed.
 */
export function valueOfAnswer(answer, output) {
  if (!output) return valueOf(answer);
  try {
    return { ...answer, value: valueOf(answer.value) };
  } catch (error) {
    throw withOutput(error, answer);
  }
}

/**
 * The calls of the contract as values, on top of a subclass's call(op, name,
 * payload, options) -> Promise<{tag, text}> (with options.output:
 * {value: {tag, text}, stdout, stderr, stdoutTruncated, stderrTruncated}):
 * shared by Reactor and ProcessReactor. Each takes the call's options
 * ({ output: true }) as its last argument, after the ones it always has.
 */
export class ReactorCalls {
  init(options) { return this.#value('init', undefined, undefined, options); }
  registerLambda(name, code, options) { return this.#value('register_lambda', name, code, options); }
  registerDef(name, code, options) { return this.#value('register_def', name, code, options); }
  registerModule(name, code, options) { return this.#value('register_module', name, code, options); }
  /** A package of several files, {"__init__.py": source, "sub.py": source, "data.txt": text}
   *  (docs/packages.md); unregisterModule removes it. */
  registerPackage(name, files, options) { return this.#value('register_package', name, files, options); }
  unregisterLambda(name, options) { return this.#value('unregister_lambda', name, undefined, options); }
  unregisterDef(name, options) { return this.#value('unregister_def', name, undefined, options); }
  unregisterModule(name, options) { return this.#value('unregister_module', name, undefined, options); }
  // async: args that cannot be sent (args-json.mjs) reject instead of throwing
  async applyLambda(name, args = [], options) { return this.#value('apply_lambda', name, argsText(args), options); }
  async applyDef(name, args = [], options) { return this.#value('apply_def', name, argsText(args), options); }
  applyLambdaRaw(name, argsText = '[]', options) { return this.call('apply_lambda', name, argsText, options); }
  applyDefRaw(name, argsText = '[]', options) { return this.call('apply_def', name, argsText, options); }
  /** Runs a code cell in the instance's __main__; its last expression's value. */
  run(code, options) { return this.#value('run', undefined, code, options); }

  async #value(op, name, payload, options) {
    const answer = await this.call(op, name, payload, options); // checks options first
    return valueOfAnswer(answer, options?.output === true);
  }
}
