#!/usr/bin/env node
// A tour of the JavaScript host: a lambda, a def, two modules (one importing
// the other), the results, an error, and a def that calls host functions
// of this process. `node hosts/js/demo.mjs [WASM]`.

import process from 'node:process';
import { Reactor, PythonError } from './reactor.mjs';

const wasm = process.argv[2]; // default: build/python-reactor.wasm
const show = (label, value) => console.log(`${label.padEnd(34)} -> ${JSON.stringify(value)}`);

// Host functions: Python calls them as reactor.host.NAME(...). `price` is a
// look-up table; `stock` is async, as a query to a database or a service
// would be (here a timer stands in for the round trip), and the guest waits
// for it inside the call.
const prices = new Map([['apple', 0.5], ['pear', 0.75]]);
const shelves = new Map([['apple', 12], ['pear', 0]]);
const hostFunctions = {
  price([item]) {
    if (!prices.has(item)) throw Object.assign(new Error(`no price for ${item}`), { type: 'NotFound' });
    return prices.get(item);
  },
  async stock({ item }) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { item, count: shelves.get(item) ?? 0 };
  },
};

const reactor = await Reactor.load({
  wasm,
  hostFunctions,
  stdout: (bytes) => process.stdout.write(`  [python says] ${new TextDecoder().decode(bytes)}`),
});
try {
  await reactor.init();

  await reactor.registerLambda('greet', 'lambda name: f"hello {name}"');
  show('lambda greet("wasm")', await reactor.applyLambda('greet', ['wasm']));

  await reactor.registerDef('stats', [
    'import statistics',
    '',
    'def stats(xs, *, digits=2):',
    '    print(f"computing stats of {len(xs)} numbers")',
    '    return {"mean": round(statistics.mean(xs), digits), "max": max(xs)}',
  ].join('\n'));
  show('def stats([3, 1, 4, 1, 5], digits=1)', await reactor.applyDef('stats', { xs: [3, 1, 4, 1, 5], digits: 1 }));

  await reactor.registerModule('geometry', 'import math\n\ndef circle_area(r):\n    return math.pi * r * r\n');
  await reactor.registerModule('shapes', [
    'from geometry import circle_area',
    '',
    'def describe(r):',
    '    return f"a circle of radius {r} has area {circle_area(r):.2f}"',
  ].join('\n'));
  show('def shapes.describe(2)', await reactor.applyDef('shapes.describe', [2]));

  // Integers beyond 2**53 survive on the raw path, as JSON text.
  await reactor.registerLambda('factorial', 'lambda n: __import__("math").factorial(n)');
  show('raw factorial(25)', await reactor.applyLambdaRaw('factorial', '[25]'));

  await reactor.registerDef('quote', [
    'import reactor',
    '',
    'def quote(item, n):',
    '    try:',
    '        unit = reactor.host.price(item)',
    '    except reactor.HostError as e:',
    '        return {"error": e.type, "message": e.message}',
    '    left = reactor.host.stock(item=item)["count"]',
    '    return {"item": item, "total": unit * n, "in_stock": left >= n}',
  ].join('\n'));
  show('def quote("apple", 4)', await reactor.applyDef('quote', ['apple', 4]));
  show('def quote("plum", 1)', await reactor.applyDef('quote', ['plum', 1]));

  try {
    await reactor.applyLambda('greet', []);
  } catch (error) {
    if (!(error instanceof PythonError)) throw error;
    show('lambda greet() (missing argument)', { type: error.type, message: error.message });
  }
} finally {
  await reactor.close();
}
