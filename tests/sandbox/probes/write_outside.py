import os


def probe(granted=None):
    for path in ('/tmp/pyreactor-escaped', '/pyreactor-escaped', 'pyreactor-escaped',
                 '/outside/written', '/tmp/pwned'):
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
