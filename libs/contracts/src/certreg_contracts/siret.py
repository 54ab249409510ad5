"""The SIRET's check key, one rule for every service (an entity's SIRET, a certification's
partner organisation's): Luhn over the 14 digits, except La Poste's establishments (SIREN
356000000, head office excepted), whose digits add up to a multiple of 5 (INSEE)."""

from __future__ import annotations

import re

LA_POSTE_SIREN = "356000000"
# La Poste's head office follows Luhn like every other SIRET.
LA_POSTE_HEAD_OFFICE = "35600000000048"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def checksum_valid(siret: str) -> bool:
    """Luhn, except La Poste's establishments (SIREN 356000000): sum of digits multiple of 5."""
    if siret.startswith(LA_POSTE_SIREN) and siret != LA_POSTE_HEAD_OFFICE:
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_valid(siret)


def is_siret(value: str) -> bool:
    """14 digits with a valid check key."""
    return re.fullmatch(r"[0-9]{14}", value) is not None and checksum_valid(value)
