import errno
import os
import stat
import time

# The runner puts a FIFO at /rw/fifo. Opening it for reading would wait for
# a writer that never comes, and opening it for writing would wait for a
# reader: every open of a FIFO (or device, or socket) is refused at once,
# with ENOTCAPABLE, and stat still sees it (WASI has no file type for a
# FIFO: neither file nor directory). tests/sandbox/run.mjs unblocks a host
# that blocks on it after a second or two, so that this can say so.
SEEN = set()
ATTEMPTS = (
    ('r', lambda: open('/rw/fifo', 'r')),
    ('w', lambda: open('/rw/fifo', 'w')),
    ('rb', lambda: open('/rw/fifo', 'rb', buffering=0)),
    ('a', lambda: open('/rw/fifo', 'a')),
    ('O_RDONLY|O_NONBLOCK', lambda: os.fdopen(os.open('/rw/fifo', os.O_RDONLY | os.O_NONBLOCK), 'rb')),
    ('O_RDWR', lambda: os.fdopen(os.open('/rw/fifo', os.O_RDWR), 'rb')),
)


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    try:
        mode = os.stat('/rw/fifo').st_mode
        if not granted:
            return 'stat /rw/fifo worked with nothing granted'
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            return f'os.stat sees /rw/fifo as mode {mode:o}'
    except OSError as e:
        if granted:
            return f'os.stat /rw/fifo: {e!r}'
    for what, fn in ATTEMPTS:
        start = time.monotonic()
        try:
            with fn():
                took = time.monotonic() - start
                return f'opened the FIFO with {what!r}' + (f' after blocking {took:.1f} s' if took > 1 else '')
        except PermissionError as e:
            SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')
            if e.errno != errno.ENOTCAPABLE:
                return f'{what!r}: errno {e.errno}, want ENOTCAPABLE'
        except OSError as e:
            return f'{what!r}: {e!r}, want PermissionError'
        took = time.monotonic() - start
        if took > 2:
            return f'open with {what!r} took {took:.1f} s'
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
