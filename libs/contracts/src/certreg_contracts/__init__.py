"""certreg's integration events, defined once. Pure data: no I/O here."""

from certreg_contracts.envelope import Envelope, Event, UnknownEvent, event_class, register, registry

__all__ = ["Envelope", "Event", "UnknownEvent", "event_class", "register", "registry"]
