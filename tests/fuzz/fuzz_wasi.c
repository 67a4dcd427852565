/*
** fuzz_wasi.c -- libFuzzer harness over the WASI layer alone.
**
** The guest is the only author of WASI arguments, and a hostile guest picks
** them all: pointers, lengths, iovec arrays, fds, flags, paths. Each input
** here is decoded into a sequence of calls through the very bindings the
** generated code calls (Z_wasi_snapshot_preview1Z_*, wasi_link.c), inside
** guest_call() on a guest stack as the host runs them, against:
**
** - a guest memory of 0-4 wasm pages whose end abuts a PROT_NONE guard, with
**   a 64 KiB canary zone on each side that is filled with a pattern and
**   poisoned for ASan: host code touching it is an ASan report, a system
**   call writing into it is caught by ASan's interceptors or, failing that,
**   by the pattern check after the input; the guard turns any wilder access
**   into a SEGV (ours, not the guest's: the env's memory is not this one, so
**   guest_call's handler passes the fault on to ASan);
** - a scratch directory under /tmp with a writable grant, a read-only grant
**   and a sibling no grant reaches. After every input the read-only grant,
**   the sibling and the scratch root must be exactly as they were (a write
**   through the read-only grant or an escape is a crash here), and no host
**   fd may be left open.
**
** Calls that could block for long are bounded: stdin is an in-memory buffer,
** poll_oneoff is skipped when it would sleep for more than a millisecond,
** files are capped at 16 MiB by RLIMIT_FSIZE (fd_allocate would otherwise
** fill the disk), and the guest call has a time limit as a last resort.
*/
#include "guest_call.h"
#include "wasi_impl.h"

#include "python_reactor.h" /* declares the bindings */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sanitizer/asan_interface.h>

#define W(name) Z_wasi_snapshot_preview1Z_##name

#define PAGE 65536u
#define MAX_PAGES 4u
#define CANARY_SIZE PAGE
#define GUARD_SIZE ((size_t)1 << 20)
#define CANARY_BYTE 0xA5
#define MAX_OPS 64
#define CALL_TIMEOUT_MS 2000u
#define FILE_SIZE_CAP ((rlim_t)16 << 20)

#define FUZZ_NAME "fuzz_wasi"
#include "fuzz_common.h"

/* ===================================================== guest memory == */

/* [guard][canary][MAX_PAGES][canary][guard]; the memory of an input with S
** pages is the last S pages before the high canary, so it always ends at
** the canary and what lies before it is canary too. */
static uint8_t *region;
static size_t region_size;
static uint8_t *zone_lo, *zone_hi; /* the RW part: canary..canary */
static wasm_rt_memory_t mem;

static void memory_map(void)
{
  region_size = 2 * GUARD_SIZE + 2 * CANARY_SIZE + (size_t)MAX_PAGES * PAGE;
  region = mmap(NULL, region_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED)
    fail("mmap: %s", strerror(errno));
  zone_lo = region + GUARD_SIZE;
  zone_hi = zone_lo + 2 * CANARY_SIZE + (size_t)MAX_PAGES * PAGE;
  if (mprotect(zone_lo, (size_t)(zone_hi - zone_lo), PROT_READ | PROT_WRITE) != 0)
    fail("mprotect: %s", strerror(errno));
}

/* Lays out an S-page memory, zeroed, with fresh canaries around it. */
static void memory_prepare(uint32_t pages)
{
  uint8_t *end = zone_hi - CANARY_SIZE;
  ASAN_UNPOISON_MEMORY_REGION(zone_lo, (size_t)(zone_hi - zone_lo));
  mem.data = end - (size_t)pages * PAGE;
  mem.pages = pages;
  mem.max_pages = MAX_PAGES;
  mem.size = pages * PAGE;
  memset(zone_lo, CANARY_BYTE, (size_t)(mem.data - zone_lo));
  memset(mem.data, 0, mem.size);
  memset(end, CANARY_BYTE, CANARY_SIZE);
  ASAN_POISON_MEMORY_REGION(zone_lo, (size_t)(mem.data - zone_lo));
  ASAN_POISON_MEMORY_REGION(end, CANARY_SIZE);
}

/* Not coverage-instrumented: comparisons here would cost more than every
** call under test, and teach the fuzzer nothing. */
__attribute__((no_sanitize("coverage"), noinline)) static void check_canary(const uint8_t *from,
                                                                   const uint8_t *to,
                                                                   const char *side)
{
  for (const uint8_t *p = from; p < to; p++)
    if (*p != CANARY_BYTE)
      fail("byte %s guest memory changed (offset %td from memory start, now 0x%02x)", side,
           p - mem.data, *p);
}

