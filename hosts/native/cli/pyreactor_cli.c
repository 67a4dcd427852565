/*
** pyreactor_cli.c -- the `pyreactor` command.
**
**   pyreactor [OPTIONS] batch
**   pyreactor [OPTIONS] call FILE.py FUNC [ARGS_JSON]
**
** batch implements the batch protocol of ABI.md (JSON Lines in, one result
** line out per request; user output to stderr). call registers FILE as a
** module named after its stem and prints the JSON result of stem.FUNC.
*/
#include "batch_request.h"
#include "host_command.h"
#include "pyreactor.h"
#include "pyreactor_pack_cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_PYERR 1 /* call: the function raised */
#define EXIT_USAGE 2
#define EXIT_HOST 3  /* the instance could not be opened or trapped */

#define MAX_MEMORY_MB 4096ull /* wasm32: 65536 pages of 64 KiB */
#define MAX_STACK_MB 16384ull /* what pyreactor_open accepts */

static const char usage[] =
  "usage: pyreactor [OPTIONS] batch\n"
  "       pyreactor [OPTIONS] call FILE.py FUNC [ARGS_JSON]\n"
  "       pyreactor pack --packages DIR ... [--preload MODS] -o OUT.wasm\n"
  "       pyreactor --help | --version\n"
  "\n"
  "Runs sandboxed Python 3.11 (python-reactor.wasm compiled to native code).\n"
  "\n"
  "  batch   read JSON Lines requests on stdin ({\"op\",\"name\",\"code\",\"args\"}),\n"
  "          write one result line per request on stdout; guest output goes\n"
  "          to stderr\n"
  "  call    register FILE.py as module <stem>, call <stem>.FUNC with\n"
  "          ARGS_JSON (a JSON array or object, default []), print the JSON\n"
  "          result; guest output goes to stderr, so that stdout is only the\n"
  "          result\n"
  "\n"
  "options (the guest sees nothing of the host unless granted here):\n"
  "  --dir HOST[:GUEST][:ro|:rw]\n"
  "                           grant directory HOST, seen as GUEST (an absolute\n"
  "                           path; default HOST); :ro makes it read-only, :rw\n"
  "                           (the default) writable. Repeatable.\n"
  "  --env NAME=VALUE         set a guest environment variable. Repeatable.\n"
  "  --timeout-ms N           time limit per request; past it: error Timeout\n"
  "                           and a rebuilt instance (default: none)\n"
  "  --memory-mb N            cap on guest memory: MemoryError in Python\n"
  "                           (default and maximum: 4096, the wasm32 limit; the\n"
  "                           module itself needs about 17 to start)\n"
  "  --stack-size-mb N        native stack for guest code (1 to 16384, default 64)\n"
  "  --module OUT.wasm        run a module made by `pyreactor pack` (packages\n"
  "                           frozen in) instead of the compiled one; its code\n"
  "                           must be the compiled one's (checked)\n"
  "  --host-function NAME=COMMAND\n"
  "                           expose host function NAME to Python\n"
  "                           (reactor.call_host): each call runs COMMAND, split\n"
  "                           into words as a POSIX shell would but run without\n"
  "                           one, with the args JSON on its stdin; its stdout\n"
  "                           (JSON, at most 64 MiB) is the reply; an exit status\n"
  "                           other than 0 or output that is not JSON is a\n"
  "                           HostError with the start of its stderr. Killed when\n"
  "                           --timeout-ms passes. Repeatable.\n"
  "  --help                   show this help\n"
  "  --version                print the version and the ABI version, as\n"
  "                           \"python-wasi-reactor 0.1.0 (ABI 2)\"\n"
  "\n"
  "exit status: 0 ok, 1 the Python call failed (call), 2 bad usage,\n"
  "3 the instance could not be opened, the call trapped (call) or the\n"
  "results could not be written (batch).\n";

typedef struct cli {
  pyreactor_dir *dirs;
  size_t n_dirs;
  const char **env;
  size_t n_env;
  size_t stack_size, memory_limit;
  unsigned timeout_ms;
  const char *module;
  pyreactor_host_function *fns;
  host_command *commands; /* fns[i].user is &commands[i] */
  size_t n_fns;
  const char *pos[4];
  size_t n_pos;
} cli;

