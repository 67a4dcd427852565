/*
** Result records (ABI.md, "Result records"). One allocation holds the
** 12-byte record followed by its text, so the host's single result_free
** releases everything and a record can never outlive its text.
*/
#include "reactor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Handed out when even a small error record cannot be allocated; never
** freed (reactor_record_free recognises it). */
static const char oom_text[] = "{\"type\":\"MemoryError\",\"message\":\"out of memory in the reactor\"}";
static reactor_record oom_record;

static reactor_record *oom(void)
{
    oom_record.tag = REACTOR_ERR;
    oom_record.text_ptr = (uint32_t)(uintptr_t)oom_text;
    oom_record.text_len = sizeof(oom_text) - 1;
    return &oom_record;
}

reactor_record *reactor_record_new(uint32_t tag, const char *text, size_t len)
{
    if (len > UINT32_MAX - sizeof(reactor_record))
        return NULL;
    reactor_record *record = malloc(sizeof(reactor_record) + len);
    if (record == NULL)
        return NULL;
    char *body = (char *)(record + 1);
    memcpy(body, text, len);
    record->tag = tag;
    record->text_ptr = (uint32_t)(uintptr_t)body;
    record->text_len = (uint32_t)len;
    return record;
}

/* Appends `s` as the inside of a JSON string: quotes, backslashes and
** control characters escaped, other bytes (UTF-8) as they are. Returns the
** new length; `out` must hold 6 bytes per input byte. */
static size_t json_escape(char *out, size_t at, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[at++] = '\\';
            out[at++] = (char)c;
        } else if (c < 0x20) {
            at += (size_t)sprintf(out + at, "\\u%04x", c);
        } else {
            out[at++] = (char)c;
        }
    }
    return at;
}

reactor_record *reactor_record_error(const char *kind, const char *message)
{
    size_t cap = 40 + 6 * (strlen(kind) + strlen(message));
    char *text = malloc(cap);
    if (text == NULL)
        return oom();
    size_t len = 0;
    len += (size_t)sprintf(text, "{\"type\":\"");
    len = json_escape(text, len, kind);
    len += (size_t)sprintf(text + len, "\",\"message\":\"");
    len = json_escape(text, len, message);
    len += (size_t)sprintf(text + len, "\"}");
    reactor_record *record = reactor_record_new(REACTOR_ERR, text, len);
    free(text);
    return record != NULL ? record : oom();
}

void reactor_record_free(reactor_record *record)
{
    if (record != &oom_record)
        free(record);
}