static void memory_check(uint32_t pages)
{
  ASAN_UNPOISON_MEMORY_REGION(zone_lo, (size_t)(zone_hi - zone_lo));
  if (mem.data != zone_hi - CANARY_SIZE - (size_t)pages * PAGE || mem.size != pages * PAGE ||
      mem.pages != pages)
    fail("the WASI layer changed the memory descriptor");
  check_canary(zone_lo, mem.data, "below");
  check_canary(mem.data + mem.size, zone_hi, "above");
}

/* ===================================================== scratch tree == */

/* root/rw (granted), root/ro (granted read-only), root/outside (never). */
static char root[64];
static int root_fd = -1, rw_fd = -1, ro_fd = -1, outside_fd = -1;
static uint64_t ro_hash, outside_hash, root_hash;

static void write_file(int dir, const char *name, const char *text)
{
  int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
    fail("creating %s: %s", name, strerror(errno));
  close(fd);
}

static int open_dir_at(int dir, const char *name)
{
  int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    fail("opening %s: %s", name, strerror(errno));
  return fd;
}

/* Links of every kind the resolution code must handle: inside, escaping
** relatively, absolute, to the parent, to themselves. */
static void fill_rw(void)
{
  write_file(rw_fd, "a.txt", "hello wasi\n");
  if (mkdirat(rw_fd, "sub", 0755) != 0)
    fail("mkdir sub: %s", strerror(errno));
  int sub = open_dir_at(rw_fd, "sub");
  write_file(sub, "b.txt", "bbb");
  close(sub);
  static const char *const links[][2] = {
    {"a.txt", "link"}, {"../outside/secret.txt", "esc"}, {"/etc/passwd", "abs"},
    {"..", "up"}, {"loop", "loop"}, {"sub/../a.txt", "dotted"},
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlinkat(links[i][0], rw_fd, links[i][1]) != 0)
      fail("symlink %s: %s", links[i][1], strerror(errno));
}

/* A directory stream of its own: a dup would share (and move) the offset
** of `dir`. */
static DIR *dir_stream(int dir)
{
  int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL)
    fail("opening a directory stream: %s", strerror(errno));
  return d;
}

/* Empties a directory without following anything in it; passes until
** nothing is left, as removing entries while reading is unspecified. */
static void empty_dir(int dir)
{
  int again = 1;
  while (again) {
    again = 0;
    DIR *d = dir_stream(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      again = 1;
      if (unlinkat(dir, e->d_name, 0) == 0)
        continue;
      int sub = open_dir_at(dir, e->d_name);
      empty_dir(sub);
      close(sub);
      if (unlinkat(dir, e->d_name, AT_REMOVEDIR) != 0)
        fail("rmdir %s: %s", e->d_name, strerror(errno));
    }
    closedir(d);
  }
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
  const uint8_t *p = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* What may not change about one entry: identity, type, size, link count,
** mtime, ctime (any metadata change), and content or link text. Atime may. */
static uint64_t entry_hash(int dir, const char *rel, const char *name, const struct stat *st)
{
  uint64_t h = fnv(0xcbf29ce484222325ull, rel, strlen(rel));
  long long f[] = {(long long)st->st_ino, st->st_mode, st->st_size, (long long)st->st_nlink,
                   st->st_mtim.tv_sec, st->st_mtim.tv_nsec, st->st_ctim.tv_sec, st->st_ctim.tv_nsec};
  h = fnv(h, f, sizeof f);
  char buf[4096];
  ssize_t n = -1;
  if (S_ISLNK(st->st_mode)) {
    n = readlinkat(dir, name, buf, sizeof buf);
  } else if (S_ISREG(st->st_mode)) {
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      n = read(fd, buf, sizeof buf);
      close(fd);
    }
  }
  return n > 0 ? fnv(h, buf, (size_t)n) : h;
}

/* Order-independent hash of a tree (sum of entry hashes). */
static uint64_t tree_hash(int dir, const char *rel)
{
  uint64_t sum = 0;
  DIR *d = dir_stream(dir);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      fail("stat %s/%s: %s", rel, e->d_name, strerror(errno));
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", rel, e->d_name);
    sum += entry_hash(dir, path, e->d_name, &st);
    if (S_ISDIR(st.st_mode) && strcmp(e->d_name, ".") != 0) {
      int sub = open_dir_at(dir, e->d_name);
      sum += tree_hash(sub, path);
      close(sub);
    }
  }
  closedir(d);
  return sum;
}

