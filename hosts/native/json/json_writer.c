/*
** json_writer.c -- see json_writer.h.
*/
#include "json_writer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void jbuf_init(jbuf *b)
{
  b->p = NULL;
  b->n = b->cap = 0;
  b->failed = false;
}

void jbuf_free(jbuf *b)
{
  free(b->p);
  jbuf_init(b);
}

static bool reserve(jbuf *b, size_t more)
{
  if (b->failed)
    return false;
  if (more > SIZE_MAX - b->n - 1) {
    b->failed = true;
    return false;
  }
  size_t need = b->n + more + 1;
  if (need <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = realloc(b->p, cap);
  if (p == NULL) {
    b->failed = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void jbuf_add(jbuf *b, const char *s, size_t n)
{
  if (!reserve(b, n))
    return;
  if (n > 0)
    memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

void jbuf_adds(jbuf *b, const char *s)
{
  jbuf_add(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
  else return 0;
  if (n < len)
    return 0;
  unsigned cp = c & (0x3F >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

bool json_utf8_valid(const char *s, size_t n)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    if (u[i] < 0x80) { /* the common case, a byte at a time */
      i++;
      continue;
    }
    size_t k = utf8_seq(u + i, n - i);
    if (k == 0)
      return false;
    i += k;
  }
  return true;
}

/* The two-character escape of a control character, or 0. */
static char short_escape(unsigned char c)
{
  switch (c) {
  case '\b': return 'b';
  case '\f': return 'f';
  case '\n': return 'n';
  case '\r': return 'r';
  case '\t': return 't';
  default: return 0;
  }
}

void jbuf_add_json_string(jbuf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  jbuf_add(b, "\"", 1);
  size_t i = 0;
  while (i < n) {
    unsigned char c = u[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      jbuf_add(b, esc, 2);
      i++;
    } else if (c < 0x20) {
      char letter = short_escape(c);
      if (letter != 0) {
        char esc[2] = {'\\', letter};
        jbuf_add(b, esc, 2);
      } else {
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        jbuf_add(b, esc, 6);
      }
      i++;
    } else {
      size_t k = utf8_seq(u + i, n - i);
      if (k == 0) {
        jbuf_add(b, "\xEF\xBF\xBD", 3);
        i++;
      } else {
        jbuf_add(b, s + i, k);
        i += k;
      }
    }
  }
  jbuf_add(b, "\"", 1);
}

char *jbuf_take(jbuf *b, size_t *len)
{
  if (b->failed || !reserve(b, 0)) {
    jbuf_free(b);
    return NULL;
  }
  char *p = b->p;
  if (len != NULL)
    *len = b->n;
  jbuf_init(b);
  return p;
}

char *json_error_object(const char *type, const char *message, size_t *len)
{
  jbuf b;
  jbuf_init(&b);
  jbuf_adds(&b, "{\"type\":");
  jbuf_add_json_string(&b, type, strlen(type));
  jbuf_adds(&b, ",\"message\":");
  jbuf_add_json_string(&b, message, strlen(message));
  jbuf_adds(&b, "}");
  return jbuf_take(&b, len);
}
