#!/usr/bin/env python3
"""Writes the Makefile that compiles numpy's extension modules for
wasm32-wasi into one static archive, and modules.txt.

This is numpy 2.2.6's meson build (numpy/_core/meson.build,
numpy/{linalg,fft,random}/meson.build) written out by hand, for static
linking into one wasm module:
  - sources that several extensions compile (npymath, npyrandom,
    lapack_lite's f2c sources, python_xerbla.c, mem_overlap.c,
    npy_argparse.c, npy_hashtable.cpp, npy_cpu_features.c,
    random's distributions.c) are compiled once: the .so build gave each
    extension its own copy, one wasm module can hold only one;
  - every extension's PyInit_<name> is renamed by -D to
    PyInit_<dotted name with '.' -> '_'>, so names that only differ by
    package cannot clash (modules.txt lists them);
  - no SIMD dispatch (NPY_DISABLE_OPTIMIZATION): each *.dispatch.c(.src|.cpp)
    is compiled once for the baseline; the sort dispatch sources that have
    no baseline (x86-simd-sort, highway's vqsort) are left out, as meson
    leaves them out when no dispatch target is enabled.

Usage: build_plan.py SRC OUT  (environment: CC CXX CFLAGS CXXFLAGS PYINC AR NM CYTHON)
"""
import os
import sys

CORE = 'numpy/_core'
CORE_INC = [f'{CORE}/include', CORE, f'{CORE}/src/common']   # np_core_dep
CORE_PRIV = CORE_INC + [f'{CORE}/src/multiarray', f'{CORE}/src/multiarray/stringdtype',
                        f'{CORE}/src/npymath', f'{CORE}/src/umath', f'{CORE}/src/highway']
INTERNAL = ['-DNPY_INTERNAL_BUILD', '-DHAVE_NPY_CONFIG_H']
RANDOM = ['-DNPY_NO_DEPRECATED_API=0']   # Cython still uses the old C API

# (dotted module name, sources, extra flags, include dirs)
# Shared pieces get the module name None.
M = 'numpy/_core/src/multiarray'
U = 'numpy/_core/src/umath'
C = 'numpy/_core/src/common'
S = 'numpy/_core/src/npysort'
LL = 'numpy/linalg/lapack_lite'
R = 'numpy/random'

