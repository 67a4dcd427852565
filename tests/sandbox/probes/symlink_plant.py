import errno
import os

# A link the guest makes stays in the host's directory after the guest is
# gone, for the host's own tools to follow without any sandbox: a relative
# target may not climb above the grant, counted from the link's directory
# as the host sees it; an absolute target could only mean a host path.
# A host may refuse every link (Deno does: see docs/wasi-layer.md); the
# outcome then says "no link at all".
REFUSED = [
    ('../outside', '/rw/x'),
    ('../outside/secret.txt', '/rw/planted_file'),
    ('sub/../../outside/secret.txt', '/rw/y'),
    ('./../outside', '/rw/z'),
    ('..', '/rw/planted_parent'),
    ('../../outside', '/rw/sub/x'),
    ('../inner.txt', '/rw/here/x'),  # "here" is the grant itself, see below
    ('/etc', '/rw/planted_abs'),
    ('/rw/inner.txt', '/rw/planted_guest_abs'),
]
ALLOWED = [
    ('../inner.txt', '/rw/sub/up'),
    ('sub/../inner.txt', '/rw/down_up'),
    ('inner.txt', '/rw/plain'),
]
SEEN = set()
NO_LINKS = []  # a host that lets the guest make no link at all (Deno's permissions)


def refused(target, link, **kw):
    try:
        os.symlink(target, link, **kw)
    except PermissionError as e:
        SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')
        if e.errno != errno.ENOTCAPABLE:
            return f'{link} -> {target}: errno {e.errno}, want ENOTCAPABLE'
    except OSError as e:
        return f'{link} -> {target}: {e!r}, want PermissionError'
    else:
        os.remove(link, **kw)
        return f'made {link} -> {target}'
    return None


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    if not granted:
        for target, link in REFUSED + ALLOWED:
            leak = refused(target, link)
            if leak:
                return leak
        return True
    try:
        os.symlink('.', '/rw/here')
    except PermissionError as e:
        # Stricter than needed, but no escape: then no link may be made.
        if e.errno != errno.ENOTCAPABLE:
            return f'/rw/here -> .: errno {e.errno}, want ENOTCAPABLE'
        NO_LINKS.append(True)
        for target, link in REFUSED + ALLOWED:
            if link.startswith('/rw/here/'):
                continue  # there is no /rw/here
            leak = refused(target, link)
            if leak:
                return leak
        return True
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


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')' + ('; no link at all' if NO_LINKS else '')
