// This host's release, as `cli.mjs --version` prints it with the ABI
// version: the same as package.json's "version" and the native host's
// PYREACTOR_VERSION (include/pyreactor.h); tests/js/cli.test.mjs checks both.
export const VERSION = '0.1.0';