/* The scratch root: its own times and its entries, not what is inside them
** (rw changes all the time). */
static uint64_t root_entries_hash(void)
{
  uint64_t sum = 0;
  DIR *d = dir_stream(root_fd);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    if (fstatat(root_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      fail("stat %s: %s", e->d_name, strerror(errno));
    uint64_t h = fnv(0xcbf29ce484222325ull, e->d_name, strlen(e->d_name));
    long long f[] = {(long long)st.st_ino, st.st_mode};
    sum += fnv(h, f, sizeof f);
  }
  closedir(d);
  struct stat st;
  if (fstat(root_fd, &st) != 0)
    fail("stat root: %s", strerror(errno));
  return fnv(sum, &st.st_mtim, sizeof st.st_mtim);
}

static void tree_create(void)
{
  snprintf(root, sizeof root, "/tmp/pyreactor-fuzz-wasi-%d-XXXXXX", (int)getpid());
  if (mkdtemp(root) == NULL)
    fail("mkdtemp: %s", strerror(errno));
  root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0 || mkdirat(root_fd, "rw", 0755) != 0 || mkdirat(root_fd, "ro", 0755) != 0 ||
      mkdirat(root_fd, "outside", 0755) != 0)
    fail("creating %s: %s", root, strerror(errno));
  rw_fd = open_dir_at(root_fd, "rw");
  ro_fd = open_dir_at(root_fd, "ro");
  outside_fd = open_dir_at(root_fd, "outside");
  write_file(ro_fd, "f.txt", "read only");
  if (mkdirat(ro_fd, "d", 0755) != 0 || symlinkat("f.txt", ro_fd, "lnk") != 0 ||
      symlinkat("../rw/a.txt", ro_fd, "to_rw") != 0)
    fail("filling ro: %s", strerror(errno));
  write_file(outside_fd, "secret.txt", "secret");
  fill_rw();
  ro_hash = tree_hash(ro_fd, "ro");
  outside_hash = tree_hash(outside_fd, "outside");
  root_hash = root_entries_hash();
}

static void tree_remove(void)
{
  if (root_fd < 0)
    return;
  empty_dir(root_fd);
  close(rw_fd);
  close(ro_fd);
  close(outside_fd);
  close(root_fd);
  rmdir(root);
  root_fd = -1;
}

static void tree_check(void)
{
  if (tree_hash(ro_fd, "ro") != ro_hash)
    fail("the read-only grant changed");
  if (tree_hash(outside_fd, "outside") != outside_hash)
    fail("a directory outside every grant changed");
  if (root_entries_hash() != root_hash)
    fail("the scratch root (the grants' parent) changed");
}

/* ==================================================== the WASI ctx == */

static wasi_grant grants[2];
static wasi_config cfg;
static wasi_ctx ctx;
static guest_stack stack;
static guest_env env;
static wasm_rt_memory_t no_memory; /* env's: faults in `mem` are never the guest's */
static int fd_baseline;
/* FUZZ_TRACE=1 in the environment: one line per call, to see what an
** input does (build/fuzz/fuzz_wasi FILE). */
static int trace;

static const char stdin_text[] = "line one\nline two\n\xff\xfe not utf-8\n";
static const char env_block[] = "A=1\0BB=22\0EMPTY=\0PYTHONPATH=/rw";

/* Output must come straight from guest memory: read every byte (ASan
** checks each read against the canaries). */
static volatile uint8_t sink_sum;

static void sink(void *user, const char *data, size_t len)
{
  (void)user;
  const uint8_t *p = (const uint8_t *)data;
  if (p < mem.data || len > mem.size || (size_t)(p - mem.data) > mem.size - len)
    fail("sink got %zu bytes at %p, outside guest memory", len, (const void *)data);
  uint8_t s = 0;
  for (size_t i = 0; i < len; i++)
    s = (uint8_t)(s + p[i]);
  sink_sum = s;
}

/* Host fds into the scratch tree. Only those: libFuzzer and the sanitizers
** open fds of their own at times (the symbolizer's pipes). */
static int count_scratch_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    fail("opendir /proc/self/fd: %s", strerror(errno));
  int n = 0;
  struct dirent *e;
  size_t root_len = strlen(root);
  while ((e = readdir(d)) != NULL) {
    char target[256];
    ssize_t k = readlinkat(dirfd(d), e->d_name, target, sizeof target);
    if (k >= (ssize_t)root_len && memcmp(target, root, root_len) == 0)
      n++;
  }
  closedir(d);
  return n;
}

