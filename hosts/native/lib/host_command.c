/*
** host_command.c -- host functions that run a command; see host_command.h.
**
** The command is the user's own (given on the command line), yet it gets
** no more of the caller than it needs to be found: PATH, the working
** directory, and three pipes. No other variable (as the JavaScript host
** does: `env NAME=VALUE COMMAND` passes one), no other descriptor. It must
** never keep the caller past the call's time limit, nor leave a descriptor
** or a zombie behind.
*/
#include "host_command.h"

#include "json_reader.h"
#include "json_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------ splitting -- */

typedef struct splitter {
  const char *s; /* the next character to read */
  char *out;     /* where the next word byte goes */
  host_command *c;
  bool in_word;
  bool assignable; /* first word, unquoted name characters so far */
  const char *why;
} splitter;

static bool fail(splitter *sp, const char *why)
{
  sp->why = why;
  return false;
}

static bool name_char(char ch, bool first)
{
  return ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
         (!first && ch >= '0' && ch <= '9');
}

static void begin_word(splitter *sp)
{
  if (sp->in_word)
    return;
  sp->c->argv[sp->c->argc++] = sp->out;
  sp->in_word = true;
  sp->assignable = sp->c->argc == 1;
}

static void end_word(splitter *sp)
{
  if (sp->in_word)
    *sp->out++ = '\0';
  sp->in_word = false;
}

static void put(splitter *sp, char ch, bool quoted)
{
  begin_word(sp);
  bool first = sp->out == sp->c->argv[sp->c->argc - 1];
  if (quoted || !name_char(ch, first))
    sp->assignable = false;
  *sp->out++ = ch;
}

/* At the opening quote: everything up to the next ' as it is. */
static bool single_quoted(splitter *sp)
{
  const char *close = strchr(sp->s + 1, '\'');
  if (close == NULL)
    return fail(sp, "an unterminated single quote");
  begin_word(sp);
  sp->assignable = false;
  for (const char *q = sp->s + 1; q < close; q++)
    put(sp, *q, true);
  sp->s = close + 1;
  return true;
}

/* At the opening quote: a backslash escapes only $ ` " \ and newline (and
** backslash-newline goes); $ and ` would be expanded by a shell. */
static bool double_quoted(splitter *sp)
{
  const char *q = sp->s + 1;
  begin_word(sp);
  sp->assignable = false;
  for (; *q != '"'; q++) {
    if (*q == '\0')
      return fail(sp, "an unterminated double quote");
    if (*q == '$' || *q == '`')
      return fail(sp, "$ or ` between double quotes (a shell would expand it)");
    if (*q == '\\' && q[1] != '\0' && strchr("$`\"\\\n", q[1]) != NULL) {
      q++;
      if (*q == '\n')
        continue;
    }
    put(sp, *q, true);
  }
  sp->s = q + 1;
  return true;
}

static bool backslash(splitter *sp)
{
  char next = sp->s[1];
  if (next == '\0')
    return fail(sp, "a backslash at the end");
  if (next != '\n') /* backslash-newline joins lines: nothing is kept */
    put(sp, next, true);
  sp->s += 2;
  return true;
}

static bool unquoted(splitter *sp)
{
  char ch = *sp->s;
  if (ch == ' ' || ch == '\t' || ch == '\n')
    end_word(sp);
  else if (strchr("|&;<>()$`", ch) != NULL)
    return fail(sp, "an unquoted | & ; < > ( ) $ or ` (it needs a shell: quote it, "
                    "or run sh -c '...')");
  else if ((ch == '#' || ch == '~') && !sp->in_word)
    return fail(sp, "an unquoted # or ~ at the start of a word (it needs a shell)");
  else if (ch == '=' && sp->in_word && sp->assignable)
    return fail(sp, "a NAME=VALUE first word (a shell would take it for an assignment; "
                    "run env NAME=VALUE COMMAND)");
  else
    put(sp, ch, false);
  sp->s++;
  return true;
}

static bool split_all(splitter *sp)
{
  while (*sp->s != '\0') {
    bool ok = *sp->s == '\'' ? single_quoted(sp)
            : *sp->s == '"'  ? double_quoted(sp)
            : *sp->s == '\\' ? backslash(sp)
                             : unquoted(sp);
    if (!ok)
      return false;
  }
  end_word(sp);
  return sp->c->argc > 0 || fail(sp, "no words");
}

