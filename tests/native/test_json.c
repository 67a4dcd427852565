/*
** test_json.c -- the host's JSON reader and writer: the grammar at its
** edges, decoding, equality with Python's number semantics, nesting far
** deeper than any C stack would allow, and escaping that always yields
** valid JSON. Meant to run under ASan too (every read is bounds-checked).
*/
#include "json_reader.h"
#include "json_writer.h"
#include "test_util.h"

static void check_valid(const char *text, int want)
{
  int rc = json_parse(text, strlen(text), NULL, NULL);
  T_CHECK(text, (rc == JSON_OK) == want, "%s: want %s", text, want ? "valid" : "invalid");
}

static void case_grammar(void)
{
  static const char *valid[] = {
    "0", "-0", "1.5", "-2.5e-300", "1E+2", "1e2", "123456789012345678901234567890",
    "\"\"", "\"\\u00e9\\ud83c\\udf0d\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "true", "false", "null",
    "[]", "{}", " [ 1 , [ ] , { } ] ", "{\"a\":{\"b\":[null]}}", "\"caf\xc3\xa9\"", "\t\r\n 7 \n",
  };
  static const char *invalid[] = {
    "", " ", "01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity", "tru", "nul",
    "\"abc", "\"\\x\"", "\"\\u12\"", "\"a\nb\"", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}",
    "{a:1}", "{\"a\":1,}", "[1 2]", "[] []", "]", "{", "[", "\"\\\"", "'a'",
  };
  for (size_t i = 0; i < sizeof valid / sizeof *valid; i++)
    check_valid(valid[i], 1);
  for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
    check_valid(invalid[i], 0);
  /* A NUL byte is not JSON whitespace; inside a string it is a control char. */
  T_CHECK("nul", json_parse("1\0", 2, NULL, NULL) == JSON_INVALID, "trailing NUL accepted");
  T_CHECK("nul", json_parse("\"a\0\"", 4, NULL, NULL) == JSON_INVALID, "NUL in string accepted");
}

static void case_depth(void)
{
  size_t n = 1000000;
  char *deep = malloc(2 * n + 1);
  memset(deep, '[', n);
  memset(deep + n, ']', n);
  T_CHECK("deep", json_parse(deep, 2 * n, NULL, NULL) == JSON_OK, "1e6 nested arrays rejected");
  T_CHECK("deep", json_parse(deep, 2 * n - 1, NULL, NULL) == JSON_INVALID, "unbalanced accepted");
  free(deep);
}

static void case_walk_and_decode(void)
{
  const char *text = "{\"op\": \"apply\", \"args\": [1, {\"x\": [2]}, \"s\"], \"op\": \"last\", \"k\\u0000\": 1}";
  json_span obj, v;
  T_CHECK("walk", json_parse(text, strlen(text), &obj, NULL) == JSON_OK, "parse");
  T_CHECK("walk", json_object_get(obj, "op", &v) && json_string_eq(v, "last", 4), "duplicate: last wins");
  T_CHECK("walk", json_object_get(obj, "args", &v) && v.n == 20 && memcmp(v.p, "[1, {\"x\": [2]}, \"s\"]", 20) == 0,
          "args span");
  json_iter it;
  json_span item;
  int count = 0;
  json_iter_init(&it, v);
  while (json_array_next(&it, &item))
    count++;
  T_CHECK("walk", count == 3, "array items %d", count);
  const char *s = "\"a\\u00e9\\ud83c\\udf0d\\ud800x\\n\"";
  json_span str = {s, strlen(s)};
  size_t len;
  char *d = json_string_decode(str, &len);
  T_CHECK("decode", d && len == 12 && memcmp(d, "a\xc3\xa9\xf0\x9f\x8c\x8d\xef\xbf\xbd" "x\n", 12) == 0,
          "decoded %zu bytes", len);
  free(d);
}

static bool eq(const char *a, const char *b)
{
  json_span x, y;
  return json_parse(a, strlen(a), &x, NULL) == JSON_OK && json_parse(b, strlen(b), &y, NULL) == JSON_OK &&
         json_equal(x, y, 100);
}

static void case_equality(void)
{
  T_CHECK("eq", eq("1", "1.0") && eq("100", "1e2") && eq("-0", "0") && eq("0.1", "1e-1"), "numbers");
  T_CHECK("eq", !eq("1", "2") && !eq("1", "1.5") && !eq("1", "\"1\""), "numbers differ");
  T_CHECK("eq", eq("123456789012345678901234567890", "123456789012345678901234567890") &&
                    !eq("123456789012345678901234567890", "123456789012345678901234567891"),
          "big ints exact");
  T_CHECK("eq", eq("{\"a\":1,\"b\":[true,null]}", "{\"b\":[true,null],\"a\":1}"), "objects unordered");
  T_CHECK("eq", !eq("{\"a\":1}", "{\"a\":1,\"b\":2}") && !eq("[1,2]", "[2,1]"), "containers differ");
  T_CHECK("eq", eq("\"\\u00e9\"", "\"\xc3\xa9\""), "escapes decoded");
}

static void case_writer(void)
{
  jbuf b;
  jbuf_init(&b);
  const char raw[] = "q\"b\\ \x01 \xff\xfe ok \xe2\x82\xac \xed\xa0\x80 \b\t";
  jbuf_add_json_string(&b, raw, sizeof raw - 1);
  size_t n;
  char *out = jbuf_take(&b, &n);
  if (out == NULL) {
    t_fail("writer", "out of memory");
    return;
  }
  T_CHECK("writer", json_parse(out, n, NULL, NULL) == JSON_OK, "not valid JSON: %s", out);
  T_CHECK("writer", strstr(out, "\\u0001") && strstr(out, "\xe2\x82\xac") && strstr(out, "\\\"") &&
                        strstr(out, "\\b\\t\""),
          "escaping: %s", out);
  free(out);
  char *err = json_error_object("Trap", "line\nbreak", &n);
  T_CHECK("writer", err && strcmp(err, "{\"type\":\"Trap\",\"message\":\"line\\nbreak\"}") == 0, "%s",
          err ? err : "(null)");
  free(err);
}

int main(void)
{
  case_grammar();
  case_depth();
  case_walk_and_decode();
  case_equality();
  case_writer();
  return t_summary("native-json");
}
