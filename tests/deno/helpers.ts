// Shared by tests/deno/*.test.ts: where the library and the launcher are,
// and a reactor that every test closes.

import { Reactor, type ReactorOptions } from '../../hosts/deno/mod.ts';

const root = new URL('../../', import.meta.url).pathname;

/** The library under test: $PYREACTOR_LIB (run.sh sets it), else the build's. */
export const LIB = Deno.env.get('PYREACTOR_LIB') || `${root}build/libpyreactor.so`;
/** The batch launcher under test: $PYREACTOR_DENO, else build/pyreactor-deno. */
export const LAUNCHER = Deno.env.get('PYREACTOR_DENO') || `${root}build/pyreactor-deno`;
export const ROOT = root;

/** Runs `fn` with a reactor of `options` (libPath: LIB), closed afterwards. */
export async function withReactor<T>(options: ReactorOptions, fn: (r: Reactor) => Promise<T>): Promise<T> {
  const r = await Reactor.load({ libPath: LIB, ...options });
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

/** Runs the launcher with `args` and `input`: its exit code, stdout and stderr as text. */
export async function launch(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(LAUNCHER, { args, stdin: 'piped', stdout: 'piped', stderr: 'piped' }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** The lines of a batch run's stdout, parsed. */
export const resultLines = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line));

/** The error `promise` rejects with (a failure if it resolves), checked to be a `Class`. */
export async function rejection<E>(promise: Promise<unknown>, Class: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Class)) throw new Error(`expected a ${Class.name}, got ${error}`);
    return error;
  }
  throw new Error(`expected a rejection with a ${Class.name}, but the promise resolved`);
}

/** Runs a TypeScript `source` in a child Deno (FFI and read allowed; `MOD` in
 *  it is replaced by the host's mod.ts URL, `LIB` by the library's path as
 *  a string literal), killed after `limitMs`: its exit code and output. */
export async function runScript(source: string, limitMs = 20000): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = await Deno.makeTempFile({ suffix: '.ts' });
  try {
    await Deno.writeTextFile(script, source.replaceAll('MOD', `${ROOT}hosts/deno/mod.ts`).replaceAll('LIB', JSON.stringify(LIB)));
    const child = new Deno.Command(Deno.execPath(), {
      args: ['run', '--no-config', '--allow-ffi', '--allow-read', script], stdout: 'piped', stderr: 'piped',
    }).spawn();
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    const { code, stdout, stderr } = await child.output();
    clearTimeout(timer);
    return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(script);
  }
}
