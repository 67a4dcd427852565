/*
** host_call.c -- the import host.call (ABI.md, "Host functions").
**
** This host exposes no host function yet, so every call gets the error
** reply {"type": "NoSuchHostFunction", ...}, handed over as the protocol
** says: in a buffer from the guest's own alloc, its address and length
** stored at reply_ptr, return 1; (0, 0) and 1 when alloc fails, which the
** guest raises as MemoryError. Every range the guest passes is checked
** against its memory: a name outside it gets a HostError reply, a reply
** address outside it traps (there is nowhere to put the reply).
*/
#include "pyreactor_internal.h"

#include "json_writer.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { REPLY_VALUE = 0, REPLY_ERROR = 1 };

/* The instance whose import this is: the host part lives inside it. */
static pyreactor *owner(struct Z_host_instance_t *h)
{
  return (pyreactor *)((char *)h - offsetof(pyreactor, host));
}

static uint8_t *guest_range(pyreactor *p, u32 ptr, u64 len)
{
  const wasm_rt_memory_t *m = &p->guest.w2c_memory;
  if ((u64)ptr > m->size || len > m->size - (u64)ptr)
    return NULL;
  return m->data + ptr;
}

/* The error reply for host function `name` (name_len bytes, not trusted to
** be UTF-8: the JSON writer replaces what is not), or for a name outside
** guest memory (name NULL). NULL when out of memory. */
static char *error_reply(const uint8_t *name, size_t name_len, size_t *len)
{
  if (name == NULL)
    return json_error_object("HostError", "host.call: the name lies outside guest memory", len);
  jbuf message;
  jbuf_init(&message);
  jbuf_adds(&message, "no host function named ");
  jbuf_add(&message, (const char *)name, name_len);
  size_t message_len;
  char *text = jbuf_take(&message, &message_len);
  if (text == NULL)
    return NULL;
  jbuf reply;
  jbuf_init(&reply);
  jbuf_adds(&reply, "{\"type\":\"NoSuchHostFunction\",\"message\":");
  jbuf_add_json_string(&reply, text, message_len);
  jbuf_adds(&reply, "}");
  free(text);
  return jbuf_take(&reply, len);
}

/* Copies `text` into a buffer from the guest's alloc; 0 if it gave none
** (or one outside its memory, which it must not). */
static u32 to_guest(pyreactor *p, const char *text, size_t len)
{
  guest_wasm_enter(); /* the export runs as wasm code (timeouts, traps) */
  u32 ptr = Z_python_reactorZ_alloc(&p->guest, (u32)len);
  guest_wasm_leave();
  uint8_t *dst = ptr != 0 ? guest_range(p, ptr, len) : NULL;
  if (dst == NULL)
    return 0;
  memcpy(dst, text, len);
  return ptr;
}

static u32 host_call(pyreactor *p, u32 name_ptr, u32 name_len, u32 reply_ptr)
{
  uint8_t *slot = guest_range(p, reply_ptr, 8);
  if (slot == NULL)
    wasm_rt_trap(WASM_RT_TRAP_OOB);
  size_t len = 0;
  char *text = error_reply(guest_range(p, name_ptr, name_len), name_len, &len);
  u32 ptr = text != NULL ? to_guest(p, text, len) : 0;
  free(text);
  /* Memory may have grown in alloc: the slot is looked up again. */
  slot = guest_range(p, reply_ptr, 8);
  wasi_put_u32(slot, ptr);
  wasi_put_u32(slot + 4, ptr != 0 ? (u32)len : 0);
  return REPLY_ERROR;
}

u32 Z_hostZ_call(struct Z_host_instance_t *h, u32 name_ptr, u32 name_len, u32 args_ptr, u32 args_len,
                 u32 reply_ptr)
{
  (void)args_ptr, (void)args_len; /* no host function reads them yet */
  guest_import_enter();
  u32 status = host_call(owner(h), name_ptr, name_len, reply_ptr);
  guest_import_leave();
  return status;
}
