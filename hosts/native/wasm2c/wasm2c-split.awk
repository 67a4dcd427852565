# wasm2c-split.awk -- splits wasm2c's single C file into one "main" file and
# N parts holding the function bodies, so that gcc compiles several small
# translation units instead of one huge one.
#
# Why: wasm2c (wabt 1.0.32) makes every wasm function a `static` C function
# in one file (~90 MB, 6000+ functions, 80000 data segments); gcc -O2 spent
# 18 minutes and 14 GB on it, nearly all in init_memories (see "Data
# segments" below); with that fixed and the functions spread over 8 files,
# about 70 s on 2 cores and ~400 MB per compiler.
#
# How: the functions become hidden-visibility globals (declared in every
# part), `func_types` becomes a hidden global defined in main. On the way,
# memory accesses read the memory base once per function (see "Loads and
# stores") and interpreter loops get threaded dispatch (see "Threaded
# dispatch"). The parts are linked with `ld -r` and `objcopy
# --localize-hidden`, so the final object exports exactly what the unsplit
# one did.
#
#   awk -v parts=N -v out=DIR -f wasm2c-split.awk python_reactor.c python_reactor.c
# writes DIR/decls.h, DIR/main.c, DIR/data.c and DIR/part_0.c .. part_{N-1}.c. Exits non-zero if
# the file does not have the shape this script knows.

function flush_header(text) {
  # text: a whole top-level declaration or definition header of a w2c_ function
  sub(/^static /, "", text)
  return "__attribute__((visibility(\"hidden\"))) " text
}

# i32_load(&instance->w2c_memory, X) -> i32_load_mb(w2c_mb, X), etc. Any
# other use of the memory (memory.grow) stays as it is.
function rewrite_accesses(   from, at, rest, out, k) {
  rest = $0
  out = ""
  while ((at = index(rest, "(&instance->w2c_memory, ")) > 0) {
    from = at
    while (from > 1 && substr(rest, from - 1, 1) ~ /[a-z0-9_]/) from--
    k = substr(rest, from, at - from) "(&instance->w2c_memory, "
    if (k in accessor) out = out substr(rest, 1, from - 1) accessor[k]
    else out = out substr(rest, 1, at + 23)
    rest = substr(rest, at + 24)
  }
  $0 = out rest
}

# Bodies go to the parts in file order, each part taking about 1/N of the
# bytes: wasm2c keeps the wasm's function order, which is the link order, so
# functions of one C source file stay together and gcc can still inline
# among them (round-robin cost the JSON round trip ~15%).
function next_part() {
  if (target < parts - 1 && size[target] >= budget) target++
  return target
}

