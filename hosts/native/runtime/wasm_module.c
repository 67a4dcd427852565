/*
** wasm_module.c -- see wasm_module.h. A reader that checks every byte it
** takes against the buffer, and the writer of a pack's module.
*/
#include "wasm_module.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ reading -- */

typedef struct cursor {
  const uint8_t *b;
  size_t pos, end;
  bool bad;
} cursor;

static uint8_t take_u8(cursor *c)
{
  if (c->bad || c->pos >= c->end) {
    c->bad = true;
    return 0;
  }
  return c->b[c->pos++];
}

/* Unsigned LEB128 of at most `bits` bits. */
static uint64_t take_uleb(cursor *c, unsigned bits)
{
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    uint8_t byte = take_u8(c);
    if (c->bad)
      return 0;
    if (shift >= bits || (shift + 7 > bits && (byte & 0x7f) >> (bits - shift) != 0)) {
      c->bad = true;
      return 0;
    }
    v |= (uint64_t)(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0)
      return v;
  }
}

/* Signed LEB128 of at most `bits` bits, as its two's complement bits. */
static uint64_t take_sleb(cursor *c, unsigned bits)
{
  uint64_t v = 0;
  unsigned shift = 0;
  uint8_t byte;
  do {
    byte = take_u8(c);
    if (c->bad || shift >= bits) {
      c->bad = true;
      return 0;
    }
    v |= (uint64_t)(byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  if (shift < 64 && (byte & 0x40))
    v |= ~(uint64_t)0 << shift;
  if (bits < 64)
    v &= ((uint64_t)1 << bits) - 1;
  return v;
}

static void take_skip(cursor *c, size_t n)
{
  if (c->bad || n > c->end - c->pos) {
    c->bad = true;
    return;
  }
  c->pos += n;
}

int wasm_module_errorf(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

/* A constant expression of `type` followed by `end`: its value's bits. */
static int take_const(cursor *c, uint8_t type, uint64_t *value)
{
  uint8_t op = take_u8(c);
  switch (op) {
  case 0x41: *value = take_sleb(c, 32); break;
  case 0x42: *value = take_sleb(c, 64); break;
  case 0x43:
  case 0x44: {
    size_t n = op == 0x43 ? 4 : 8;
    *value = 0;
    for (size_t i = 0; i < n; i++)
      *value |= (uint64_t)take_u8(c) << (8 * i);
    break;
  }
  default: return -1;
  }
  static const uint8_t op_of[4] = {0x41, 0x42, 0x43, 0x44}; /* i32 i64 f32 f64 */
  if (type < 0x7c || type > 0x7f || op_of[0x7f - type] != op)
    return -1;
  return take_u8(c) == 0x0b && !c->bad ? 0 : -1;
}

static int parse_memory(wasm_module *m, cursor *c, char *err, size_t errlen)
{
  if (take_uleb(c, 32) != 1)
    return wasm_module_errorf(err, errlen, "the module must have exactly one memory");
  uint8_t flags = take_u8(c);
  if (flags > 1)
    return wasm_module_errorf(err, errlen, "shared or 64-bit memories are not supported");
  m->mem_min = (uint32_t)take_uleb(c, 32);
  m->has_max = flags == 1;
  m->mem_max = m->has_max ? (uint32_t)take_uleb(c, 32) : 0;
  m->has_memory = true;
  if (m->mem_min > 65536 || (m->has_max && (m->mem_max > 65536 || m->mem_max < m->mem_min)))
    return wasm_module_errorf(err, errlen, "bad memory limits");
  return 0;
}

static int parse_globals(wasm_module *m, cursor *c, char *err, size_t errlen)
{
  uint64_t n = take_uleb(c, 32);
  if (c->bad || n > (c->end - c->pos) / 4) /* each takes at least 4 bytes */
    return wasm_module_errorf(err, errlen, "bad global section");
  m->globals = calloc(n > 0 ? n : 1, sizeof *m->globals);
  if (m->globals == NULL)
    return wasm_module_errorf(err, errlen, "out of memory");
  m->n_globals = (uint32_t)n;
  for (uint32_t i = 0; i < n; i++) {
    wasm_global *g = &m->globals[i];
    g->type = take_u8(c);
    uint8_t mut = take_u8(c);
    if (c->bad || mut > 1 || take_const(c, g->type, &g->value) != 0)
      return wasm_module_errorf(err, errlen, "global %u is not a numeric constant", i);
    g->mutable_ = mut == 1;
  }
  return 0;
}

static int parse_data(wasm_module *m, cursor *c, char *err, size_t errlen)
{
  uint64_t n = take_uleb(c, 32);
  if (c->bad || n > (c->end - c->pos) / 5) /* each takes at least 5 bytes */
    return wasm_module_errorf(err, errlen, "bad data section");
  m->segments = calloc(n > 0 ? n : 1, sizeof *m->segments);
  if (m->segments == NULL)
    return wasm_module_errorf(err, errlen, "out of memory");
  for (uint32_t i = 0; i < n; i++) {
    uint64_t flags = take_uleb(c, 32);
    uint64_t addr = 0;
    if (flags != 0 || take_const(c, 0x7f, &addr) != 0)
      return wasm_module_errorf(err, errlen, "data segment %u is not an active segment of memory 0 at a constant address", i);
    uint64_t size = take_uleb(c, 32);
    size_t at = c->pos;
    take_skip(c, size);
    if (c->bad)
      return wasm_module_errorf(err, errlen, "data segment %u runs past its section", i);
    m->segments[i] = (wasm_segment){(uint32_t)addr, (uint32_t)size, (uint32_t)at};
    m->n_segments = i + 1;
  }
  return 0;
}

int wasm_module_parse(wasm_module *m, const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
  static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  memset(m, 0, sizeof *m);
  m->bytes = bytes;
  m->len = len;
  if (len < 8 || memcmp(bytes, header, 8) != 0)
    return wasm_module_errorf(err, errlen, "not a WebAssembly module (version 1)");
  if (len > UINT32_MAX) /* a segment's offset is 32-bit (wasm_segment) */
    return wasm_module_errorf(err, errlen, "a module of %zu bytes is larger than 4 GiB", len);
  cursor c = {bytes, 8, len, false};
  int last_id = 0, rc = 0;
  while (rc == 0 && c.pos < len) {
    size_t at = c.pos;
    uint8_t id = take_u8(&c);
    uint64_t size = take_uleb(&c, 32);
    if (c.bad || size > len - c.pos) {
      rc = wasm_module_errorf(err, errlen, "section at byte %zu runs past the end of the module", at);
      break;
    }
    if (id > WASM_SECTION_DATACOUNT) {
      rc = wasm_module_errorf(err, errlen, "unknown section id %u at byte %zu", id, at);
      break;
    }
    /* Known sections come once each, in order (data count between elem and code). */
    int order = id == WASM_SECTION_DATACOUNT ? 95 : id * 10;
    if (id != WASM_SECTION_CUSTOM) {
      if (order <= last_id) {
        rc = wasm_module_errorf(err, errlen, "section %u out of order", id);
        break;
      }
      last_id = order;
    }
    if (m->n_sections == WASM_MAX_SECTIONS) {
      rc = wasm_module_errorf(err, errlen, "too many sections");
      break;
    }
    m->sections[m->n_sections++] = (wasm_section){id, at, c.pos, (size_t)size};
    cursor s = {bytes, c.pos, c.pos + (size_t)size, false};
    if (id == WASM_SECTION_MEMORY)
      rc = parse_memory(m, &s, err, errlen);
    else if (id == WASM_SECTION_GLOBAL)
      rc = parse_globals(m, &s, err, errlen);
    else if (id == WASM_SECTION_DATA)
      rc = parse_data(m, &s, err, errlen);
    else if (id == WASM_SECTION_IMPORT || id == WASM_SECTION_CUSTOM || id == WASM_SECTION_DATACOUNT)
      s.pos = s.end; /* imports: an imported memory or global would be refused by the hash */
    else
      s.pos = s.end;
    if (rc == 0 && (s.bad || s.pos != s.end))
      rc = wasm_module_errorf(err, errlen, "section %u at byte %zu is malformed", id, at);
    c.pos += (size_t)size;
  }
  if (rc == 0 && !m->has_memory)
    rc = wasm_module_errorf(err, errlen, "the module defines no memory");
  for (uint32_t i = 0; rc == 0 && i < m->n_segments; i++)
    if ((uint64_t)m->segments[i].addr + m->segments[i].size > (uint64_t)m->mem_min * WASM_PAGE_SIZE)
      rc = wasm_module_errorf(err, errlen, "data segment %u lies outside the initial memory", i);
  if (rc != 0)
    wasm_module_free(m);
  return rc;
}

void wasm_module_free(wasm_module *m)
{
  free(m->globals);
  free(m->segments);
  m->globals = NULL;
  m->segments = NULL;
  m->n_globals = m->n_segments = 0;
}

static bool rewritten(uint8_t id)
{
  return id == WASM_SECTION_CUSTOM || id == WASM_SECTION_MEMORY || id == WASM_SECTION_GLOBAL ||
         id == WASM_SECTION_DATA || id == WASM_SECTION_DATACOUNT;
}

uint64_t wasm_module_code_hash(const wasm_module *m)
{
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < m->n_sections; i++) {
    const wasm_section *s = &m->sections[i];
    if (rewritten(s->id))
      continue;
    for (size_t k = s->at; k < s->payload + s->size; k++) {
      h ^= m->bytes[k];
      h *= 0x100000001b3u;
    }
  }
  return h;
}

/* ------------------------------------------------------------ writing -- */

typedef struct buffer {
  uint8_t *b;
  size_t len, cap;
  bool oom;
} buffer;

static void put(buffer *o, const void *data, size_t n)
{
  if (o->oom)
    return;
  if (n > o->cap - o->len) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap - o->len < n) {
      if (cap > SIZE_MAX / 2) {
        o->oom = true;
        return;
      }
      cap *= 2;
    }
    uint8_t *b = realloc(o->b, cap);
    if (b == NULL) {
      o->oom = true;
      return;
    }
    o->b = b;
    o->cap = cap;
  }
  memcpy(o->b + o->len, data, n);
  o->len += n;
}