int host_command_split(const char *text, host_command *out, const char **why)
{
  memset(out, 0, sizeof *out);
  *why = NULL;
  size_t n = strlen(text);
  /* Every word costs at least one character of text (a space or a quote)
  ** for its terminating NUL, and no character makes more than one byte. */
  out->words = malloc(2 * n + 2);
  out->argv = malloc((n + 2) * sizeof *out->argv);
  if (out->words == NULL || out->argv == NULL) {
    host_command_free(out);
    return HOST_COMMAND_NOMEM;
  }
  splitter sp = {text, out->words, out, false, false, NULL};
  if (!split_all(&sp)) {
    *why = sp.why;
    host_command_free(out);
    return HOST_COMMAND_INVALID;
  }
  out->argv[out->argc] = NULL;
  return HOST_COMMAND_OK;
}

void host_command_free(host_command *c)
{
  free(c->argv);
  free(c->words);
  memset(c, 0, sizeof *c);
}

/* -------------------------------------------------------------- running -- */

typedef struct child {
  pid_t pid;
  int in, out, err; /* our ends of its pipes; -1 once closed */
  const char *input;
  size_t input_len, written;
  jbuf output;
  char err_text[HOST_COMMAND_MAX_STDERR + 1]; /* the start of its stderr */
  size_t err_len;
  int read_errno;
} child;

