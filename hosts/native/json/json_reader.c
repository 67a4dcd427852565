/*
** json_reader.c -- see json_reader.h. Every read is checked against the end
** of the text; the validator keeps its container stack on the heap so that
** hostile nesting cannot overflow the C stack.
*/
#include "json_reader.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ lexing -- */

static const char *skip_ws(const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

static int hex_value(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* p at the opening quote; returns the byte after the closing one, or NULL. */
static const char *scan_string(const char *p, const char *end)
{
  p++;
  while (p < end) {
    unsigned char c = (unsigned char)*p++;
    if (c == '"')
      return p;
    if (c < 0x20)
      return NULL;
    if (c != '\\')
      continue;
    if (p >= end)
      return NULL;
    c = (unsigned char)*p++;
    if (c == 'u') {
      if (end - p < 4)
        return NULL;
      for (int i = 0; i < 4; i++)
        if (hex_value(p[i]) < 0)
          return NULL;
      p += 4;
    } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
      return NULL;
    }
  }
  return NULL;
}

static const char *scan_digits(const char *p, const char *end)
{
  const char *start = p;
  while (p < end && *p >= '0' && *p <= '9')
    p++;
  return p > start ? p : NULL;
}

static const char *scan_number(const char *p, const char *end)
{
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if ((p = scan_digits(p, end)) == NULL)
    return NULL;
  if (p < end && *p == '.' && (p = scan_digits(p + 1, end)) == NULL)
    return NULL;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    if ((p = scan_digits(p, end)) == NULL)
      return NULL;
  }
  return p;
}

static const char *scan_literal(const char *p, const char *end, const char *lit)
{
  size_t n = strlen(lit);
  if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
    return NULL;
  return p + n;
}

/* A scalar at p: its end, or NULL. */
static const char *scan_scalar(const char *p, const char *end)
{
  if (p >= end)
    return NULL;
  switch (*p) {
  case '"': return scan_string(p, end);
  case 't': return scan_literal(p, end, "true");
  case 'f': return scan_literal(p, end, "false");
  case 'n': return scan_literal(p, end, "null");
  default: return (*p == '-' || (*p >= '0' && *p <= '9')) ? scan_number(p, end) : NULL;
  }
}

/* ---------------------------------------------------------- validate -- */

typedef struct stack {
  char *s;
  size_t n, cap;
  char inline_buf[64];
} stack;

static int push(stack *st, char c)
{
  if (st->n == st->cap) {
    size_t cap = st->cap * 2;
    char *grown = st->s == st->inline_buf ? malloc(cap) : realloc(st->s, cap);
    if (grown == NULL)
      return -1;
    if (st->s == st->inline_buf)
      memcpy(grown, st->inline_buf, st->n);
    st->s = grown;
    st->cap = cap;
  }
  st->s[st->n++] = c;
  return 0;
}

/* After '{' or ',' in an object: a key and its colon. */
static const char *scan_key(const char *p, const char *end)
{
  p = skip_ws(p, end);
  if (p >= end || *p != '"' || (p = scan_string(p, end)) == NULL)
    return NULL;
  p = skip_ws(p, end);
  return p < end && *p == ':' ? p + 1 : NULL;
}

/* The state machine: `p` is where a value must start; returns the end of
** the whole value or NULL, with *at where the token that failed starts.
** Containers push 'a'/'o', their ends pop. */
static const char *scan_value(const char *p, const char *end, stack *st, int *nomem,
                              const char **at)
{
  for (;;) {
    p = skip_ws(p, end);
    *at = p;
    if (p < end && (*p == '[' || *p == '{')) {
      char kind = *p == '[' ? 'a' : 'o';
      if (push(st, kind) != 0) {
        *nomem = 1;
        return NULL;
      }
      p = skip_ws(p + 1, end);
      if (p < end && *p == (kind == 'a' ? ']' : '}')) {
        st->n--;
        p++;
      } else {
        *at = p;
        if (kind == 'o' && (p = scan_key(p, end)) == NULL)
          return NULL;
        continue;
      }
    } else if ((p = scan_scalar(p, end)) == NULL) {
      return NULL;
    }
    /* After a value: close containers or move to the next item. */
    for (;;) {
      if (st->n == 0)
        return p;
      p = skip_ws(p, end);
      *at = p;
      if (p >= end)
        return NULL;
      char top = st->s[st->n - 1];
      if (*p == ',') {
        p++;
        *at = skip_ws(p, end);
        if (top == 'o' && (p = scan_key(p, end)) == NULL)
          return NULL;
        break;
      }
      if (*p != (top == 'a' ? ']' : '}'))
        return NULL;
      st->n--;
      p++;
    }
  }
}