static void cleanup(void)
{
  tree_remove();
  if (grants[0].host_fd > 0)
    close(grants[0].host_fd);
  if (grants[1].host_fd > 0)
    close(grants[1].host_fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  /* A file past the cap fails with EFBIG instead of filling the disk
  ** (SIGXFSZ is ignored on the first input: libFuzzer installs its own
  ** handler after this function). */
  struct rlimit lim = {FILE_SIZE_CAP, FILE_SIZE_CAP};
  if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
    fail("setrlimit: %s", strerror(errno));
  memory_map();
  tree_create();
  atexit(cleanup);
  grants[0] = (wasi_grant){fcntl(rw_fd, F_DUPFD_CLOEXEC, 0), "/rw", false};
  grants[1] = (wasi_grant){fcntl(ro_fd, F_DUPFD_CLOEXEC, 0), "/ro", true};
  cfg = (wasi_config){.grants = grants, .n_grants = 2, .env_block = env_block,
                      .env_bytes = sizeof env_block, .env_count = 4,
                      .stdin_data = stdin_text, .stdin_len = sizeof stdin_text - 1,
                      .out = sink, .err = sink};
  if (guest_stack_init(&stack, (size_t)4 << 20) != 0)
    fail("guest_stack_init");
  env = (guest_env){.stack = &stack, .memory = &no_memory, .max_pages = MAX_PAGES,
                    .timeout_ms = CALL_TIMEOUT_MS};
  fd_baseline = count_scratch_fds();
  trace = getenv("FUZZ_TRACE") != NULL;
  return 0;
}

/* ================================================== input decoding == */

/* Where the harness last put each kind of structure, so that calls find
** them (a random pointer rarely lands on a path). */
enum { M_POKE, M_IOVS, M_PATH_A, M_PATH_B, M_SUBS, N_MARKS };

typedef struct run {
  const uint8_t *p;
  size_t n;
  uint32_t mark[N_MARKS];
  uint32_t mark_len[N_MARKS];
  uint32_t exit_code; /* what proc_exit was called with */
} run;

static uint8_t rd8(run *s)
{
  if (s->n == 0)
    return 0;
  s->n--;
  return *s->p++;
}

/* Little-endian, byte by byte in order (the order of evaluation of the
** operands of | is unspecified). */
static uint64_t rd_le(run *s, int bytes)
{
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v |= (uint64_t)rd8(s) << (8 * i);
  return v;
}

static uint16_t rd16(run *s)
{
  return (uint16_t)rd_le(s, 2);
}

static uint32_t rd32(run *s)
{
  return (uint32_t)rd_le(s, 4);
}

static uint64_t rd64(run *s)
{
  return rd_le(s, 8);
}

/* A guest address: mostly inside memory, often at its edges, sometimes
** past them or wrapping around u32, sometimes a structure we wrote. */
static uint32_t arg_ptr(run *s)
{
  uint8_t tag = rd8(s);
  uint32_t size = mem.size;
  switch (tag & 7) {
  case 0: return rd8(s);
  case 1: return size > 0 ? (uint32_t)rd16(s) * 4 % size : rd16(s);
  case 2: return size - rd8(s);
  case 3: return size + rd8(s);
  case 4: return UINT32_MAX - rd8(s);
  case 5: return rd32(s);
  default: return s->mark[(tag >> 3) % N_MARKS] + (tag >> 6);
  }
}

static uint32_t arg_len(run *s)
{
  uint8_t tag = rd8(s);
  switch (tag & 7) {
  case 0:
  case 1: return tag >> 3;
  case 2: return rd8(s);
  case 3: return rd16(s);
  case 4: return mem.size - (tag >> 3);
  case 5: return rd32(s);
  case 6: return UINT32_MAX - (tag >> 3);
  default: return s->mark_len[(tag >> 3) % N_MARKS];
  }
}

/* A pointer/length pair that is usually the structure of kind `m`. */
static uint32_t arg_ref(run *s, int m)
{
  return rd8(s) < 200 ? s->mark[m] : arg_ptr(s);
}

static uint32_t arg_count(run *s, int m)
{
  return rd8(s) < 200 ? s->mark_len[m] : arg_len(s);
}

/* 0-2 stdio, 3 rw, 4 ro, 5.. what path_open returned; rarely anything. */
static uint32_t arg_fd(run *s)
{
  uint8_t tag = rd8(s);
  return tag < 0xF0 ? tag % 12u : rd32(s);
}

static uint64_t arg_u64(run *s)
{
  static const uint64_t edges[] = {0, 1, 4095, 4096, (uint64_t)1 << 20, (uint64_t)1 << 31,
                                   (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX};
  uint8_t tag = rd8(s);
  switch (tag & 3) {
  case 0: return tag >> 2;
  case 1: return rd16(s);
  case 2: return rd64(s);
  default: return edges[(tag >> 2) % (sizeof edges / sizeof edges[0])];
  }
}

static uint32_t arg_flags(run *s)
{
  uint8_t tag = rd8(s);
  return tag < 0xF0 ? tag & 0x1F : rd32(s);
}

/* ============================================ structures in memory == */

/* Harness writes are clipped to the memory: only the calls under test may
** be wild. */
static void put(uint32_t at, const void *src, size_t n)
{
  const uint8_t *b = src;
  for (size_t i = 0; i < n; i++)
    if ((uint64_t)at + i < mem.size)
      mem.data[at + i] = b[i];
}

static void put32(uint32_t at, uint32_t v)
{
  uint8_t b[4];
  wasi_put_u32(b, v);
  put(at, b, 4);
}

static void put64(uint32_t at, uint64_t v)
{
  uint8_t b[8];
  wasi_put_u64(b, v);
  put(at, b, 8);
}

static void op_poke(run *s)
{
  uint32_t at = arg_ptr(s);
  uint8_t n = rd8(s);
  for (uint8_t i = 0; i < n; i++) {
    uint8_t b = rd8(s);
    put(at + i, &b, 1);
  }
  s->mark[M_POKE] = at;
  s->mark_len[M_POKE] = n;
}

/* An iovec array; a count past 200 makes a long array of one repeated
** entry, to go past the inline buffer and IOV_MAX. */
static void op_iovecs(run *s)
{
  uint32_t at = arg_ptr(s);
  uint32_t n = rd8(s);
  if (n >= 200)
    n = 1000 + (n - 200) * 4;
  uint32_t buf = 0, len = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (i < 40) {
      buf = arg_ptr(s);
      len = arg_len(s);
    }
    put32(at + 8 * i, buf);
    put32(at + 8 * i + 4, len);
  }
  s->mark[M_IOVS] = at;
  s->mark_len[M_IOVS] = n;
}

static const char *const paths[] = {
  "a.txt", "sub", "sub/b.txt", "link", "esc", "abs", "up", "loop", "dotted", "new",
  "new/x", "sub/new", "f.txt", "d", "lnk", "to_rw", ".", "..", "../ro/f.txt",
  "../outside/secret.txt", "up/outside/secret.txt", "sub/../a.txt", "sub/", "a.txt/",
  "/etc/passwd", "./a.txt", "sub//b.txt", "esc/..", "link/", "", "...", "a\xff", "nul\0x",
};

static void op_path(run *s)
{
  uint8_t which = rd8(s);
  int m = which & 1 ? M_PATH_B : M_PATH_A;
  uint32_t at = arg_ptr(s);
  uint8_t pick = rd8(s);
  size_t n;
  if (pick < 2 * (sizeof paths / sizeof paths[0])) {
    const char *p = paths[pick / 2];
    n = strcmp(p, "nul") == 0 ? 5 : strlen(p);
    put(at, p, n);
  } else {
    n = rd8(s) % 64;
    for (size_t i = 0; i < n; i++) {
      uint8_t b = rd8(s);
      put(at + (uint32_t)i, &b, 1);
    }
  }
  s->mark[m] = at;
  s->mark_len[m] = (uint32_t)n;
}

/* poll_oneoff subscriptions: 48 bytes each, clocks with short timeouts
** (relative or absolute) and fd reads/writes. */
static void op_subs(run *s)
{
  uint32_t at = arg_ptr(s);
  uint32_t n = rd8(s) % 8 + 1;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t sub = at + 48 * i;
    uint8_t zero[48] = {0};
    put(sub, zero, sizeof zero);
    put64(sub, rd8(s));            /* userdata */
    uint8_t type = rd8(s) % 4;     /* 3 is invalid */
    put(sub + 8, &type, 1);
    if (type == 0) {
      put32(sub + 16, rd8(s) % 5); /* clock id, 4 is invalid */
      put64(sub + 24, arg_u64(s));
      uint8_t flags = rd8(s) & 1;  /* absolute */
      put(sub + 40, &flags, 1);
    } else {
      put32(sub + 16, arg_fd(s));
    }
  }
  s->mark[M_SUBS] = at;
  s->mark_len[M_SUBS] = n;
}

