"""Contract tests: every event travels, keys are sound, the committed schemas are current."""

import re
import shutil
import types
import typing
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError

from certreg_contracts import DOC_TYPES, Envelope, Event, UnknownEvent, event_class, registry
from certreg_contracts.events import filings, identity, review
from certreg_contracts.export import DEFAULT_DIR, main, render, stale
from certreg_contracts.schema import asyncapi, json_schemas
from certreg_contracts.subscriptions import CONSUMERS
from certreg_contracts.types import SERVICES

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)

# Field values the generic sample below cannot guess (patterns, cross-field rules).
OVERRIDES = {
    "siret": "73282932000074",
    "sha256": "ab" * 32,
    "registration_number": "RNCP12345",
    "former_numbers": ["RNCP34762"],
    "renews": "RNCP34762",
    "registration_start": TODAY,
    "registration_end": TODAY + timedelta(days=5 * 365),
    "resubmission_due": None,  # the sample's opinion is "favourable"
}


def sample_value(name: str, annotation: typing.Any) -> typing.Any:
    """A valid value for a field: every optional filled, every list with one item."""
    if name in OVERRIDES:
        return OVERRIDES[name]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return sample_value(name, args[0])
    if origin in (typing.Union, types.UnionType):
        return sample_value(name, next(a for a in args if a is not type(None)))
    if origin is typing.Literal:
        return args[0]
    if origin is list:
        return [sample_value(name, args[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return sample(annotation)
    if annotation is uuid.UUID:
        return uuid.uuid4()
    if annotation in (datetime, AwareDatetime):
        return NOW
    if annotation is date:
        return TODAY
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if annotation is str:
        return f"{name} é"
    raise AssertionError(f"no sample for {name}: {annotation!r}")


M = typing.TypeVar("M", bound=BaseModel)


def sample(cls: type[M]) -> M:
    return cls(**{name: sample_value(name, f.annotation) for name, f in cls.model_fields.items()})


EVENTS = sorted(registry().items())
IDS = [f"{t}.v{v}" for (t, v), _ in EVENTS]


@pytest.mark.parametrize("cls", [cls for _, cls in EVENTS], ids=IDS)
def test_every_event_round_trips_through_the_envelope(cls: type[Event]) -> None:
    event = sample(cls)
    envelope = Envelope.wrap(event, producer=cls.routing_key.split(".")[0])
    received = Envelope.from_bytes(envelope.to_bytes())
    assert received == envelope
    assert (received.type, received.version) == (cls.routing_key, cls.version)
    opened = received.open()
    assert type(opened) is cls
    assert opened == event


@pytest.mark.parametrize("cls", [cls for _, cls in EVENTS], ids=IDS)
def test_every_event_refuses_extra_fields(cls: type[Event]) -> None:
    envelope = Envelope.wrap(sample(cls), producer="test")
    tampered = envelope.model_copy(update={"payload": {**envelope.payload, "unexpected": 1}})
    with pytest.raises(ValidationError, match="unexpected"):
        Envelope.from_bytes(tampered.to_bytes()).open()


@pytest.mark.parametrize("cls", [cls for _, cls in EVENTS], ids=IDS)
def test_every_event_says_when_it_is_emitted_and_who_consumes_it(cls: type[Event]) -> None:
    doc = cls.__dict__.get("__doc__") or ""
    assert "Emitted" in doc or cls.routing_key.startswith("platform."), cls
    assert "Consume" in doc or "consumer" in doc or cls.routing_key.startswith("platform."), cls


def test_routing_keys_are_well_formed_unique_and_named_after_their_module() -> None:
    pattern = re.compile(r"^[a-z]+\.[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$")
    keys = [cls.routing_key for _, cls in EVENTS]
    assert len(keys) == len(set(keys)), "one version per event for now: a v2 must be deliberate"
    for (type_, version), cls in EVENTS:
        assert type_ == cls.routing_key and version == cls.version >= 1
        assert pattern.match(type_), type_
        assert cls.__module__.rsplit(".", 1)[1] == type_.split(".")[0], (cls, cls.__module__)
    names = [cls.__name__ for _, cls in EVENTS]
    assert len(names) == len(set(names)), "class names name the AsyncAPI components"


def test_registering_a_clashing_key_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):

        class Impostor(Event):
            routing_key = "review.case.opened"

    with pytest.raises(ValueError, match="not <service>"):

        class Malformed(Event):
            routing_key = "review.opened"


def test_an_unknown_type_or_version_raises_unknown_event() -> None:
    envelope = Envelope.wrap(sample(review.CaseOpened), producer="review")
    for update in ({"type": "review.case.unheard_of"}, {"version": 99}):
        with pytest.raises(UnknownEvent):
            envelope.model_copy(update=update).open()
    with pytest.raises(UnknownEvent):
        event_class("nobody.nothing.happened", 1)


def test_subscriptions_name_known_services_and_registered_keys() -> None:
    assert set(CONSUMERS) == set(SERVICES)
    known = {cls.routing_key for _, cls in EVENTS}
    for service, keys in CONSUMERS.items():
        assert len(keys) == len(set(keys)), service
        assert set(keys) <= known, (service, set(keys) - known)
        assert not any(k.startswith(service + ".") for k in keys), f"{service} consumes its own events"
    assert "review.case.status_changed" in CONSUMERS["filings"]
    assert "filings.filing.submitted" in CONSUMERS["review"]


def test_every_filing_event_names_its_filing_and_entity() -> None:
    for (type_, _), cls in EVENTS:
        if type_.startswith(("filings.", "review.")) and type_ != "review.session.created":
            assert {"filing_id", "entity_id", "repertoire", "title"} <= set(cls.model_fields), type_


def test_shared_enums() -> None:
    assert len(DOC_TYPES) == 17 and len(set(DOC_TYPES)) == 17
    assert typing.get_args(review.CaseStatusChanged.model_fields["status"].annotation)[-1] == "withdrawn"


def test_timestamps_must_be_aware() -> None:
    fields = {name: sample_value(name, f.annotation) for name, f in identity.AccountRegistered.model_fields.items()}
    with pytest.raises(ValidationError, match="timezone"):
        identity.AccountRegistered(**{**fields, "expires_at": datetime(2026, 3, 2, 9, 30)})


def _submitted(**changes: typing.Any) -> dict[str, typing.Any]:
    return {**sample(filings.FilingSubmitted).model_dump(), **changes}


def test_filing_submitted_rules() -> None:
    filings.FilingSubmitted(**_submitted(repertoire="rs", qualification_level=None))
    with pytest.raises(ValidationError, match="RNCP filing carries"):
        filings.FilingSubmitted(**_submitted(repertoire="rncp", qualification_level=None))
    with pytest.raises(ValidationError, match="RS filing never"):
        filings.FilingSubmitted(**_submitted(repertoire="rs", qualification_level=5))
    with pytest.raises(ValidationError, match="less than or equal to 8"):
        filings.FilingSubmitted(**_submitted(qualification_level=9))
    with pytest.raises(ValidationError, match="cqp_filed_by"):
        filings.FilingSubmitted(**_submitted(is_cqp=False, cqp_filed_by="cpne"))
    with pytest.raises(ValidationError, match="doc_type"):
        filings.FilingSubmitted(**_submitted(documents=[{**_submitted()["documents"][0], "doc_type": "kbis"}]))


def test_review_rules() -> None:
    registered = sample(review.CaseRegistered).model_dump()
    review.CaseRegistered(**{**registered, "repertoire": "rs", "registration_number": "RS1234"})
    with pytest.raises(ValidationError, match="prefix"):
        review.CaseRegistered(**{**registered, "repertoire": "rs", "registration_number": "RNCP1234"})
    with pytest.raises(ValidationError, match="pattern"):
        review.CaseRegistered(**{**registered, "registration_number": "12345"})
    opinion = sample(review.CaseOpinionGiven).model_dump()
    review.CaseOpinionGiven(**{**opinion, "opinion": "adjourned", "resubmission_due": TODAY})
    with pytest.raises(ValidationError, match="adjourned"):
        review.CaseOpinionGiven(**{**opinion, "opinion": "adjourned", "resubmission_due": None})
    with pytest.raises(ValidationError, match="doc_type or asks"):
        review.RequestItem()
    with pytest.raises(ValidationError, match="200"):
        review.MessagePosted(**{**sample(review.MessagePosted).model_dump(), "excerpt": "x" * 201})


def test_documents_cover_every_event() -> None:
    schemas = json_schemas()
    assert set(schemas) == {"envelope"} | set(IDS)
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    assert set(doc["channels"]) == {cls.routing_key for _, cls in EVENTS}
    channel = doc["channels"]["review.case.status_changed"]
    assert channel["bindings"]["amqp"]["exchange"] == {
        "name": "certreg.events",
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }
    assert channel["x-consumers"] == ["filings", "notifier"]
    assert doc["operations"]["review.send.review.case.status_changed"]["x-producer"] == "review"
    # every local reference resolves
    text = render()["asyncapi.json"]
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node = doc
        for part in ref.split("/"):
            node = node[part]


def test_committed_schema_files_are_current() -> None:
    assert main(["--check", str(DEFAULT_DIR)]) == 0, f"stale: {stale(DEFAULT_DIR)}; run python -m certreg_contracts.export"


def test_check_mode_names_what_is_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schemas"
    shutil.copytree(DEFAULT_DIR, target)
    assert main(["--check", str(target)]) == 0
    (target / "review.case.opened.v1.json").write_text("{}\n")
    (target / "envelope.json").unlink()
    (target / "gone.event.happened.v1.json").write_text("{}\n")
    assert main(["--check", str(target)]) == 1
    err = capsys.readouterr().err
    assert "review.case.opened.v1.json (changed)" in err
    assert "envelope.json (missing)" in err
    assert "gone.event.happened.v1.json (obsolete)" in err
    assert main([str(target)]) == 0
    assert main(["--check", str(target)]) == 0
    assert all(text.endswith("}\n") for text in render().values())
