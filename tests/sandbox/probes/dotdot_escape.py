import errno
import os

ESCAPES = ('/rw/../outside/secret.txt', '/rw/sub/../../outside/secret.txt',
           '/rw/./../outside/secret.txt', '/ro/../outside/secret.txt')

def probe():
    for path in ESCAPES:
        try:
            with open(path) as f:
                return f'read {path}: {f.read()!r}'
        except OSError:
            pass
    for path in ('/rw/..', '/rw/sub/../..', '/ro/..'):
        try:
            names = os.listdir(path)
            if 'outside' in names:
                return f'listed the parent of a grant via {path}: {names}'
        except OSError:
            pass
    # Staying inside with ".." is fine.
    with open('/rw/sub/../inner.txt') as f:
        if f.read() != 'inner':
            return 'in-grant .. path read the wrong file'
    # The layer itself refuses: a relative path that climbs out.
    try:
        os.stat('/rw/../outside/secret.txt')
        return 'stat through .. succeeded'
    except OSError as e:
        if e.errno not in (errno.ENOTCAPABLE, errno.ENOENT, errno.EPERM, errno.EACCES):
            return f'unexpected errno {e.errno}'
    return True
