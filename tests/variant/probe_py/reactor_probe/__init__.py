"""The probe variant's package: its C part is built in (tests/variant/probe_ext.c)."""
from . import _ext


def twice(x):
    return _ext.twice(x)
