#!/usr/bin/env python3
"""Writes the configuration headers numpy's meson build would write, for
wasm32-wasi, by asking the wasm compiler the same questions meson asks
(numpy/_core/meson.build, numpy/meson.build, meson_cpu/meson.build).

numpy's meson needs numpy's own meson fork (its `features` module), which is
not available here, so these probes stand in for it. Every answer comes from
compiling (and for functions, linking) a test program with the wasm compiler;
the long double layout comes from running meson's own probe under node:wasi.

Usage: gen_config.py --src NUMPY_SRC --cc "clang-19 --target=... --sysroot=..."
                     --pyinc "-I... -I..." --cython-version V
Writes, inside NUMPY_SRC (the build's private copy):
  numpy/_core/config.h
  numpy/_core/include/numpy/_numpyconfig.h
  numpy/_core/src/common/npy_cpu_dispatch_config.h
  numpy/__config__.py
and prints the answers to stderr.
"""
import argparse
import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading

C_ABI_VERSION = '0x02000000'   # numpy/_core/meson.build
C_API_VERSION = '0x00000013'


class Probe:
    def __init__(self, cc, pyinc, tmp):
        self.cc = shlex.split(cc)
        self.pyinc = shlex.split(pyinc)
        self.tmp = tmp
        self.n = 0
        self.lock = threading.Lock()

    def _run(self, code, args):
        with self.lock:
            self.n += 1
            n = self.n
        src = os.path.join(self.tmp, f'p{n}.c')
        with open(src, 'w') as f:
            f.write(code)
        r = subprocess.run(self.cc + args + [src], cwd=self.tmp,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def compiles(self, code, extra=()):
        return self._run(code, ['-fsyntax-only', '-Werror=implicit-function-declaration', *extra])

    def links(self, code, extra=()):
        # One output per call: probes run in parallel (has_functions).
        fd, out = tempfile.mkstemp(suffix='.wasm', dir=self.tmp)
        os.close(fd)
        return self._run(code, ['-O0', '-o', out, *extra])

    def sizeof(self, typ, prefix='', extra=()):
        for n in (1, 2, 4, 8, 12, 16, 32):
            if self.compiles(f'{prefix}\n_Static_assert(sizeof({typ}) == {n}, "");\n', extra):
                return n
        raise SystemExit(f'gen_config: sizeof({typ}) not found')

    def has_header(self, h):
        return self.compiles(f'#include <{h}>\n')

    def has_function(self, func, prefix):
        # The same test program meson's has_function uses: take the address,
        # so a macro-only name or a missing symbol fails to compile or link.
        code = f'''{prefix}
int main(void) {{
  void *a = (void *) &{func};
  long long b = (long long) a;
  return (int) b;
}}
'''
        return self.links(code)

    def has_functions(self, pairs):
        """[(name, prefix)] -> set of the names found; the link probes are
        the slow part (a wasm-ld run each), so they run in parallel."""
        # Usually all of them are there: one program taking every address
        # answers for all at once, and only a failure asks one by one.
        prefixes = '\n'.join(dict.fromkeys(pre for _, pre in pairs))
        body = '\n'.join(f'  s += (long long) (void *) &{name};' for name, _ in pairs)
        if self.links(f'{prefixes}\nint main(void) {{\n  long long s = 0;\n{body}\n  return (int) s;\n}}\n'):
            return {name for name, _ in pairs}
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
            found = ex.map(lambda np: self.has_function(*np), pairs)
            return {name for (name, _), ok in zip(pairs, found) if ok}

    def run_wasm(self, code):
        out = os.path.join(self.tmp, 'run.wasm')
        src = os.path.join(self.tmp, 'run.c')
        with open(src, 'w') as f:
            f.write(code)
        subprocess.run(self.cc + ['-O0', '-o', out, src], check=True)
        js = ("const {WASI}=require('node:wasi');const fs=require('fs');"
              "const w=new WASI({version:'preview1'});"
              "WebAssembly.instantiate(fs.readFileSync(process.argv[1]),w.getImportObject())"
              ".then(({instance})=>w.start(instance));")
        r = subprocess.run(['node', '--no-warnings', '-e', js, out],
                           capture_output=True, text=True, check=True)
        return r.stdout.strip()


# meson's long double probe (numpy/_core/meson.build), cut to the cases that
# matter for a 16-byte little-endian long double.
LONGDOUBLE_PROBE = r'''
#include <stdio.h>
#include <string.h>
#define repcmp(z) (memcmp((const char *)&foo.x, z, sizeof(foo.x)) == 0)
const struct { char before[16]; long double x; char after[8]; } foo = {{'\0'}, -123456789.0, {'\0'}};
int main(void) {
  if (sizeof(foo.x) == 16 && repcmp(((const char[]){0000, 0000, 0000, 0000, 0000, 0000, 0000, 0000,
                                 0000, 0000, 0100, 0105, 0363, 0326, 0031, 0300}))) {
    fputs("IEEE_QUAD_LE", stdout); return 0;
  }
  if (sizeof(foo.x) == 8 && repcmp(((const char[]){0000, 0000, 0000, 0124, 0064, 0157, 0235, 0301}))) {
    fputs("IEEE_DOUBLE_LE", stdout); return 0;
  }
  fputs("UNKNOWN", stdout); return 1;
}
'''


def gather(p, cython_version):
    cdata = {}
    sizes = [('NPY_SIZEOF_SHORT', 'short'), ('NPY_SIZEOF_INT', 'int'),
             ('NPY_SIZEOF_LONG', 'long'), ('NPY_SIZEOF_LONGLONG', 'long long'),
             ('NPY_SIZEOF_FLOAT', 'float'), ('NPY_SIZEOF_DOUBLE', 'double'),
             ('NPY_SIZEOF_LONGDOUBLE', 'long double'), ('NPY_SIZEOF_INTP', 'size_t'),
             ('NPY_SIZEOF_UINTP', 'size_t')]
    for sym, typ in sizes:
        cdata[sym] = p.sizeof(typ, '#include <stddef.h>')
    cdata['NPY_SIZEOF_WCHAR_T'] = p.sizeof('wchar_t', '#include <wchar.h>')
    cdata['NPY_SIZEOF_OFF_T'] = p.sizeof('off_t', '#include <sys/types.h>')
    pyh = '#include <Python.h>'
    cdata['NPY_SIZEOF_PY_INTPTR_T'] = p.sizeof('Py_intptr_t', pyh, p.pyinc)
    cdata['NPY_SIZEOF_PY_LONG_LONG'] = p.sizeof('PY_LONG_LONG', pyh, p.pyinc)
    for sym, typ in [('NPY_SIZEOF_COMPLEX_FLOAT', 'complex float'),
                     ('NPY_SIZEOF_COMPLEX_DOUBLE', 'complex double'),
                     ('NPY_SIZEOF_COMPLEX_LONGDOUBLE', 'complex long double')]:
        cdata[sym] = p.sizeof(typ, '#include <complex.h>')

    mandatory = ['sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh', 'fabs', 'floor', 'ceil',
                 'sqrt', 'log10', 'log', 'exp', 'asin', 'acos', 'atan', 'fmod', 'modf',
                 'frexp', 'ldexp', 'expm1', 'log1p', 'acosh', 'asinh', 'atanh', 'rint',
                 'trunc', 'exp2', 'copysign', 'nextafter', 'cbrt', 'log2', 'pow', 'hypot',
                 'atan2']
    math_h, complex_h = '#include <math.h>', '#include <complex.h>'
    must = [(f, math_h) for f in mandatory] + \
        [(f, complex_h) for f in ['csin', 'csinh', 'ccos', 'ccosh', 'ctan', 'ctanh',
                                  'creal', 'cimag', 'conj']]
    missing = sorted({f for f, _ in must} - p.has_functions(must))
    if missing:
        raise SystemExit(f'gen_config: mandatory functions missing: {missing}')

    c99_complex = ['cabs', 'cacos', 'cacosh', 'carg', 'casin', 'casinh', 'catan', 'catanh',
                   'cexp', 'clog', 'cpow', 'csqrt', 'csin', 'csinh', 'ccos', 'ccosh',
                   'ctan', 'ctanh']
    names = [n for f in c99_complex for n in (f, f + 'f', f + 'l')]
    for name in p.has_functions([(n, complex_h) for n in names]):
        cdata['HAVE_' + name.upper()] = 1

    for attr, sym in [('thread_local', 'HAVE_THREAD_LOCAL'), ('_Thread_local', 'HAVE__THREAD_LOCAL'),
                      ('__thread', 'HAVE__THREAD'), ('__declspec(thread)', 'HAVE___DECLSPEC_THREAD_')]:
        code = ('#pragma clang diagnostic error "-Wattributes"\n'
                f'int {attr} foo;\nint main(void) {{ return 0; }}\n')
        if p.compiles(code):
            cdata[sym] = 1

    # Python.h (pyconfig.h) already says HAVE_FTELLO/HAVE_FSEEKO; meson skips
    # those, so only fallocate is asked here.
    if p.has_function('fallocate', '#include <stdio.h>\n#include <fcntl.h>'):
        cdata['HAVE_FALLOCATE'] = 1
    for f, pre in [('backtrace', '#include <execinfo.h>'), ('madvise', '#include <sys/mman.h>')]:
        if p.has_function(f, pre):
            cdata['HAVE_' + f.upper()] = 1
    for h in ['features.h', 'xlocale.h', 'dlfcn.h', 'execinfo.h', 'libunwind.h', 'sys/mman.h']:
        if p.has_header(h):
            cdata['HAVE_' + h.upper().replace('.', '_').replace('/', '_')] = 1
    if p.has_function('strtold_l', '#define _GNU_SOURCE\n#include <locale.h>\n#include <stdlib.h>'):
        cdata['HAVE_STRTOLD_L'] = 1

    intrinsics = [('__builtin_isnan', '5.'), ('__builtin_isinf', '5.'),
                  ('__builtin_isfinite', '5.'), ('__builtin_bswap32', '5u'),
                  ('__builtin_bswap64', '5u'), ('__builtin_expect', '5, 0'),
                  ('__builtin_mul_overflow', '(long long)5, 5, (int*)5'),
                  ('__builtin_prefetch', '(float*)0, 0, 3')]
    for f, args in intrinsics:
        if p.links(f'int main(void) {{ {f}({args}); return 0; }}\n'):
            cdata['HAVE_' + f.upper()] = 1

    fmt = p.run_wasm(LONGDOUBLE_PROBE)
    if fmt == 'UNKNOWN':
        raise SystemExit('gen_config: unknown long double format')
    cdata['HAVE_LDOUBLE_' + fmt] = 1

    if p.has_header('endian.h'):
        cdata['NPY_HAVE_ENDIAN_H'] = 1
    if p.has_header('sys/endian.h'):
        cdata['NPY_HAVE_SYS_ENDIAN_H'] = 1
    # No threads in the guest: NPY_BEGIN_THREADS would only save and restore
    # the thread state around every loop for nothing (Pyodide does the same).
    cdata['NPY_NO_SMP'] = 1
    if p.compiles('__attribute__((visibility("hidden"))) int f(void) { return 0; }\n',
                  ['-Werror']):
        cdata['NPY_VISIBILITY_HIDDEN'] = '__attribute__((visibility("hidden")))'
    else:
        cdata['NPY_VISIBILITY_HIDDEN'] = ''
    cdata['NPY_ABI_VERSION'] = C_ABI_VERSION
    cdata['NPY_API_VERSION'] = C_API_VERSION
    return cdata


def mesondefine(template, cdata):
    out = []
    for line in template.splitlines():
        if line.startswith('#mesondefine '):
            name = line.split()[1]
            if name not in cdata:
                out.append(f'/* #undef {name} */')
            else:
                out.append(f'#define {name} {cdata[name]}'.rstrip())
        else:
            out.append(line)
    return '\n'.join(out) + '\n'


def at_vars(template, values):
    for k, v in values.items():
        template = template.replace(f'@{k}@', str(v))
    left = re.findall(r'@[A-Z][A-Z_0-9]*@', template)
    if left:
        raise SystemExit(f'gen_config: unfilled template variables: {left[:5]}')
    return template


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--src', required=True)
    ap.add_argument('--cc', required=True)
    ap.add_argument('--cxx', required=True)
    ap.add_argument('--pyinc', required=True)
    ap.add_argument('--cflags', required=True)
    ap.add_argument('--cxxflags', required=True)
    ap.add_argument('--cython-version', required=True)
    ap.add_argument('--python-version', required=True)
    a = ap.parse_args()
    core = os.path.join(a.src, 'numpy', '_core')
    with tempfile.TemporaryDirectory() as tmp:
        p = Probe(a.cc, a.pyinc, tmp)
        cdata = gather(p, a.cython_version)
        cc_version = subprocess.run(shlex.split(a.cc)[:1] + ['-dumpversion'],
                                    capture_output=True, text=True, check=True).stdout.strip()
    for k in sorted(cdata):
        print(f'  {k} = {cdata[k]}', file=sys.stderr)
    print(f'gen_config: {p.n} probes', file=sys.stderr)

    with open(os.path.join(core, 'config.h.in')) as f:
        write(os.path.join(core, 'config.h'), mesondefine(f.read(), cdata))
    with open(os.path.join(core, 'include', 'numpy', '_numpyconfig.h.in')) as f:
        write(os.path.join(core, 'include', 'numpy', '_numpyconfig.h'), mesondefine(f.read(), cdata))

    # No CPU features on wasm32: an empty baseline and no dispatch targets;
    # NPY_DISABLE_OPTIMIZATION (a compiler flag, as meson's
    # -Ddisable-optimization sets it) makes every dispatch source compile once.
    with open(os.path.join(a.src, 'meson_cpu', 'main_config.h.in')) as f:
        cpu = at_vars(f.read(), {'P': 'NPY_', 'WITH_CPU_BASELINE': '', 'WITH_CPU_BASELINE_N': 0,
                                 'WITH_CPU_DISPATCH': '', 'WITH_CPU_DISPATCH_N': 0,
                                 'WITH_CPU_BASELINE_CALL': '', 'WITH_CPU_DISPATCH_CALL': ''})
    write(os.path.join(core, 'src', 'common', 'npy_cpu_dispatch_config.h'), cpu)

    # np.show_config() shows the compile commands; the sysroot lives in the
    # builder's cache directory, which is no business of the module's bytes.
    def shown(cmd):
        return ', '.join(re.sub(r'^--sysroot=.*', '--sysroot=<cpython build>/sysroot', w)
                         for w in shlex.split(cmd))

    conf = {
        'C_COMP': 'clang', 'C_COMP_LINKER_ID': 'ld.wasm', 'C_COMP_VERSION': cc_version,
        'C_COMP_CMD_ARRAY': shown(a.cc), 'C_COMP_ARGS': ', '.join(shlex.split(a.cflags)),
        'C_COMP_LINK_ARGS': '',
        'CPP_COMP': 'clang', 'CPP_COMP_LINKER_ID': 'ld.wasm', 'CPP_COMP_VERSION': cc_version,
        'CPP_COMP_CMD_ARRAY': shown(a.cxx), 'CPP_COMP_ARGS': ', '.join(shlex.split(a.cxxflags)),
        'CPP_COMP_LINK_ARGS': '',
        'CYTHON_COMP': 'cython', 'CYTHON_COMP_LINKER_ID': 'cython',
        'CYTHON_COMP_VERSION': a.cython_version, 'CYTHON_COMP_CMD_ARRAY': 'cython',
        'CYTHON_COMP_ARGS': '', 'CYTHON_COMP_LINK_ARGS': '',
        'HOST_CPU': 'wasm32', 'HOST_CPU_FAMILY': 'wasm32', 'HOST_CPU_ENDIAN': 'little',
        'HOST_CPU_SYSTEM': 'wasi',
        'BUILD_CPU': 'x86_64', 'BUILD_CPU_FAMILY': 'x86_64', 'BUILD_CPU_ENDIAN': 'little',
        'BUILD_CPU_SYSTEM': 'linux',
        'CROSS_COMPILED': 'true', 'PYTHON_PATH': '', 'PYTHON_VERSION': a.python_version,
        'BLAS_NAME': 'none', 'BLAS_FOUND': 'false', 'BLAS_VERSION': '', 'BLAS_TYPE_NAME': '',
        'BLAS_INCLUDEDIR': '', 'BLAS_LIBDIR': '', 'BLAS_OPENBLAS_CONFIG': '', 'BLAS_PCFILEDIR': '',
        'LAPACK_NAME': 'lapack_lite (bundled)', 'LAPACK_FOUND': 'false', 'LAPACK_VERSION': '',
        'LAPACK_TYPE_NAME': '', 'LAPACK_INCLUDEDIR': '', 'LAPACK_LIBDIR': '',
        'LAPACK_OPENBLAS_CONFIG': '', 'LAPACK_PCFILEDIR': '',
    }
    with open(os.path.join(a.src, 'numpy', '__config__.py.in')) as f:
        write(os.path.join(a.src, 'numpy', '__config__.py'), at_vars(f.read(), conf))


if __name__ == '__main__':
    main()
