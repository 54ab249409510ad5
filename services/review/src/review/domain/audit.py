"""The audit timeline: append-only, each entry chained to the previous one of its case
by SHA-256 over a canonical JSON of the entry and the previous hash. Changing,
removing or reordering an entry breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
# The fields a hash covers, in the canonical form (everything but the hash itself).
CHAINED_FIELDS = (
    "filing_id",
    "seq",
    "at",
    "actor_id",
    "actor_role",
    "actor_name",
    "action",
    "from_state",
    "to_state",
    "reason",
    "details",
    "prev_hash",
)


def canonical_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def parse_details(text: str | None) -> dict[str, Any]:
    """An entry's ``details`` (canonical JSON) back as a dict; {} when unreadable."""
    try:
        details = json.loads(text or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json({k: entry.get(k) for k in CHAINED_FIELDS})).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    why: str


def verify_chain(entries: Iterable[Mapping[str, Any]]) -> ChainBreak | None:
    """None when the chain holds; else the first broken entry and why."""
    previous = GENESIS
    expected_seq = 1
    for entry in entries:
        seq = entry.get("seq")
        if seq != expected_seq:
            return ChainBreak(seq if isinstance(seq, int) else -1, f"expected entry {expected_seq}, found {seq}")
        if entry.get("prev_hash") != previous:
            return ChainBreak(seq, "previous hash does not match the previous entry")
        if entry_hash(entry) != entry.get("hash"):
            return ChainBreak(seq, "hash does not match the entry's content")
        previous = entry["hash"]
        expected_seq += 1
    return None
