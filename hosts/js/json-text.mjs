// JSON helpers that never turn a number into a JavaScript number, so that
// integers above 2**53 keep every digit: the batch protocol passes args and
// results through as text, and the conformance runner compares numbers
// exactly. Both functions expect text that JSON.parse already accepted.

const TOKEN = new RegExp(
  String.raw`[ \t\n\r]*(?:("(?:[^"\\]|\\.)*")` + // 1: string
  String.raw`|(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)` + // 2: number
  String.raw`|(true|false|null)` + // 3: literal
  String.raw`|([{}[\]:,]))`, // 4: punctuation
  'y',
);

/** Yields {kind, text, start, end} for each token of valid JSON text. */
function* tokens(text) {
  let position = 0;
  while (position < text.length) {
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(text); // a failed sticky match resets lastIndex
    if (!match) {
      if (/^[ \t\n\r]*$/.test(text.slice(position))) return;
      throw new SyntaxError(`unexpected JSON text at ${position}`);
    }
    position = TOKEN.lastIndex;
    const kind = match[1] ? 'string' : match[2] ? 'number' : match[3] ? 'literal' : match[4];
    const tokenText = match[1] ?? match[2] ?? match[3] ?? match[4];
    yield { kind, text: tokenText, start: position - tokenText.length, end: position };
  }
}

/**
 * The members of a top-level JSON object as [{key, raw}], raw being the
 * member's value exactly as written. Later duplicates come later, as in
 * JSON.parse, where the last one wins.
 */
export function objectMembers(text) {
  const members = [];
  let depth = 0;
  let key = null;
  let valueStart = -1;
  let lastEnd = -1;
  for (const token of tokens(text)) {
    const opens = token.kind === '{' || token.kind === '[';
    const closes = token.kind === '}' || token.kind === ']';
    if (depth === 1 && (token.kind === ',' || closes)) {
      if (key !== null) members.push({ key, raw: text.slice(valueStart, lastEnd) });
      key = null;
    } else if (depth === 1 && key === null && token.kind === 'string') {
      key = JSON.parse(token.text);
      valueStart = -1;
    } else if (depth === 1 && token.kind === ':') {
      // the value starts at the next token
    } else if (depth >= 1 && valueStart === -1 && key !== null) {
      valueStart = token.start;
    }
    if (opens) depth++;
    if (closes) depth--;
    lastEnd = token.end;
  }
  return members;
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
  for (const token of tokens(text)) {
    const top = stack.at(-1);
    switch (token.kind) {
      case '{': stack.push({ container: new Map(), key: undefined }); break;
      case '[': stack.push({ container: [], key: undefined }); break;
      case '}': case ']': attach(stack.pop().container); break;
      case ':': case ',': break;
      case 'number': attach(new JsonNumber(token.text)); break;
      case 'literal': attach(JSON.parse(token.text)); break;
      case 'string': {
        const value = JSON.parse(token.text);
        if (top && top.container instanceof Map && top.key === undefined) top.key = value;
        else attach(value);
        break;
      }
      default: throw new SyntaxError(`unexpected token ${token.text}`);
    }
  }
  return result;
}
