// The batch tools' `--host-function NAME=COMMAND` (ABI.md, "Batch
// protocol"): COMMAND split into words as a POSIX shell would, then run
// without a shell once per call, the call's args JSON text on its stdin;
// its stdout, a JSON value, is the reply. An exit status other than 0, or
// output that is not JSON, is an error reply of type HostError whose
// message is the start of its stderr.

import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { scanJson } from './json-text.mjs';

/** COMMAND is not one a shell would split into words without doing more. */
export class ShellSyntaxError extends Error {}

const BLANKS = ' \t\n';
// Unquoted, a shell takes these for an operator or an expansion. Run
// without a shell they would be plain characters: the command would do
// something else than the same text typed into a shell, so they are
// refused instead (quote them, or run `sh -c '...'`). Glob characters
// (* ? [) are kept as they are, as a shell does when nothing matches.
const SPECIAL = '|&;<>()$`';
// At the start of a word: a comment, a tilde expansion.
const SPECIAL_FIRST = '#~';
// In double quotes, a backslash escapes these only; before others it stays.
const ESCAPED_IN_DOUBLE = '$`"\\\n';

/**
 * Splits `text` into words as a POSIX shell does (XCU 2.2, "Quoting"):
 * blanks separate words; a backslash outside quotes keeps the next
 * character (a backslash-newline is removed); '...' keeps everything up to
 * the next '; "..." keeps everything but \$ \` \" \\ and backslash-newline,
 * which lose the backslash. Quotes join with what is around them
 * (a'b'"c" is one word abc), and '' is an empty word. No expansion of any
 * kind: a ShellSyntaxError for what would need one (see SPECIAL) and for
 * unterminated quotes.
 */
export function splitWords(text) {
  const words = [];
  let word = null; // null between words; '' is a word (from '' or "")
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (BLANKS.includes(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '\\') {
      if (i + 1 === text.length) throw new ShellSyntaxError('a backslash ends the command: it escapes nothing');
      const next = text[++i];
      if (next !== '\n') word = (word ?? '') + next;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError(`the ' at ${i} is never closed`);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const [part, end] = doubleQuoted(text, i);
      word = (word ?? '') + part;
      i = end;
    } else if (SPECIAL.includes(c) || (word === null && SPECIAL_FIRST.includes(c))) {
      throw new ShellSyntaxError(`${c} at ${i} would mean more than a character to a shell: quote it (or run sh -c '...')`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The text of the "..." that opens at `start`, and the index of its closing quote. */
function doubleQuoted(text, start) {
  let part = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') return [part, i];
    if (c === '\\' && i + 1 < text.length && ESCAPED_IN_DOUBLE.includes(text[i + 1])) {
      i++;
      if (text[i] !== '\n') part += text[i];
    } else if (c === '$' || c === '`') {
      throw new ShellSyntaxError(`${c} at ${i} would be an expansion in a shell, in double quotes too: escape it (\\${c}) or use single quotes`);
    } else {
      part += c;
    }
  }
  throw new ShellSyntaxError(`the " at ${start} is never closed`);
}

/** How much of a failed command's stderr its error message keeps. */
export const STDERR_START_BYTES = 4096;

/** A host error of the ABI (type HostError: host-functions.mjs's default). */
const failure = (message) => new Error(message);

const isDeno = typeof globalThis.Deno !== 'undefined';

/**
 * The command's environment: the host's PATH and nothing else (no variable
 * of the host reaches a command unless its command line sets it, e.g.
 * `env LANG=C.UTF-8 tool`). Under Deno only with --allow-env=PATH (it is
 * not asked for: no prompt in the middle of a call); without it, the
 * runtime's default path (/usr/local/bin, /usr/bin, /bin ...) finds the
 * command, as for an empty PATH.
 */
function commandEnv() {
  if (isDeno && globalThis.Deno.permissions.querySync({ name: 'env', variable: 'PATH' }).state !== 'granted') return {};
  const path = process.env.PATH;
  return path === undefined ? {} : { PATH: path };
}

/**
 * Under Deno, what keeps `argv` from running (a permission), said with the
 * flag to add; else null. Checked before the first call, so that a missing
 * permission is a usage error rather than an error reply to every call.
 */
export function denoCannotRun(argv) {
  if (!isDeno) return null;
  const { permissions } = globalThis.Deno;
  if (permissions.querySync({ name: 'run', command: argv[0] }).state !== 'granted') {
    return `Deno may not run ${argv[0]}: add its executable (its full path) to --allow-run`;
  }
  if (permissions.querySync({ name: 'env', variable: 'NODE_V8_COVERAGE' }).state !== 'granted') {
    return 'Deno\'s child_process reads NODE_V8_COVERAGE: add --allow-env=NODE_V8_COVERAGE';
  }
  return null;
}

/**
 * A raw host function (host-functions.mjs) that runs `argv` (argv[0] looked
 * up in PATH, no shell) for each call: the args text on its stdin, its
 * stdout the reply text. The process is killed (SIGKILL) when the caller
 * stops waiting (the call's time limit), so none outlives its call.
 */
export function commandHostFunction(argv) {
  const [file, ...args] = argv;
  const env = commandEnv();
  return (argsText, context) => new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env, signal: context.signal, killSignal: 'SIGKILL' });
    const out = [];
    const err = [];
    let errBytes = 0;
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => {
      if (errBytes < STDERR_START_BYTES) err.push(chunk);
      errBytes += chunk.length;
    });
    child.stdin.on('error', () => {}); // a command that does not read its stdin may close it
    child.on('error', (error) => reject(failure(`cannot run ${file}: ${error.message}`)));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).subarray(0, STDERR_START_BYTES).toString('utf8').trimEnd();
      if (code !== 0) {
        reject(failure(stderr || `${file} ended with ${signal ? `signal ${signal}` : `exit status ${code}`} and printed nothing to stderr`));
        return;
      }
      const text = Buffer.concat(out).toString('utf8');
      if (scanJson(text).error === undefined) resolve(text);
      else reject(failure(stderr || `${file} printed what is not a JSON value: ${JSON.stringify(text.slice(0, 200))}`));
    });
    child.stdin.end(argsText);
  });
}
