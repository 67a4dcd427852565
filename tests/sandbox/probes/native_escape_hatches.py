def probe(granted=None):
    for mod in ('ctypes', '_ctypes', 'mmap', 'fcntl', 'resource', 'pwd', '_posixsubprocess'):
        try:
            __import__(mod)
            if mod in ('ctypes', '_ctypes', '_posixsubprocess'):
                return f'{mod} importable'
        except ImportError:
            pass
    try:
        import _imp
        _imp.create_dynamic(None)
        return '_imp.create_dynamic returned'
    except Exception:
        pass
    try:
        import threading
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    except RuntimeError:
        pass
    return True
