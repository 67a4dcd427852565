/*
** json_writer.h -- a growable byte buffer and JSON string escaping, for the
** error objects the host makes itself and the batch protocol's lines.
** On allocation failure the buffer is marked failed and later appends are
** ignored, so callers check once at the end.
*/
#ifndef JSON_WRITER_H
#define JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct jbuf {
  char *p;
  size_t n, cap;
  bool failed;
} jbuf;

void jbuf_init(jbuf *b);
void jbuf_free(jbuf *b);
void jbuf_add(jbuf *b, const char *s, size_t n);
void jbuf_adds(jbuf *b, const char *s);
/* s[0..n) as a JSON string literal; invalid UTF-8 bytes become U+FFFD so the
** output is always valid JSON text. */
void jbuf_add_json_string(jbuf *b, const char *s, size_t n);
/* The NUL-terminated contents, handed over (free with free); NULL if any
** append failed. The buffer is reset. */
char *jbuf_take(jbuf *b, size_t *len);

/* Whether s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or
** code points past U+10FFFF): the JSON reader leaves that to its callers. */
bool json_utf8_valid(const char *s, size_t n);

/* {"type": type, "message": message} as a new string (free with free). */
char *json_error_object(const char *type, const char *message, size_t *len);

#endif