static void put_u8(buffer *o, uint8_t v)
{
  put(o, &v, 1);
}

static void put_uleb(buffer *o, uint64_t v)
{
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    put_u8(o, byte | (v ? 0x80 : 0));
  } while (v);
}

static void put_sleb(buffer *o, int64_t v)
{
  for (;;) {
    uint8_t byte = v & 0x7f;
    v >>= 7; /* arithmetic on every compiler this builds with */
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    put_u8(o, byte | (done ? 0 : 0x80));
    if (done)
      return;
  }
}

static void put_section(buffer *o, uint8_t id, const buffer *payload)
{
  put_u8(o, id);
  put_uleb(o, payload->len);
  put(o, payload->b, payload->len);
  o->oom |= payload->oom;
}

static void put_const(buffer *o, uint8_t type, uint64_t v)
{
  switch (type) {
  case 0x7f: put_u8(o, 0x41); put_sleb(o, (int32_t)(uint32_t)v); break;
  case 0x7e: put_u8(o, 0x42); put_sleb(o, (int64_t)v); break;
  default: {
    size_t n = type == 0x7d ? 4 : 8;
    put_u8(o, type == 0x7d ? 0x43 : 0x44);
    for (size_t i = 0; i < n; i++)
      put_u8(o, (uint8_t)(v >> (8 * i)));
  }
  }
  put_u8(o, 0x0b);
}

