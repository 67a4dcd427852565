/*
** spawn.c -- runs one command as a whole process and reports its wall time
** and peak resident memory, for the whole-process cold starts of the
** benchmark suite (bench/run.py).
**
**   spawn STDIN STDOUT STDERR PROGRAM [ARGS...]
**   -> {"ms": wall time from fork to reaped, "maxrss_kb": ..., "rc": ...}
**
** Why not from Python: a child's ru_maxrss counts the memory it had before
** exec, which is a copy of (or, with vfork, the same as) its parent's. From a
** Python parent that is 10-60 MB; from this program it is well under 1 MB,
** so the figure is the command's own.
*/
#define _GNU_SOURCE

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
  if (argc < 5) {
    fprintf(stderr, "usage: spawn STDIN STDOUT STDERR PROGRAM [ARGS...]\n");
    return 2;
  }
  int in = open(argv[1], O_RDONLY | O_CLOEXEC);
  int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0 || err < 0) {
    perror("spawn: open");
    return 2;
  }
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) {
    perror("spawn: fork");
    return 2;
  }
  if (pid == 0) {
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
      _exit(127);
    execv(argv[4], argv + 4);
    perror("spawn: exec");
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("spawn: wait4");
    return 2;
  }
  double t1 = now_ms();
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("{\"ms\":%.4f,\"maxrss_kb\":%ld,\"rc\":%d}\n", t1 - t0, ru.ru_maxrss, rc);
  return 0;
}
