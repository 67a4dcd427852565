// JSON helpers that never turn a number into a JavaScript number, so that
// integers above 2**53 keep every digit: the batch protocol passes args and
// results through as text, and the conformance runner compares numbers
// exactly.
//
// One hand-written scanner, index by index, for text (a string: UTF-16
// units) and for bytes (a Uint8Array: the raw bytes of a request line, as
// the batch CLI reads them). JSON's structure is ASCII, so both are scanned
// alike; inside strings any unit >= 0x20 passes (bytes that are not UTF-8
// too: the guest judges those). Linear and without recursion: the regex it
// replaces, /"(?:[^"\\]|\\.)*"/, backtracked by recursion and overflowed
// V8's stack on an 8 MiB string.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ESCAPED = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));
const LITERALS = ['true', 'false', 'null'];
const PUNCTUATION = new Set([...'{}[]:,'].map((c) => c.charCodeAt(0)));

const isSpace = (c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c) => c >= 0x30 && c <= 0x39;
const isHex = (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** The code unit at `i` of a string, or the byte at `i` of a Uint8Array;
 *  NaN past the end. */
const unitAt = (source, i) => (typeof source === 'string' ? source.charCodeAt(i) : source[i] ?? NaN);

/** At `i`, after a backslash: the index after the escape, or -1. */
function escapeEnd(source, i) {
  const e = unitAt(source, i++);
  if (e !== 0x75) return ESCAPED.has(e) ? i : -1;
  for (let k = 0; k < 4; k++) if (!isHex(unitAt(source, i++))) return -1; // \uXXXX
  return i;
}

// Where a string's plain run stops: its end, an escape, or a control
// character (not allowed). A class, not a pattern that backtracks: V8 finds
// it ten times as fast as a loop over charCodeAt.
const STRING_STOP = /["\\\x00-\x1f]/g;

/** After the opening quote at `start`: the index after the closing one, or -1. */
function stringEnd(source, start) {
  return typeof source === 'string' ? textStringEnd(source, start) : bytesStringEnd(source, start);
}

function textStringEnd(text, start) {
  for (let i = start + 1; ;) {
    STRING_STOP.lastIndex = i;
    const stop = STRING_STOP.exec(text);
    if (stop === null) return -1;
    const c = text.charCodeAt(stop.index);
    if (c === QUOTE) return stop.index + 1;
    if (c < 0x20 || (i = escapeEnd(text, stop.index + 1)) < 0) return -1;
  }
}

function bytesStringEnd(bytes, start) {
  const n = bytes.length;
  for (let i = start + 1; i < n;) {
    const c = bytes[i++];
    if (c === QUOTE) return i;
    if (c < 0x20) return -1;
    if (c === BACKSLASH && (i = escapeEnd(bytes, i)) < 0) return -1;
  }
  return -1;
}

function digitsEnd(source, i) {
  const start = i;
  while (isDigit(unitAt(source, i))) i++;
  return i > start ? i : -1;
}

/** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? from `i`: its end or -1. */
function numberEnd(source, i) {
  if (unitAt(source, i) === 0x2d) i++;
  if (unitAt(source, i) === 0x30) i++;
  else if ((i = digitsEnd(source, i)) < 0) return -1;
  if (unitAt(source, i) === 0x2e && (i = digitsEnd(source, i + 1)) < 0) return -1;
  const e = unitAt(source, i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = unitAt(source, i);
    if (sign === 0x2b || sign === 0x2d) i++;
    i = digitsEnd(source, i);
  }
  return i;
}

function literalEnd(source, i) {
  for (const word of LITERALS) {
    let k = 0;
    while (k < word.length && unitAt(source, i + k) === word.charCodeAt(k)) k++;
    if (k === word.length) return i + k;
  }
  return -1;
}

/**
 * Tokens of JSON text, one next() at a time: `kind` is one of { } [ ] : ,
 * (the character), 'string', 'number', 'literal', 'end', or 'bad' (no token
 * can start at `start`); `start` and `end` delimit it, whitespace skipped.
 */
class Lexer {
  constructor(source) {
    this.source = source;
    this.position = 0;
    this.kind = '';
    this.start = 0;
    this.end = 0;
  }

  next() {
    const { source } = this;
    let i = this.position;
    while (isSpace(unitAt(source, i))) i++;
    this.start = i;
    const c = unitAt(source, i);
    let kind;
    let end;
    if (i >= source.length) {
      kind = 'end';
      end = i;
    } else if (PUNCTUATION.has(c)) {
      kind = String.fromCharCode(c);
      end = i + 1;
    } else if (c === QUOTE) {
      kind = 'string';
      end = stringEnd(source, i);
    } else if (c === 0x2d || isDigit(c)) {
      kind = 'number';
      end = numberEnd(source, i);
    } else {
      kind = 'literal';
      end = literalEnd(source, i);
    }
    if (end < 0) {
      kind = 'bad';
      end = i;
    }
    this.kind = kind;
    this.end = end;
    this.position = end;
    return this.kind;
  }
}

const SCALARS = new Set(['string', 'number', 'literal']);
const CLOSES = { o: '}', a: ']' };
// What the scanner expects next.
const VALUE = 0;
const FIRST_ITEM = 1; // after "[": "]" or a value
const FIRST_KEY = 2; // after "{": "}" or a key
const KEY = 3;
const COLON = 4;
const AFTER = 5; // after a value: "," or the container's close (or the end)

/**
 * Checks that `source` (a string or a Uint8Array) is exactly one JSON value
 * with optional whitespace around it. Returns {error: at}, `at` being where
 * it stops being JSON: the start of the token that does not fit there (the
 * key's start when a key lacks its ":"), as the native host's json_reader.c
 * reports it, so that both hosts answer a bad line alike. Else {start, end}
 * of the value and `members`: for a top-level object, [{keyStart, keyEnd,
 * valueStart, valueEnd}] of each member in order (a key's span includes its
 * quotes), else null.
 */
export function scanJson(source) {
  const lex = new Lexer(source);
  const stack = []; // 'o' | 'a' of each open container
  const members = [];
  let member = null; // of the top-level object, while it is read
  let keyStart = -1;
  let state = VALUE;
  const inTopObject = () => stack.length === 1 && stack[0] === 'o';
  const valueDone = () => {
    state = AFTER;
    if (member && inTopObject()) {
      member.valueEnd = lex.end;
      members.push(member);
      member = null;
    }
  };
  const start = (lex.next(), lex.start);
  for (let first = true; ; first = false) {
    const kind = first ? lex.kind : lex.next();
    const at = lex.start;
    if (state === FIRST_ITEM || state === FIRST_KEY) {
      if (kind === (state === FIRST_ITEM ? ']' : '}')) {
        stack.pop();
        valueDone();
        continue;
      }
      state = state === FIRST_ITEM ? VALUE : KEY;
    }
    if (state === KEY) {
      if (kind !== 'string') return { error: at };
      keyStart = at;
      if (inTopObject()) member = { keyStart: at, keyEnd: lex.end, valueStart: -1, valueEnd: -1 };
      state = COLON;
    } else if (state === COLON) {
      if (kind !== ':') return { error: keyStart };
      state = VALUE;
    } else if (state === VALUE) {
      if (member && inTopObject()) member.valueStart = at;
      if (kind === '{' || kind === '[') {
        stack.push(kind === '{' ? 'o' : 'a');
        state = kind === '{' ? FIRST_KEY : FIRST_ITEM;
      } else if (SCALARS.has(kind)) {
        valueDone();
      } else {
        return { error: at };
      }
    } else if (stack.length === 0) { // AFTER the top-level value
      if (kind !== 'end') return { error: at };
      return { start, end: lex.end, members: unitAt(source, start) === 0x7b ? members : null };
    } else if (kind === ',') {
      state = stack.at(-1) === 'o' ? KEY : VALUE;
    } else if (kind === CLOSES[stack.at(-1)]) {
      stack.pop();
      valueDone();
    } else {
      return { error: at };
    }
  }
}

/**
 * The members of a top-level JSON object as [{key, raw}], raw being the
 * member's value exactly as written. Later duplicates come later, as in
 * JSON.parse, where the last one wins. Not an object: []. Not JSON: throws.
 */
export function objectMembers(text) {
  const scanned = scanJson(text);
  if (scanned.error !== undefined) throw new SyntaxError(`not valid JSON at ${scanned.error}`);
  return (scanned.members ?? []).map((m) => ({
    key: JSON.parse(text.slice(m.keyStart, m.keyEnd)),
    raw: text.slice(m.valueStart, m.valueEnd),
  }));
}

/** The raw text of the last member named `key`, or undefined. */
export function memberText(text, key) {
  let raw;
  for (const member of objectMembers(text)) if (member.key === key) raw = member.raw;
  return raw;
}

/** A JSON number kept as its text. */
export class JsonNumber {
  constructor(text) {
    this.text = text;
  }

  get isInteger() {
    return !/[.eE]/.test(this.text);
  }
}

/**
 * Parses JSON text like JSON.parse, except that numbers become JsonNumber
 * and objects become Maps (so that "__proto__" is an ordinary key).
 * Iterative, so deep nesting is no problem.
 */
export function parseExact(text) {
  const stack = []; // {container, key}
  let result;
  const attach = (value) => {
    const top = stack.at(-1);
    if (!top) result = value;
    else if (Array.isArray(top.container)) top.container.push(value);
    else {
      top.container.set(top.key, value);
      top.key = undefined;
    }
  };
  const lex = new Lexer(text);
  for (let kind = lex.next(); kind !== 'end'; kind = lex.next()) {
    const top = stack.at(-1);
    const token = text.slice(lex.start, lex.end);
    switch (kind) {
      case '{': stack.push({ container: new Map(), key: undefined }); break;
      case '[': stack.push({ container: [], key: undefined }); break;
      case '}': case ']': attach(stack.pop().container); break;
      case ':': case ',': break;
      case 'number': attach(new JsonNumber(token)); break;
      case 'literal': attach(JSON.parse(token)); break;
      case 'string': {
        const value = JSON.parse(token);
        if (top && top.container instanceof Map && top.key === undefined) top.key = value;
        else attach(value);
        break;
      }
      default: throw new SyntaxError(`unexpected JSON text at ${lex.start}`);
    }
  }
  return result;
}

// Sixteen digits in a row: the text may hold an integer past 2**53 (or
// just a long fraction or a string of digits: then the slow path only
// costs time).
const LONG_DIGITS = /[0-9]{16}/;

/**
 * JSON.parse, except that an integer outside the safe range (|n| >= 2**53,
 * where a number can no longer tell it from its neighbours) becomes a
 * BigInt, so that it reaches the caller exactly. An object key "__proto__"
 * is an own property, as JSON.parse makes it.
 */
export function parseWithBigInts(text) {
  if (text === '[]') return []; // no args: the most common host call
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  JSON.parse(text); // the same SyntaxError as JSON.parse for what is not JSON
  return plainValue(parseExact(text));
}

function plainValue(value) {
  if (value instanceof JsonNumber) {
    const n = Number(value.text);
    return value.isInteger && !Number.isSafeInteger(n) ? BigInt(value.text) : n;
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value instanceof Map) {
    const object = {};
    for (const [key, item] of value) {
      Object.defineProperty(object, key, { value: plainValue(item), writable: true, enumerable: true, configurable: true });
    }
    return object;
  }
  return value;
}

const SIMPLE_ESCAPES = { 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 }; // b f n r t

const hex4 = (bytes, i) => Number.parseInt(String.fromCharCode(bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]), 16);

/** Writes code point `cp` as UTF-8 at out[n]; returns the new n. */
function putUtf8(out, n, cp) {
  if (cp < 0x80) {
    out[n++] = cp;
  } else if (cp < 0x800) {
    out[n++] = 0xc0 | (cp >> 6);
    out[n++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[n++] = 0xe0 | (cp >> 12);
    out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    out[n++] = 0x80 | (cp & 0x3f);
  } else {
    out[n++] = 0xf0 | (cp >> 18);
    out[n++] = 0x80 | ((cp >> 12) & 0x3f);
    out[n++] = 0x80 | ((cp >> 6) & 0x3f);
    out[n++] = 0x80 | (cp & 0x3f);
  }
  return n;
}

/** At bytes[i] "\uXXXX", maybe "\uXXXX" after it: [code point, bytes read].
 *  A surrogate that is not half of a pair is U+FFFD, as TextEncoder makes it
 *  (and json_reader.c). */
function unicodeEscape(bytes, i, end) {
  let cp = hex4(bytes, i + 2);
  if (cp >= 0xd800 && cp <= 0xdbff && i + 12 <= end && bytes[i + 6] === BACKSLASH && bytes[i + 7] === 0x75) {
    const low = hex4(bytes, i + 8);
    if (low >= 0xdc00 && low <= 0xdfff) return [0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00), 12];
  }
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  return [cp, 6];
}

/**
 * The bytes that the JSON string token bytes[start, end) (quotes included,
 * already scanned) stands for: escapes decoded to UTF-8, every other byte as
 * it is, valid UTF-8 or not.
 */
export function stringBytes(bytes, start, end) {
  const last = end - 1; // the closing quote
  const out = new Uint8Array(last - start - 1); // escapes never grow
  let n = 0;
  for (let i = start + 1; i < last;) {
    const found = bytes.subarray(i, last).indexOf(BACKSLASH);
    const stop = found < 0 ? last : i + found;
    out.set(bytes.subarray(i, stop), n);
    n += stop - i;
    if (stop === last) break;
    const escape = bytes[stop + 1];
    if (escape === 0x75) {
      const [cp, length] = unicodeEscape(bytes, stop, last);
      n = putUtf8(out, n, cp);
      i = stop + length;
    } else {
      out[n++] = SIMPLE_ESCAPES[escape] ?? escape; // " \ / stand for themselves
      i = stop + 2;
    }
  }
  return out.subarray(0, n);
}