/* At most this many segments: Wizer's limit, well under engines' (V8:
** 100000). */
#define MAX_SEGMENTS 10000u

static bool zero_at(const uint8_t *mem, size_t i, size_t dead_below)
{
  return i < dead_below || mem[i] == 0;
}

/* The non-zero runs of memory joined across gaps shorter than `gap`:
** calls emit(start, end) for each; returns how many. */
static size_t runs(const uint8_t *mem, size_t size, size_t dead_below, size_t gap, buffer *o)
{
  size_t count = 0, i = dead_below < size ? dead_below : size;
  while (i < size) {
    while (i < size && mem[i] == 0)
      i++;
    if (i == size)
      break;
    size_t start = i, end = i;
    for (;;) {
      while (end < size && mem[end] != 0)
        end++;
      size_t next = end;
      while (next < size && next - end < gap && zero_at(mem, next, dead_below))
        next++;
      if (next < size && next - end < gap)
        end = next; /* a short gap: the run goes on */
      else
        break;
    }
    count++;
    if (o != NULL) {
      put_u8(o, 0); /* active, memory 0 */
      put_u8(o, 0x41);
      put_sleb(o, (int32_t)(uint32_t)start);
      put_u8(o, 0x0b);
      put_uleb(o, end - start);
      put(o, mem + start, end - start);
    }
    i = end;
  }
  return count;
}

