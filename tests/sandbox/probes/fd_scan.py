# No descriptor of the host reaches the guest unless granted: past 0-2,
# the only open descriptors are the preopened grants (two, or none).
import os


def probe(granted=None):
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    found = []
    for fd in range(3, 256):
        try:
            os.fstat(fd)
            found.append(fd)
        except OSError:
            pass
    want = 2 if granted else 0
    if len(found) != want:
        return f'open descriptors past stdio: {found}, want {want}'
    return True


def outcome():
    return 'only the grants'
