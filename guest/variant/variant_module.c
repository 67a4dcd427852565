/*
** What a variant of the guest adds at interpreter start (variant.h): its
** extension modules in the inittab, a finder that imports them under their
** dotted names, and its embedded pack's importer.
**
** CPython's BuiltinImporter only finds top-level names (its find_spec
** answers None whenever a parent package's path is given), yet
** _imp.create_builtin finds any name in the inittab, dotted or not. The
** built-in module `_reactor_variant` is therefore itself a meta path finder
** and loader for the dotted names of this variant's table and for nothing
** else: it adds no way to reach anything that is not linked into the
** module, so the sandbox is what it was.
**
** The default module links none of this file: the variant's link wraps
** Py_InitializeFromConfig (-Wl,--wrap, guest/variant.mk), so
** reactor_python.c stays the same code in both.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "variant.h"

#include <string.h>

/* From _frozen_importlib and _imp, kept for the life of the instance (the
** interpreter is never finalized). */
static PyObject *module_spec, *create_builtin, *exec_builtin, *origin_builtin;

/* The table's entry named `name` when the name is dotted; NULL otherwise. */
static const struct _inittab *dotted_entry(PyObject *name)
{
    const char *text = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
    if (text == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (strchr(text, '.') == NULL)
        return NULL;
    for (const struct _inittab *entry = reactor_variant_inittab; entry->name != NULL; entry++)
        if (strcmp(entry->name, text) == 0)
            return entry;
    return NULL;
}

/* find_spec(fullname, path=None, target=None): a built-in spec whose
** loader is this module, for the table's dotted names only. */
static PyObject *find_spec(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"fullname", "path", "target", NULL};
    PyObject *name, *path = Py_None, *target = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|OO:find_spec", keywords, &name, &path, &target))
        return NULL;
    if (dotted_entry(name) == NULL)
        Py_RETURN_NONE;
    PyObject *argv[3] = {name, self, origin_builtin};
    PyObject *kwnames = Py_BuildValue("(s)", "origin");
    if (kwnames == NULL)
        return NULL;
    PyObject *spec = PyObject_Vectorcall(module_spec, argv, 2, kwnames);
    Py_DECREF(kwnames);
    return spec;
}

/* create_module(spec): _imp.create_builtin, with the full name where a
** shared library's loader would put it (_Py_PackageContext), so that a
** single-phase module whose PyModuleDef says "_multiarray_umath" is named
** "numpy._core._multiarray_umath", as it is when loaded from a file. */
static PyObject *create_module(PyObject *self, PyObject *spec)
{
    (void)self;
    PyObject *name = PyObject_GetAttrString(spec, "name");
    if (name == NULL)
        return NULL;
    const struct _inittab *entry = dotted_entry(name);
    if (entry == NULL) {
        PyErr_Format(PyExc_ImportError, "%R is not a dotted built-in module of this variant", name);
        Py_DECREF(name);
        return NULL;
    }
    Py_DECREF(name);
    const char *outer = _Py_PackageContext;
    _Py_PackageContext = entry->name;
    PyObject *module = PyObject_CallOneArg(create_builtin, spec);
    _Py_PackageContext = outer;
    return module;
}

/* exec_module(module): what BuiltinImporter.exec_module does. */
static PyObject *exec_module(PyObject *self, PyObject *module)
{
    (void)self;
    PyObject *status = PyObject_CallOneArg(exec_builtin, module);
    if (status == NULL)
        return NULL;
    Py_DECREF(status);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"find_spec", (PyCFunction)(void (*)(void))find_spec, METH_VARARGS | METH_KEYWORDS,
     "find_spec(fullname, path=None, target=None): the spec of a dotted built-in module, or None"},
    {"create_module", create_module, METH_O, "create_module(spec): the dotted built-in module"},
    {"exec_module", exec_module, METH_O, "exec_module(module): runs its multi-phase init"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_reactor_variant",
    .m_doc = "This variant of the guest: the finder and loader of its dotted built-in modules "
             "(docs/numpy.md), its name, the modules its snapshot preloads.",
    .m_size = -1,
    .m_methods = methods,
};

