"""Calling the host from Python (ABI.md, "Host functions").

    import reactor
    reactor.call_host("lookup", 1, 2)   # args as a JSON array: [1, 2]
    reactor.call_host("lookup", key=1)  # as a JSON object: {"key": 1}
    reactor.host.lookup(1, 2)           # the same as the first line

The reply comes back decoded from JSON (integers of any size exactly). An
error reply raises HostError, whose `.type` is the host's kind of error
(NoSuchHostFunction for a name the host does not expose) and `.message`
its message; not caught, it ends the call with an err of that type.
A host function runs while the guest waits: one called from a coroutine
blocks the event loop until it returns.

Frozen into the guest as the module `reactor`; the code is in `_reactor`.
"""
from _reactor import HostError, call_host, host

__all__ = ["HostError", "call_host", "host"]