/* What every input starts with (when memory has a page): a path, an iovec
** pair over two buffers and a zero-length clock subscription. */
static void defaults(run *s)
{
  memset(s->mark, 0, sizeof s->mark);
  memset(s->mark_len, 0, sizeof s->mark_len);
  if (mem.size == 0)
    return;
  put(256, "a.txt", 5);
  put(320, "sub/b.txt", 9);
  put32(512, 1024);
  put32(516, 16);
  put32(520, 2048);
  put32(524, 32);
  put32(4096 + 16, 1); /* monotonic, relative, 0 ns */
  s->mark[M_PATH_A] = 256;
  s->mark_len[M_PATH_A] = 5;
  s->mark[M_PATH_B] = 320;
  s->mark_len[M_PATH_B] = 9;
  s->mark[M_IOVS] = 512;
  s->mark_len[M_IOVS] = 2;
  s->mark[M_POKE] = 1024;
  s->mark_len[M_POKE] = 16;
  s->mark[M_SUBS] = 4096;
  s->mark_len[M_SUBS] = 1;
}

/* ================================================ poll_oneoff bound == */

static int host_clock(uint32_t id, clockid_t *out)
{
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                  CLOCK_THREAD_CPUTIME_ID};
  if (id > 3)
    return -1;
  *out = ids[id];
  return 0;
}

