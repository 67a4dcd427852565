import errno
import os

SEEN = set()


def refused(fn, *args):
    try:
        fn(*args)
    except OSError as e:
        SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')
        return e.errno in (errno.EROFS, errno.EPERM, errno.EACCES, errno.ENOTCAPABLE)
    return False


def write_file(path, mode='w'):
    with open(path, mode) as f:
        f.write('x')


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    try:
        with open('/ro/file.txt') as f:
            if f.read() != 'read me':
                return 'read the wrong text from the read-only grant'
        if not granted:
            return 'read /ro/file.txt with nothing granted'
    except OSError as e:
        if granted:
            return f'cannot read the read-only grant: {e!r}'
    if granted and not {'file.txt', 'subdir'} <= set(os.listdir('/ro')):
        return f'unexpected listing {os.listdir("/ro")}'
    checks = {
        'overwrite': (write_file, '/ro/file.txt'),
        'append': (write_file, '/ro/file.txt', 'a'),
        'read+write': (write_file, '/ro/file.txt', 'r+'),
        'create': (write_file, '/ro/new.txt'),
        'exclusive create': (write_file, '/ro/new.txt', 'x'),
        'unlink': (os.remove, '/ro/file.txt'),
        'rename': (os.rename, '/ro/file.txt', '/ro/moved.txt'),
        'rename out': (os.rename, '/ro/file.txt', '/rw/stolen.txt'),
        'rename in': (os.rename, '/rw/inner.txt', '/ro/planted.txt'),
        'mkdir': (os.mkdir, '/ro/newdir'),
        'rmdir': (os.rmdir, '/ro/subdir'),
        'utime': (os.utime, '/ro/file.txt', (0, 0)),
        'symlink': (os.symlink, 'file.txt', '/ro/link'),
        'hard link out': (os.link, '/ro/file.txt', '/rw/hardlink'),
        'truncate': (os.truncate, '/ro/file.txt', 0),
    }
    for what, (fn, *args) in checks.items():
        if not refused(fn, *args):
            return f'read-only grant allowed {what}'
    # EROFS specifically for the plain write cases.
    if granted:
        try:
            write_file('/ro/file.txt')
        except OSError as e:
            if e.errno != errno.EROFS:
                return f'overwrite gave errno {e.errno}, want EROFS ({errno.EROFS})'
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