static int bad_usage(const char *fmt, const char *arg)
{
  fprintf(stderr, "pyreactor: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'pyreactor --help'.\n");
  return EXIT_USAGE;
}

static bool is_mode(const char *s)
{
  return strcmp(s, "ro") == 0 || strcmp(s, "rw") == 0;
}

/* HOST[:GUEST][:ro|:rw], split at every ':': HOST, HOST:GUEST, HOST:MODE
** or HOST:GUEST:MODE, MODE exactly "ro" or "rw". GUEST must be absolute, so
** that a mistyped mode ("HOST:RO", "HOST:readonly") is refused instead of
** becoming a writable grant at a guest path of that name. The string is
** split in place (it is argv's), and only once it is known to be good, so
** that a refused one can still be quoted whole. */
static int parse_dir(char *spec, pyreactor_dir *d)
{
  char *c1 = strchr(spec, ':');
  char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
  char *guest = NULL, *mode = NULL;
  if (c2 != NULL) {
    guest = c1 + 1;
    mode = c2 + 1;
  } else if (c1 != NULL) {
    if (is_mode(c1 + 1))
      mode = c1 + 1;
    else
      guest = c1 + 1;
  }
  if (spec[0] == '\0' || c1 == spec || (guest != NULL && guest[0] != '/') ||
      (mode != NULL && !is_mode(mode)))
    return -1;
  if (c1 != NULL)
    *c1 = '\0';
  if (c2 != NULL)
    *c2 = '\0';
  d->host_path = spec;
  d->guest_path = guest;
  d->read_only = mode != NULL && strcmp(mode, "ro") == 0;
  return 0;
}

/* A whole number of MiB from 1 to max_mb (no sign, no suffix). */
static int parse_mb(const char *s, unsigned long long max_mb, size_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || s[0] < '0' || s[0] > '9' || *end != '\0' || v == 0 || v > max_mb)
    return -1;
  *out = (size_t)v << 20;
  return 0;
}

static int parse_ms(const char *s, unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno != 0 || s[0] < '0' || s[0] > '9' || *end != '\0' || v == 0 || v > 86400000ul)
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* NAME=COMMAND, NAME up to the first '='. */
static int parse_host_function(const char *spec, cli *c)
{
  const char *eq = strchr(spec, '=');
  if (eq == NULL || eq == spec)
    return bad_usage("--host-function takes NAME=COMMAND, got \"%s\"", spec);
  host_command *cmd = &c->commands[c->n_fns];
  const char *why;
  int rc = host_command_split(eq + 1, cmd, &why);
  if (rc == HOST_COMMAND_NOMEM) {
    fprintf(stderr, "pyreactor: out of memory\n");
    return EXIT_HOST;
  }
  if (rc != HOST_COMMAND_OK) {
    char msg[1024];
    snprintf(msg, sizeof msg, "--host-function %.600s: the command has %s", spec, why);
    return bad_usage("%s", msg);
  }
  pyreactor_host_function *f = &c->fns[c->n_fns++];
  f->name = strndup(spec, (size_t)(eq - spec));
  f->fn = host_command_fn;
  f->user = cmd;
  if (f->name == NULL) {
    fprintf(stderr, "pyreactor: out of memory\n");
    return EXIT_HOST;
  }
  return 0;
}

