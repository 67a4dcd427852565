/*
** The interpreter's life inside the reactor: started once, never finalized
** (a reactor has no end; the host discards the whole instance instead).
**
** Python is configured to need nothing from its host: the standard library
** comes from the frozen table linked into the module, sys.path is empty
** unless the host grants a PYTHONPATH, and no environment variable other
** than that one is read.
*/
/* Python.h first: it sets the feature macros the libc headers read. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "reactor.h"
#include "reactor_frozen.h"

#include <stdlib.h>
#include <string.h>

typedef enum { NOT_STARTED, STARTED, FAILED } start_state;

static start_state state = NOT_STARTED;
static const char *failure = "";
/* -1: a random str hash seed, from WASI random_get (the default). */
static long fixed_hash_seed = -1;

void reactor_python_fix_hash_seed(unsigned long seed)
{
    fixed_hash_seed = (long)(seed & 0xffffffffUL);
}

/* A host that preopens a directory may put it on sys.path by passing the
** environment variable PYTHONPATH (entries separated by ':'). Isolated
** mode ignores the variable, so it is read here, deliberately. */
static PyStatus add_host_paths(PyConfig *config)
{
    const char *env = getenv("PYTHONPATH");
    PyStatus status = PyStatus_Ok();
    if (env == NULL || *env == '\0')
        return status;
    char *copy = strdup(env);
    if (copy == NULL)
        return PyStatus_NoMemory();
    char *save = NULL;
    for (char *entry = strtok_r(copy, ":", &save); entry != NULL;
         entry = strtok_r(NULL, ":", &save)) {
        wchar_t *wide = Py_DecodeLocale(entry, NULL);
        if (wide == NULL) {
            status = PyStatus_Error("PYTHONPATH is not valid UTF-8");
            break;
        }
        status = PyWideStringList_Append(&config->module_search_paths, wide);
        PyMem_RawFree(wide);
        if (PyStatus_Exception(status))
            break;
    }
    free(copy);
    return status;
}

static PyStatus configure(PyConfig *config)
{
    PyConfig_InitIsolatedConfig(config);
    config->module_search_paths_set = 1;
    config->pathconfig_warnings = 0;
    config->install_signal_handlers = 0;
    config->site_import = 0;
    config->write_bytecode = 0;
    config->use_frozen_modules = 1;
    config->buffered_stdio = 1;
    config->parse_argv = 0;
    if (fixed_hash_seed >= 0) {
        config->use_hash_seed = 1;
        config->hash_seed = (unsigned long)fixed_hash_seed;
    }
    PyStatus status = PyConfig_SetString(config, &config->program_name, L"python-reactor");
    if (PyStatus_Exception(status))
        return status;
    status = PyConfig_SetString(config, &config->stdio_encoding, L"utf-8");
    if (PyStatus_Exception(status))
        return status;
    status = PyConfig_SetString(config, &config->stdio_errors, L"backslashreplace");
    if (PyStatus_Exception(status))
        return status;
    return add_host_paths(config);
}

static int start(void)
{
    PyPreConfig preconfig;
    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1;
    PyStatus status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) {
        failure = status.err_msg ? status.err_msg : "Py_PreInitialize failed";
        return -1;
    }

    PyImport_FrozenModules = reactor_frozen_modules;
    if (PyImport_AppendInittab("_reactor_host", reactor_host_module_init) != 0) {
        failure = "cannot add the built-in module _reactor_host";
        return -1;
    }
    PyConfig config;
    status = configure(&config);
    if (!PyStatus_Exception(status))
        status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        failure = status.err_msg ? status.err_msg : "Py_InitializeFromConfig failed";
        return -1;
    }
    return 0;
}

int reactor_python_start(const char **message)
{
    if (state == NOT_STARTED)
        state = start() == 0 ? STARTED : FAILED;
    *message = failure;
    return state == STARTED ? 0 : -1;
}

/* What the flush after every call needs, made once and kept for the
** instance (never released: the interpreter is never finalized): the
** interned names, and sys's dict, which PySys_GetObject would search with a
** str it builds and hashes anew each time. */
static PyObject *flush_name, *stream_names[2], *sys_dict;

static int intern_once(PyObject **slot, const char *text)
{
    if (*slot == NULL)
        *slot = PyUnicode_InternFromString(text);
    return *slot != NULL;
}

static int flush_ready(void)
{
    if (sys_dict != NULL)
        return 1;
    PyObject *sys = PyImport_AddModule("sys");  /* borrowed */
    if (sys == NULL || !intern_once(&flush_name, "flush") || !intern_once(&stream_names[0], "stdout")
        || !intern_once(&stream_names[1], "stderr")) {
        PyErr_Clear();
        return 0;
    }
    sys_dict = Py_NewRef(PyModule_GetDict(sys));
    return 1;
}

static void flush_stream(PyObject *name)
{
    PyObject *stream = PyDict_GetItemWithError(sys_dict, name);  /* borrowed */
    if (stream == NULL || stream == Py_None) {
        PyErr_Clear();
        return;
    }
    PyObject *result = PyObject_CallMethodNoArgs(stream, flush_name);
    if (result == NULL)
        PyErr_Clear();
    Py_XDECREF(result);
}

void reactor_python_flush(void)
{
    if (state != STARTED || !flush_ready())
        return;
    flush_stream(stream_names[0]);
    flush_stream(stream_names[1]);
}
