import errno
import os
import stat
import time

# The runner puts a FIFO at /rw/fifo. Opening it for reading would wait for
# a writer that never comes, and opening it for writing would wait for a
# reader: every open of a FIFO (or device, or socket) is refused at once,
# with ENOTCAPABLE, and stat still sees it (WASI has no file type for a
# FIFO: neither file nor directory).
def probe():
    mode = os.stat('/rw/fifo').st_mode
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return f'os.stat sees /rw/fifo as mode {mode:o}'
    for mode in ('r', 'w', 'rb', 'a'):
        start = time.monotonic()
        try:
            with open('/rw/fifo', mode):
                return f'opened the FIFO with mode {mode!r}'
        except PermissionError as e:
            if e.errno != errno.ENOTCAPABLE:
                return f'mode {mode!r}: errno {e.errno}, want ENOTCAPABLE'
        except OSError as e:
            return f'mode {mode!r}: {e!r}, want PermissionError'
        took = time.monotonic() - start
        if took > 2:
            return f'open with mode {mode!r} took {took:.1f} s'
    return True
