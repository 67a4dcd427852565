// The guest runs apply_* one of two ways (guest/reactor_apply.c): in C when
// the name is registered as it is and the args text is one JSON array, and
// through _reactor._apply otherwise. Users must not be able to tell which,
// except by looking at the frames below their own (the C path has no
// _apply frame, so recursion also gets one frame deeper). Each case here runs both
// ways on one instance, the args once as they are and once with a space in
// front (which only _apply accepts), and the results must be the same text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Guest } from '../../hosts/js/guest.mjs';
import { wasmModule } from './helpers.mjs';

const CODE = `
import sys

def echo(*args, **kwargs):
    return [args, kwargs]

def one(x):
    return x

def fail(message):
    raise ValueError(message)

def chained():
    try:
        {}["missing"]
    except KeyError as exc:
        raise RuntimeError("while looking up") from exc

def interrupt():
    raise KeyboardInterrupt("stop")

def leave(code):
    sys.exit(code)

def deep(n):
    return deep(n + 1)

def circular():
    a = []
    a.append(a)
    return a

def surrogate():
    return "a\\ud800b"

def nan():
    return [float("nan")]

def opaque():
    return object()

def tuple_keys():
    return {(1, 2): 3}

def printed(text):
    print(text, end="")
    print(text, file=sys.stderr)
    return len(text)

def caller_frame():
    return sys._getframe().f_back is None
`;

const CASES = [
  ['echo', '[]'],
  ['echo', '[1, "two", [3.5, null, true], {"k": "v"}]'],
  ['echo', '["üñï", "\\u2028", "😀"]'],
  ['one', '[123456789012345678901234567890]'],
  ['one', '[NaN]'],
  ['one', '[]'],
  ['one', '[1, 2]'],
  ['fail', '["bad value"]'],
  ['fail', '["bad \\udc80 value"]'],
  ['chained', '[]'],
  ['interrupt', '[]'],
  ['leave', '[3]'],
  ['circular', '[]'],
  ['surrogate', '[]'],
  ['nan', '[]'],
  ['opaque', '[]'],
  ['tuple_keys', '[]'],
  ['printed', '["out"]'],
];

async function guestWithDefs() {
  const output = [];
  const guest = await Guest.create(await wasmModule(), {
    stdout: (bytes) => output.push(['out', new TextDecoder().decode(bytes)]),
    stderr: (bytes) => output.push(['err', new TextDecoder().decode(bytes)]),
  });
  assert.equal(guest.call('register_module', 'm', CODE).tag, 'ok');
  for (const name of new Set([...CASES.map(([n]) => n), 'caller_frame', 'deep'])) {
    const r = guest.call('register_def', name, `from m import ${name}\n`);
    assert.equal(r.tag, 'ok', r.text);
  }
  return { guest, output };
}

test('the C path is the one taken for a plain array, _apply for padded args', async () => {
  const { guest } = await guestWithDefs();
  assert.deepEqual(guest.call('apply_def', 'caller_frame', '[]'), { tag: 'ok', text: 'true' });
  assert.deepEqual(guest.call('apply_def', 'caller_frame', ' []'), { tag: 'ok', text: 'false' });
  assert.deepEqual(guest.call('apply_def', 'caller_frame', '{}'), { tag: 'ok', text: 'false' });
});

test('both paths give the same text for results and errors', async () => {
  const { guest, output } = await guestWithDefs();
  for (const [name, args] of CASES) {
    output.length = 0;
    const fast = guest.call('apply_def', name, args);
    const fastOutput = output.splice(0);
    const slow = guest.call('apply_def', name, ` ${args}`);
    assert.deepEqual(fast, slow, `${name} ${args}`);
    assert.deepEqual(fastOutput, output, `${name} ${args}: output`);
  }
});

test('recursion: the C path allows one frame more (the one of _apply), with the same error', async () => {
  const { guest } = await guestWithDefs();
  const frames = (result) => {
    const err = JSON.parse(result.text);
    assert.equal(err.type, 'RecursionError');
    assert.equal(err.message, 'maximum recursion depth exceeded');
    return Number(/repeated (\d+) more times/.exec(err.traceback)[1]);
  };
  assert.equal(frames(guest.call('apply_def', 'deep', '[0]')), frames(guest.call('apply_def', 'deep', ' [0]')) + 1);
});

test('errors of the C path carry the user frames and type of the error', async () => {
  const { guest } = await guestWithDefs();
  const err = JSON.parse(guest.call('apply_def', 'chained', '[]').text);
  assert.equal(err.type, 'RuntimeError');
  assert.match(err.traceback, /KeyError: 'missing'/);
  assert.match(err.traceback, /in chained/);
  assert.doesNotMatch(err.traceback, /_reactor/);
  const encode = JSON.parse(guest.call('apply_def', 'surrogate', '[]').text);
  assert.equal(encode.type, 'EncodeError');
  // The failed encode left no marker behind: the next encode of a list works.
  assert.deepEqual(guest.call('apply_def', 'echo', '[[1]]'), { tag: 'ok', text: '[[[1]],{}]' });
  const circular = JSON.parse(guest.call('apply_def', 'circular', '[]').text);
  assert.equal(circular.type, 'EncodeError');
  assert.deepEqual(guest.call('apply_def', 'echo', '[[1]]'), { tag: 'ok', text: '[[[1]],{}]' });
});

test('a def unregistered by its own call finishes on the C path', async () => {
  const guest = await Guest.create(await wasmModule(), { stdout: 'ignore', stderr: 'ignore' });
  const code = 'import _reactor\n\ndef once():\n    del _reactor._defs["once"]\n    return "done"\n';
  assert.equal(guest.call('register_def', 'once', code).tag, 'ok');
  assert.deepEqual(guest.call('apply_def', 'once', '[]'), { tag: 'ok', text: '"done"' });
  assert.equal(JSON.parse(guest.call('apply_def', 'once', '[]').text).type, 'NotRegistered');
});
