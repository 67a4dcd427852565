# Links to links, links that climb with "..", and a link in the read-only
# grant: the ones that end outside are refused, the ones that stay inside
# work.
import errno
import os

SEEN = set()
OUT = ('/rw/chain_out', '/rw/chain_mid', '/rw/chain_dir/secret.txt', '/rw/sub/up_out',
       '/ro/subdir/out_link', '/rw/sub/../chain_out')
INSIDE = ('/rw/chain_ok', '/rw/chain_ok_mid', '/rw/sub/up_ok')


def note(e):
    SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    for path in OUT:
        try:
            with open(path) as f:
                return f'followed {path}: {f.read(40)!r}'
        except OSError as e:
            note(e)
    for path in ('/rw/chain_dir', '/rw/chain_dir/.'):
        try:
            return f'listed {path}: {os.listdir(path)}'
        except OSError as e:
            note(e)
    for path in INSIDE:
        if not granted or not os.path.lexists(path):
            continue
        try:
            with open(path) as f:
                if f.read() != 'inner':
                    return f'{path} read the wrong file'
        except OSError as e:
            return f'{path} stays inside the grant, but was refused: {e!r}'
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