/* Would wasi_poll_oneoff sleep for more than 1 ms? It sleeps only when the
** arguments are valid and every subscription is a clock; then until the
** earliest one is due. */
static int poll_sleeps_long(uint32_t in, uint32_t out, uint32_t n, uint32_t nev)
{
  if (n == 0 || wasi_mem(&ctx, in, (uint64_t)n * 48) == NULL ||
      wasi_mem(&ctx, out, (uint64_t)n * 32) == NULL || wasi_mem(&ctx, nev, 4) == NULL)
    return 0;
  const uint8_t *subs = mem.data + in;
  uint64_t wait = UINT64_MAX;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *sub = subs + 48 * i;
    clockid_t clk;
    struct timespec now;
    if (sub[8] != 0)
      return 0; /* an fd subscription (answered at once) or EINVAL */
    if (host_clock(wasi_get_u32(sub + 16), &clk) != 0 || clock_gettime(clk, &now) != 0)
      return 0;
    uint64_t t = wasi_get_u64(sub + 24);
    if (sub[40] & 1) {
      uint64_t at = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
      t = t > at ? t - at : 0;
    }
    if (t < wait)
      wait = t;
  }
  return wait > 1000000u;
}

/* ======================================================== the calls == */

/* The ops, in input order: four that build structures, then one per
** import of the guest (wasi_link.c). */
enum {
  OP_POKE, OP_IOVECS, OP_PATH, OP_SUBS,
  OP_ENVIRON_GET, OP_ENVIRON_SIZES_GET, OP_CLOCK_RES_GET, OP_CLOCK_TIME_GET, OP_FD_ADVISE,
  OP_FD_ALLOCATE, OP_FD_CLOSE, OP_FD_DATASYNC, OP_FD_FDSTAT_GET, OP_FD_FDSTAT_SET_FLAGS,
  OP_FD_FILESTAT_GET, OP_FD_FILESTAT_SET_SIZE, OP_FD_FILESTAT_SET_TIMES, OP_FD_PREAD,
  OP_FD_PRESTAT_GET, OP_FD_PRESTAT_DIR_NAME, OP_FD_PWRITE, OP_FD_READ, OP_FD_READDIR,
  OP_FD_SEEK, OP_FD_SYNC, OP_FD_TELL, OP_FD_WRITE, OP_PATH_CREATE_DIRECTORY,
  OP_PATH_FILESTAT_GET, OP_PATH_FILESTAT_SET_TIMES, OP_PATH_LINK, OP_PATH_OPEN,
  OP_PATH_READLINK, OP_PATH_REMOVE_DIRECTORY, OP_PATH_RENAME, OP_PATH_SYMLINK,
  OP_PATH_UNLINK_FILE, OP_POLL_ONEOFF, OP_PROC_EXIT, OP_RANDOM_GET, OP_SCHED_YIELD,
  OP_SOCK_ACCEPT, OP_SOCK_RECV, OP_SOCK_SEND, OP_SOCK_SHUTDOWN, N_OPS
};

/* The calls on open fds. Arguments are decoded in a fixed order (C leaves
** the order of evaluation of arguments unspecified). */
static uint32_t call_fd_op(run *s, int op)
{
  wasi_ctx *c = &ctx;
  uint32_t fd = arg_fd(s), a, b, d;
  uint64_t x, y;
  switch (op) {
  case OP_FD_ADVISE: x = arg_u64(s), y = arg_u64(s), a = rd8(s) % 8; return W(fd_advise)(c, fd, x, y, a);
  case OP_FD_ALLOCATE:
    x = arg_u64(s), y = arg_u64(s);
    return W(fd_allocate)(c, fd, x, y);
  case OP_FD_CLOSE: return W(fd_close)(c, fd);
  case OP_FD_DATASYNC: return W(fd_datasync)(c, fd);
  case OP_FD_FDSTAT_GET: return W(fd_fdstat_get)(c, fd, arg_ptr(s));
  case OP_FD_FDSTAT_SET_FLAGS: return W(fd_fdstat_set_flags)(c, fd, arg_flags(s));
  case OP_FD_FILESTAT_GET: return W(fd_filestat_get)(c, fd, arg_ptr(s));
  case OP_FD_FILESTAT_SET_SIZE: return W(fd_filestat_set_size)(c, fd, arg_u64(s));
  case OP_FD_FILESTAT_SET_TIMES:
    x = arg_u64(s), y = arg_u64(s), a = arg_flags(s);
    return W(fd_filestat_set_times)(c, fd, x, y, a);
  case OP_FD_PREAD:
    a = arg_ref(s, M_IOVS), b = arg_count(s, M_IOVS), x = arg_u64(s), d = arg_ptr(s);
    return W(fd_pread)(c, fd, a, b, x, d);
  case OP_FD_PRESTAT_GET: return W(fd_prestat_get)(c, fd, arg_ptr(s));
  case OP_FD_PRESTAT_DIR_NAME: a = arg_ptr(s), b = arg_len(s); return W(fd_prestat_dir_name)(c, fd, a, b);
  case OP_FD_PWRITE:
    a = arg_ref(s, M_IOVS), b = arg_count(s, M_IOVS), x = arg_u64(s), d = arg_ptr(s);
    return W(fd_pwrite)(c, fd, a, b, x, d);
  case OP_FD_READ: a = arg_ref(s, M_IOVS), b = arg_count(s, M_IOVS), d = arg_ptr(s); return W(fd_read)(c, fd, a, b, d);
  case OP_FD_READDIR:
    a = arg_ptr(s), b = arg_len(s), x = arg_u64(s), d = arg_ptr(s);
    return W(fd_readdir)(c, fd, a, b, x, d);
  case OP_FD_SEEK: x = arg_u64(s), a = rd8(s) % 4, b = arg_ptr(s); return W(fd_seek)(c, fd, x, a, b);
  case OP_FD_SYNC: return W(fd_sync)(c, fd);
  case OP_FD_TELL: return W(fd_tell)(c, fd, arg_ptr(s));
  case OP_FD_WRITE: a = arg_ref(s, M_IOVS), b = arg_count(s, M_IOVS), d = arg_ptr(s); return W(fd_write)(c, fd, a, b, d);
  case OP_SOCK_ACCEPT: a = arg_flags(s), b = arg_ptr(s); return W(sock_accept)(c, fd, a, b);
  case OP_SOCK_RECV:
    a = arg_ref(s, M_IOVS), b = arg_count(s, M_IOVS), d = arg_flags(s), x = arg_ptr(s);
    return W(sock_recv)(c, fd, a, b, d, (uint32_t)x, arg_ptr(s));
  case OP_SOCK_SEND:
    a = arg_ref(s, M_IOVS), b = arg_count(s, M_IOVS), d = arg_flags(s);
    return W(sock_send)(c, fd, a, b, d, arg_ptr(s));
  case OP_SOCK_SHUTDOWN: return W(sock_shutdown)(c, fd, rd8(s) % 4);
  default: return W(sched_yield)(c);
  }
}

