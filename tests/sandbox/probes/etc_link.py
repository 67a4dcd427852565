# Issue 12, case 3: a link the host's user put into the granted tree,
# rw/etc -> /etc, must not lead out of the grant.
import errno
import os

SEEN = set()


def note(e):
    SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    for path in ('/rw/etc/hostname', '/rw/etc/passwd', '/rw/etc/./passwd', '/rw/sub/../etc/passwd'):
        try:
            with open(path) as f:
                return f'read {path}: {f.read(40)!r}'
        except OSError as e:
            note(e)
    for what, fn in (('listed', lambda: os.listdir('/rw/etc')),
                     ('stat', lambda: os.stat('/rw/etc/passwd')),
                     ('stat', lambda: os.stat('/rw/etc')),
                     ('wrote', lambda: open('/rw/etc/pyreactor-escaped', 'w').close())):
        try:
            return f'{what} through /rw/etc: {fn()!r}'[:200]
        except OSError as e:
            note(e)
    if granted and os.path.lexists('/rw/etc') and os.readlink('/rw/etc') != '/etc':
        return f'readlink /rw/etc gave {os.readlink("/rw/etc")!r}'
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
