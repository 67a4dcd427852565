#!/usr/bin/env node
// A tour of the JavaScript host: a lambda, a def, two modules (one importing
// the other), the results, and an error. `node hosts/js/demo.mjs [WASM]`.

import process from 'node:process';
import { Reactor, PythonError } from './reactor.mjs';

const wasm = process.argv[2]; // default: build/python-reactor.wasm
const show = (label, value) => console.log(`${label.padEnd(34)} -> ${JSON.stringify(value)}`);

const reactor = await Reactor.load({ wasm, stdout: (bytes) => process.stdout.write(`  [python says] ${new TextDecoder().decode(bytes)}`) });
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

  try {
    await reactor.applyLambda('greet', []);
  } catch (error) {
    if (!(error instanceof PythonError)) throw error;
    show('lambda greet() (missing argument)', { type: error.type, message: error.message });
  }
} finally {
  await reactor.close();
}
