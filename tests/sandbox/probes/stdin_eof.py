# Issue 12, case 1: the guest's stdin is empty (ABI.md, "The sandbox"), also
# while the host process still has input of its own to read: the sandbox
# runner sends a request line of more than 200 KB right after this probe's.
import os
import sys

SEEN = []


def probe(granted=None):
    got = sys.stdin.read(300)
    if got:
        return f'sys.stdin.read(300) gave {len(got)} characters: {got[:60]!r}'
    raw = os.read(0, 300)
    if raw:
        return f'os.read(0, 300) gave {len(raw)} bytes: {raw[:60]!r}'
    try:
        line = input()
        return f'input() returned {line[:60]!r}'
    except EOFError:
        pass
    SEEN.append('EOF')
    return True


def outcome():
    return ', '.join(SEEN)
