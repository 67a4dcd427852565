def probe(granted=None):
    try:
        import socket
    except ImportError:
        return True
    attempts = [
        lambda: socket.socket(),
        lambda: socket.create_connection(('127.0.0.1', 80), timeout=1),
        lambda: socket.getaddrinfo('localhost', 80),
        lambda: socket.gethostbyname('example.com'),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
        lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM),
        lambda: socket.fromfd(0, socket.AF_INET, socket.SOCK_STREAM).recv(1),
    ]
    for i, attempt in enumerate(attempts):
        try:
            result = attempt()
            return f'socket attempt {i} worked: {result!r}'[:200]
        except Exception:
            pass
    try:
        import urllib.request
        urllib.request.urlopen('http://127.0.0.1/', timeout=1)
        return 'urlopen worked'
    except Exception:
        pass
    return True
