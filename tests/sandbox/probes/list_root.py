import os


def probe(granted=None):
    for path in ('/', '/etc', '/tmp', '/proc', '/dev', '.', '..'):
        try:
            names = os.listdir(path)
        except OSError:
            continue
        host_like = {'etc', 'usr', 'proc', 'bin', 'home', 'root', 'tmp', 'null', 'passwd'} & set(names)
        if host_like:
            return f'listed host entries of {path}: {sorted(host_like)}'
    return True
