/*
** test_util.h -- the little the native tests share: pass/fail counting with
** the "N passed, N failed" line tests/run-all.sh reads, string equality,
** opening an instance (after pyreactor.h), and file reading.
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

/* Two strings, both there and equal. */
T_UNUSED static int t_streq(const char *a, const char *b)
{
  return a != NULL && b != NULL && strcmp(a, b) == 0;
}

#ifdef PYREACTOR_H
/* An instance, or the end of the test program: no case runs without one. */
T_UNUSED static pyreactor *t_open(const pyreactor_options *o)
{
  pyreactor *p;
  int rc = pyreactor_open(o, &p);
  if (rc != PYREACTOR_OK) {
    printf("pyreactor_open: %d %s\n", rc, pyreactor_errmsg(p));
    exit(1);
  }
  return p;
}
#endif

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
