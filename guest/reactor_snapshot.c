/*
** Pre-initialization with Wizer, and what an instance must redo after it
** starts from such a snapshot.
**
** Wizer runs the export `wizer.initialize` once at build time and saves the
** memory it leaves: Python started, `_reactor` and the commonly used stdlib
** modules imported. Every instance made from that snapshot then begins with
** the same bytes, so whatever came from the build-time environment must be
** done again, once, by the first call of each instance:
**   - preopened directories: wasi-libc found none at build time;
**   - the environment: libc and os.environ hold the build-time (empty) one;
**   - entropy: the `random` module's state (reseeded in _reactor).
** The str hash seed cannot be redone (every live dict and set depends on
** it); docs/guest.md says why that is acceptable. The snapshot fixes it,
** and _preload seeds `random` with a constant, so that the same sources
** give the same snapshot bytes: builds are reproducible and the native
** host's cache of the compiled module (keyed by its hash) keeps hitting.
*/

/* Any constant will do: it is public in any case, being in every copy of
** the module. */
#define SNAPSHOT_HASH_SEED 0x5eed0001UL
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "reactor.h"
#include "reactor_frozen.h"

#include <wasi/api.h>
#include <wasi/libc.h>
#include <stdlib.h>
#include <string.h>

/* wasi-libc (2022-05-10) reads the WASI environment into this on first use;
** (char **)-1 means "not yet read". */
extern char **__wasilibc_environ;
void __wasilibc_ensure_environ(void);

/* Set in the snapshot, so true in every instance made from it until its
** first call has refreshed what the snapshot froze. Per instance: globals
** live in the instance's own memory. */
static int restore_pending;
/* A refresh that failed leaves the instance unusable: every later call
** gets the same InitError. */
static int restore_failed;

/* fd 0-2 are stdio; preopens follow until the first fd that is not one. */
static void register_preopens(void)
{
    for (__wasi_fd_t fd = 3;; fd++) {
        __wasi_prestat_t prestat;
        if (__wasi_fd_prestat_get(fd, &prestat) != __WASI_ERRNO_SUCCESS)
            return;
        if (prestat.tag != __WASI_PREOPENTYPE_DIR)
            continue;
        size_t len = prestat.u.dir.pr_name_len;
        char *path = malloc(len + 1);
        if (path == NULL)
            return;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)path, len) == __WASI_ERRNO_SUCCESS) {
            path[len] = '\0';
            __wasilibc_register_preopened_fd((int)fd, path);
        }
        free(path);
    }
}

/* A dict of the instance's real environment, as os.environ wants it. */
static PyObject *fresh_environment(void)
{
    __wasilibc_environ = (char **)-1;
    __wasilibc_ensure_environ();
    PyObject *env = PyDict_New();
    for (char **entry = __wasilibc_environ; env != NULL && entry && *entry; entry++) {
        const char *eq = strchr(*entry, '=');
        if (eq == NULL)
            continue;
        PyObject *key = PyBytes_FromStringAndSize(*entry, eq - *entry);
        PyObject *value = PyBytes_FromString(eq + 1);
        if (key == NULL || value == NULL || PyDict_SetItem(env, key, value) < 0)
            Py_CLEAR(env);
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    return env;
}

static int call_support(const char *function, PyObject *arg)
{
    PyObject *module = PyImport_ImportModule("_reactor");
    PyObject *result = module == NULL ? NULL
        : PyObject_CallMethod(module, function, arg != NULL ? "O" : NULL, arg);
    Py_XDECREF(module);
    if (result == NULL) {
        /* Not PyErr_Print: it would end the process on SystemExit. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyErr_Display(type, value, tb);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

static int restore(void)
{
    reactor_process_clock_reset();
    register_preopens();
    PyObject *env = fresh_environment();
    if (env == NULL) {
        PyErr_Clear();
        return -1;
    }
    int status = call_support("_after_restore", env);
    Py_DECREF(env);
    return status;
}

int reactor_snapshot_restore(const char **message)
{
    if (restore_pending) {
        restore_pending = 0;
        restore_failed = restore() != 0;
    }
    *message = "refreshing the pre-initialized instance failed (see stderr)";
    return restore_failed ? -1 : 0;
}

/* The stack below the running frame still holds whatever start-up left
** there (entropy among it); zeroed, so it does not end up in the snapshot.
** memset is a leaf that keeps its locals in wasm locals, so clearing up to
** a margin below this frame touches nothing live. */
extern unsigned char __stack_low;

static void clear_dead_stack(void)
{
    unsigned char here;
    uintptr_t low = (uintptr_t)&__stack_low;
    uintptr_t top = (uintptr_t)&here - 1024;
    if (top > low)
        memset((void *)low, 0, top - low);
}

/* A pack (docs/packages.md): an instance that started from the snapshot,
** was refreshed by its first call, then imported users' packages, is saved
** by the host as a new snapshot (`pyreactor pack`). Its instances must
** refresh again, as the ones of the first snapshot do: armed here, by the
** last thing the pack's cell does (_reactor_pack.snapshot, through
** _reactor_host._snapshot_rearm). The host saves the memory as soon as
** that call returns, without calling in again, and zeroes the dead stack
** itself. Harmless in any other instance: its next call refreshes what it
** refreshed at its first (preopens are registered again, the environment
** and `random` taken anew). */
void reactor_snapshot_rearm(void)
{
    reactor_heap_scrub(0);
    reactor_process_clock_reset();
    restore_pending = 1;
    restore_failed = 0;
}

__attribute__((export_name("wizer.initialize")))
void reactor_wizer_initialize(void)
{
    const char *why;
    reactor_heap_scrub(1);
    reactor_python_fix_hash_seed(SNAPSHOT_HASH_SEED);
    if (reactor_frozen_keep_start() != 0 || reactor_python_start(&why) != 0
        || call_support("_preload", NULL) != 0)
        abort();  /* fails the build: a snapshot of a broken start is worse */
    reactor_frozen_keep_finish();
    reactor_python_flush();
    reactor_heap_scrub(0);
    reactor_process_clock_reset();
    restore_pending = 1;
    clear_dead_stack();
}
