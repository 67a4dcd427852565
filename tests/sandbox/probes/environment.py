import os

def probe():
    env = dict(os.environ)
    if env != {'GRANTED': 'yes'}:
        return f'environment is {env}'
    if os.getenv('PYREACTOR_HOST_SECRET') is not None:
        return 'host environment leaked'
    return True
