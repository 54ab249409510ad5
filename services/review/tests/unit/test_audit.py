"""The audit chain: built entry by entry, any change detected."""

from typing import Any

from review.domain.audit import GENESIS, entry_hash, verify_chain


def chain(n: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    previous = GENESIS
    for seq in range(1, n + 1):
        entry: dict[str, Any] = {
            "filing_id": "f",
            "seq": seq,
            "at": f"2026-01-0{seq}T10:00:00+00:00",
            "actor_id": None,
            "actor_role": "system",
            "actor_name": "",
            "action": f"a{seq}",
            "from_state": "x",
            "to_state": "y",
            "reason": "é",
            "details": "{}",
            "prev_hash": previous,
        }
        entry["hash"] = entry_hash(entry)
        previous = entry["hash"]
        entries.append(entry)
    return entries


def test_a_sound_chain_verifies():
    assert verify_chain(chain(5)) is None
    assert verify_chain([]) is None


def test_a_changed_field_breaks_at_that_entry():
    entries = chain(5)
    entries[2]["reason"] = "autre chose"
    broken = verify_chain(entries)
    assert broken is not None and broken.seq == 3 and "content" in broken.why


def test_a_rehashed_entry_breaks_the_next_link():
    entries = chain(5)
    entries[2]["to_state"] = "registered"
    entries[2]["hash"] = entry_hash(entries[2])
    broken = verify_chain(entries)
    assert broken is not None and broken.seq == 4 and "previous" in broken.why


def test_a_removed_entry_is_detected():
    entries = chain(4)
    del entries[1]
    broken = verify_chain(entries)
    assert broken is not None and broken.seq == 3
