// The operations of the contract (ABI.md), shared by every part of the
// host: which export each one calls and what it takes.

/**
 * The guest's operations: which export each one calls and what it takes:
 * nothing, a name, a name and code, a name and args (apply: a callback
 * too), or code alone (run: a callback too).
 */
export const OPS = Object.freeze({
  init: 'none',
  register_lambda: 'code',
  register_def: 'code',
  register_module: 'code',
  unregister_lambda: 'name',
  unregister_def: 'name',
  unregister_module: 'name',
  apply_lambda: 'args',
  apply_def: 'args',
  run: 'cell',
  // An extension of ABI 2 (docs/packages.md): a name and the JSON object
  // {path: text} of a package's files; unregister_module removes it.
  register_package: 'files',
});
