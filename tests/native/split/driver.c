/*
** driver.c -- calls the `call` export of a test module (tests/native/split/)
** with each index and prints "index:result" or "index:trap" (an invalid
** indirect call) per call, on one line.
*/
#include <stdio.h>

#include "python_reactor.h"
#include "wasm-rt-impl.h"

/* The splitter's data.c asks our runtime for a shared memory image; 0 here
** means "none", and the segments are copied. */
struct pyreactor_rt_segment;
int pyreactor_rt_map_image(wasm_rt_memory_t *memory, const u8 *blob, size_t blob_len,
                           const struct pyreactor_rt_segment *segments, size_t n)
{
  (void)memory, (void)blob, (void)blob_len, (void)segments, (void)n;
  return 0;
}
void pyreactor_rt_prefault(wasm_rt_memory_t *memory, u64 start, u64 len)
{
  (void)memory, (void)start, (void)len;
}

int main(void)
{
  static const u32 indices[] = {1, 2, 3, 0, 4, 5, 0xFFFFFFFFu};
  Z_python_reactor_instance_t instance;
  wasm_rt_init();
  Z_python_reactor_init_module();
  Z_python_reactor_instantiate(&instance);
  for (size_t i = 0; i < sizeof indices / sizeof indices[0]; i++) {
    wasm_rt_trap_t trap = wasm_rt_impl_try();
    if (trap == WASM_RT_TRAP_NONE)
      printf("%s%u:%u", i ? " " : "", indices[i], Z_python_reactorZ_call(&instance, indices[i], 20));
    else if (trap == WASM_RT_TRAP_CALL_INDIRECT)
      printf("%s%u:trap", i ? " " : "", indices[i]);
    else
      printf("%s%u:trap%d", i ? " " : "", indices[i], (int)trap);
  }
  printf("\n");
  Z_python_reactor_free(&instance);
  wasm_rt_free();
  return 0;
}
