def probe():
    for mod in ('ctypes', '_ctypes', 'mmap', 'fcntl', 'resource', 'pwd', '_posixsubprocess'):
        try:
            __import__(mod)
            if mod in ('ctypes', '_ctypes', '_posixsubprocess'):
                return f'{mod} importable'
        except ImportError:
            pass
    try:
        import threading
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    except RuntimeError:
        pass
    return True
