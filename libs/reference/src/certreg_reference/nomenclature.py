"""The nomenclatures a certification's fiche is classified with, loaded from the data shipped in this package.

Each data file ``data/<name>.csv`` has a sidecar ``data/<name>.meta.json`` that says where it comes from
(source, version, licence, retrieval date, record count, SHA-256). Nothing here is fetched at run time.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal

Name = Literal["nsf", "rome", "rome-v3", "formacode"]

SHIPPED: Final = ("nsf", "rome", "rome-v3")

# Nomenclatures the fiche uses but that this package deliberately does not carry, and why.
NOT_SHIPPED: Final[Mapping[str, str]] = {
    "formacode": (
        "Formacode® (Centre Inffo) is not shipped: no copy could be obtained through the package registries this "
        "project may use, and its reuse licence could not be verified; Formacode® is a registered trademark of "
        "Centre Inffo. Ship it only from Centre Inffo's own publication once its licence allows redistribution."
    ),
}


class UnknownCode(KeyError):
    """A code that does not exist in the nomenclature."""

    def __init__(self, nomenclature: str, code: str) -> None:
        super().__init__(code)
        self.nomenclature = nomenclature
        self.code = code

    def __str__(self) -> str:
        return f"{self.code!r} is not a {self.nomenclature} code"


class NotShipped(LookupError):
    """A nomenclature this package does not carry (see ``NOT_SHIPPED``)."""


@dataclass(frozen=True, slots=True)
class Entry:
    code: str
    label: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Provenance:
    name: str
    title: str
    publisher: str
    version: str
    source: str
    licence: str
    retrieved: str
    records: int
    sha256: str


class Nomenclature:
    """Codes and labels of one nomenclature: ``code in n``, ``n.label(code)``, ``n.search(text)``."""

    def __init__(self, provenance: Provenance, entries: Mapping[str, Entry]) -> None:
        self.provenance = provenance
        self._entries = dict(entries)
        self._folded = {code: _fold(f"{code} {entry.label}") for code, entry in self._entries.items()}

    @property
    def name(self) -> str:
        return self.provenance.name

    @property
    def version(self) -> str:
        return self.provenance.version

    @property
    def source(self) -> str:
        return self.provenance.source

    @property
    def licence(self) -> str:
        return self.provenance.licence

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def get(self, code: str) -> Entry | None:
        return self._entries.get(code)

    def entry(self, code: str) -> Entry:
        try:
            return self._entries[code]
        except KeyError:
            raise UnknownCode(self.name, code) from None

    def label(self, code: str) -> str:
        return self.entry(code).label

    def unknown(self, codes: Iterable[str]) -> list[str]:
        """The given codes that do not exist, in the order given (what a 422 names)."""
        return [code for code in codes if code not in self]

    def search(self, text: str, limit: int = 20) -> list[Entry]:
        """Entries whose code or label holds every word of ``text`` (case and accents ignored); code prefixes, then broader codes, first."""
        words = _fold(text).split()
        if not words:
            return []
        hits = [code for code, folded in self._folded.items() if all(word in folded for word in words)]
        prefix = _fold(text).strip()
        hits.sort(key=lambda code: (not _fold(code).startswith(prefix), len(code), code))
        return [self._entries[code] for code in hits[:limit]]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def _read(name: str) -> tuple[Provenance, list[dict[str, str]]]:
    data = resources.files("certreg_reference") / "data"
    raw = (data / f"{name}.csv").read_bytes()
    meta = json.loads((data / f"{name}.meta.json").read_text(encoding="utf-8"))
    provenance = Provenance(**{field: meta[field] for field in Provenance.__dataclass_fields__})
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    if len(rows) != provenance.records or hashlib.sha256(raw).hexdigest() != provenance.sha256:
        raise RuntimeError(f"data/{name}.csv does not match its sidecar (records or sha256)")
    return provenance, rows


def _load_rome(name: str) -> Nomenclature:
    provenance, rows = _read(name)
    return Nomenclature(provenance, {row["code"]: Entry(row["code"], row["label"], row["code"][0]) for row in rows})


def _load_nsf() -> Nomenclature:
    """Domains (2 digits), groups (3 digits) and the decree's crossings of a group with a letter code (``311m``)."""
    provenance, rows = _read("nsf")
    entries: dict[str, Entry] = {}
    letters = [row for row in rows if row["level"] == "letter"]
    for row in rows:
        if row["level"] in ("domain", "group"):
            entries[row["code"]] = Entry(row["code"], row["label"], row["parent"])
    for row in rows:
        if row["level"] != "group":
            continue
        for letter in letters:
            if row["code"][0] in letter["parent"].split():
                code = row["code"] + letter["code"]
                entries[code] = Entry(code, f"{row['label']} ({letter['label']})", row["code"])
    return Nomenclature(provenance, entries)


@functools.cache
def nomenclature(name: Name) -> Nomenclature:
    """The nomenclature called ``name``, read once from the package data."""
    if name in NOT_SHIPPED:
        raise NotShipped(NOT_SHIPPED[name])
    if name == "nsf":
        return _load_nsf()
    if name in ("rome", "rome-v3"):
        return _load_rome(name)
    raise LookupError(f"unknown nomenclature {name!r}; shipped: {', '.join(SHIPPED)}")
