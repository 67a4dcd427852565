# More of "a read-only grant refuses every change" than readonly_grant.py:
# raw os.open flags, writes through a descriptor opened for reading, the
# subdirectory, hard links and renames from the read-write grant into it.
import errno
import os

SEEN = set()


def refused(fn, *args):
    try:
        fn(*args)
    except OSError as e:
        SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')
        return True
    return False


def write_file(path, mode='w'):
    with open(path, mode) as f:
        f.write('x')


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    src = '/rw/ro_source.txt'  # a file of the writable grant to move or link in
    if granted:
        write_file(src)
    checks = {
        'os.open O_WRONLY': (os.open, '/ro/file.txt', os.O_WRONLY),
        'os.open O_RDWR': (os.open, '/ro/file.txt', os.O_RDWR),
        'os.open O_TRUNC': (os.open, '/ro/file.txt', os.O_RDONLY | os.O_TRUNC),
        'os.open O_APPEND': (os.open, '/ro/file.txt', os.O_WRONLY | os.O_APPEND),
        'os.open O_CREAT': (os.open, '/ro/subdir/new.txt', os.O_RDONLY | os.O_CREAT),
        'create in subdir': (write_file, '/ro/subdir/new.txt'),
        'overwrite in subdir': (write_file, '/ro/subdir/deep.txt'),
        'mkdir in subdir': (os.mkdir, '/ro/subdir/newdir'),
        'unlink in subdir': (os.remove, '/ro/subdir/deep.txt'),
        'rename subdir': (os.rename, '/ro/subdir', '/ro/subdir2'),
        'rename subdir out': (os.rename, '/ro/subdir', '/rw/subdir'),
        'replace from rw': (os.replace, src, '/ro/file.txt'),
        'hard link in': (os.link, src, '/ro/hardlink.txt'),
        'hard link out of subdir': (os.link, '/ro/subdir/deep.txt', '/rw/deep_link.txt'),
        'symlink in subdir': (os.symlink, 'deep.txt', '/ro/subdir/link'),
        'utime subdir': (os.utime, '/ro/subdir', (0, 0)),
        'utime in subdir': (os.utime, '/ro/subdir/deep.txt', None),
        'truncate in subdir': (os.truncate, '/ro/subdir/deep.txt', 0),
    }
    for what, (fn, *args) in checks.items():
        if not refused(fn, *args):
            return f'read-only grant allowed {what}'
    if granted:
        fd = os.open('/ro/file.txt', os.O_RDONLY)
        try:
            for what, fn, *args in (('write', os.write, fd, b'x'), ('ftruncate', os.ftruncate, fd, 0),
                                    ('pwrite', os.pwrite, fd, b'x', 0)):
                if not refused(fn, *args):
                    return f'read-only grant allowed {what} on a descriptor opened for reading'
            try:
                os.utime(fd, (0, 0))
                return 'read-only grant allowed utime on a descriptor'
            except (NotImplementedError, TypeError):
                pass  # not a platform that takes descriptors here
            except OSError as e:
                SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')
        finally:
            os.close(fd)
        os.remove(src)
    # chmod: WASI has no modes; whatever Python does, the host-side check
    # of the sandbox runner sees a changed mode.
    try:
        os.chmod('/ro/file.txt', 0o777)
    except (OSError, NotImplementedError, AttributeError):
        pass
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