/* The module's attributes: name, preload, builtins (the dotted names). */
static int add_attributes(PyObject *module)
{
    PyObject *preload = PyList_New(0), *builtins = PyList_New(0);
    int status = preload != NULL && builtins != NULL ? 0 : -1;
    for (size_t i = 0; status == 0 && reactor_variant_preload[i] != NULL; i++) {
        PyObject *item = PyUnicode_FromString(reactor_variant_preload[i]);
        status = item != NULL ? PyList_Append(preload, item) : -1;
        Py_XDECREF(item);
    }
    for (size_t i = 0; status == 0 && reactor_variant_inittab[i].name != NULL; i++) {
        PyObject *item = PyUnicode_FromString(reactor_variant_inittab[i].name);
        status = item != NULL ? PyList_Append(builtins, item) : -1;
        Py_XDECREF(item);
    }
    PyObject *preload_tuple = status == 0 ? PyList_AsTuple(preload) : NULL;
    PyObject *builtins_tuple = status == 0 ? PyList_AsTuple(builtins) : NULL;
    status = preload_tuple != NULL && builtins_tuple != NULL
        && PyModule_AddStringConstant(module, "name", reactor_variant_name) == 0
        && PyModule_AddObjectRef(module, "preload", preload_tuple) == 0
        && PyModule_AddObjectRef(module, "builtins", builtins_tuple) == 0 ? 0 : -1;
    Py_XDECREF(preload_tuple);
    Py_XDECREF(builtins_tuple);
    Py_XDECREF(preload);
    Py_XDECREF(builtins);
    return status;
}

static int load_importlib(void)
{
    PyObject *bootstrap = PyImport_ImportModule("_frozen_importlib");
    PyObject *imp = PyImport_ImportModule("_imp");
    if (bootstrap != NULL && imp != NULL) {
        module_spec = PyObject_GetAttrString(bootstrap, "ModuleSpec");
        create_builtin = PyObject_GetAttrString(imp, "create_builtin");
        exec_builtin = PyObject_GetAttrString(imp, "exec_builtin");
        origin_builtin = PyUnicode_InternFromString("built-in");
    }
    Py_XDECREF(bootstrap);
    Py_XDECREF(imp);
    if (module_spec != NULL && create_builtin != NULL && exec_builtin != NULL && origin_builtin != NULL)
        return 0;
    Py_CLEAR(module_spec);
    Py_CLEAR(create_builtin);
    Py_CLEAR(exec_builtin);
    Py_CLEAR(origin_builtin);
    return -1;
}

static PyObject *variant_module_init(void)
{
    if (module_spec == NULL && load_importlib() != 0)
        return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module != NULL && add_attributes(module) != 0)
        Py_CLEAR(module);
    return module;
}

/* The finder goes right after BuiltinImporter: before the path finder, so
** that importing a dotted built-in never looks at a file system. */
static int install_finder(PyObject *finder)
{
    PyObject *meta_path = PySys_GetObject("meta_path"); /* borrowed */
    PyObject *bootstrap = PyImport_ImportModule("_frozen_importlib");
    PyObject *builtin_importer = bootstrap != NULL ? PyObject_GetAttrString(bootstrap, "BuiltinImporter") : NULL;
    Py_XDECREF(bootstrap);
    if (builtin_importer == NULL)
        return -1;
    if (meta_path == NULL || !PyList_Check(meta_path)) {
        Py_DECREF(builtin_importer);
        PyErr_SetString(PyExc_RuntimeError, "sys.meta_path is not a list");
        return -1;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(meta_path); i++)
        if (PyList_GET_ITEM(meta_path, i) == builtin_importer)
            at = i + 1;
    Py_DECREF(builtin_importer);
    return PyList_Insert(meta_path, at, finder);
}

/* The embedded pack's importer (_reactor_pack.install), then the pack's
** bytes zeroed: the importer unmarshalled copies of everything. */
static int install_pack(void)
{
    if (reactor_variant_pack_size == 0)
        return 0;
    PyObject *pack = PyImport_ImportModule("_reactor_pack");
    PyObject *view = PyMemoryView_FromMemory((char *)reactor_variant_pack, (Py_ssize_t)reactor_variant_pack_size,
                                             PyBUF_READ);
    PyObject *finder = pack != NULL && view != NULL ? PyObject_CallMethod(pack, "install", "O", view) : NULL;
    Py_XDECREF(pack);
    Py_XDECREF(view);
    if (finder == NULL)
        return -1;
    Py_DECREF(finder);
    memset(reactor_variant_pack, 0, reactor_variant_pack_size);
    return 0;
}

static int install(void)
{
    PyObject *self = PyImport_ImportModule("_reactor_variant");
    int status = self != NULL && install_finder(self) == 0 && install_pack() == 0 ? 0 : -1;
    Py_XDECREF(self);
    if (status != 0) {
        /* Not PyErr_Print: it would end the process on SystemExit. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyErr_Display(type, value, tb);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
    }
    return status;
}

PyStatus __real_Py_InitializeFromConfig(const PyConfig *config);

PyStatus __wrap_Py_InitializeFromConfig(const PyConfig *config)
{
    if (PyImport_AppendInittab("_reactor_variant", variant_module_init) != 0
        || PyImport_ExtendInittab(reactor_variant_inittab) != 0)
        return PyStatus_NoMemory();
    PyStatus status = __real_Py_InitializeFromConfig(config);
    if (PyStatus_Exception(status))
        return status;
    if (install() != 0)
        return PyStatus_Error("starting the guest variant failed (see stderr)");
    return status;
}
