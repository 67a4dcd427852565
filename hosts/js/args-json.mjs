// The args of applyLambda/applyDef as JSON text, refusing what the text
// cannot carry exactly. JSON.stringify changes such values silently: a
// Uint8Array becomes {"0": 1, ...}, a Map {}, undefined, a function, NaN and
// Infinity null, 2**60 the digits of another integer; a BigInt throws. Here
// they are a TypeError that says where the value is (`args[1].when: a Date
// cannot be sent as JSON`), and a BigInt is sent exactly, as a JSON integer.
//
// Sent: plain arrays (no holes), plain objects (prototype Object.prototype
// or null; their enumerable string keys, as JSON.stringify: symbol keys,
// non-enumerable properties and an array's named properties are not data
// and are left out, as there), strings, booleans, null, finite numbers,
// BigInts. An integer-valued number past 2**53 is written with all its
// digits (JSON.stringify gives 2**60 as 1152921504606847000, which Python
// reads as that other integer); -0 is written 0, as JSON.stringify does.
// Everything else is refused, objects with a toJSON method too (the method
// is a function: refused where it is).
//
// A short array of plain values (the usual args) is written in one pass.
// Anything else is checked in one pass that also says whether it holds
// anything JSON.stringify would not write exactly; if not, JSON.stringify
// writes the text, faster than doing it here. Values are read twice then:
// a getter that answers differently the second time is not caught.

/** The JSON text of `args`, an array (positional) or a plain object (keyword). */
export function argsText(args) {
  if (!isPlainArray(args) && !isPlainObject(args)) {
    throw new TypeError(`args: ${describe(args)} cannot be args (an array or a plain object)`);
  }
  return valueText(args, 'args');
}

/**
 * The JSON text of any value that JSON carries exactly, by the same rules
 * (a host function's reply, host-functions.mjs): a string, number, boolean,
 * null or BigInt on its own too. What cannot be sent is a TypeError whose
 * path starts with `root`: `value.when: a Date cannot be sent as JSON`.
 */
export function valueText(value, root = 'value') {
  // Most replies are one plain value.
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number' && Math.abs(value) <= MAX_EXACT) return JSON.stringify(value); // not NaN
  if (isPlainArray(value) && value.length <= SHORT) {
    const text = shortText(value);
    if (text !== null) return text;
  }
  let exact;
  try {
    if (isPlainArray(value)) exact = checkArray(value, null);
    else if (isPlainObject(value)) exact = checkObject(value, null);
    else if (typeof value === 'object' && value !== null) throw new Refusal(`${describe(value)} cannot be sent as JSON`);
    else exact = checkLeaf(value);
  } catch (error) {
    if (error instanceof Refusal) throw new TypeError(`${pathText(error.path, root)}: ${error.message}`);
    throw error;
  }
  return exact ? write(value) : JSON.stringify(value);
}

/** Arrays up to this long are written here when they hold only strings,
 *  booleans, null and numbers up to 2**53 (the usual args): [1, 2] takes
 *  ~40 ns so, against ~85 for JSON.stringify alone and ~150 for checking
 *  first. For long arrays of numbers JSON.stringify's own number
 *  formatting is faster (1000 floats: ~35 us, against ~120 here). */
const SHORT = 16;

/** The text of a short array of plain values, or null (anything else). */
function shortText(array) {
  let text = '[';
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (i > 0) text += ',';
    if (typeof item === 'string') text += JSON.stringify(item);
    else if (typeof item === 'number' && Math.abs(item) <= MAX_EXACT) text += item; // as JSON writes it; -0: 0
    else if (typeof item === 'boolean') text += item;
    else if (item === null) text += 'null';
    else return null; // NaN and big numbers too: the general path judges them
  }
  return `${text}]`;
}

/** What cannot be sent, and where: keys from the top down. */
class Refusal {
  constructor(message) {
    this.message = message;
    this.path = [];
  }
}

// Numbers past 2**53 are all integers, and JSON.stringify may write another
// integer's digits for them; from 1e21 on it writes an exponent, which Python
// reads as the same float.
const MAX_EXACT = 2 ** 53;
const LIMIT = 1e21;

const isPlainArray = (value) => Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// check*: true when the value needs write() instead of JSON.stringify; a
// Refusal when it cannot be sent. `ancestors` (made at the first nested
// container) holds the containers above, to find cycles.

function checkLeaf(value) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return false;
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal(`${value} cannot be sent as JSON`);
      return Math.abs(value) > MAX_EXACT && Math.abs(value) < LIMIT;
    case 'bigint':
      return true;
    case 'object':
      return false; // null: the callers check the other objects
    default:
      throw new Refusal(`${describe(value)} cannot be sent as JSON`);
  }
}

function checkArray(array, ancestors) {
  let exact = false;
  let i = 0;
  try {
    for (; i < array.length; i++) {
      const item = array[i];
      if (typeof item === 'number' && Math.abs(item) <= MAX_EXACT) continue; // the most common
      if (typeof item === 'object' && item !== null) {
        if (checkNested(item, array, ancestors)) exact = true;
      } else if (item === undefined && !(i in array)) {
        throw new Refusal('a hole of a sparse array cannot be sent as JSON');
      } else if (checkLeaf(item)) {
        exact = true;
      }
    }
  } catch (error) {
    throw inside(error, i);
  }
  return exact;
}

function checkObject(object, ancestors) {
  let exact = false;
  let key;
  try {
    // for-in (its keys are cached) rather than Object.keys: a plain object
    // inherits no enumerable key unless someone added one to
    // Object.prototype, which then is checked too.
    for (key in object) {
      const item = object[key];
      if (typeof item === 'object' && item !== null) {
        if (checkNested(item, object, ancestors)) exact = true;
      } else if (checkLeaf(item)) {
        exact = true;
      }
    }
  } catch (error) {
    throw inside(error, key);
  }
  return exact;
}

/** An object `item` inside `parent`; the caller adds its key to a Refusal's path. */
function checkNested(item, parent, ancestors) {
  const above = ancestors ?? [parent];
  if (above.includes(item)) throw new Refusal('a cycle cannot be sent as JSON');
  above.push(item);
  let exact;
  if (isPlainArray(item)) exact = checkArray(item, above);
  else if (isPlainObject(item)) exact = checkObject(item, above);
  else throw new Refusal(`${describe(item)} cannot be sent as JSON`);
  above.pop();
  return exact;
}

function inside(error, key) {
  if (error instanceof Refusal) error.path.unshift(key);
  return error;
}

/** JSON text of a checked value, numbers and BigInts exactly. */
function write(value) {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Math.abs(value) > MAX_EXACT && Math.abs(value) < LIMIT ? BigInt(value).toString() : JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
      return `{${Object.keys(value).map((key) => `${JSON.stringify(key)}:${write(value[key])}`).join(',')}}`;
    default:
      return JSON.stringify(value);
  }
}

/** `args[1].when`, `args["a b"][0]` (root 'args'). */
function pathText(path, root) {
  let text = root;
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) text += `.${key}`;
    else text += `[${JSON.stringify(key)}]`;
  }
  return text;
}

/** `undefined`, `a function`, `a Date`, `an Int8Array`, `a Point`. */
function describe(value) {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value !== 'object') return `a ${typeof value}`;
  let name;
  try {
    name = Object.getPrototypeOf(value)?.constructor?.name;
  } catch {
    // a proxy or an odd prototype: no name
  }
  if (typeof name !== 'string' || name === '') return 'an object of no plain kind';
  if (name === 'Object' || name === 'Array') return `an object whose prototype is not ${name}.prototype of this realm`;
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`;
}