/* Options may come before or after the command; "--" ends them. */
static int parse_args(int argc, char **argv, cli *c)
{
  bool options = true;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (!options || strncmp(a, "--", 2) != 0) {
      if (c->n_pos == 4)
        return bad_usage("too many arguments: %s", a);
      c->pos[c->n_pos++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      options = false;
      continue;
    }
    if (strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      exit(0);
    }
    if (strcmp(a, "--version") == 0) {
      printf("python-wasi-reactor %s (ABI %d)\n", pyreactor_libversion(), pyreactor_abi_version());
      exit(fflush(stdout) == 0 ? 0 : EXIT_HOST);
    }
    if (i + 1 >= argc)
      return bad_usage("%s needs a value", a);
    char *v = argv[++i];
    if (strcmp(a, "--dir") == 0) {
      if (parse_dir(v, &c->dirs[c->n_dirs++]) != 0)
        return bad_usage("--dir takes HOST[:GUEST][:ro|:rw], got \"%s\"", v);
    } else if (strcmp(a, "--env") == 0) {
      if (v[0] == '=' || strchr(v, '=') == NULL)
        return bad_usage("--env takes NAME=VALUE, got \"%s\"", v);
      c->env[c->n_env++] = v;
    } else if (strcmp(a, "--stack-size-mb") == 0) {
      if (parse_mb(v, MAX_STACK_MB, &c->stack_size) != 0)
        return bad_usage("--stack-size-mb takes a whole number from 1 to 16384, got \"%s\"", v);
    } else if (strcmp(a, "--memory-mb") == 0) {
      if (parse_mb(v, MAX_MEMORY_MB, &c->memory_limit) != 0)
        return bad_usage("--memory-mb takes a whole number from 1 to 4096, got \"%s\"", v);
    } else if (strcmp(a, "--timeout-ms") == 0) {
      if (parse_ms(v, &c->timeout_ms) != 0)
        return bad_usage("--timeout-ms takes a whole number from 1 to 86400000, got \"%s\"", v);
    } else if (strcmp(a, "--module") == 0) {
      c->module = v;
    } else if (strcmp(a, "--host-function") == 0) {
      int rc = parse_host_function(v, c);
      if (rc != 0)
        return rc;
    } else {
      return bad_usage("unknown option %s", a);
    }
  }
  return 0;
}

static int open_instance(const cli *c, pyreactor **p)
{
  pyreactor_options o;
  pyreactor_options_init(&o);
  o.dirs = c->dirs;
  o.n_dirs = c->n_dirs;
  o.env = c->env;
  o.n_env = c->n_env;
  o.stack_size = c->stack_size;
  o.memory_limit = c->memory_limit;
  o.timeout_ms = c->timeout_ms;
  o.module_path = c->module;
  o.host_functions = c->fns;
  o.n_host_functions = c->n_fns;
  /* What the guest prints goes to stderr in both modes, the library's
  ** default (no sinks): stdout carries only results (batch lines, or
  ** call's one value), ready for a pipe. */
  int rc = pyreactor_open(&o, p);
  if (rc == PYREACTOR_MISUSE) {
    /* The options were refused (a --memory-mb below what the module
    ** needs): the user's mistake, not the host's. */
    const char *why = pyreactor_error_message(*p);
    rc = bad_usage("%s", why != NULL ? why : pyreactor_errmsg(*p));
    pyreactor_close(*p);
    return rc;
  }
  if (rc != PYREACTOR_OK) {
    fprintf(stderr, "pyreactor: cannot start: %s\n", pyreactor_errmsg(*p));
    pyreactor_close(*p);
    return EXIT_HOST;
  }
  return 0;
}

/* ------------------------------------------------------------- batch -- */

/* Writes one result line; false when stdout is gone (the reader closed it
** and SIGPIPE is ignored, or a full disk): answering more requests that
** nobody reads would only burn time, forever on an endless input. */
static bool emit(char *line, size_t len)
{
  if (line == NULL) {
    fputs("{\"tag\":\"err\",\"error\":{\"type\":\"" PYREACTOR_TYPE_MEMORY_ERROR
          "\",\"message\":\"out of memory\"}}\n",
          stdout);
  } else {
    fwrite(line, 1, len, stdout);
    fputc('\n', stdout);
  }
  free(line);
  return fflush(stdout) == 0 && !ferror(stdout);
}

static bool blank(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
      return false;
  return true;
}

static bool batch_line(pyreactor *p, const char *line, size_t len)
{
  batch_request req;
  size_t out_len = 0;
  char *out = NULL;
  int rc = batch_request_parse(line, len, &req);
  if (rc == BATCH_OK) {
    int code = pyreactor_call(p, req.op, req.name, req.name_len, req.text, req.text_len);
    size_t tlen;
    const char *text = pyreactor_result(p, &tlen);
    out = batch_result_line(code, text, tlen, &out_len);
  } else if (rc == BATCH_INVALID) {
    out = batch_invalid_line(req.error, &out_len);
  }
  batch_request_free(&req);
  return emit(out, out_len);
}

static int run_batch(const cli *c)
{
  pyreactor *p;
  int rc = open_instance(c, &p);
  if (rc != 0)
    return rc;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int write_error = 0;
  while (write_error == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
    if (!blank(line, (size_t)n) && !batch_line(p, line, (size_t)n))
      write_error = errno != 0 ? errno : EIO;
  }
  free(line);
  pyreactor_close(p);
  if (write_error != 0) {
    fprintf(stderr, "pyreactor: cannot write the results: %s\n", strerror(write_error));
    return EXIT_HOST;
  }
  return 0;
}

