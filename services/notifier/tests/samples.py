"""Sample events built from the contract classes, for the notifier's tests.

Every field gets a plausible value from its annotation; ``OVERRIDES`` fixes the fields
whose value a contract's validator constrains (prefix of a number, RNCP level…).
"""

from __future__ import annotations

import datetime as dt
import types
import uuid
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from certreg_contracts import Event, event_class

BASE_DATE = dt.date(2026, 11, 27)
BASE_TIME = dt.datetime(2026, 11, 27, 13, 30, tzinfo=dt.UTC)

OVERRIDES: dict[str, dict[str, Any]] = {
    "identity.account.registered": {"email": "camille.martin@example.org", "first_name": "Camille", "last_name": "Martin"},
    "filings.filing.submitted": {
        "repertoire": "rncp",
        "qualification_level": 6,
        "is_cqp": False,
        "cqp_filed_by": None,
        "fiche": {},
        "renews": None,
        "reference": "2026-000123",
    },
    "review.case.registered": {
        "repertoire": "rncp",
        "registration_number": "RNCP12345",
        "registration_start": BASE_DATE,
        "registration_end": dt.date(2031, 11, 27),
    },
    "review.case.refused": {
        "appeal_court": "Tribunal administratif de Paris",
        "appeal_deadline": None,
        "notified_at": None,
        "decision_date": BASE_DATE,
    },
    "review.case.opinion_given": {"opinion": "adjourned", "resubmission_due": dt.date(2027, 2, 15)},
    "review.request.reminder_due": {"days_left": 3},
    "review.registration.renewal_reminder_due": {
        "repertoire": "rncp",
        "registration_number": "RNCP12345",
        "registration_end": dt.date(2027, 8, 27),
        "months_before": 9,
        "renewal_opens_on": dt.date(2026, 8, 27),
    },
    "review.message.posted": {"author_side": "staff", "excerpt": "Merci de préciser les modalités d'évaluation."},
}


def _value(name: str, annotation: Any) -> Any:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Literal:
        return args[0]
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _value(name, inner[0])
    if origin is list:
        return [_value(name, args[0])]
    if getattr(annotation, "__metadata__", None) is not None:  # Annotated
        return _value(name, args[0])
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _model(annotation)
        if annotation is uuid.UUID:
            return uuid.uuid4()
        if annotation is bool:
            return True
        if annotation is int:
            return 1
        if annotation is dt.datetime:
            return BASE_TIME
        if annotation is dt.date:
            return BASE_DATE + dt.timedelta(days=30)
        if annotation is str:
            return _text(name)
    # pydantic's constrained aliases (AwareDatetime, NonNegativeInt…)
    text = str(annotation)
    if "Datetime" in text:
        return BASE_TIME
    if "Int" in text:
        return 1
    raise TypeError(f"no sample for {name}: {annotation!r}")


def _text(name: str) -> str:
    if name == "email":
        return "personne@example.org"
    if name.endswith("_url"):
        return f"http://certreg.test/{name.removesuffix('_url')}?token=exemple"
    if name == "sha256":
        return "0" * 64
    if name == "siret":
        return "73282932000074"
    return {"title": "Responsable de la logistique", "first_name": "Camille", "last_name": "Martin"}.get(name, f"{name} exemple")


M = TypeVar("M", bound=BaseModel)


def _model(cls: type[M], overrides: dict[str, Any] | None = None) -> M:
    values = dict(overrides or {})
    for name, info in cls.model_fields.items():
        if name not in values:
            values[name] = _value(name, info.annotation)
    return cls.model_validate(values)


def sample_event(routing_key: str, *, version: int = 1, **overrides: Any) -> Event:
    """A valid event of ``routing_key`` with plausible values (``overrides`` win)."""
    cls = event_class(routing_key, version)
    return _model(cls, {**OVERRIDES.get(routing_key, {}), **overrides})


def registration(**fields: Any) -> Event:
    """A registration decision (RNCP40123, five years from 1 December 2026), fields overridable."""
    defaults: dict[str, Any] = {
        "registration_number": "RNCP40123",
        "registration_start": dt.date(2026, 12, 1),
        "registration_end": dt.date(2031, 12, 1),
    }
    return sample_event("review.case.registered", **{**defaults, **fields})