int json_parse(const char *text, size_t len, json_span *value, size_t *error_at)
{
  const char *end = text + len;
  stack st;
  st.s = st.inline_buf;
  st.n = 0;
  st.cap = sizeof st.inline_buf;
  int nomem = 0;
  const char *start = skip_ws(text, end), *at = start;
  const char *stop = scan_value(start, end, &st, &nomem, &at);
  if (st.s != st.inline_buf)
    free(st.s);
  if (nomem)
    return JSON_NOMEM;
  const char *rest = stop != NULL ? skip_ws(stop, end) : NULL;
  if (stop == NULL || rest != end) {
    if (error_at != NULL)
      *error_at = (size_t)((stop != NULL ? rest : at) - text);
    return JSON_INVALID;
  }
  if (value != NULL) {
    value->p = start;
    value->n = (size_t)(stop - start);
  }
  return JSON_OK;
}

/* ----------------------------------------------- walking valid text -- */

json_type json_type_of(json_span v)
{
  if (v.n == 0)
    return JSON_NONE;
  switch (v.p[0]) {
  case 'n': return JSON_NULL;
  case 'f': return JSON_FALSE;
  case 't': return JSON_TRUE;
  case '"': return JSON_STRING;
  case '[': return JSON_ARRAY;
  case '{': return JSON_OBJECT;
  default: return JSON_NUMBER;
  }
}

/* The end of the valid value starting at p (no recursion: a depth count). */
static const char *skip_value(const char *p, const char *end)
{
  if (p >= end)
    return end;
  if (*p != '[' && *p != '{') {
    const char *q = scan_scalar(p, end);
    return q != NULL ? q : end;
  }
  size_t depth = 0;
  while (p < end) {
    char c = *p;
    if (c == '"') {
      const char *q = scan_string(p, end);
      p = q != NULL ? q : end;
      continue;
    }
    p++;
    if (c == '[' || c == '{')
      depth++;
    else if ((c == ']' || c == '}') && --depth == 0)
      return p;
  }
  return end;
}

void json_iter_init(json_iter *it, json_span container)
{
  it->p = container.n > 0 ? container.p + 1 : container.p;
  it->end = container.n > 0 ? container.p + container.n - 1 : container.p;
}

static bool iter_item(json_iter *it, json_span *value)
{
  const char *p = skip_ws(it->p, it->end);
  if (p < it->end && *p == ',')
    p = skip_ws(p + 1, it->end);
  if (p >= it->end)
    return false;
  const char *q = skip_value(p, it->end);
  value->p = p;
  value->n = (size_t)(q - p);
  it->p = q;
  return true;
}

bool json_array_next(json_iter *it, json_span *value)
{
  return iter_item(it, value);
}

bool json_object_next(json_iter *it, json_span *key, json_span *value)
{
  if (!iter_item(it, key))
    return false;
  const char *p = skip_ws(it->p, it->end);
  if (p >= it->end || *p != ':')
    return false;
  it->p = p + 1;
  return iter_item(it, value);
}

bool json_object_get(json_span obj, const char *key, json_span *value)
{
  if (json_type_of(obj) != JSON_OBJECT)
    return false;
  json_iter it;
  json_span k, v;
  bool found = false;
  size_t key_len = strlen(key);
  json_iter_init(&it, obj);
  while (json_object_next(&it, &k, &v)) {
    if (json_string_eq(k, key, key_len)) {
      *value = v;
      found = true;
    }
  }
  return found;
}

/* ----------------------------------------------------------- strings -- */

static size_t put_utf8(char *buf, size_t cap, size_t at, uint32_t cp)
{
  unsigned char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (unsigned char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (unsigned char)(0xC0 | cp >> 6);
    b[1] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (unsigned char)(0xE0 | cp >> 12);
    b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (unsigned char)(0xF0 | cp >> 18);
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  for (size_t i = 0; i < n; i++)
    if (at + i < cap)
      buf[at + i] = (char)b[i];
  return n;
}

static uint32_t hex4(const char *p)
{
  return (uint32_t)(hex_value(p[0]) << 12 | hex_value(p[1]) << 8 | hex_value(p[2]) << 4 |
                    hex_value(p[3]));
}

/* One \u escape (p after "\u"), pairing surrogates; advances *pp. */
static uint32_t unicode_escape(const char **pp, const char *end)
{
  const char *p = *pp;
  uint32_t cp = hex4(p);
  p += 4;
  if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
    uint32_t lo = hex4(p + 2);
    if (lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      p += 6;
    }
  }
  *pp = p;
  return (cp >= 0xD800 && cp <= 0xDFFF) ? 0xFFFD : cp;
}

size_t json_string_decode_into(json_span s, char *buf, size_t cap)
{
  const char *p = s.p + 1, *end = s.p + s.n - 1;
  size_t n = 0;
  while (p < end) {
    char c = *p++;
    if (c != '\\') {
      if (n < cap)
        buf[n] = c;
      n++;
      continue;
    }
    c = *p++;
    switch (c) {
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': n += put_utf8(buf, cap, n, unicode_escape(&p, end)); continue;
    default: break; /* " \ / stand for themselves */
    }
    if (n < cap)
      buf[n] = c;
    n++;
  }
  return n;
}

