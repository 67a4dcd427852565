// Host functions (ABI.md, "Host functions") on the JavaScript side: the
// functions a Reactor, ProcessReactor or Guest was given, and what running
// one for the guest's host.call means: the args decoded (integers past
// 2**53 as BigInts), the value encoded exactly (args-json.mjs; a BigInt as
// its digits), a throw or a rejection made an error reply. The raw form
// takes the args text and returns the reply text, untouched both ways.
//
// A host function may call the reactor whose call is running it. A
// synchronous call then throws (the reactor is busy). An async one is
// queued behind the current call, which waits for the host function: if the
// function waited for the queued call, neither would ever finish. So a call
// made from inside a host function (known by the async context it is made
// in: AsyncLocalStorage) ends the host call it was made from at once with
// an error reply; the queued call runs when the current one is done, and
// what the function returns after that is dropped.

import { AsyncLocalStorage } from 'node:async_hooks';
import { valueText } from './args-json.mjs';
import { parseWithBigInts } from './json-text.mjs';

/** The HostCall whose function is running (or awaiting) in this async context. */
const running = new AsyncLocalStorage();

/** An error reply {ok: false, text} of the ABI's shape. */
export const errorReply = (type, message) => ({ ok: false, text: JSON.stringify({ type, message }) });

/*
 * Guest code can hand host.call any text (through the private module
 * _reactor_host); a function only ever gets a JSON array or object, as in
 * the C library: anything else is answered InvalidArgs, and no function runs.
 */
const INVALID_ARGS = Symbol('invalid args');
const invalidArgs = Object.freeze(errorReply('InvalidArgs', 'host.call: the args must be a JSON array or object in UTF-8'));

/** The args for the function (decoded, or the text itself for a raw one), or INVALID_ARGS. */
function argsOf(argsText, raw) {
  let value;
  try {
    // A raw function gets the text as it is: checking it needs no exact numbers.
    value = raw ? JSON.parse(argsText) : parseWithBigInts(argsText);
  } catch {
    return INVALID_ARGS;
  }
  if (value === null || typeof value !== 'object') return INVALID_ARGS; // arrays and objects only
  return raw ? argsText : value;
}

export const noSuchHostFunction = (name) => errorReply('NoSuchHostFunction', `no host function named ${name}`);

const NULL_REPLY = Object.freeze({ ok: true, text: 'null' });

const isThenable = (value) => value !== null && (typeof value === 'object' || typeof value === 'function')
  && typeof value.then === 'function';

/** `error` as an error reply: its own `type` if that is a non-empty string, else HostError. */
function errorOf(error) {
  const type = typeof error?.type === 'string' && error.type !== '' ? error.type : 'HostError';
  let message;
  try {
    message = String(error instanceof Error || typeof error?.message === 'string' ? error.message : error);
  } catch {
    message = 'the host function threw a value that has no text';
  }
  return errorReply(type, message);
}

/** The reply to a host function's value (or its promise's). */
function replyOf(name, raw, value) {
  if (raw) {
    if (typeof value === 'string') return { ok: true, text: value };
    return errorReply('HostError', `host function ${name} (raw) must return the reply's JSON text, not ${typeof value}`);
  }
  if (value === undefined) return NULL_REPLY; // returned nothing: None in Python
  try {
    return { ok: true, text: valueText(value) };
  } catch (error) {
    return errorReply('HostError', `host function ${name}: ${error.message}`);
  }
}

/**
 * The second argument of a host function: its `name`, and a `signal`
 * (an AbortSignal, made when first asked for) that aborts when the caller
 * stops waiting for the reply: the call's time limit passed, a synchronous
 * call cannot wait for a promise, the function called its own reactor
 * again, the instance went away.
 */
export class HostCallContext {
  #controller = null;
  #reason = null;

  constructor(name) {
    this.name = name;
  }

