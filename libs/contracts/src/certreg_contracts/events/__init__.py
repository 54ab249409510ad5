"""Every event module, imported so that each contract is registered."""

from certreg_contracts.events import entities, filings, identity, platform, review  # noqa: F401
