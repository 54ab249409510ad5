"""Reference data for a certification's fiche: NSF and ROME codes, with their provenance (pure data, no I/O beyond the package)."""

from certreg_reference.nomenclature import (
    NOT_SHIPPED,
    SHIPPED,
    Entry,
    Name,
    Nomenclature,
    NotShipped,
    Provenance,
    UnknownCode,
    nomenclature,
)

__all__ = [
    "NOT_SHIPPED",
    "SHIPPED",
    "Entry",
    "Name",
    "Nomenclature",
    "NotShipped",
    "Provenance",
    "UnknownCode",
    "nomenclature",
]