# Threaded dispatch. An interpreter's main loop (CPython's eval loop) is a
# wasm loop whose head computes the opcode and ends in a br_table, which
# wasm2c writes as a loop label, a few assignments and a `switch` of gotos;
# every handler jumps back to the label. The native build of the same C
# uses computed gotos instead, so that each handler ends in an indirect
# jump of its own, which the CPU predicts per handler; funnelled through
# the one jump of the switch, prediction fails far more often (that jump
# alone took ~14% of the fib kernel's time). Wasm has no computed goto, so
# it is restored here: each back edge of such a loop (`goto w2c_L31;`)
# gets a copy of the loop head, and the copy jumps through a table of label
# addresses (GNU C's `&&label`) to where the switch would have gone. The
# same code runs; only the dispatch is copied (186 times in the eval loop).
# clang then needs -tail-dup-pred-size/-tail-dup-succ-size raised
# (native.mk): it funnels every `goto *` of a function into one block and
# relies on tail duplication to copy it back out, which LLVM 19 by default
# refuses for a block with more than 16 predecessors or successors.
# A few other loops have the same shape (zlib's inflate, expat's attribute
# parsers, two config readers) and are threaded too, to no harm.
#
# find_dispatch (pass 1, one body line at a time) records each loop whose
# head is straight-line code (no label, brace, goto or return) followed by
# `switch (x) { case 0: goto A; case 1: goto B; ... default: goto D; }`
# with cases 0..n-1 in order, and counts the gotos to every loop label.
# The name in the first line of a w2c_ function's header. Pass 1 counts
# bodies as pass 2 does; the name of each is kept to check that both passes
# mean the same function by the same number.
function function_name(text) {
  match(text, /w2c_[A-Za-z0-9_]+\(/)
  return substr(text, RSTART, RLENGTH - 1)
}

function find_dispatch(   line, m, key) {
  line = $0
  while (match(line, /goto w2c_L[0-9]+;/)) {
    backs[fn1 "," substr(line, RSTART + 5, RLENGTH - 6)]++
    line = substr(line, RSTART + RLENGTH)
  }
  if ($0 ~ /^ *w2c_L[0-9]+: *$/) {
    cand = $0; gsub(/[ :]/, "", cand)
    cand_state = "head"; cand_head = ""; cand_n = 0; cand_to = ""; cand_default = ""
    return
  }
  if (cand_state == "head") {
    if ($0 ~ /^ *switch \(w2c_[a-z0-9]+\) \{$/) {
      cand_var = $2; gsub(/[()]/, "", cand_var); cand_state = "cases"
    } else if ($0 ~ /;$/ && $0 !~ /[{}:]|goto|return/) {
      line = $0; sub(/^ +/, "", line); cand_head = cand_head line " "
    } else cand_state = ""
    return
  }
  if (cand_state == "cases") {
    if ($0 ~ /^ *case [0-9]+: goto w2c_[A-Za-z0-9_]+;$/ && $2 == cand_n ":") {
      m = $4; sub(/;$/, "", m)
      cand_to = cand_to (cand_n ? ", " : "") "&&" m; cand_n++
    } else if ($0 ~ /^ *default: goto w2c_[A-Za-z0-9_]+;$/) {
      m = $3; sub(/;$/, "", m); cand_default = m
    } else if ($0 ~ /^ *}$/ && cand_default != "" && cand_n > 0) {
      key = fn1 "," cand
      d_head[key] = cand_head; d_var[key] = cand_var; d_n[key] = cand_n
      d_to[key] = cand_to; d_default[key] = cand_default
      cand_state = ""; cand_default = ""
    } else { cand_state = ""; cand_default = "" }
    return
  }
}

# Whether the loop `label` of body `fn` is worth threading: a real dispatch
# (many opcodes, many handlers jumping back).
function threaded(fn, label,   key) {
  key = fn "," label
  return (key in d_n) && d_n[key] >= 16 && backs[key] >= 16
}

# The line with each `goto <threaded loop>;` replaced by a copy of the
# loop's head and a jump through its table.
function thread_gotos(line,   out, label, key) {
  out = ""
  while (match(line, /goto w2c_L[0-9]+;/)) {
    label = substr(line, RSTART + 5, RLENGTH - 6)
    key = bodies "," label
    out = out substr(line, 1, RSTART - 1)
    if (threaded(bodies, label))
      out = out "{ " d_head[key] "if (" d_var[key] " < " d_n[key] "u) goto *w2c_jt_" label \
            "[" d_var[key] "]; goto " d_default[key] "; }"
    else out = out substr(line, RSTART, RLENGTH)
    line = substr(line, RSTART + RLENGTH)
  }
  return out line
}

# Fixed table. wasm2c's CALL_INDIRECT reads the table's size and data
# pointer from the instance, the entry's function, type and instance, and
# the expected type from the func_types global: about 14 instructions per
# call of a C function pointer, which CPython makes for every type slot
# (tp_richcompare, nb_add, vectorcall, ...). Our module's one table is
# filled once from one element segment and never changed: its size is its
# maximum, and no body touches it other than through CALL_INDIRECT (pass 1
# checks all of this and leaves CALL_INDIRECT alone otherwise). So the
# table is written out at build time as two constant arrays, the entries'
# functions and their type numbers, and CALL_FIXED checks the index
# against the constant size and the entry's type against a constant: the
# same two checks, the same trap, three loads fewer. Type numbers are
# canonical (the first type of equal signature), as func_types' are.
function fixed_table_pass1(   m, line) {
  if (match($0, /^  func_types\[[0-9]+\] = wasm_rt_register_func_type\(.*\);$/)) {
    m = $0; sub(/^  func_types\[/, "", m); sub(/\].*/, "", m)
    line = $0; sub(/^[^=]*= /, "", line)
    if (!(line in sig_first)) sig_first[line] = m + 0
    canon[m + 0] = sig_first[line]; if (m + 1 > n_types) n_types = m + 1
  } else if ($0 ~ /^static const wasm_elem_segment_expr_t elem_segment_exprs_w2c_e[0-9]+\[\] = \{$/) {
    n_elem_segs++; in_elem = 1
  } else if (in_elem && $0 == "};") in_elem = 0
  else if (in_elem) {
    if (match($0, /^  \{[0-9]+, \(wasm_rt_function_ptr_t\)&w2c_[A-Za-z0-9_]+, 0\},$/)) {
      m = $0; gsub(/[{},()&]/, " ", m); split(m, f, / +/)
      elem_type[n_elems + 0] = f[2] + 0; elem_fn[n_elems + 0] = f[4]; n_elems++
    } else no_fixed = "an element entry of another shape"
  } else if ($0 ~ /^  wasm_rt_allocate_funcref_table\(&instance->w2c_T0, [0-9]+, [0-9]+\);$/) {
    split($0, f, /[(), ]+/); tab_size = f[4] + 0; tab_max = f[5] + 0
  } else if ($0 ~ /^  funcref_table_init\(&instance->w2c_T0, elem_segment_exprs_w2c_e0, [0-9]+, [0-9]+u, 0, [0-9]+, instance, func_types\);$/) {
    split($0, f, /, /); tab_at = f[4] + 0; tab_inits++
    if (f[3] != f[6] || f[3] + 0 != n_elems) no_fixed = "a partial element segment"
  } else if (index($0, "w2c_T0") && $0 != "  wasm_rt_free_funcref_table(&instance->w2c_T0);") {
    no_fixed = "another use of the table (an export?)"  # the host could change it
  }
}

# `line` with the uses of the table that CALL_FIXED replaces replaced by
# `call` and `inst`; the number of calls goes to `rewritten`. Pass 1
# replaces them by nothing, and whatever use of the table is left makes the
# table not fixed; pass 2 rewrites them. One function for both, so that
# what was checked is what gets rewritten.
function table_calls(line, call, inst) {
  rewritten = gsub(/CALL_INDIRECT\(instance->w2c_T0, /, call, line)
  gsub(/instance->w2c_T0\.data\[w2c_[a-z0-9]+\]\.module_instance/, inst, line)
  return line
}

function table_is_fixed() {
  if (no_fixed == "" && n_elem_segs != 1) no_fixed = (n_elem_segs + 0) " element segments"
  if (no_fixed == "" && tab_inits != 1) no_fixed = (tab_inits + 0) " initializations of the table w2c_T0"
  if (no_fixed == "" && (tab_size != tab_max || tab_at + n_elems > tab_size)) no_fixed = "a growable table"
  if (no_fixed == "" && n_types >= 255) no_fixed = n_types " types"
  return no_fixed == ""
}

function print_fixed_table_decls(   i, list) {
  print "#define W2C_FIXED_TABLE_SIZE " tab_size "u" > decls
  print "extern __attribute__((visibility(\"hidden\"))) const u8 w2c_fixed_type[];" > decls
  print "extern __attribute__((visibility(\"hidden\"))) const wasm_rt_function_ptr_t w2c_fixed_func[];" > decls
  list = ""
  for (i = 0; i < n_types; i++) list = list (i ? ", " : "") canon[i]
  print "static const u8 w2c_canon_type[] = {" list "};" > decls
  print "#define CALL_FIXED(t, ft, x, ...)                                          \\" > decls
  print "  (LIKELY((x) < W2C_FIXED_TABLE_SIZE && w2c_fixed_type[x] == w2c_canon_type[ft]) || \\" > decls
  print "       TRAP(CALL_INDIRECT),                                            \\" > decls
  print "   ((t)w2c_fixed_func[x])(__VA_ARGS__))" > decls
}

# Entries outside the segment are null: type 255 matches no call.
function print_fixed_table(   i, k) {
  print "const u8 w2c_fixed_type[] = {" > main
  for (i = 0; i < tab_size; i++) {
    k = i - tab_at
    printf "%s%s", (k >= 0 && k < n_elems ? canon[elem_type[k]] : 255), (i % 32 == 31 ? ",\n" : ", ") > main
  }
  print "};" > main
  print "const wasm_rt_function_ptr_t w2c_fixed_func[] = {" > main
  for (i = 0; i < tab_size; i++) {
    k = i - tab_at
    print "  " (k >= 0 && k < n_elems ? "(wasm_rt_function_ptr_t)&" elem_fn[k] : "0") "," > main
  }
  print "};" > main
}

# Pass 1 (the file is given twice): the total size of the function bodies,
# the dispatch loops (see "Threaded dispatch" below) and the table (see
# "Fixed table").
NR == FNR {
  if (p1 == "body") {
    total += length($0) + 1
    if ($0 == "}") p1 = ""
    else find_dispatch()
    if (index($0, "w2c_T0") && index(table_calls($0, "", ""), "w2c_T0")) no_fixed = "a table operation in a body"
    next
  }
  fixed_table_pass1()
  if (/^static [a-z0-9_]+ w2c_[A-Za-z0-9_]+\(/) { p1 = "header"; p1_name = function_name($0) }
  if (p1 == "header" && /[{;]$/) {
    p1 = /\{$/ ? "body" : ""
    if (p1 == "body") { fn1++; fn_name[fn1] = p1_name; cand = "" }
  }
  next
}
FNR == 1 {
  budget = total / parts
  fixed = table_is_fixed()
}

BEGIN {
  if (parts < 1 || out == "") { print "usage: -v parts=N -v out=DIR" > "/dev/stderr"; exit 2 }
  target = 0
  state = "prelude"
  decls = out "/decls.h"
  main = out "/main.c"
  data = out "/data.c"
  for (i = 0; i < parts; i++) { size[i] = 0; part[i] = out "/part_" i ".c" }
  print "/* prelude and declarations shared by every part */" > decls
  print "#include \"decls.h\"" > main
  print "#include \"decls.h\"" > data
  for (i = 0; i < parts; i++) print "#include \"decls.h\"" > part[i]
  bodies = 0
}

# Loads and stores. wasm2c's take the memory (&instance->w2c_memory) and
# read its data pointer at every access; since every store goes through
# memcpy, which may alias anything, gcc cannot keep that pointer in a
# register and reloads it after each store. Our runtime never moves a
# memory (wasm_rt_grow_memory only unprotects pages of the reservation), so
# each function reads the base once (w2c_mb, below) and these _mb variants
# take it. Same accesses otherwise: no bounds check (the reservation's
# guard pages trap), and the same asm barrier that keeps a load whose
# result is unused from being dropped, so out-of-bounds loads still trap.
function print_mb_accessors() {
  print "#if !WASM_RT_MEMCHECK_SIGNAL_HANDLER || WABT_BIG_ENDIAN" > decls
  print "#error \"wasm2c-split.awk: the _mb accessors assume guard-page bounds checks, little endian\"" > decls
  print "#endif" > decls
  print "#define DEFINE_MB_LOAD(name, t1, t2, t3) \\" > decls
  print "  static inline t3 name##_mb(u8* mb, u64 addr) { \\" > decls
  print "    t1 result; \\" > decls
  print "    wasm_rt_memcpy(&result, mb + addr, sizeof(t1)); \\" > decls
  print "    wasm_asm(\"\" ::\"r\"(result)); \\" > decls
  print "    return (t3)(t2)result; \\" > decls
  print "  }" > decls
  print "#define DEFINE_MB_STORE(name, t1, t2) \\" > decls
  print "  static inline void name##_mb(u8* mb, u64 addr, t2 value) { \\" > decls
  print "    t1 wrapped = (t1)value; \\" > decls
  print "    wasm_rt_memcpy(mb + addr, &wrapped, sizeof(t1)); \\" > decls
  print "  }" > decls
  for (i = 1; i <= n_access; i++) print "DEFINE_MB_" access[i] > decls
}

# "DEFINE_LOAD(i32_load, u32, u32, u32)" -> the _mb twin, and the name for
# the rewrite of the function bodies.
state == "prelude" && /^DEFINE_(LOAD|STORE)\([a-z0-9_]+, / {
  print > decls
  access[++n_access] = substr($0, 8)
  name = $0
  sub(/^DEFINE_(LOAD|STORE)\(/, "", name)
  sub(/,.*/, "", name)
  accessor[name "(&instance->w2c_memory, "] = name "_mb(w2c_mb, "
  if ($0 == "DEFINE_STORE(i64_store32, u32, u64)") print_mb_accessors()
  next
}

# The prelude: macros and static inline helpers, shared by every file.
state == "prelude" {
  if ($0 == "static bool s_module_initialized = false;") {
    if (n_access != 23) { print "expected 23 DEFINE_LOAD/STORE lines, saw " n_access > "/dev/stderr"; exit 1 }
    state = "top"
    print "extern __attribute__((visibility(\"hidden\"))) u32 func_types[];" > decls
    if (fixed) print_fixed_table_decls()
    print > main
    next
  }
  print > decls
  next
}

# A header of a w2c_ function, possibly over several lines.
state == "top" && /^static [a-z0-9_]+ w2c_[A-Za-z0-9_]+\(/ {
  header = $0
  while (header !~ /[{;]$/) {
    if ((getline line) <= 0) { print "unterminated header" > "/dev/stderr"; exit 1 }
    header = header "\n" line
  }
  if (header ~ /;$/) { print flush_header(header) > decls; next }
  print flush_header(header) > part[next_part()]
  print "  u8* const w2c_mb = instance->w2c_memory.data;" > part[target]
  state = "body"
  bodies++
  if (fn_name[bodies] != function_name(header)) {
    print "pass 1 saw body " bodies " as " fn_name[bodies] ", pass 2 as " function_name(header) > "/dev/stderr"
    exit 1
  }
  next
}

state == "body" {
  if (index($0, "data_segment_data_")) { print "a function uses a data segment" > "/dev/stderr"; exit 1 }
  if ($0 ~ /^ *w2c_L[0-9]+: *$/) {
    label = $0; gsub(/[ :]/, "", label)
    if (threaded(bodies, label)) {
      # `;` first: the line before may be a label, which needs a statement.
      print "  ; static void *const w2c_jt_" label "[] = {" d_to[bodies "," label] "};" > part[target]
      threads++
    }
  }
  if (index($0, "goto w2c_L")) $0 = thread_gotos($0)
  if (index($0, "(&instance->w2c_memory, ")) rewrite_accesses()
  if (fixed && index($0, "w2c_T0")) {
    $0 = table_calls($0, "CALL_FIXED(", "instance")
    fixed_calls += rewritten
  }
  print > part[target]
  size[target] += length($0) + 1
  if ($0 == "}") state = "top"
  next
}

# Data segments: wasm2c writes each of them (80000 here) as a brace list of
# hex bytes and copies each with its own LOAD_DATA line in init_memories.
# gcc needs a tree node per byte of such lists, and at -O2 it took 10 minutes
# and 14 GB on that one function. Here all segments become one string
# literal in data.c and init_memories a loop over a table of (address,
# size, offset in the blob): same copies, same bounds checks, same order.
state == "top" && /^static const u8 data_segment_data_w2c_d[0-9]+\[\] = \{$/ {
  name = $4
  sub(/\[\]$/, "", name)
  if (!blob_open) { print "static const u8 blob[] =" > data; blob_open = 1 }
  seg_at[name] = blob_len + 0
  state = "data"
  next
}

state == "data" {
  if ($0 == "};") { state = "top"; next }
  line = $0
  blob_len += gsub(/0x/, "\\x", line)
  gsub(/[ ,]/, "", line)
  print "  \"" line "\"" > data
  next
}

state == "top" && /^static void init_memories\(Z_python_reactor_instance_t\* instance\) \{$/ {
  print (blob_open ? "  \"\";" : "static const u8 blob[] = \"\";") > data
  print "struct pyreactor_rt_segment { u32 addr, size, at; };" > data
  print "static const struct pyreactor_rt_segment segments[] = {" > data
  print "__attribute__((visibility(\"hidden\"))) void init_memories(Z_python_reactor_instance_t* instance);" > main
  pre = ""; post = ""; loads = 0
  state = "init_memories"
  next
}

state == "init_memories" && /^  LOAD_DATA\(instance->w2c_memory, [0-9]+u, data_segment_data_w2c_d[0-9]+, [0-9]+\);$/ {
  if (post != "") { print "code between LOAD_DATA lines" > "/dev/stderr"; exit 1 }
  split($0, f, /[(), ]+/)
  if (!(f[5] in seg_at)) { print "LOAD_DATA of unknown segment " f[5] > "/dev/stderr"; exit 1 }
  a = f[4] + 0
  if (loads == 0 || a < lo) lo = a
  if (loads == 0 || a + f[6] > hi) hi = a + f[6]
  print "  {" f[4] ", " f[6] ", " seg_at[f[5]] "}," > data
  loads++
  next
}

state == "init_memories" {
  if ($0 == "}") {
    print "};" > data
    print "void pyreactor_rt_prefault(wasm_rt_memory_t *memory, u64 start, u64 len);" > data
    print "int pyreactor_rt_map_image(wasm_rt_memory_t *memory, const u8 *blob, size_t blob_len," > data
    print "                           const struct pyreactor_rt_segment *segments, size_t n);" > data
    print "__attribute__((visibility(\"hidden\"))) void init_memories(Z_python_reactor_instance_t* instance) {" > data
    printf "%s", pre > data
    if (loads > 0) {
      # The runtime maps a shared copy-on-write image of the initialized
      # memory (wasm_memory_image.c); the copy below is its fallback.
      print "  if (pyreactor_rt_map_image(&instance->w2c_memory, blob, sizeof blob - 1, segments," > data
      print "                             sizeof segments / sizeof segments[0]) == 0) {" > data
      # Fault the pages in with one call rather than one fault per page:
      # opening an instance went from ~27 ms to ~9 ms (RSS unchanged).
      print "    pyreactor_rt_prefault(&instance->w2c_memory, " lo "u, " (hi - lo) "u);" > data
      print "    for (size_t i = 0; i < sizeof segments / sizeof segments[0]; i++)" > data
      print "      LOAD_DATA(instance->w2c_memory, segments[i].addr, blob + segments[i].at, segments[i].size);" > data
      print "  }" > data
    }
    printf "%s", post > data
    print "}" > data
    state = "top"
    next
  }
  if (loads == 0) pre = pre $0 "\n"; else post = post $0 "\n"
  next
}

state == "top" && /^static u32 func_types\[[0-9]+\];$/ {
  sub(/^static /, "__attribute__((visibility(\"hidden\"))) ")
  print > main
  next
}

# With the table fixed, the instance's own copy of it is never read; not
# filling it saves 4547 entries of 24 bytes (~110 KB resident) per instance.
# (free_tables then frees a null pointer.)
state == "top" && fixed && /^  (wasm_rt_allocate_funcref_table|funcref_table_init)\(&instance->w2c_T0, / {
  if (index($0, "allocate")) print "  /* w2c_T0 stays empty: see \"Fixed table\" in wasm2c-split.awk */" > main
  next
}

state == "top" { print > main }

END {
  if (state != "top" || bodies == 0) { print "unexpected shape: state " state ", " bodies " bodies" > "/dev/stderr"; exit 1 }
  printf "[native] threaded dispatch in %d loops\n", threads > "/dev/stderr"
  if (fixed) {
    print_fixed_table()
    printf "[native] fixed table: %d entries, %d indirect calls\n", tab_size, fixed_calls > "/dev/stderr"
  } else printf "[native] table not fixed (%s): indirect calls as wasm2c writes them\n", no_fixed > "/dev/stderr"
}