/* -------------------------------------------------------------- call -- */

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      char *grown = realloc(buf, cap + 1);
      if (grown == NULL) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
    }
    size_t k = fread(buf + n, 1, cap - n, f);
    n += k;
    if (k == 0)
      break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* "dir/name.py" -> "name" (a new string). */
static char *module_name(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base != NULL ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 3 && strcmp(base + n - 3, ".py") == 0)
    n -= 3;
  char *name = malloc(n + 1);
  if (name != NULL) {
    memcpy(name, base, n);
    name[n] = '\0';
  }
  return name;
}

static int report(pyreactor *p, int code)
{
  if (code == PYREACTOR_OK) {
    puts(pyreactor_result(p, NULL));
    return 0;
  }
  fprintf(stderr, "%s\n", pyreactor_errmsg(p));
  const char *tb = pyreactor_error_traceback(p);
  if (tb != NULL)
    fprintf(stderr, "%s", tb);
  return code == PYREACTOR_ERR ? EXIT_PYERR : EXIT_HOST;
}

static int call_in(pyreactor *p, const char *mod, const char *code, size_t code_len,
                   const char *func, const char *args)
{
  int rc = pyreactor_call(p, PYREACTOR_OP_REGISTER_MODULE, mod, strlen(mod), code, code_len);
  if (rc != PYREACTOR_OK)
    return report(p, rc);
  size_t n = strlen(mod) + strlen(func) + 2;
  char *target = malloc(n);
  if (target == NULL)
    return EXIT_HOST;
  snprintf(target, n, "%s.%s", mod, func);
  rc = pyreactor_apply_def(p, target, args);
  free(target);
  return report(p, rc);
}

static int run_call(const cli *c)
{
  if (c->n_pos < 3 || c->n_pos > 4)
    return bad_usage("call needs FILE.py FUNC [ARGS_JSON]%s", "");
  const char *file = c->pos[1], *func = c->pos[2];
  const char *args = c->n_pos == 4 ? c->pos[3] : "[]";
  size_t code_len;
  char *code = read_file(file, &code_len);
  if (code == NULL) {
    fprintf(stderr, "pyreactor: cannot read %s: %s\n", file, strerror(errno));
    return EXIT_USAGE;
  }
  char *mod = module_name(file);
  pyreactor *p;
  int rc = mod == NULL ? EXIT_HOST : open_instance(c, &p);
  if (rc == 0) {
    rc = call_in(p, mod, code, code_len, func, args);
    pyreactor_close(p);
  }
  free(mod);
  free(code);
  return rc;
}

int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "pack") == 0)
    return pyreactor_pack_main(argc - 1, argv + 1); /* options of its own */
  cli c;
  memset(&c, 0, sizeof c);
  /* At most one --dir / --env / --host-function per argument: argc bounds
  ** the arrays. */
  c.dirs = calloc((size_t)argc, sizeof *c.dirs);
  c.env = calloc((size_t)argc, sizeof *c.env);
  c.fns = calloc((size_t)argc, sizeof *c.fns);
  c.commands = calloc((size_t)argc, sizeof *c.commands);
  int rc = c.dirs == NULL || c.env == NULL || c.fns == NULL || c.commands == NULL
             ? EXIT_HOST
             : parse_args(argc, argv, &c);
  if (rc == 0) {
    if (c.n_pos == 0)
      rc = bad_usage("missing command (batch or call)%s", "");
    else if (strcmp(c.pos[0], "batch") == 0)
      rc = c.n_pos == 1 ? run_batch(&c) : bad_usage("batch takes no arguments%s", "");
    else if (strcmp(c.pos[0], "call") == 0)
      rc = run_call(&c);
    else
      rc = bad_usage("unknown command %s", c.pos[0]);
  }
  for (size_t i = 0; i < c.n_fns; i++) {
    free((char *)c.fns[i].name);
    host_command_free(&c.commands[i]);
  }
  free(c.fns);
  free(c.commands);
  free(c.dirs);
  free(c.env);
  return rc;
}
