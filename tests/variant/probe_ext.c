/*
** Test-only extension modules for the variant machinery (tests/variant):
** linked into a probe variant of the guest under dotted names, one with
** single-phase init whose PyModuleDef names it by its last part only (as
** numpy's _multiarray_umath does), one with multi-phase init (as Cython's
** modules do), one level deeper.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static int exec_count;

static PyObject *twice(PyObject *module, PyObject *arg)
{
    (void)module;
    PyObject *two = PyLong_FromLong(2);
    if (two == NULL)
        return NULL;
    PyObject *result = PyNumber_Multiply(arg, two);
    Py_DECREF(two);
    return result;
}

static PyObject *inits(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyLong_FromLong(exec_count);
}

static PyMethodDef single_methods[] = {
    {"twice", twice, METH_O, "twice(x) -> x * 2"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef single_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_ext",
    .m_doc = "single-phase probe",
    .m_size = -1,
    .m_methods = single_methods,
};

PyObject *PyInit_probe_ext(void)
{
    return PyModule_Create(&single_def);
}

static int multi_exec(PyObject *module)
{
    exec_count++;
    return PyModule_AddIntConstant(module, "answer", 42);
}

static PyMethodDef multi_methods[] = {
    {"inits", inits, METH_NOARGS, "inits() -> how many times the exec slot ran"},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot multi_slots[] = {
    {Py_mod_exec, multi_exec},
    {0, NULL},
};

static struct PyModuleDef multi_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "reactor_probe.sub._multi",
    .m_doc = "multi-phase probe",
    .m_size = 0,
    .m_methods = multi_methods,
    .m_slots = multi_slots,
};

PyObject *PyInit_probe_multi(void)
{
    return PyModuleDef_Init(&multi_def);
}
