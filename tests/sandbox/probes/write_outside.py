import os

def probe():
    for path in ('/tmp/pyreactor-escaped', '/pyreactor-escaped', 'pyreactor-escaped',
                 '/outside/written'):
        try:
            with open(path, 'w') as f:
                f.write('escaped')
            return f'wrote {path}'
        except OSError:
            pass
    try:
        os.mkdir('/tmp/pyreactor-escaped-dir')
        return 'made a host directory'
    except OSError:
        pass
    return True
