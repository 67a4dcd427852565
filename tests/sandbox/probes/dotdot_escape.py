import errno
import os

ESCAPES = ('/rw/../outside/secret.txt', '/rw/sub/../../outside/secret.txt',
           '/rw/./../outside/secret.txt', '/ro/../outside/secret.txt',
           '/rw/sub/../../../../../../etc/passwd')
SEEN = set()


def note(e):
    SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')


def is_granted(granted):
    return os.environ.get('GRANTED') == 'yes' if granted is None else granted


def probe(granted=None):
    for path in ESCAPES:
        try:
            with open(path) as f:
                return f'read {path}: {f.read(40)!r}'
        except OSError as e:
            note(e)
    for path in ('/rw/..', '/rw/sub/../..', '/ro/..'):
        try:
            names = os.listdir(path)
            if 'outside' in names:
                return f'listed the parent of a grant via {path}: {names}'
        except OSError:
            pass
    # Staying inside with ".." is fine.
    try:
        with open('/rw/sub/../inner.txt') as f:
            if f.read() != 'inner':
                return 'in-grant .. path read the wrong file'
        if not is_granted(granted):
            return 'read /rw/sub/../inner.txt with nothing granted'
    except OSError as e:
        if is_granted(granted):
            return f'in-grant .. path refused: {e!r}'
    # The layer itself refuses: a relative path that climbs out.
    try:
        os.stat('/rw/../outside/secret.txt')
        return 'stat through .. succeeded'
    except OSError as e:
        if e.errno not in (errno.ENOTCAPABLE, errno.ENOENT, errno.EPERM, errno.EACCES):
            return f'unexpected errno {e.errno}'
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