char *json_string_decode(json_span s, size_t *out_len)
{
  size_t n = json_string_decode_into(s, NULL, 0);
  char *buf = malloc(n + 1);
  if (buf == NULL)
    return NULL;
  json_string_decode_into(s, buf, n);
  buf[n] = '\0';
  if (out_len != NULL)
    *out_len = n;
  return buf;
}

bool json_string_eq(json_span s, const char *lit, size_t lit_len)
{
  if (json_type_of(s) != JSON_STRING)
    return false;
  char small[64];
  if (lit_len < sizeof small) {
    size_t n = json_string_decode_into(s, small, sizeof small);
    return n == lit_len && memcmp(small, lit, lit_len) == 0;
  }
  size_t n;
  char *d = json_string_decode(s, &n);
  bool eq = d != NULL && n == lit_len && memcmp(d, lit, lit_len) == 0;
  free(d);
  return eq;
}

/* ---------------------------------------------------------- equality -- */

static bool is_integer(json_span v)
{
  for (size_t i = 0; i < v.n; i++)
    if (v.p[i] == '.' || v.p[i] == 'e' || v.p[i] == 'E')
      return false;
  return true;
}

/* Exact comparison of two integer texts: sign, then digits sans zeros. */
static bool integers_equal(json_span a, json_span b)
{
  bool na = a.p[0] == '-', nb = b.p[0] == '-';
  const char *pa = a.p + na, *pb = b.p + nb;
  size_t la = a.n - na, lb = b.n - nb;
  bool za = la == 1 && pa[0] == '0', zb = lb == 1 && pb[0] == '0';
  if (za || zb)
    return za && zb; /* -0 == 0 */
  return na == nb && la == lb && memcmp(pa, pb, la) == 0;
}

static double to_double(json_span v)
{
  char buf[512];
  size_t n = v.n < sizeof buf - 1 ? v.n : sizeof buf - 1;
  memcpy(buf, v.p, n);
  buf[n] = '\0';
  return strtod(buf, NULL);
}

static bool numbers_equal(json_span a, json_span b)
{
  bool ia = is_integer(a), ib = is_integer(b);
  if (ia && ib)
    return integers_equal(a, b);
  double da = to_double(a), db = to_double(b);
  if (ia != ib) {
    /* An int equals a float only when the float is that integer exactly;
    ** beyond 2^53 the double of the int text is the closest we can do. */
    double f = ia ? db : da;
    if (f != floor(f))
      return false;
  }
  return da == db;
}

static bool strings_equal(json_span a, json_span b)
{
  size_t na, nb;
  char *da = json_string_decode(a, &na), *db = json_string_decode(b, &nb);
  bool eq = da != NULL && db != NULL && na == nb && memcmp(da, db, na) == 0;
  free(da);
  free(db);
  return eq;
}

static bool arrays_equal(json_span a, json_span b, int depth)
{
  json_iter ia, ib;
  json_span va, vb;
  json_iter_init(&ia, a);
  json_iter_init(&ib, b);
  for (;;) {
    bool ha = json_array_next(&ia, &va), hb = json_array_next(&ib, &vb);
    if (ha != hb)
      return false;
    if (!ha)
      return true;
    if (!json_equal(va, vb, depth - 1))
      return false;
  }
}

static size_t member_count(json_span o)
{
  json_iter it;
  json_span k, v;
  size_t n = 0;
  json_iter_init(&it, o);
  while (json_object_next(&it, &k, &v))
    n++;
  return n;
}

/* Same keys (as decoded, last duplicate wins) and equal values. */
static bool objects_equal(json_span a, json_span b, int depth)
{
  if (member_count(a) != member_count(b))
    return false;
  json_iter it;
  json_span k, v, other;
  json_iter_init(&it, a);
  while (json_object_next(&it, &k, &v)) {
    size_t n;
    char *key = json_string_decode(k, &n);
    bool ok = key != NULL && strlen(key) == n && json_object_get(b, key, &other) &&
              json_object_get(a, key, &v) && json_equal(v, other, depth - 1);
    free(key);
    if (!ok)
      return false;
  }
  return true;
}

bool json_equal(json_span a, json_span b, int depth)
{
  json_type ta = json_type_of(a), tb = json_type_of(b);
  if (depth <= 0 || ta != tb)
    return false;
  switch (ta) {
  case JSON_NUMBER: return numbers_equal(a, b);
  case JSON_STRING: return strings_equal(a, b);
  case JSON_ARRAY: return arrays_equal(a, b, depth);
  case JSON_OBJECT: return objects_equal(a, b, depth);
  default: return true; /* null, true, false: the type says it all */
  }
}
