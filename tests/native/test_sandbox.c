/*
** test_sandbox.c -- runs the probes of tests/sandbox/probes/ (see its
** README.md) against an instance with one read-write and one read-only
** grant, then checks from the host side that nothing escaped.
**
**   test_sandbox PROBE_DIR...
*/
#define _XOPEN_SOURCE 700 /* nftw */
#include "pyreactor.h"
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void path_of(char *out, size_t cap, const char *rel)
{
  snprintf(out, cap, "%s/%s", root, rel);
}

static int write_text(const char *rel, const char *text)
{
  char path[256];
  path_of(path, sizeof path, rel);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f);
}

static int make_dir(const char *rel)
{
  char path[256];
  path_of(path, sizeof path, rel);
  return mkdir(path, 0755);
}

static int make_link(const char *target, const char *rel)
{
  char path[256];
  path_of(path, sizeof path, rel);
  return symlink(target, path);
}

static int make_fixture(void)
{
  strcpy(root, "/tmp/pyreactor-sandbox-XXXXXX");
  if (mkdtemp(root) == NULL)
    return -1;
  int bad = 0;
  bad |= make_dir("outside") | write_text("outside/secret.txt", "TOP SECRET");
  bad |= make_dir("rw") | make_dir("rw/sub") | write_text("rw/inner.txt", "inner");
  bad |= make_link("../outside/secret.txt", "rw/link_out");
  bad |= make_link("/etc/passwd", "rw/abs_link");
  bad |= make_link("../outside", "rw/dir_link");
  bad |= make_link("inner.txt", "rw/ok_link");
  bad |= make_dir("ro") | make_dir("ro/subdir") | write_text("ro/file.txt", "read me");
  char fifo[256];
  path_of(fifo, sizeof fifo, "rw/fifo");
  bad |= mkfifo(fifo, 0644);
  return bad ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void remove_fixture(void)
{
  nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------- probes -- */

static pyreactor *open_sandbox(void)
{
  char rw[128], ro[128];
  path_of(rw, sizeof rw, "rw");
  path_of(ro, sizeof ro, "ro");
  pyreactor_dir dirs[2] = {{rw, "/rw", 0}, {ro, "/ro", 1}};
  const char *env[] = {"GRANTED=yes"};
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.dirs = dirs;
  o.n_dirs = 2;
  o.env = env;
  o.n_env = 1;
  pyreactor *p;
  if (pyreactor_open(&o, &p) != PYREACTOR_OK) {
    printf("pyreactor_open: %s\n", pyreactor_errmsg(p));
    pyreactor_close(p);
    return NULL;
  }
  return p;
}

static void run_probe(pyreactor *p, const char *dir, const char *file)
{
  char path[4096], mod[256], target[300];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  snprintf(mod, sizeof mod, "%.*s", (int)(strlen(file) - 3), file);
  size_t len;
  char *code = t_read_file(path, &len);
  if (code == NULL) {
    t_fail(file, "cannot read");
    return;
  }
  int rc = pyreactor_call(p, PYREACTOR_OP_REGISTER_MODULE, mod, strlen(mod), code, len);
  free(code);
  if (rc != PYREACTOR_OK) {
    t_fail(file, "register_module: %s", pyreactor_result(p, NULL));
    return;
  }
  snprintf(target, sizeof target, "%s.probe", mod);
  rc = pyreactor_apply_def(p, target, "[]");
  char got[512];
  snprintf(got, sizeof got, "%s", pyreactor_result(p, NULL));
  T_CHECK(file, rc == PYREACTOR_OK && strcmp(got, "true") == 0, "sandbox did not hold: rc=%d %s",
          rc, got);
  /* The instance is still fine, and no probe cost a rebuild. */
  rc = pyreactor_apply_lambda(p, "health", "[20]");
  T_CHECK(file, rc == PYREACTOR_OK && strcmp(pyreactor_result(p, NULL), "42") == 0,
          "instance unhealthy after probe: %s", pyreactor_result(p, NULL));
  T_CHECK(file, pyreactor_rebuilds(p) == 0, "probe trapped (rebuilds=%lu)", pyreactor_rebuilds(p));
  printf("probe %s: %s\n", mod, got);
}

static int is_probe(const struct dirent *e)
{
  size_t n = strlen(e->d_name);
  return n > 3 && strcmp(e->d_name + n - 3, ".py") == 0;
}

/* Every probe of one directory, in name order, on the same instance. */
static void run_probes(pyreactor *p, const char *dir)
{
  struct dirent **names;
  int n = scandir(dir, &names, is_probe, alphasort);
  T_CHECK("probes", n > 0, "no probes in %s", dir);
  for (int i = 0; i < n; i++) {
    run_probe(p, dir, names[i]->d_name);
    free(names[i]);
  }
  if (n >= 0)
    free(names);
}

/* ---------------------------------------------------- host-side checks -- */

static bool file_is(const char *rel, const char *want)
{
  char path[256];
  path_of(path, sizeof path, rel);
  char *got = t_read_file(path, NULL);
  bool same = got != NULL && strcmp(got, want) == 0;
  free(got);
  return same;
}

static int count_entries(const char *rel)
{
  char path[256];
  path_of(path, sizeof path, rel);
  DIR *d = opendir(path);
  if (d == NULL)
    return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

static void check_host_side(void)
{
  struct stat st;
  T_CHECK("host", file_is("outside/secret.txt", "TOP SECRET"), "secret.txt changed");
  T_CHECK("host", count_entries("outside") == 1, "something appeared outside the grants");
  T_CHECK("host", file_is("ro/file.txt", "read me"), "read-only file changed");
  T_CHECK("host", count_entries("ro") == 2, "read-only grant changed");
  T_CHECK("host", count_entries(".") == 3, "something appeared next to the grants");
  T_CHECK("host", stat("/tmp/pyreactor-escaped", &st) != 0 && stat("/pyreactor-escaped", &st) != 0 &&
                      stat("/tmp/pyreactor-escaped-dir", &st) != 0,
          "a file escaped to the host's /tmp or /");
  T_CHECK("host", file_is("rw/inner.txt", "inner"), "rw/inner.txt changed");
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: test_sandbox PROBE_DIR...\n");
    return 2;
  }
  setenv("PYREACTOR_HOST_SECRET", "leak", 1);
  if (make_fixture() != 0) {
    printf("cannot make the fixture in /tmp: %s\n", strerror(errno));
    return 1;
  }
  pyreactor *p = open_sandbox();
  if (p != NULL && pyreactor_register_lambda(p, "health", "lambda x: x + 22") == PYREACTOR_OK) {
    for (int i = 1; i < argc; i++)
      run_probes(p, argv[i]);
  } else {
    t_fail("open", "cannot open the sandboxed instance");
  }
  pyreactor_close(p);
  check_host_side();
  remove_fixture();
  return t_summary("native-sandbox");
}
