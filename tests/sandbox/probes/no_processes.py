import os


def probe(granted=None):
    if hasattr(os, 'system'):
        try:
            rc = os.system('touch /tmp/pyreactor-escaped')
            return f'os.system ran: {rc}'
        except Exception:
            pass
    for name in ('fork', 'execv', 'spawnv', 'posix_spawn', 'kill'):
        fn = getattr(os, name, None)
        if fn is None:
            continue
        try:
            if name == 'fork':
                fn()
            elif name == 'kill':
                fn(1, 0)
            else:
                fn('/bin/sh', ['sh', '-c', 'true'])
            return f'os.{name} worked'
        except Exception:
            pass
    for attempt in ('run', 'Popen'):
        try:
            import subprocess
            getattr(subprocess, attempt)(['/bin/true'])
            return f'subprocess.{attempt} ran'
        except Exception:
            pass
    return True
