def probe():
    for path in ('/etc/passwd', '/etc/hostname', '/proc/self/environ', '/proc/self/maps'):
        try:
            with open(path, 'rb') as f:
                return f'read {path}: {f.read(40)!r}'
        except OSError:
            pass
    return True