static uint32_t call_path_op(run *s, int op)
{
  wasi_ctx *c = &ctx;
  uint32_t fd = arg_fd(s), fl, p, n, q, m, fd2;
  uint64_t x, y;
  switch (op) {
  case OP_PATH_CREATE_DIRECTORY:
    p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A);
    return W(path_create_directory)(c, fd, p, n);
  case OP_PATH_FILESTAT_GET:
    fl = arg_flags(s), p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A);
    return W(path_filestat_get)(c, fd, fl, p, n, arg_ptr(s));
  case OP_PATH_FILESTAT_SET_TIMES:
    fl = arg_flags(s), p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A);
    x = arg_u64(s), y = arg_u64(s), m = arg_flags(s);
    return W(path_filestat_set_times)(c, fd, fl, p, n, x, y, m);
  case OP_PATH_LINK:
    fl = arg_flags(s), p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A), fd2 = arg_fd(s);
    q = arg_ref(s, M_PATH_B), m = arg_count(s, M_PATH_B);
    return W(path_link)(c, fd, fl, p, n, fd2, q, m);
  case OP_PATH_OPEN: {
    fl = arg_flags(s), p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A);
    uint32_t oflags = arg_flags(s) & (rd8(s) < 0xF0 ? 0xF : UINT32_MAX);
    x = rd8(s) < 0x80 ? arg_u64(s) : (rd8(s) & 1 ? WASI_RIGHTS_ALL : WASI_RIGHT_FD_READ);
    y = arg_u64(s);
    m = arg_flags(s);
    return W(path_open)(c, fd, fl, p, n, oflags, x, y, m, arg_ptr(s));
  }
  case OP_PATH_READLINK:
    p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A), q = arg_ptr(s), m = arg_len(s);
    return W(path_readlink)(c, fd, p, n, q, m, arg_ptr(s));
  case OP_PATH_REMOVE_DIRECTORY:
    p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A);
    return W(path_remove_directory)(c, fd, p, n);
  case OP_PATH_RENAME:
    p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A), fd2 = arg_fd(s);
    q = arg_ref(s, M_PATH_B), m = arg_count(s, M_PATH_B);
    return W(path_rename)(c, fd, p, n, fd2, q, m);
  case OP_PATH_SYMLINK:
    p = arg_ref(s, M_PATH_B), n = arg_count(s, M_PATH_B);
    q = arg_ref(s, M_PATH_A), m = arg_count(s, M_PATH_A);
    return W(path_symlink)(c, p, n, fd, q, m);
  default:
    p = arg_ref(s, M_PATH_A), n = arg_count(s, M_PATH_A);
    return W(path_unlink_file)(c, fd, p, n);
  }
}

