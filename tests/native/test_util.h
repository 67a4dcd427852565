/*
** test_util.h -- the little the native tests share: pass/fail counting with
** the "N passed, N failed" line tests/run-all.sh reads, and file reading.
*/
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_passed, t_failed;

#define T_UNUSED __attribute__((unused))

T_UNUSED static void t_pass(void)
{
  t_passed++;
}

__attribute__((format(printf, 2, 3))) static void t_fail(const char *where, const char *fmt, ...)
{
  va_list ap;
  t_failed++;
  printf("FAIL %s: ", where);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* Counts one check; prints the failure with its context. */
#define T_CHECK(where, cond, ...) \
  do {                            \
    if (cond)                     \
      t_pass();                   \
    else                          \
      t_fail(where, __VA_ARGS__); \
  } while (0)

static int t_summary(const char *suite)
{
  printf("%s: %d passed, %d failed\n", suite, t_passed, t_failed);
  return t_failed == 0 && t_passed > 0 ? 0 : 1;
}

/* The whole file, NUL-terminated; NULL on error. Free with free. */
T_UNUSED static char *t_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  while (buf != NULL) {
    size_t k = fread(buf + n, 1, cap - n, f);
    n += k;
    if (n < cap)
      break;
    char *grown = realloc(buf, cap * 2 + 1);
    if (grown == NULL) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = grown;
    cap *= 2;
  }
  fclose(f);
  if (buf != NULL) {
    buf[n] = '\0';
    if (len != NULL)
      *len = n;
  }
  return buf;
}

#endif
