import os


def probe(granted=None):
    # With grants the host passes GRANTED=yes and nothing else; without,
    # nothing at all. The host process itself has PYREACTOR_HOST_SECRET.
    env = dict(os.environ)
    if granted is None:
        granted = env.get('GRANTED') == 'yes'
    want = {'GRANTED': 'yes'} if granted else {}
    if env != want:
        return f'environment is {env}'[:300]
    if os.getenv('PYREACTOR_HOST_SECRET') is not None:
        return 'host environment leaked'
    return True


def outcome():
    return f'{len(os.environ)} granted variable(s)'
