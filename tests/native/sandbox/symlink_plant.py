import errno
import os

# A link the guest makes stays in the host's directory after the guest is
# gone, for the host's own tools to follow without any sandbox: a relative
# target may not climb above the grant, counted from the link's directory
# as the host sees it.
REFUSED = [
    ('../outside', '/rw/x'),
    ('sub/../../outside/secret.txt', '/rw/y'),
    ('./../outside', '/rw/z'),
    ('../../outside', '/rw/sub/x'),
    ('../inner.txt', '/rw/here/x'),  # "here" is the grant itself, see below
]
ALLOWED = [
    ('../inner.txt', '/rw/sub/up'),
    ('sub/../inner.txt', '/rw/down_up'),
    ('inner.txt', '/rw/plain'),
]


def refused(target, link, **kw):
    try:
        os.symlink(target, link, **kw)
        return f'made {link} -> {target}'
    except PermissionError as e:
        if e.errno != errno.ENOTCAPABLE:
            return f'{link} -> {target}: errno {e.errno}, want ENOTCAPABLE'
    return None


def probe():
    os.symlink('.', '/rw/here')
    try:
        for target, link in REFUSED:
            leak = refused(target, link)
            if leak:
                return leak
        fd = os.open('/rw/sub', os.O_RDONLY | os.O_DIRECTORY)
        try:
            leak = refused('../../outside', 'x', dir_fd=fd)
        finally:
            os.close(fd)
        if leak:
            return f'through a directory fd: {leak}'
        for target, link in ALLOWED:
            os.symlink(target, link)
            with open(link) as f:
                if f.read() != 'inner':
                    return f'{link} -> {target} reads wrong'
            os.remove(link)
    finally:
        os.remove('/rw/here')
    return True