  get signal() {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#reason !== null) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  static abort(context, message) {
    if (context.#reason !== null) return;
    context.#reason = new Error(message);
    context.#controller?.abort(context.#reason);
  }
}

/**
 * A host function that returned a promise: `settled` resolves to its reply
 * ({ok, text}, never rejects), or to an error reply sooner when the call
 * is given up (refuse). `reply` is the reply once there is one.
 */
export class HostCall {
  #owner;
  #parent; // the HostCall this one runs inside of (a host function that called a reactor), or null
  #context;
  #waiting = false; // its function returned a promise, which the caller awaits
  #early = null; // a refusal that came before the function returned
  #resolve = null;
  reply = null;
  settled = null;

  constructor(owner, context, parent) {
    this.#owner = owner;
    this.#context = context;
    this.#parent = parent;
  }

  /** Runs `fn` of host function `name`: {ok, text} when it is done, else a HostCall. */
  static run(owner, name, fn, raw, argsText) {
    const args = argsOf(argsText, raw);
    if (args === INVALID_ARGS) return invalidArgs;
    const context = new HostCallContext(name);
    const call = new HostCall(owner, context, running.getStore() ?? null);
    let value;
    try {
      value = running.run(call, fn, args, context);
    } catch (error) {
      return errorOf(error);
    }
    if (!isThenable(value)) {
      call.reply = replyOf(name, raw, value); // a call of the reactor it made is only queued: no harm
      return call.reply;
    }
    call.#waiting = true;
    call.settled = new Promise((resolve) => { call.#resolve = resolve; });
    Promise.resolve(value).then((v) => call.#answer(replyOf(name, raw, v)), (error) => call.#answer(errorOf(error)));
    if (call.#early !== null) call.refuse(call.#early);
    return call;
  }

  #answer(reply) {
    if (this.reply !== null) return; // given up already: what came late is dropped
    this.reply = reply;
    this.#resolve(reply);
  }

  /** Answers it now with an error reply of type HostError saying `message`,
   *  and aborts its signal; what the function gives later is dropped. */
  refuse(message) {
    if (this.reply !== null) return this.reply;
    HostCallContext.abort(this.#context, message);
    this.#answer(errorReply('HostError', message));
    return this.reply;
  }

  /**
   * To be called when `owner` (a reactor) is called: if that is from inside
   * one of its own host functions whose reply it still waits for, the host
   * call ends now with an error reply (see the top of this file).
   */
  static reentered(owner, what) {
    for (let call = running.getStore(); call; call = call.#parent) {
      if (call.#owner !== owner || call.reply !== null) continue;
      const message = `host function ${call.#context.name} called the reactor that runs it (${what}): `
        + 'that call waits until the host call is done, so the host call cannot wait for it';
      if (call.#waiting) call.refuse(message);
      else call.#early ??= message;
    }
  }
}

/** A reactor's (or Guest's) host functions by name, as options.mjs checked them. */
export class HostFunctions {
  #owner;
  #table = new Map(); // name -> {fn, raw}

  /** `functions` and `raw`: {name: function}, the latter taking and giving JSON text. */
  constructor(owner, functions = {}, raw = {}) {
    this.#owner = owner;
    for (const [name, fn] of Object.entries(functions)) this.#table.set(name, { fn, raw: false });
    for (const [name, fn] of Object.entries(raw)) this.#table.set(name, { fn, raw: true });
  }

  get size() {
    return this.#table.size;
  }

  get names() {
    return [...this.#table.keys()];
  }

  /** Runs host function `name` for args text: {ok, text}, or a HostCall when it returned a promise. */
  start(name, argsText) {
    const entry = this.#table.get(name);
    if (entry === undefined) return noSuchHostFunction(name);
    return HostCall.run(this.#owner, name, entry.fn, entry.raw, argsText);
  }

  /**
   * For a caller that cannot wait (a synchronous call, an in-thread Guest):
   * the reply now, an error reply when the function returned a promise.
   */
  startSync(name, argsText, why) {
    const reply = this.start(name, argsText);
    if (!(reply instanceof HostCall)) return reply;
    return reply.reply ?? reply.refuse(`host function ${name} returned a promise, but ${why}`);
  }
}
