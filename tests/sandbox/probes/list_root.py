import os

def probe():
    for path in ('/', '/etc', '/tmp', '/proc', '.'):
        try:
            names = os.listdir(path)
        except OSError:
            continue
        host_like = {'etc', 'usr', 'proc', 'bin', 'home', 'root', 'tmp'} & set(names)
        if host_like:
            return f'listed host entries of {path}: {sorted(host_like)}'
    return True
