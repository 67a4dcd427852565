// Tests of the exact-number JSON helpers used by the CLI and the vector runner.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectMembers, memberText, parseExact, JsonNumber, scanJson, stringBytes } from '../../hosts/js/json-text.mjs';
import { jsonEqual, showValue } from './json-equal.mjs';
import { check } from './run-vectors.mjs';

test('objectMembers gives every top-level member as written', () => {
  const text = ' { "op" : "apply", "args":[18446744073709551617, {"a": "}]"}], "n":null,"args" : {"x": -1.50e+3} } ';
  assert.deepEqual(objectMembers(text), [
    { key: 'op', raw: '"apply"' },
    { key: 'args', raw: '[18446744073709551617, {"a": "}]"}]' },
    { key: 'n', raw: 'null' },
    { key: 'args', raw: '{"x": -1.50e+3}' },
  ]);
  assert.equal(memberText(text, 'args'), '{"x": -1.50e+3}', 'the last duplicate wins, as in JSON.parse');
  assert.equal(memberText(text, 'missing'), undefined);
  assert.deepEqual(objectMembers('{"k\\"ey": "v\\\\", "e": {}}'), [{ key: 'k"ey', raw: '"v\\\\"' }, { key: 'e', raw: '{}' }]);
});

test('parseExact keeps numbers as text and objects as Maps', () => {
  const value = parseExact('{"__proto__": [1, 2.50, -3e2, true, null, "s"], "big": 18446744073709551616}');
  assert.ok(value instanceof Map);
  assert.deepEqual([...value.keys()], ['__proto__', 'big']);
  assert.deepEqual(value.get('__proto__').map((v) => (v instanceof JsonNumber ? v.text : v)), ['1', '2.50', '-3e2', true, null, 's']);
  assert.equal(value.get('big').text, '18446744073709551616');
  const deep = parseExact('['.repeat(100000) + ']'.repeat(100000));
  assert.ok(Array.isArray(deep));
});

test('jsonEqual compares numbers exactly, the way Python would', () => {
  const eq = (a, b) => jsonEqual(parseExact(a), parseExact(b));
  assert.ok(eq('18446744073709551616', '18446744073709551616'));
  assert.ok(!eq('18446744073709551616', '18446744073709551617'));
  assert.ok(!eq('9007199254740993', '9007199254740992'));
  assert.ok(eq('3', '3.0'));
  assert.ok(eq('1e300', '1e+300'));
  assert.ok(eq('0.1', '0.10'));
  assert.ok(!eq('0.1', '0.2'));
  assert.ok(eq('18446744073709551616', '1.8446744073709552e19'), '2**64 is exactly that double');
  assert.ok(!eq('18446744073709551617', '1.8446744073709552e19'));
  assert.ok(!eq('1', 'true'));
  assert.ok(!eq('null', '0'));
  assert.ok(!eq('"1"', '1'));
  assert.ok(eq('{"a": [1, {"b": 2}], "c": "x"}', '{"c": "x", "a": [1.0, {"b": 2}]}'));
  assert.ok(!eq('{"a": 1}', '{"a": 1, "b": 2}'));
  assert.ok(!eq('[1, 2]', '[2, 1]'));
  assert.equal(showValue(parseExact('{"a": [18446744073709551616, "x"]}')), '{"a":[18446744073709551616,"x"]}');
});

