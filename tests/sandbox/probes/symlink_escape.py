import errno
import os

SEEN = set()


def note(e):
    SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    for path in ('/rw/link_out', '/rw/abs_link', '/rw/dir_link/secret.txt'):
        try:
            with open(path) as f:
                return f'followed {path}: {f.read(40)!r}'
        except OSError as e:
            note(e)
    for path in ('/rw/dir_link', '/rw/dir_link/'):
        try:
            return f'listed {path}: {os.listdir(path)}'
        except OSError as e:
            note(e)
    try:
        os.stat('/rw/link_out')
        return 'stat followed link_out'
    except OSError as e:
        note(e)
    # Writing through a link that leads out must fail too.
    try:
        with open('/rw/link_out', 'w') as f:
            f.write('overwritten')
        return 'wrote through link_out'
    except OSError as e:
        note(e)
    # New links: absolute targets are refused; a relative one that climbs
    # out may be refused too (plant_link_out.py insists), and if it was
    # made, it cannot be followed.
    try:
        os.symlink('/etc/passwd', '/rw/new_abs_link')
        return 'created an absolute symlink'
    except OSError:
        pass
    try:
        os.symlink('../outside/secret.txt', '/rw/new_rel_link')
    except OSError:
        pass
    else:
        try:
            with open('/rw/new_rel_link') as f:
                return f'followed a new link out: {f.read()!r}'
        except OSError:
            pass
        finally:
            os.remove('/rw/new_rel_link')
    if not granted:
        return True
    # Links inside the grant work, lstat sees links themselves.
    with open('/rw/ok_link') as f:
        if f.read() != 'inner':
            return 'in-grant symlink broken'
    if not os.path.islink('/rw/link_out'):
        return 'lstat does not see link_out as a link'
    if os.readlink('/rw/link_out') != '../outside/secret.txt':
        return 'readlink wrong'
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
