/*
** host_command.h -- host functions that run a command: the batch tools'
** `--host-function NAME=COMMAND` (ABI.md, "Batch protocol"). COMMAND is
** split into words as a POSIX shell would and run without a shell, once
** per call, with the call's args JSON text on its standard input; its
** standard output, a JSON value, is the reply. An exit status other than 0
** or output that is not JSON gives the error reply HostError whose message
** is the start of its standard error.
*/
#ifndef HOST_COMMAND_H
#define HOST_COMMAND_H

#include <stddef.h>

#include "pyreactor.h"

/* What is read of a command's output: past this much standard output the
** command is killed and the reply is HostError; of its standard error the
** first HOST_COMMAND_MAX_STDERR bytes make the message, the rest is read
** and dropped. */
#define HOST_COMMAND_MAX_OUTPUT ((size_t)64 << 20)
#define HOST_COMMAND_MAX_STDERR ((size_t)4096)

typedef struct host_command {
  char **argv; /* argc words, then NULL */
  size_t argc;
  char *words; /* where the words are */
} host_command;

#define HOST_COMMAND_OK 0
#define HOST_COMMAND_INVALID (-1) /* *why says what */
#define HOST_COMMAND_NOMEM (-2)

/* Splits `text` into words with the POSIX shell's quoting: blanks separate
** words; a backslash keeps the next character (backslash-newline is
** removed); '...' keeps everything; "..." keeps everything except that a
** backslash escapes $ ` " \ and newline. What a shell would do more than
** quote is refused (HOST_COMMAND_INVALID with *why, a static string),
** since no shell runs: an unquoted | & ; < > ( ) $ or `, # or ~ at the
** start of a word, $ or ` between double quotes, a NAME=VALUE first word,
** an unterminated quote or a trailing backslash, and no words at all.
** Glob characters (* ? [) stay as they are, as a shell leaves a pattern
** that matches nothing (the JavaScript host's rules too).
** On HOST_COMMAND_OK, free *out with host_command_free. */
int host_command_split(const char *text, host_command *out, const char **why);
void host_command_free(host_command *c);

/* A pyreactor_host_fn; `user` is the host_command to run. Runs it without a
** shell (posix_spawnp: PATH is searched) in a process group of its own,
** with the args on standard input, standard output and error read through
** pipes, nothing else open (every other descriptor is closed), default
** signal dispositions and an empty signal mask, the caller's working
** directory, and of its environment only PATH. Waits for it to close its
** output and
** exit: no descriptor or zombie is left. When the call's time limit passes
** (pyreactor_call_ms_left), its process group is killed (SIGKILL). */
int host_command_fn(pyreactor_call_ctx *call, const char *name, const char *args_json,
                    size_t args_len, void *user);

#endif