UNITS = [
    ('npymath', None, [
        'numpy/_core/src/npymath/ieee754.c', 'numpy/_core/src/npymath/npy_math_complex.c',
        'numpy/_core/src/npymath/halffloat.cpp', 'numpy/_core/src/npymath/npy_math.c',
    ], [], CORE_INC + ['numpy/_core/src/npymath']),
    # Compiled once for _multiarray_umath, _multiarray_tests and _umath_tests.
    ('common', None, [
        f'{C}/mem_overlap.c', f'{C}/npy_argparse.c', f'{C}/npy_hashtable.cpp',
        f'{C}/npy_cpu_features.c',
    ], INTERNAL, CORE_PRIV),
    ('highway', None, ['numpy/_core/src/highway/hwy/abort.cc'],
     ['-DTOOLCHAIN_MISS_ASM_HWCAP_H'], ['numpy/_core/src/highway']),
    ('numpy._core._multiarray_umath', 'PyInit__multiarray_umath', [
        f'{C}/array_assign.c', f'{C}/gil_utils.c', f'{C}/npy_import.c',
        f'{C}/npy_longdouble.c', f'{C}/ucsnarrow.c', f'{C}/ufunc_override.c',
        f'{C}/numpyos.c', f'{C}/npy_cpu_dispatch.c',
        f'{M}/abstractdtypes.c', f'{M}/alloc.c', f'{M}/arrayobject.c', f'{M}/array_coercion.c',
        f'{M}/array_converter.c', f'{M}/array_method.c', f'{M}/array_api_standard.c',
        f'{M}/array_assign_scalar.c', f'{M}/array_assign_array.c',
        f'{M}/arrayfunction_override.c', f'{M}/arraytypes.c', f'{M}/arraywrap.c',
        f'{M}/buffer.c', f'{M}/calculation.c', f'{M}/compiled_base.c', f'{M}/common.c',
        f'{M}/common_dtype.c', f'{M}/convert.c', f'{M}/convert_datatype.c',
        f'{M}/conversion_utils.c', f'{M}/ctors.c', f'{M}/datetime.c',
        f'{M}/datetime_strings.c', f'{M}/datetime_busday.c', f'{M}/datetime_busdaycal.c',
        f'{M}/descriptor.c', f'{M}/dlpack.c', f'{M}/dtypemeta.c', f'{M}/dragon4.c',
        f'{M}/dtype_transfer.c', f'{M}/dtype_traversal.c', f'{M}/einsum.c',
        f'{M}/einsum_sumprod.c', f'{M}/public_dtype_api.c', f'{M}/flagsobject.c',
        f'{M}/getset.c', f'{M}/hashdescr.c', f'{M}/item_selection.c', f'{M}/iterators.c',
        f'{M}/legacy_dtype_implementation.c', f'{M}/lowlevel_strided_loops.c',
        f'{M}/mapping.c', f'{M}/methods.c', f'{M}/multiarraymodule.c', f'{M}/nditer_api.c',
        f'{M}/nditer_constr.c', f'{M}/nditer_pywrap.c', f'{M}/nditer_templ.c',
        f'{M}/npy_static_data.c', f'{M}/number.c', f'{M}/refcount.c', f'{M}/scalartypes.c',
        f'{M}/sequence.c', f'{M}/scalarapi.c', f'{M}/shape.c', f'{M}/strfuncs.c',
        f'{M}/stringdtype/casts.c', f'{M}/stringdtype/dtype.c',
        f'{M}/stringdtype/utf8_utils.c', f'{M}/stringdtype/static_string.c',
        f'{M}/temp_elide.c', f'{M}/usertypes.c', f'{M}/vdot.c',
        f'{S}/quicksort.cpp', f'{S}/mergesort.cpp', f'{S}/timsort.cpp', f'{S}/heapsort.cpp',
        f'{S}/radixsort.cpp', f'{S}/selection.cpp', f'{S}/binsearch.cpp',
        f'{M}/textreading/conversions.c', f'{M}/textreading/field_types.c',
        f'{M}/textreading/growth.c', f'{M}/textreading/readtext.c',
        f'{M}/textreading/rows.c', f'{M}/textreading/stream_pyobject.c',
        f'{M}/textreading/str_to_int.c', f'{M}/textreading/tokenize.cpp',
        f'{U}/loops.c', f'{U}/matmul.c', f'{U}/ufunc_type_resolution.c', f'{U}/clip.cpp',
        f'{U}/dispatching.cpp', f'{U}/extobj.c', f'{U}/legacy_array_method.c',
        f'{U}/override.c', f'{U}/reduction.c', f'{U}/scalarmath.c', f'{U}/ufunc_object.c',
        f'{U}/umathmodule.c', f'{U}/special_integer_comparisons.cpp',
        f'{U}/string_ufuncs.cpp', f'{U}/stringdtype_ufuncs.cpp',
        f'{U}/wrapping_array_method.c', f'{U}/_scaled_float_dtype.c',
        # the dispatch-able sources, baseline only
        f'{M}/argfunc.dispatch.c',
        f'{U}/loops_arithm_fp.dispatch.c', f'{U}/loops_arithmetic.dispatch.c',
        f'{U}/loops_comparison.dispatch.c', f'{U}/loops_exponent_log.dispatch.c',
        f'{U}/loops_hyperbolic.dispatch.c', f'{U}/loops_logical.dispatch.c',
        f'{U}/loops_minmax.dispatch.c', f'{U}/loops_modulo.dispatch.c',
        f'{U}/loops_trigonometric.dispatch.cpp', f'{U}/loops_umath_fp.dispatch.c',
        f'{U}/loops_unary.dispatch.c', f'{U}/loops_unary_fp.dispatch.c',
        f'{U}/loops_unary_fp_le.dispatch.c', f'{U}/loops_unary_complex.dispatch.c',
        f'{U}/loops_autovec.dispatch.c',
    ], INTERNAL, CORE_PRIV),
    ('numpy._core._multiarray_tests', 'PyInit__multiarray_tests',
     [f'{M}/_multiarray_tests.c'], INTERNAL, CORE_INC + [M, 'numpy/_core/src/npymath']),
    ('numpy._core._umath_tests', 'PyInit__umath_tests',
     [f'{U}/_umath_tests.c', f'{U}/_umath_tests.dispatch.c'], INTERNAL,
     CORE_INC + [M, 'numpy/_core/src/npymath']),
    ('numpy._core._rational_tests', 'PyInit__rational_tests',
     [f'{U}/_rational_tests.c'], INTERNAL, CORE_INC + [M, 'numpy/_core/src/npymath']),
    ('numpy._core._struct_ufunc_tests', 'PyInit__struct_ufunc_tests',
     [f'{U}/_struct_ufunc_tests.c'], INTERNAL, CORE_INC + [M, 'numpy/_core/src/npymath']),
    ('numpy._core._operand_flag_tests', 'PyInit__operand_flag_tests',
     [f'{U}/_operand_flag_tests.c'], INTERNAL, CORE_INC + [M, 'numpy/_core/src/npymath']),
    # lapack_lite's f2c translation and xerbla: one copy for both linalg modules.
    ('lapack_lite_f2c', None, [
        f'{LL}/python_xerbla.c', f'{LL}/f2c.c', f'{LL}/f2c_c_lapack.c', f'{LL}/f2c_d_lapack.c',
        f'{LL}/f2c_s_lapack.c', f'{LL}/f2c_z_lapack.c', f'{LL}/f2c_blas.c',
        f'{LL}/f2c_config.c', f'{LL}/f2c_lapack.c',
    ], [], CORE_INC),
    ('numpy.linalg.lapack_lite', 'PyInit_lapack_lite',
     ['numpy/linalg/lapack_litemodule.c'], [], CORE_INC),
    ('numpy.linalg._umath_linalg', 'PyInit__umath_linalg',
     ['numpy/linalg/umath_linalg.cpp'], [], CORE_INC),
    ('numpy.fft._pocketfft_umath', 'PyInit__pocketfft_umath',
     ['numpy/fft/_pocketfft_umath.cpp'], [], CORE_INC),
    # npyrandom; mtrand's own copy of distributions.c is the same source with
    # an unused -DNP_RANDOM_LEGACY=1, so it is this one.
    ('npyrandom', None, [
        f'{R}/src/distributions/logfactorial.c', f'{R}/src/distributions/distributions.c',
        f'{R}/src/distributions/random_mvhg_count.c',
        f'{R}/src/distributions/random_mvhg_marginals.c',
        f'{R}/src/distributions/random_hypergeometric.c',
    ], [], CORE_INC),
    ('numpy.random._bounded_integers', 'PyInit__bounded_integers',
     [f'{R}/_bounded_integers.c'], RANDOM, CORE_INC + [f'{R}/src']),
    ('numpy.random._common', 'PyInit__common', [f'{R}/_common.c'], RANDOM, CORE_INC + [f'{R}/src']),
    ('numpy.random._mt19937', 'PyInit__mt19937',
     [f'{R}/_mt19937.c', f'{R}/src/mt19937/mt19937.c', f'{R}/src/mt19937/mt19937-jump.c'],
     RANDOM, CORE_INC + [f'{R}/src']),
    ('numpy.random._philox', 'PyInit__philox', [f'{R}/_philox.c', f'{R}/src/philox/philox.c'],
     RANDOM, CORE_INC + [f'{R}/src']),
    ('numpy.random._pcg64', 'PyInit__pcg64', [f'{R}/_pcg64.c', f'{R}/src/pcg64/pcg64.c'],
     RANDOM + ['-U__GNUC_GNU_INLINE__'], CORE_INC + [f'{R}/src']),
    ('numpy.random._sfc64', 'PyInit__sfc64', [f'{R}/_sfc64.c', f'{R}/src/sfc64/sfc64.c'],
     RANDOM, CORE_INC + [f'{R}/src']),
    ('numpy.random.bit_generator', 'PyInit_bit_generator', [f'{R}/bit_generator.c'],
     RANDOM, CORE_INC + [f'{R}/src']),
    ('numpy.random._generator', 'PyInit__generator', [f'{R}/_generator.c'],
     RANDOM, CORE_INC + [f'{R}/src']),
    # mtrand has its own copy of distributions.c, built with
    # NP_RANDOM_LEGACY=1: RAND_INT_TYPE is then `long`, which is 32 bits on
    # wasm32 (int64_t in npyrandom's copy), so the two copies differ and both
    # are needed. Its global names get a prefix (LEGACY_NAMES below) so that
    # they cannot meet npyrandom's in one module.
    ('numpy.random.mtrand', 'PyInit_mtrand',
     [f'{R}/mtrand.c', f'{R}/src/legacy/legacy-distributions.c',
      f'{R}/src/distributions/distributions.c'],
     RANDOM + ['-DNP_RANDOM_LEGACY=1'], CORE_INC + [f'{R}/src']),
]

