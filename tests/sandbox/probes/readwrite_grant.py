import os


def probe(granted=None):
    # The read-write grant works normally: the sandbox is not just "deny all".
    if granted is None:
        granted = os.environ.get('GRANTED') == 'yes'
    if not granted:
        try:
            os.makedirs('/rw/made/deeper', exist_ok=True)
            return 'made /rw/made/deeper with nothing granted'
        except OSError:
            return True
    os.makedirs('/rw/made/deeper', exist_ok=True)
    with open('/rw/made/deeper/f.txt', 'w') as f:
        f.write('hello')
    os.rename('/rw/made/deeper/f.txt', '/rw/made/g.txt')
    with open('/rw/made/g.txt') as f:
        if f.read() != 'hello':
            return 'read back wrong'
    if sorted(os.listdir('/rw/made')) != ['deeper', 'g.txt']:
        return f'listing {os.listdir("/rw/made")}'
    st = os.stat('/rw/made/g.txt')
    if st.st_size != 5:
        return f'size {st.st_size}'
    with open('/rw/made/g.txt', 'a') as f:
        f.write('!')
    with open('/rw/made/g.txt', 'rb') as f:
        f.seek(-1, 2)
        if f.read() != b'!':
            return 'append/seek wrong'
    os.remove('/rw/made/g.txt')
    os.rmdir('/rw/made/deeper')
    os.rmdir('/rw/made')
    return True
