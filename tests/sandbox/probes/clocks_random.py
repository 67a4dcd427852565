import os
import time


def probe(granted=None):
    # Real clocks and real randomness, not fixed values.
    t = time.time()
    if not 1.7e9 < t < 4e9:
        return f'time.time() = {t}'
    start = time.monotonic()
    time.sleep(0.05)
    slept = time.monotonic() - start
    if not 0.04 < slept < 5:
        return f'sleep(0.05) took {slept}'
    a, b = os.urandom(16), os.urandom(16)
    if a == b or a == bytes(16):
        return 'urandom is not random'
    return True


def outcome():
    return 'real'