test('the vector check reads tags, values, error types and messages', () => {
  const expect = (text) => parseExact(text);
  assert.equal(check('{"tag":"ok","value":18446744073709551616}', expect('{"tag": "ok", "value": 18446744073709551616}')), null);
  assert.match(check('{"tag":"ok","value":18446744073709551617}', expect('{"tag": "ok", "value": 18446744073709551616}')), /expected value/);
  assert.equal(check('{"tag":"ok","value":[1]}', expect('{"tag": "ok"}')), null);
  assert.match(check('{"tag":"err","error":{"type":"X","message":"m"}}', expect('{"tag": "ok"}')), /expected tag ok/);
  const err = '{"tag":"err","error":{"type":"RecursionError","message":"maximum recursion depth exceeded"}}';
  assert.equal(check(err, expect('{"tag": "err", "type": ["MemoryError", "RecursionError"]}')), null);
  assert.equal(check(err, expect('{"tag": "err", "message_contains": "recursion depth"}')), null);
  assert.match(check(err, expect('{"tag": "err", "type": "MemoryError"}')), /expected error type MemoryError/);
  assert.match(check(err, expect('{"tag": "err", "message_contains": "stack"}')), /expected message containing/);
  assert.match(check('not json', expect('{"tag": "err"}')), /not valid JSON/);
});

test('strings of 8 and 64 MiB: members, exact parsing (a regex overflowed the stack at 8 MiB)', () => {
  for (const mib of [8, 64]) {
    const s = 'x'.repeat(mib * 2 ** 20 - 2) + '\\"';
    const text = `{"op": "apply_def", "args": ["${s}", 18446744073709551617]}`;
    const args = memberText(text, 'args');
    assert.equal(args.length, s.length + 26);
    const parsed = parseExact(args);
    assert.equal(parsed[0].length, s.length - 1);
    assert.equal(parsed[1].text, '18446744073709551617');
    assert.equal(scanJson(new TextEncoder().encode(text)).members.length, 2);
  }
});

test('scanJson says where text stops being JSON, at the byte json_reader.c names', () => {
  const at = (text) => scanJson(new TextEncoder().encode(text)).error;
  assert.equal(at('{"op": "init"}'), undefined);
  assert.equal(at('this is not json'), 0);
  assert.equal(at('{"op": "init"'), 13, 'the end');
  assert.equal(at('{"a" 1}'), 1, 'a key without its ":": the key');
  assert.equal(at('{"a": 1,}'), 8);
  assert.equal(at('[1, 2] x'), 7);
  assert.equal(at('[01]'), 2);
  assert.equal(at('["\x01"]'), 1, 'a control character in a string: the string');
  assert.equal(at('["\\x"]'), 1, 'a bad escape: the string');
  assert.equal(at('{"a": [1}'), 8);
  assert.equal(at('  '), 2);
  // Bytes that are not UTF-8 are judged by the guest, not here.
  assert.deepEqual(scanJson(new Uint8Array([0x22, 0xff, 0xc3, 0x22])).members, null);
  assert.equal(scanJson(new Uint8Array([0xff])).error, 0);
  const text = '{"a": {"b": [1, "}"]}, "c" : "d" }';
  assert.deepEqual(scanJson(text).members.map((m) => [text.slice(m.keyStart, m.keyEnd), text.slice(m.valueStart, m.valueEnd)]),
    [['"a"', '{"b": [1, "}"]}'], ['"c"', '"d"']]);
});

test('stringBytes decodes escapes to UTF-8 and keeps every other byte', () => {
  const bytes = (text) => [...stringBytes(new TextEncoder().encode(text), 0, new TextEncoder().encode(text).length)];
  assert.deepEqual(bytes('"a\\n\\"\\\\\\/\\b\\f\\r\\t"'), [0x61, 0x0a, 0x22, 0x5c, 0x2f, 0x08, 0x0c, 0x0d, 0x09]);
  assert.deepEqual(bytes('"\\u00e9\\ud83d\\ude00"'), [0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]);
  assert.deepEqual(bytes('"\\ud800x\\udc00"'), [0xef, 0xbf, 0xbd, 0x78, 0xef, 0xbf, 0xbd], 'a lone surrogate is U+FFFD, as TextEncoder makes it');
  assert.deepEqual([...stringBytes(new Uint8Array([0x22, 0xff, 0x5c, 0x6e, 0xc3, 0x22]), 0, 6)], [0xff, 0x0a, 0xc3]);
});
