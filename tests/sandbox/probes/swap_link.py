# A file replaced by a link between two calls: probe() reads rw/swap.txt
# and lists rw/swapdir; then the sandbox runner replaces them (as the
# host's user) by links to ../outside/secret.txt and ../outside, and calls
# after(), which must be refused. Alone (test_sandbox.c) only probe() runs.
import errno
import os

SEEN = set()


def is_granted(granted):
    return os.environ.get('GRANTED') == 'yes' if granted is None else granted


def probe(granted=None):
    try:
        with open('/rw/swap.txt') as f:
            text = f.read()
        names = os.listdir('/rw/swapdir')
    except FileNotFoundError:
        return True  # a fixture without them
    except OSError as e:
        return True if not is_granted(granted) else f'cannot read rw/swap.txt: {e!r}'
    if not is_granted(granted):
        return 'read /rw/swap.txt with nothing granted'
    if text != 'swap me' or names != ['x.txt']:
        return f'unexpected {text!r}, {names}'
    return True


def after(granted=None):
    for path in ('/rw/swap.txt', '/rw/swapdir/secret.txt'):
        try:
            with open(path) as f:
                return f'read {path} after the swap: {f.read(40)!r}'
        except OSError as e:
            SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')
    for what, fn in (('listed /rw/swapdir', lambda: os.listdir('/rw/swapdir')),
                     ('stat /rw/swap.txt', lambda: os.stat('/rw/swap.txt')),
                     ('wrote /rw/swap.txt', lambda: open('/rw/swap.txt', 'a').close())):
        try:
            return f'{what} after the swap: {fn()!r}'[:200]
        except OSError as e:
            SEEN.add(f'{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}')
    if is_granted(granted) and not os.path.islink('/rw/swap.txt'):
        return 'the swap was not seen: /rw/swap.txt is no link'
    return True


def outcome():
    return 'refused (' + ', '.join(sorted(SEEN)) + ')'
