/*
** json_reader.h -- a small, bounds-checked JSON reader.
**
** Only what the host needs: validate one JSON text, walk objects and arrays
** of a validated text, find a member, decode a string. Values are spans of
** the original text, so a value can be passed on verbatim (big integers and
** all). Validation is iterative: any nesting depth, no C recursion.
** Bytes >= 0x80 inside strings are passed through unchecked: the guest
** validates UTF-8 itself and answers with an err.
*/
#ifndef JSON_READER_H
#define JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

typedef enum json_type {
  JSON_NONE = 0, JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER,
  JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

typedef struct json_span {
  const char *p;
  size_t n;
} json_span;

/* Result of json_parse. */
#define JSON_OK 0
#define JSON_INVALID (-1)
#define JSON_NOMEM (-2)

/* Checks that text[0..len) is exactly one JSON value, optionally surrounded
** by whitespace. On JSON_OK, *value (if not NULL) is the value without the
** whitespace. On JSON_INVALID, *error_at (if not NULL) is the byte offset
** where the text stopped being JSON. */
int json_parse(const char *text, size_t len, json_span *value, size_t *error_at);

/* The functions below take spans of text that json_parse accepted. */
json_type json_type_of(json_span v);

typedef struct json_iter {
  const char *p, *end;
} json_iter;

/* Starts iterating the members of an object or the items of an array. */
void json_iter_init(json_iter *it, json_span container);
/* Next array item; false at the end. */
bool json_array_next(json_iter *it, json_span *value);
/* Next object member (key is the quoted string span); false at the end. */
bool json_object_next(json_iter *it, json_span *key, json_span *value);

/* The value of member `key` (the last one, if repeated, as JSON.parse does). */
bool json_object_get(json_span obj, const char *key, json_span *value);

/* Decodes a string span into buf (up to cap bytes); returns the full decoded
** length (which may exceed cap). Lone surrogates become U+FFFD, as a
** JavaScript host's TextEncoder would make them. */
size_t json_string_decode_into(json_span s, char *buf, size_t cap);
/* Decodes into a new NUL-terminated buffer (free with free); NULL on NOMEM. */
char *json_string_decode(json_span s, size_t *out_len);
/* Decoded string equals lit[0..lit_len)? */
bool json_string_eq(json_span s, const char *lit, size_t lit_len);

/* JSON equality with Python's number semantics: integers compared exactly
** at any size, floats as doubles, an integer equal to a float of the same
** value; objects unordered. For tests; recursion limited to `depth`. */
bool json_equal(json_span a, json_span b, int depth);

#endif
