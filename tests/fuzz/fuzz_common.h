/*
** fuzz_common.h -- what both harnesses share: the sanitizer defaults they
** need and the way an invariant fails. Define FUZZ_NAME before including.
*/
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Guest faults are SIGSEGVs that guest_call.c's handler turns into traps:
** ASan must let that handler be installed (it chains to ASan's for faults
** that are not the guest's). Every UB report is fatal. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
  return "allow_user_segv_handler=1:handle_segv=1:detect_leaks=1";
}
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
  return "print_stacktrace=1:halt_on_error=1";
}

/* An invariant broke: abort, so libFuzzer saves the input. */
__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "\n" FUZZ_NAME ": invariant broken: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

#endif