int wasm_module_write_snapshot(const wasm_module *in, const uint8_t *memory, size_t memory_size,
                               size_t dead_below, const uint64_t *globals, uint8_t **out,
                               size_t *out_len, char *err, size_t errlen)
{
  *out = NULL;
  *out_len = 0;
  if (memory_size % WASM_PAGE_SIZE != 0 || memory_size > (size_t)65536 * WASM_PAGE_SIZE)
    return wasm_module_errorf(err, errlen, "memory size %zu is not a whole number of pages", memory_size);
  uint32_t pages = (uint32_t)(memory_size / WASM_PAGE_SIZE);
  if (pages < in->mem_min)
    pages = in->mem_min;
  if (in->has_max && pages > in->mem_max)
    return wasm_module_errorf(err, errlen, "memory of %u pages is above the module's maximum", pages);
  /* The gap that keeps the segments under the limit: each costs ~8 bytes
  ** of header, so joining runs fewer than 8 zero bytes apart costs nothing. */
  size_t gap = 8, count;
  while ((count = runs(memory, memory_size, dead_below, gap, NULL)) > MAX_SEGMENTS)
    gap *= 2;
  /* The memory is the guest's (trusted to be what the instance made), but
  ** a zero run in the middle of the stack would still be skipped: the
  ** image is exactly memory with [0, dead_below) zeroed. */
  buffer o = {0}, payload = {0};
  put(&o, in->bytes, 8);
  bool wrote_data = false;
  for (size_t i = 0; i < in->n_sections; i++) {
    const wasm_section *s = &in->sections[i];
    payload.len = 0;
    switch (s->id) {
    case WASM_SECTION_MEMORY:
      put_uleb(&payload, 1);
      put_u8(&payload, in->has_max ? 1 : 0);
      put_uleb(&payload, pages);
      if (in->has_max)
        put_uleb(&payload, in->mem_max);
      put_section(&o, s->id, &payload);
      break;
    case WASM_SECTION_GLOBAL:
      put_uleb(&payload, in->n_globals);
      for (uint32_t g = 0; g < in->n_globals; g++) {
        const wasm_global *gl = &in->globals[g];
        put_u8(&payload, gl->type);
        put_u8(&payload, gl->mutable_ ? 1 : 0);
        put_const(&payload, gl->type, gl->mutable_ ? globals[g] : gl->value);
      }
      put_section(&o, s->id, &payload);
      break;
    case WASM_SECTION_DATACOUNT:
      put_uleb(&payload, count);
      put_section(&o, s->id, &payload);
      break;
    case WASM_SECTION_DATA:
      put_uleb(&payload, count);
      runs(memory, memory_size, dead_below, gap, &payload);
      put_section(&o, s->id, &payload);
      wrote_data = true;
      break;
    default:
      put(&o, in->bytes + s->at, s->payload + s->size - s->at);
    }
  }
  free(payload.b);
  if (!wrote_data && !o.oom) {
    free(o.b);
    return wasm_module_errorf(err, errlen, "the input module has no data section to replace");
  }
  if (o.oom || payload.oom) {
    free(o.b);
    return wasm_module_errorf(err, errlen, "out of memory writing the module");
  }
  *out = o.b;
  *out_len = o.len;
  return 0;
}
