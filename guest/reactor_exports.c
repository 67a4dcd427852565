/*
** The exports of ABI.md, version 2, and the import host.callback (the
** other import, host.call, is in reactor_host_call.c).
** Thin on purpose: each export checks that it may run (not while host.call
** runs; Python started and, after a snapshot, the instance refreshed),
** forwards to reactor_call and hands back the record's address; apply_*
** and run also deliver it to the host.
*/
#include "reactor.h"
#include "reactor_frozen.h"

#include <stdlib.h>

#define EXPORT(name) __attribute__((export_name(#name)))

__attribute__((import_module("host"), import_name("callback")))
void host_callback(int32_t id, int32_t result);

typedef int32_t i32;

static i32 address(reactor_record *record)
{
    return (i32)(uintptr_t)record;
}

EXPORT(abi_version) i32 abi_version(void)
{
    return 2;
}

EXPORT(alloc) i32 reactor_alloc(i32 size)
{
    /* Sizes are unsigned on the wire; malloc(0) may return NULL, and the
    ** host still needs a valid address for an empty string. */
    uint32_t n = (uint32_t)size;
    return (i32)(uintptr_t)malloc(n > 0 ? n : 1);
}

EXPORT(dealloc) void reactor_dealloc(i32 ptr, i32 size)
{
    (void)size;
    free((void *)(uintptr_t)ptr);
}

/* While host.call runs, ABI.md allows only alloc and dealloc, and every
** other export changes nothing: a record freed then stays allocated. */
EXPORT(result_free) void result_free(i32 result)
{
    if (!reactor_host_busy())
        reactor_record_free((reactor_record *)(uintptr_t)result);
}

/* Whether an export that runs Python may: NULL if so, else the err record
** it answers with. Busy touches nothing (no Python, no flush), since the
** Python code waiting for host.call is suspended mid-bytecode. */
static reactor_record *refusal(void)
{
    if (reactor_host_busy())
        return reactor_record_error("Busy", "the guest is waiting for host.call: "
                                            "only alloc and dealloc may be called now");
    const char *why;
    int status = reactor_python_start(&why);
    if (status == 0)
        status = reactor_snapshot_restore(&why);
    if (status != 0) {
        reactor_frozen_release(); /* starting imports from the frozen stdlib */
        return reactor_record_error("InitError", why);
    }
    return NULL;
}

EXPORT(init) i32 init(void)
{
    reactor_record *record = refusal();
    if (record != NULL)
        return address(record);
    reactor_frozen_release(); /* starting imports from the frozen stdlib */
    record = reactor_record_new(REACTOR_OK, "null", 4);
    return address(record != NULL ? record : reactor_record_error("MemoryError", "init"));
}

static i32 call(reactor_op op, i32 name_ptr, i32 name_len, i32 payload_ptr, i32 payload_len)
{
    reactor_record *record = refusal();
    if (record == NULL)
        record = reactor_call(op, (uint32_t)name_ptr, (uint32_t)name_len, (uint32_t)payload_ptr,
                              (uint32_t)payload_len);
    return address(record);
}

static i32 apply(reactor_op op, i32 id, i32 name_ptr, i32 name_len, i32 args_ptr, i32 args_len)
{
    i32 record = call(op, name_ptr, name_len, args_ptr, args_len);
    host_callback(id, record);
    return record;
}

EXPORT(register_lambda) i32 register_lambda(i32 name_ptr, i32 name_len, i32 code_ptr, i32 code_len)
{
    return call(REACTOR_REGISTER_LAMBDA, name_ptr, name_len, code_ptr, code_len);
}

EXPORT(register_def) i32 register_def(i32 name_ptr, i32 name_len, i32 code_ptr, i32 code_len)
{
    return call(REACTOR_REGISTER_DEF, name_ptr, name_len, code_ptr, code_len);
}

EXPORT(register_module) i32 register_module(i32 name_ptr, i32 name_len, i32 code_ptr, i32 code_len)
{
    return call(REACTOR_REGISTER_MODULE, name_ptr, name_len, code_ptr, code_len);
}

/* An extension of ABI version 2 (docs/packages.md): a package of several
** files, `files` being the UTF-8 JSON object {"__init__.py": source,
** "sub.py": source, "data.txt": text, ...}; unregister_module removes it. */
EXPORT(register_package) i32 register_package(i32 name_ptr, i32 name_len, i32 files_ptr, i32 files_len)
{
    return call(REACTOR_REGISTER_PACKAGE, name_ptr, name_len, files_ptr, files_len);
}

EXPORT(unregister_lambda) i32 unregister_lambda(i32 name_ptr, i32 name_len)
{
    return call(REACTOR_UNREGISTER_LAMBDA, name_ptr, name_len, 0, 0);
}

EXPORT(unregister_def) i32 unregister_def(i32 name_ptr, i32 name_len)
{
    return call(REACTOR_UNREGISTER_DEF, name_ptr, name_len, 0, 0);
}

EXPORT(unregister_module) i32 unregister_module(i32 name_ptr, i32 name_len)
{
    return call(REACTOR_UNREGISTER_MODULE, name_ptr, name_len, 0, 0);
}

EXPORT(apply_lambda) i32 apply_lambda(i32 id, i32 name_ptr, i32 name_len, i32 args_ptr, i32 args_len)
{
    return apply(REACTOR_APPLY_LAMBDA, id, name_ptr, name_len, args_ptr, args_len);
}

EXPORT(apply_def) i32 apply_def(i32 id, i32 name_ptr, i32 name_len, i32 args_ptr, i32 args_len)
{
    return apply(REACTOR_APPLY_DEF, id, name_ptr, name_len, args_ptr, args_len);
}

EXPORT(run) i32 run(i32 id, i32 code_ptr, i32 code_len)
{
    return apply(REACTOR_RUN, id, 0, 0, code_ptr, code_len);
}
