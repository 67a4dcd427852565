import os


def probe(granted=None):
    # os._exit must not end the instance (let alone the host): it raises
    # SystemExit inside the guest.
    try:
        os._exit(3)
    except SystemExit as e:
        if e.code != 3:
            return f'exit code {e.code}'
    else:
        return 'os._exit returned'
    try:
        import sys
        sys.exit(4)
    except SystemExit:
        pass
    return True


def outcome():
    return 'SystemExit'
