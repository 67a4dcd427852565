// ffi.ts lays pyreactor_options out by hand: compared here with what a C
// compiler makes of include/pyreactor.h.

import assert from 'node:assert/strict';
import { LAYOUT } from '../../hosts/deno/ffi.ts';
import { ROOT } from './helpers.ts';

const FIELDS: Record<string, [string, string[]]> = {
  options: ['pyreactor_options', ['dirs', 'n_dirs', 'env', 'n_env', 'stdout_sink', 'stderr_sink', 'sink_user', 'stdin_data',
    'stdin_len', 'stack_size', 'memory_limit', 'timeout_ms', 'host_functions', 'n_host_functions', 'capture_output',
    'capture_limit', 'module_path']],
  dir: ['pyreactor_dir', ['host_path', 'guest_path', 'read_only']],
  host_function: ['pyreactor_host_function', ['name', 'fn', 'user']],
};

Deno.test('the struct layout in ffi.ts is the C compiler\'s', async () => {
  const dir = await Deno.makeTempDir({ prefix: 'deno-ffi-layout-' });
  try {
    const lines = Object.entries(FIELDS).flatMap(([key, [type, fields]]) => [
      `  printf("\\"${key}\\": {\\"size\\": %zu", sizeof(${type}));`,
      ...fields.map((f) => `  printf(", \\"${f}\\": %zu", offsetof(${type}, ${f}));`),
      `  printf("}%s", ${key === 'host_function' ? '"\\n"' : '", "'});`,
    ]);
    const source = `#include <stddef.h>\n#include <stdio.h>\n#include "pyreactor.h"\nint main(void) {\n  printf("{");\n${lines.join('\n')}\n  printf("}\\n");\n  return 0;\n}\n`;
    await Deno.writeTextFile(`${dir}/layout.c`, source.replace('"}\\n");\n  printf("}\\n")', '"}");\n  printf("}\\n")'));
    const cc = await new Deno.Command('cc', { args: ['-I', `${ROOT}include`, '-o', `${dir}/layout`, `${dir}/layout.c`], stderr: 'piped' }).output();
    assert.equal(cc.code, 0, new TextDecoder().decode(cc.stderr));
    const run = await new Deno.Command(`${dir}/layout`, { stdout: 'piped' }).output();
    const measured = JSON.parse(new TextDecoder().decode(run.stdout));
    assert.deepEqual(measured, JSON.parse(JSON.stringify(LAYOUT)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
