# Issue 12, case 2: fds 0, 1 and 2 are the instance's own (ABI.md, "The
# sandbox"). Seeking them, making them non-blocking and closing them must
# change nothing outside the instance: the sandbox runner checks that the
# host answers the next requests, that the instance was not replaced, and
# that output of a later instance still reaches the host's stderr. This
# probe runs last (run.mjs orders it so): after it the instance has no stdin, stdout or stderr.
import errno
import os

SEEN = {}


def attempt(what, fn):
    try:
        fn()
        SEEN[what] = 'ok'
    except OSError as e:
        SEEN[what] = errno.errorcode.get(e.errno, str(e.errno))
    except (AttributeError, NotImplementedError) as e:
        SEEN[what] = type(e).__name__


def probe(granted=None):
    for fd in (0, 1, 2):
        attempt(f'seek {fd}', lambda: os.lseek(fd, 0, os.SEEK_SET))
        attempt(f'non-blocking {fd}', lambda: os.set_blocking(fd, False))
    for fd in (0, 1, 2):
        attempt(f'close {fd}', lambda: os.close(fd))
    return True


def outcome():
    # One word per kind of attempt when all three fds answered alike.
    parts = []
    for what in ('seek', 'non-blocking', 'close'):
        answers = {SEEN.get(f'{what} {fd}') for fd in (0, 1, 2)}
        parts.append(f'{what} ' + ('/'.join(SEEN.get(f'{what} {fd}', '?') for fd in (0, 1, 2))
                                   if len(answers) > 1 else answers.pop()))
    return ', '.join(parts)
