// JSON equality over values from parseExact (numbers as JsonNumber, objects
// as Maps), with Python's idea of number equality: integers compared as
// BigInt (exact at any size), floats as doubles (which Python floats are), and
// an integer equal to a float when the float is that integer exactly.

import { JsonNumber } from '../../hosts/js/json-text.mjs';

function numbersEqual(a, b) {
  if (a.isInteger && b.isInteger) return BigInt(a.text) === BigInt(b.text);
  if (!a.isInteger && !b.isInteger) return Number(a.text) === Number(b.text);
  const [integer, float] = a.isInteger ? [a, b] : [b, a];
  const value = Number(float.text);
  return Number.isInteger(value) && BigInt(value) === BigInt(integer.text);
}

export function jsonEqual(a, b) {
  if (a instanceof JsonNumber || b instanceof JsonNumber) {
    return a instanceof JsonNumber && b instanceof JsonNumber && numbersEqual(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (a instanceof Map || b instanceof Map) {
    return a instanceof Map && b instanceof Map && a.size === b.size &&
      [...a].every(([key, value]) => b.has(key) && jsonEqual(value, b.get(key)));
  }
  return a === b; // strings, booleans, null
}

/** JSON text of a parseExact value (numbers as written), for failure messages. */
export function showValue(value, limit = 300) {
  const text = toText(value);
  return text.length > limit ? `${text.slice(0, limit)}...` : text;
}

function toText(value) {
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(toText).join(',')}]`;
  if (value instanceof Map) {
    return `{${[...value].map(([k, v]) => `${JSON.stringify(k)}:${toText(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}