enum { PUMP_DONE, PUMP_TIMEOUT, PUMP_TOO_MUCH, PUMP_FAILED };

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* Keeps a pipe off descriptors 0-2 (an embedder may have closed them), so
** that putting the pipes there in the child cannot overwrite one another. */
static int above_stdio(int fd)
{
  if (fd > 2)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

/* Close-on-exec pipes: a command started meanwhile on another thread
** must not inherit them. */
static int make_pipe(int fds[2])
{
  if (pipe2(fds, O_CLOEXEC) != 0)
    return errno;
  fds[0] = above_stdio(fds[0]);
  fds[1] = above_stdio(fds[1]);
  if (fds[0] < 0 || fds[1] < 0) {
    close_fd(&fds[0]);
    close_fd(&fds[1]);
    return EMFILE;
  }
  return 0;
}

static int spawn_actions(posix_spawn_file_actions_t *fa, int in, int out, int err)
{
  int rc = posix_spawn_file_actions_adddup2(fa, in, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(fa, out, 1);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(fa, err, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  /* Descriptors the caller opened without close-on-exec stay out too. */
  if (rc == 0)
    rc = posix_spawn_file_actions_addclosefrom_np(fa, 3);
#endif
  return rc;
}

/* Its own process group (killed whole at a timeout, grandchildren too),
** default dispositions (the caller may ignore SIGPIPE) and no blocked
** signal. */
static int spawn_attributes(posix_spawnattr_t *at)
{
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  int rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);
  if (rc == 0)
    rc = posix_spawnattr_setpgroup(at, 0);
  if (rc == 0)
    rc = posix_spawnattr_setsigmask(at, &none);
  if (rc == 0)
    rc = posix_spawnattr_setsigdefault(at, &all);
  return rc;
}

/* The caller's own "PATH=..." string, or NULL. */
static char *path_entry(void)
{
  for (char **e = environ; e != NULL && *e != NULL; e++)
    if (strncmp(*e, "PATH=", 5) == 0)
      return *e;
  return NULL;
}

static int start(const host_command *c, int in, int out, int err, pid_t *pid)
{
  char *envp[2] = {path_entry(), NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc != 0)
    return rc;
  rc = posix_spawnattr_init(&at);
  if (rc != 0) {
    posix_spawn_file_actions_destroy(&fa);
    return rc;
  }
  rc = spawn_actions(&fa, in, out, err);
  if (rc == 0)
    rc = spawn_attributes(&at);
  if (rc == 0)
    rc = posix_spawnp(pid, c->argv[0], &fa, &at, c->argv, envp);
  posix_spawnattr_destroy(&at);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

/* Starts the command with its three pipes; 0 or an errno value. */
static int spawn(const host_command *c, child *ch)
{
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int rc = make_pipe(in);
  if (rc == 0)
    rc = make_pipe(out);
  if (rc == 0)
    rc = make_pipe(err);
  if (rc == 0)
    rc = start(c, in[0], out[1], err[1], &ch->pid);
  close_fd(&in[0]);
  close_fd(&out[1]);
  close_fd(&err[1]);
  ch->in = in[1];
  ch->out = out[0];
  ch->err = err[0];
  if (rc != 0) {
    close_fd(&ch->in);
    close_fd(&ch->out);
    close_fd(&ch->err);
    return rc;
  }
  fcntl(ch->in, F_SETFL, O_NONBLOCK);
  fcntl(ch->out, F_SETFL, O_NONBLOCK);
  fcntl(ch->err, F_SETFL, O_NONBLOCK);
  return 0;
}

/* write() to a pipe whose reader may be gone, without the SIGPIPE that
** would end the caller: the signal is blocked on this thread for the
** write and, if the write raised it, taken back. */
static ssize_t write_quietly(int fd, const char *buf, size_t n)
{
  sigset_t pipe_only, old, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  ssize_t k = write(fd, buf, n);
  int e = errno;
  if (k < 0 && e == EPIPE && !was_pending) {
    struct timespec now = {0, 0};
    sigtimedwait(&pipe_only, NULL, &now);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = e;
  return k;
}

/* Writes what the pipe takes now; closes it once all is written, or when
** the command does not read it all (its answer decides, not our write). */
static void feed(child *ch)
{
  while (ch->written < ch->input_len) {
    size_t rest = ch->input_len - ch->written;
    ssize_t k = write_quietly(ch->in, ch->input + ch->written, rest < 65536 ? rest : 65536);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0 && errno == EAGAIN)
      return;
    if (k <= 0)
      break;
    ch->written += (size_t)k;
  }
  close_fd(&ch->in);
}

/* Reads what is there; false when the output passed the cap. */
static bool drain(child *ch, int *fd)
{
  char buf[16384];
  for (;;) {
    ssize_t k = read(*fd, buf, sizeof buf);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0 && errno == EAGAIN)
      return true;
    if (k <= 0) {
      if (k < 0)
        ch->read_errno = errno;
      close_fd(fd);
      return true;
    }
    if (fd == &ch->out) {
      jbuf_add(&ch->output, buf, (size_t)k);
      if (ch->output.n > HOST_COMMAND_MAX_OUTPUT)
        return false;
    } else if (ch->err_len < HOST_COMMAND_MAX_STDERR) {
      size_t keep = HOST_COMMAND_MAX_STDERR - ch->err_len;
      keep = (size_t)k < keep ? (size_t)k : keep;
      memcpy(ch->err_text + ch->err_len, buf, keep);
      ch->err_len += keep;
    }
  }
}

static int poll_wait(long ms_left)
{
  return ms_left < 0 ? -1 : ms_left > INT_MAX ? INT_MAX : (int)ms_left;
}

/* Moves the args in and the output out until the command closes both
** output pipes, the call's time is up, or the output is too big. */
static int pump(child *ch, const pyreactor_call_ctx *call)
{
  while (ch->out >= 0 || ch->err >= 0) {
    long left = pyreactor_call_ms_left(call);
    if (left == 0)
      return PUMP_TIMEOUT;
    struct pollfd fds[3] = {{ch->in, POLLOUT, 0}, {ch->out, POLLIN, 0}, {ch->err, POLLIN, 0}};
    int k = poll(fds, 3, poll_wait(left)); /* negative fds are skipped */
    if (k < 0 && errno != EINTR) {
      ch->read_errno = errno;
      return PUMP_FAILED;
    }
    if (k <= 0)
      continue; /* the time limit's signal, or its time: looked at above */
    if (fds[0].revents != 0)
      feed(ch);
    if (fds[1].revents != 0 && !drain(ch, &ch->out))
      return PUMP_TOO_MUCH;
    if (fds[2].revents != 0)
      drain(ch, &ch->err);
  }
  return ch->read_errno == 0 ? PUMP_DONE : PUMP_FAILED;
}

/* Waits for the command (killing its group first when asked, or when the
** call's time runs out meanwhile); its wait status, or -1. */
static int reap(child *ch, const pyreactor_call_ctx *call, bool kill_now)
{
  int status = 0;
  long nap = 1;
  if (kill_now)
    kill(-ch->pid, SIGKILL);
  for (;;) {
    bool block = kill_now || pyreactor_call_ms_left(call) < 0;
    pid_t r = waitpid(ch->pid, &status, block ? 0 : WNOHANG);
    if (r == ch->pid)
      return status;
    if (r < 0 && errno != EINTR)
      return -1; /* ECHILD: the caller ignores SIGCHLD, the kernel reaped it */
    if (r != 0)
      continue;
    /* Its output is closed but it has not exited yet: a short wait. */
    long left = pyreactor_call_ms_left(call);
    if (left == 0) {
      kill(-ch->pid, SIGKILL);
      kill_now = true;
      continue;
    }
    poll(NULL, 0, (int)(nap < left ? nap : left));
    nap = nap < 32 ? nap * 2 : 32;
  }
}

/* ------------------------------------------------------------ answering -- */

static bool output_is_json(const jbuf *out)
{
  json_span v;
  return out->p != NULL && !out->failed && json_parse(out->p, out->n, &v, NULL) == JSON_OK &&
         json_utf8_valid(v.p, v.n);
}

/* The start of its standard error without trailing blanks, or "". */
static const char *stderr_start(child *ch)
{
  size_t n = ch->err_len;
  while (n > 0 && strchr(" \t\r\n", ch->err_text[n - 1]) != NULL)
    n--;
  ch->err_text[n] = '\0';
  return ch->err_text;
}

/* HostError with the start of its standard error, or `fallback` when it
** wrote none there. */
static void reply_failure(pyreactor_call_ctx *call, child *ch, const char *fallback)
{
  const char *said = stderr_start(ch);
  pyreactor_reply_error(call, PYREACTOR_TYPE_HOST_ERROR, said[0] != '\0' ? said : fallback);
}

static void answer(pyreactor_call_ctx *call, const host_command *c, child *ch, int pumped,
                   int status)
{
  const char *cmd = c->argv[0];
  char why[400];
  if (pumped == PUMP_TIMEOUT) {
    snprintf(why, sizeof why, "%.200s was killed: the call ran out of time", cmd);
    pyreactor_reply_error(call, PYREACTOR_TYPE_TIMEOUT, why); /* dropped: the call ends with Timeout */
  } else if (pumped == PUMP_TOO_MUCH) {
    snprintf(why, sizeof why, "%.200s wrote more than %zu MiB, the limit of a reply", cmd,
             HOST_COMMAND_MAX_OUTPUT >> 20);
    pyreactor_reply_error(call, PYREACTOR_TYPE_HOST_ERROR, why);
  } else if (pumped == PUMP_FAILED || ch->output.failed) {
    snprintf(why, sizeof why, "reading the output of %.200s failed: %s", cmd,
             ch->output.failed ? "out of memory" : strerror(ch->read_errno));
    pyreactor_reply_error(call, PYREACTOR_TYPE_HOST_ERROR, why);
  } else if (status == -1) {
    snprintf(why, sizeof why, "%.200s: its exit status is lost (SIGCHLD is ignored)", cmd);
    reply_failure(call, ch, why);
  } else if (WIFSIGNALED(status)) {
    snprintf(why, sizeof why, "%.200s was killed by signal %d", cmd, WTERMSIG(status));
    reply_failure(call, ch, why);
  } else if (WEXITSTATUS(status) != 0) {
    snprintf(why, sizeof why, "%.200s exited with status %d", cmd, WEXITSTATUS(status));
    reply_failure(call, ch, why);
  } else if (!output_is_json(&ch->output)) {
    snprintf(why, sizeof why, "the output of %.200s is not JSON", cmd);
    reply_failure(call, ch, why);
  } else {
    pyreactor_reply_ok(call, ch->output.p, ch->output.n);
  }
}

int host_command_fn(pyreactor_call_ctx *call, const char *name, const char *args_json,
                    size_t args_len, void *user)
{
  (void)name;
  const host_command *c = user;
  child ch;
  memset(&ch, 0, sizeof ch);
  ch.input = args_json;
  ch.input_len = args_len;
  jbuf_init(&ch.output);
  int rc = spawn(c, &ch);
  if (rc != 0) {
    char why[400];
    snprintf(why, sizeof why, "cannot run %.200s: %s", c->argv[0], strerror(rc));
    pyreactor_reply_error(call, PYREACTOR_TYPE_HOST_ERROR, why);
    return PYREACTOR_OK;
  }
  int pumped = pump(&ch, call);
  close_fd(&ch.in); /* a command still reading its input gets end of file */
  close_fd(&ch.out);
  close_fd(&ch.err);
  int status = reap(&ch, call, pumped != PUMP_DONE);
  answer(call, c, &ch, pumped, status);
  jbuf_free(&ch.output);
  return PYREACTOR_OK;
}
