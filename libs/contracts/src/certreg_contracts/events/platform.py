"""Events of the platform itself (used by the bus's own tests and benchmark)."""

from certreg_contracts.envelope import Event


class Ping(Event):
    """A no-op event: the bus contract tests and the benchmark send it."""

    routing_key = "platform.probe.pinged"
    seq: int = 0
    note: str = ""
