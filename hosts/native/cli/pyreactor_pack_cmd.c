/*
** pyreactor_pack_cmd.c -- `pyreactor pack` (docs/packages.md):
**
**   pyreactor pack --packages DIR [--packages DIR2 ...] [--preload MOD,MOD...]
**                  [--base IN.wasm] -o OUT.wasm
*/
#include "pyreactor_pack_cmd.h"

#include "pyreactor_module.h"
#include "pyreactor_pack.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char pack_usage[] =
  "usage: pyreactor pack --packages DIR [--packages DIR ...] [--preload MOD,MOD...]\n"
  "                      [--base IN.wasm] -o OUT.wasm\n"
  "\n"
  "Writes OUT.wasm: the module with the pure-Python packages found in each DIR\n"
  "(as `pip install --target DIR` leaves them, or a site-packages) frozen in as\n"
  "compressed bytecode, and the --preload modules imported in its snapshot.\n"
  "Every host loads it (pyreactor --module OUT.wasm, node hosts/js/cli.mjs\n"
  "--wasm OUT.wasm); its code is the base module's, so this library runs it\n"
  "without recompiling. C extensions are refused, naming them; tests/,\n"
  "__pycache__/ and .pyi files are left out; other files are kept as data\n"
  "(importlib.resources, pkgutil.get_data). The same inputs give the same bytes.\n"
  "\n"
  "  --packages DIR   a directory of packages; repeatable (an earlier one wins)\n"
  "  --preload MODS   modules to import in the snapshot, comma-separated;\n"
  "                   repeatable\n"
  "  --base IN.wasm   the module to start from (default: " PYREACTOR_MODULE_FILE "\n"
  "                   beside this command): it must be the one compiled in\n"
  "  -o OUT.wasm      the module to write\n";

static int pack_usage_error(const char *fmt, const char *arg)
{
  fprintf(stderr, "pyreactor pack: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'pyreactor pack --help'.\n");
  return 2;
}

/* PYREACTOR_MODULE_FILE beside the running executable, or NULL. */
static char *default_base(void)
{
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return NULL;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash == NULL)
    return NULL;
  slash[1] = '\0';
  size_t len = strlen(exe) + sizeof PYREACTOR_MODULE_FILE;
  char *path = malloc(len);
  if (path != NULL)
    snprintf(path, len, "%s%s", exe, PYREACTOR_MODULE_FILE);
  return path;
}

/* Splits "a,b,c" (argv's own string, in place) into names. */
static int add_preloads(char *list, const char **names, size_t *n, size_t cap)
{
  char *save = NULL;
  for (char *name = strtok_r(list, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
    if (*n == cap)
      return -1;
    names[(*n)++] = name;
  }
  return 0;
}

int pyreactor_pack_main(int argc, char **argv)
{
  size_t cap = (size_t)argc * 64 + 1;
  const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
  const char **preload = calloc(cap, sizeof *preload);
  size_t n_dirs = 0, n_preload = 0;
  const char *out = NULL, *base = NULL;
  char *found_base = NULL;
  int rc = 0;
  if (dirs == NULL || preload == NULL) {
    fprintf(stderr, "pyreactor pack: out of memory\n");
    rc = 3;
    goto done;
  }
  for (int i = 1; i < argc && rc == 0; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0) {
      fputs(pack_usage, stdout);
      goto done;
    }
    if (i + 1 >= argc) {
      rc = pack_usage_error("%s needs a value", a);
      break;
    }
    char *v = argv[++i];
    if (strcmp(a, "--packages") == 0)
      dirs[n_dirs++] = v;
    else if (strcmp(a, "--preload") == 0) {
      if (add_preloads(v, preload, &n_preload, cap) != 0)
        rc = pack_usage_error("too many --preload modules%s", "");
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
      out = v;
    else if (strcmp(a, "--base") == 0)
      base = v;
    else
      rc = pack_usage_error("unknown option %s", a);
  }
  if (rc == 0 && out == NULL)
    rc = pack_usage_error("-o OUT.wasm is required%s", "");
  if (rc == 0 && base == NULL && (base = found_base = default_base()) == NULL)
    rc = pack_usage_error("no --base given and %s not found beside the command", PYREACTOR_MODULE_FILE);
  if (rc != 0)
    goto done;
  pyr_pack_options o = {dirs, n_dirs, preload, n_preload, base, out};
  pyr_pack_report r;
  char err[4096];
  if (pyr_pack(&o, &r, err, sizeof err) != 0) {
    fprintf(stderr, "pyreactor pack: %s\n", err);
    rc = 1;
    goto done;
  }
  fprintf(stderr, "pyreactor pack: wrote %s: %.2f MB (base %.2f MB); pack %s; built in %.2f s, "
                  "snapshot in %.2f s, written in %.2f s\n",
          out, r.out_bytes / 1e6, r.base_bytes / 1e6, r.stats, r.build_ns / 1e9, r.snapshot_ns / 1e9,
          r.write_ns / 1e9);
  free(r.stats);
done:
  free(found_base);
  free(dirs);
  free(preload);
  return rc;
}
