"""Every event module, imported so that each contract is registered."""

from certreg_contracts.events import platform  # noqa: F401