# The unit whose objects are renamed, and the object whose global symbols
# are the names to rename (listed from it by llvm-nm at build time).
LEGACY_UNIT = 'numpy.random.mtrand'
LEGACY_NAMES_FROM = f'{R}/src/distributions/distributions.c'
LEGACY_PREFIX = 'np_legacy_'

# Cython sources: .pyx -> .c (the .c names above).
CYTHON = [f'{R}/{n}.pyx' for n in ('_bounded_integers', '_common', '_mt19937', '_philox',
                                   '_pcg64', '_sfc64', 'bit_generator', '_generator', 'mtrand')]


def unique_init(dotted):
    return 'PyInit_' + dotted.replace('.', '_')


def obj_name(path):
    return path.replace('/', '_').replace('.', '_').replace('-', '_') + '.o'


def main():
    src, out = sys.argv[1], sys.argv[2]
    lines = [
        '# Generated by toolchain/numpy/build_plan.py; do not edit.',
        f'SRC := {src}',
        f'OBJ := {out}/obj',
        f'CC := {os.environ["CC"]}',
        f'CXX := {os.environ["CXX"]}',
        f'CFLAGS := {os.environ["CFLAGS"]}',
        f'CXXFLAGS := {os.environ["CXXFLAGS"]}',
        f'PYINC := {os.environ["PYINC"]}',
        f'AR := {os.environ["AR"]}',
        f'NM := {os.environ["NM"]}',
        f'CYTHON := {os.environ["CYTHON"]}',
        # __FILE__ (CPython's PyErr_BadInternalCall, say) relative to the
        # numpy tree, not the builder's cache directory.
        'PREFIX_MAP := -ffile-prefix-map=$(SRC)/=',
        '',
    ]
    objs, rules, modules = [], [], []
    seen = set()
    for name, init, sources, flags, incs in UNITS:
        defs = list(flags)
        if init:
            defs.append(f'-D{init}={unique_init(name)}')
            modules.append(f'{name} {unique_init(name)}')
        # meson adds the directory of the meson.build defining a target to its
        # include path (implicit_include_directories).
        top = '/'.join(sources[0].split('/')[:2])
        inc = ' '.join(f'-I$(SRC)/{d}' for d in [top] + [i for i in incs if i != top])
        deps = ''
        if name == LEGACY_UNIT:
            defs.append('-include $(OBJ)/legacy_names.h')
            deps = ' $(OBJ)/legacy_names.h'
        for s in sources:
            o = obj_name(s)
            if name == LEGACY_UNIT:
                o = 'mtrand_' + o
            if o in seen:
                raise SystemExit(f'build_plan: {s} listed twice')
            seen.add(o)
            objs.append(f'$(OBJ)/{o}')
            cxx = s.endswith(('.cpp', '.cc'))
            comp = '$(CXX) $(CXXFLAGS)' if cxx else '$(CC) $(CFLAGS)'
            rules.append(f'$(OBJ)/{o}: $(SRC)/{s}{deps}\n'
                         f'\t@echo "  CC  {s}"\n'
                         f'\t@{comp} $(PREFIX_MAP) {" ".join(defs)} {inc} $(PYINC) -c $< -o $@')
    names_obj = '$(OBJ)/' + obj_name(LEGACY_NAMES_FROM)
    rules.append(f'$(OBJ)/legacy_names.h: {names_obj}\n'
                 f'\t@echo "  GEN  legacy_names.h"\n'
                 f'\t@$(NM) --defined-only --extern-only {names_obj} | '
                 f"awk '{{print \"#define \" $$3 \" {LEGACY_PREFIX}\" $$3}}' >$@.tmp && mv $@.tmp $@")
    for pyx in CYTHON:
        c = pyx[:-4] + '.c'
        # Run from the source root so that Cython finds numpy/*.pxd and names
        # the module by its package (numpy.random.X).
        rules.append(f'$(SRC)/{c}: $(SRC)/{pyx}\n'
                     f'\t@echo "  CYTHON  {pyx}"\n'
                     f'\t@cd $(SRC) && $(CYTHON) {pyx} -o {c}')
    lines.append('OBJS := \\\n  ' + ' \\\n  '.join(objs))
    lines += ['', 'all: $(OBJ)/.dir libnumpy.a', '',
              '$(OBJ)/.dir:\n\tmkdir -p $(OBJ) && touch $@', '',
              '$(OBJS): | $(OBJ)/.dir', '',
              'libnumpy.a: $(OBJS)\n\t@rm -f $@\n\t@echo "  AR  $@"\n\t@$(AR) rcs $@ $(OBJS)', '']
    lines += rules
    with open(os.path.join(out, 'numpy.mk'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(out, 'modules.txt'), 'w') as f:
        f.write('\n'.join(modules) + '\n')


if __name__ == '__main__':
    main()
