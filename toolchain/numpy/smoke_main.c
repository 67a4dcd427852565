/* A throwaway WASI command for toolchain/numpy/smoke-test.sh: CPython with
 * numpy's extension modules in its inittab under their dotted names, the
 * stdlib from the preopened /lib and numpy's Python part from /py. Runs
 * argv[1] as Python code. Not the guest (guest/ has the real finder). */
#include <Python.h>
#include <stdio.h>

extern struct _inittab smoke_numpy_inittab[];

/* BuiltinImporter refuses names inside packages (path is not None), so a
 * finder in front of it hands dotted built-ins to it by spec. */
static const char finder[] =
    "import sys, _imp\n"
    "from importlib.machinery import ModuleSpec, BuiltinImporter\n"
    "class _DottedBuiltins:\n"
    "    @classmethod\n"
    "    def find_spec(cls, name, path=None, target=None):\n"
    "        if '.' in name and _imp.is_builtin(name):\n"
    "            return ModuleSpec(name, BuiltinImporter, origin='built-in')\n"
    "        return None\n"
    "sys.meta_path.insert(0, _DottedBuiltins)\n";

static int fail(PyConfig *config, PyStatus status)
{
    PyConfig_Clear(config);
    fprintf(stderr, "smoke: %s\n", status.err_msg ? status.err_msg : "init failed");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: smoke CODE\n");
        return 2;
    }
    if (PyImport_ExtendInittab(smoke_numpy_inittab) != 0) {
        fprintf(stderr, "smoke: PyImport_ExtendInittab failed\n");
        return 2;
    }
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.module_search_paths_set = 1;
    PyStatus status = PyWideStringList_Append(&config.module_search_paths, L"/lib");
    if (PyStatus_Exception(status))
        return fail(&config, status);
    status = PyWideStringList_Append(&config.module_search_paths, L"/py");
    if (PyStatus_Exception(status))
        return fail(&config, status);
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status))
        return fail(&config, status);
    PyConfig_Clear(&config);
    int rc = PyRun_SimpleString(finder) || PyRun_SimpleString(argv[1]);
    if (Py_FinalizeEx() < 0)
        rc = 1;
    return rc ? 1 : 0;
}
