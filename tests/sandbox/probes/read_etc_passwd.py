def probe(granted=None):
    for path in ('/etc/passwd', '/etc/hostname', '/proc/self/environ', '/proc/self/maps',
                 '/dev/stdin', '/proc/self/fd/0'):
        try:
            with open(path, 'rb') as f:
                return f'read {path}: {f.read(40)!r}'
        except OSError:
            pass
    return True
