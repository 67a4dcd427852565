// Types of hosts/js/process-reactor.mjs: the instance in a child process,
// killed when a call runs past its time limit (see README.md, "Process
// isolation").

import type { Answer, Args, CallOptions, GuestText, HostFunction, Op, Preopen, RawHostFunction, RawResult } from './index.d.ts';
import { ReactorCalls } from './index.d.ts';

/** Options of ProcessReactor: checked as Reactor's are (a TypeError names a
 *  bad value or an unknown key). */
export interface ProcessReactorOptions {
  /** The guest, as a file path (the child reads it). Default: build/python-reactor.wasm of this repository. */
  wasm?: string;
  /** Directories the guest may use: guest path -> grant, as for Reactor
   *  (paths with ':' are refused: the child's --dir could not carry them). Default: none. */
  preopens?: Record<string, Preopen>;
  /** The guest's environment. Default: empty. */
  env?: Record<string, string>;
  /** A call running longer than this kills the child and rejects with type
   *  `Timeout`; the next child gets the registrations replayed. The child
   *  gets the limit too, and ends by itself past it (and when this process
   *  ends). Default: no limit. */
  timeoutMs?: number;
  /** Cap on the guest's linear memory, in MiB: MemoryError inside Python past it. */
  memoryMb?: number;
  /** Native stack of the child's worker thread, in MiB. */
  stackSizeMb?: number;
  /** The guest's stdout and stderr, together: this process's stderr
   *  ('inherit', the default: never this process's stdout), dropped, or
   *  each chunk of text to a function. */
  output?: 'inherit' | 'ignore' | ((text: string) => void);
  /** Keep a second child booted, so that a replacement is ready at once. Default true. */
  spare?: boolean;
  /** Host functions, as for Reactor: they run in this process; the child
   *  asks for each call on its stdout and gets the reply on its stdin
   *  (cli.mjs, "The child's protocol"). The time limit covers them (a
   *  pending one: Timeout, the child is replaced). */
  hostFunctions?: Record<string, HostFunction>;
  hostFunctionsRaw?: Record<string, RawHostFunction>;
}

/**
 * init, register*, unregister*, apply*, apply*Raw, run: from ReactorCalls,
 * with CallOptions as Reactor's: { output: true } gives the call's output
 * (the child keeps it apart and sends it with its answer; what it keeps
 * does not go to `output`). A PythonError of a child that was killed or
 * died during the call (a Timeout here, a Trap) has empty stdout/stderr
 * and `outputLost: true`: what it printed went with it.
 */
export class ProcessReactor extends ReactorCalls {
  /** Starts the child and waits until it answers. */
  static load(options?: ProcessReactorOptions): Promise<ProcessReactor>;
  constructor(options?: ProcessReactorOptions);
  /** How many times the child was replaced (after a timeout or its death). */
  rebuilds: number;
  /** The running child's process id, or undefined. */
  readonly pid: number | undefined;
  /** Any op; rejects with a PythonError of type 'Timeout', 'Trap' (the
   *  instance trapped, or the child died, during the call), 'InvalidResult'
   *  (the guest's record broke the contract: the child is replaced and the
   *  call, a registration too, is not replayed, as in the native host) or
   *  'HostError' (no new child could be set up). Names and payloads may be
   *  bytes that are not UTF-8: they reach the guest as they are. */
  call<O extends CallOptions | undefined = undefined>(op: Op, name?: GuestText, textOrArgs?: GuestText | Args, options?: O): Promise<Answer<RawResult, O>>;
  /** Waits for queued calls, then ends the child (and the spare). */
  close(): Promise<void>;
  /** Test hook: kills the child as if something outside had. */
  _killChild(): void;
}