static uint32_t call_other_op(run *s, int op)
{
  wasi_ctx *c = &ctx;
  uint32_t a, b, n, d;
  switch (op) {
  case OP_ENVIRON_GET: a = arg_ptr(s); return W(environ_get)(c, a, arg_ptr(s));
  case OP_ENVIRON_SIZES_GET: a = arg_ptr(s); return W(environ_sizes_get)(c, a, arg_ptr(s));
  case OP_CLOCK_RES_GET: a = rd8(s) % 6; return W(clock_res_get)(c, a, arg_ptr(s));
  case OP_CLOCK_TIME_GET: {
    a = rd8(s) % 6;
    uint64_t precision = arg_u64(s);
    return W(clock_time_get)(c, a, precision, arg_ptr(s));
  }
  case OP_POLL_ONEOFF:
    a = arg_ref(s, M_SUBS), b = arg_ptr(s), n = arg_count(s, M_SUBS), d = arg_ptr(s);
    if (poll_sleeps_long(a, b, n, d))
      return WASI_ESUCCESS;
    return W(poll_oneoff)(c, a, b, n, d);
  case OP_PROC_EXIT:
    s->exit_code = rd32(s);
    W(proc_exit)(c, s->exit_code);
    fail("proc_exit returned");
  case OP_RANDOM_GET: a = arg_ptr(s); return W(random_get)(c, a, arg_len(s));
  default: return W(sched_yield)(c);
  }
}

static void check_call(int op, uint32_t err)
{
  if (trace)
    fprintf(stderr, "  op %2d -> errno %u\n", op, err);
  if (err > WASI_ENOTCAPABLE)
    fail("op %d returned %u, not a WASI errno", op, err);
  if (ctx.n_fds > WASI_MAX_FDS || ctx.fds == NULL)
    fail("op %d left the fd table at %u slots", op, ctx.n_fds);
  if (ctx.stdin_pos > cfg.stdin_len)
    fail("op %d moved stdin past its end", op);
}

/* Runs on the guest stack, inside guest_call. */
static void run_ops(void *arg)
{
  run *s = arg;
  for (int i = 0; i < MAX_OPS && s->n > 0; i++) {
    int op = rd8(s) % N_OPS;
    uint32_t err = 0;
    switch (op) {
    case OP_POKE: op_poke(s); continue;
    case OP_IOVECS: op_iovecs(s); continue;
    case OP_PATH: op_path(s); continue;
    case OP_SUBS: op_subs(s); continue;
    case OP_PATH_CREATE_DIRECTORY: case OP_PATH_FILESTAT_GET: case OP_PATH_FILESTAT_SET_TIMES:
    case OP_PATH_LINK: case OP_PATH_OPEN: case OP_PATH_READLINK: case OP_PATH_REMOVE_DIRECTORY:
    case OP_PATH_RENAME: case OP_PATH_SYMLINK: case OP_PATH_UNLINK_FILE:
      err = call_path_op(s, op);
      break;
    case OP_ENVIRON_GET: case OP_ENVIRON_SIZES_GET: case OP_CLOCK_RES_GET:
    case OP_CLOCK_TIME_GET: case OP_POLL_ONEOFF: case OP_PROC_EXIT: case OP_RANDOM_GET:
    case OP_SCHED_YIELD:
      err = call_other_op(s, op);
      break;
    default:
      err = call_fd_op(s, op);
      break;
    }
    check_call(op, err);
  }
}

/* ======================================================= one input == */

static void reset_rw(void)
{
  empty_dir(rw_fd);
  fill_rw();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int xfsz_ignored;
  if (!xfsz_ignored) {
    signal(SIGXFSZ, SIG_IGN);
    xfsz_ignored = 1;
  }
  run s;
  memset(&s, 0, sizeof s);
  s.p = data;
  s.n = size;
  uint32_t pages = rd8(&s) % (MAX_PAGES + 1);
  memory_prepare(pages);
  if (wasi_ctx_init(&ctx, &cfg, &mem) != 0)
    fail("wasi_ctx_init: %s", strerror(errno));
  defaults(&s);
  s.exit_code = UINT32_MAX;
  int trap = guest_call(&env, run_ops, &s);
  if (trace)
    fprintf(stderr, "  %u pages, trap %d\n", pages, trap);
  if (trap == GUEST_TRAP_PROC_EXIT && ctx.exit_code != s.exit_code)
    fail("proc_exit(%u) recorded exit code %u", s.exit_code, ctx.exit_code);
  if (trap != GUEST_TRAP_NONE && trap != GUEST_TRAP_PROC_EXIT && trap != GUEST_TRAP_TIMEOUT)
    fail("the WASI layer trapped: %s", guest_trap_text(trap));
  wasi_ctx_free(&ctx);
  memory_check(pages);
  int fds = count_scratch_fds();
  if (fds != fd_baseline)
    fail("%d host fds into the scratch tree after the input, %d before", fds, fd_baseline);
  tree_check();
  reset_rw();
  return 0;
}
