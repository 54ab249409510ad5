"""Identity's use cases without the platform: commands on an in-memory database, a fixed
clock and a key ring of their own (``certreg_testing.unit``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from argon2 import PasswordHasher

from certreg_contracts.events.entities import ApplicationSubmitted
from certreg_runtime.auth import Principal
from certreg_runtime.clock import FixedClock
from certreg_runtime.errors import Conflict, Forbidden, Invalid, Rejected, Throttled, Unauthenticated
from certreg_testing.unit import Unit, memory_engine, unit
from identity.adapters.keys import KeyRing
from identity.adapters.tables import Account, metadata
from identity.api.schemas import AccessToken, AccountCreate
from identity.app import commands
from identity.app.deps import IdentityDeps
from identity.app.handlers import application_submitted
from identity.config import IdentityConfig
from identity.domain import passwords
from identity.domain.accounts import ACTIVE

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-42"
CLIENT = "192.0.2.10"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its smallest cost: the rules under test are not the hashing's."""
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", fast)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", fast.hash("dummy"))


@pytest.fixture(scope="module")
def keys() -> KeyRing:
    ring = KeyRing(memory_engine(metadata))
    ring.ensure()
    return ring


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def u(keys: KeyRing, clock: FixedClock) -> Unit[IdentityDeps]:
    return unit(IdentityDeps, "identity", metadata, clock=clock, keys=keys, config=IdentityConfig())


def register(u: Unit[IdentityDeps], email: str = "camille.durand@example.org") -> uuid.UUID:
    body = AccountCreate(email=email, password=PASSWORD, first_name="Camille", last_name="Durand")
    return commands.create_account(u.deps, body, CLIENT).account_id


def activation_token(u: Unit[IdentityDeps]) -> str:
    registered = [e for e in u.emitted() if e.type == "identity.account.registered"][-1]
    url: str = registered.payload["activation_url"]
    return parse_qs(urlparse(url).query)["token"][0]


def submit_application(u: Unit[IdentityDeps], account_id: uuid.UUID, *, new_entity: bool = True) -> None:
    """What entities publishes when the person submits their entity application."""
    event = ApplicationSubmitted(
        application_id=uuid.uuid4(),
        entity_id=uuid.uuid4(),
        account_id=account_id,
        new_entity=new_entity,
        denomination="Organisme de test",
        kind="other",
        legal_form="company",
    )
    with u.deps.uow() as uow:
        application_submitted(u.deps, uow, event)
        uow.commit()


def set_status(u: Unit[IdentityDeps], account_id: uuid.UUID, status: str) -> None:
    with u.deps.uow() as uow:
        account = uow.session.get(Account, account_id)
        assert account is not None
        account.status = status
        uow.session.add(account)
        uow.commit()


def si_admin() -> Principal:
    return Principal(account_id=uuid.uuid4(), email="admin@example.org", roles=frozenset({"si_admin"}), entity_id=None, scope="access")


def log_in(u: Unit[IdentityDeps], password: str = PASSWORD, email: str = "camille.durand@example.org", client: str = CLIENT) -> AccessToken:
    return commands.log_in(u.deps, email, password, client)


# --- account creation ------------------------------------------------------------------


def test_a_new_account_waits_for_activation_with_its_link_and_an_onboarding_token(u: Unit[IdentityDeps]) -> None:
    created = commands.create_account(
        u.deps, AccountCreate(email=" Camille.Durand@Example.org ", password=PASSWORD, first_name="Camille", last_name="Durand"), CLIENT
    )
    assert created.status == "pending_activation"
    assert created.onboarding_expires_in == 7200
    claims = jwt.decode(created.onboarding_token, options={"verify_signature": False})
    assert claims["scope"] == "onboarding" and claims["sub"] == str(created.account_id) and claims["roles"] == []
    [registered] = u.emitted()
    assert registered.type == "identity.account.registered"
    assert registered.payload["email"] == "camille.durand@example.org"
    assert registered.payload["activation_url"].startswith(f"{u.deps.settings.public_url}/activation?token=")
    assert datetime.fromisoformat(registered.payload["expires_at"]) == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # 48 h


def test_every_wrong_field_is_named(u: Unit[IdentityDeps]) -> None:
    with pytest.raises(Invalid) as refused:
        commands.create_account(u.deps, AccountCreate(email="nope", password="short", phone="abc", job_title="x" * 201), CLIENT)
    assert {(e["loc"][1], e["type"]) for e in refused.value.detail} == {
        ("email", "email_invalid"),
        ("password", "password_too_short"),
        ("password", "password_too_simple"),
        ("first_name", "missing"),
        ("last_name", "missing"),
        ("phone", "phone_invalid"),
        ("job_title", "too_long"),
    }
    assert u.emitted() == []


def test_signing_up_again_while_pending_activation_replaces_the_pending_account(u: Unit[IdentityDeps]) -> None:
    """Issue 11, point 3: the stranger's sign-up is withdrawn, its link dead."""
    first = register(u)
    first_link = activation_token(u)
    second = register(u, "CAMILLE.DURAND@example.org")
    assert second != first
    assert [e.payload["account_id"] for e in u.emitted() if e.type == "identity.account.withdrawn"] == [str(first)]
    with pytest.raises(Rejected):
        commands.activate(u.deps, first_link, PASSWORD, CLIENT)
    assert commands.activate(u.deps, activation_token(u), PASSWORD, CLIENT).status == "pending_validation"


def test_activation_needs_the_password_chosen_at_sign_up(u: Unit[IdentityDeps]) -> None:
    register(u)
    token = activation_token(u)
    with pytest.raises(Invalid) as refused:
        commands.activate(u.deps, token, "Not-The-Password-1", CLIENT)
    assert refused.value.detail[0]["type"] == "password_mismatch"
    assert commands.activate(u.deps, token, PASSWORD, CLIENT).status == "pending_validation"  # the link stayed usable


def test_sign_ups_are_throttled_per_address(u: Unit[IdentityDeps]) -> None:
    for _ in range(3):
        register(u)
    with pytest.raises(Throttled) as refused:
        register(u)
    assert refused.value.code == "too_many_signups"


def test_an_active_account_makes_the_email_taken(u: Unit[IdentityDeps]) -> None:
    set_status(u, register(u), ACTIVE)
    with pytest.raises(Conflict) as refused:
        register(u)
    assert refused.value.code == "email_taken" and refused.value.extra == {}


# --- activation ------------------------------------------------------------------------


def test_an_activation_link_works_once(u: Unit[IdentityDeps]) -> None:
    account_id = register(u)
    token = activation_token(u)
    assert commands.activate(u.deps, token, PASSWORD, CLIENT).status == "pending_validation"
    with pytest.raises(Rejected) as refused:
        commands.activate(u.deps, token, PASSWORD, CLIENT)
    assert refused.value.code == "token_used" and refused.value.detail == "Ce lien a déjà été utilisé."
    activated = [e for e in u.emitted() if e.type == "identity.account.activated"]
    assert [e.payload["account_id"] for e in activated] == [str(account_id)]


def test_an_expired_activation_link_is_refused_and_the_account_stays_pending(u: Unit[IdentityDeps], clock: FixedClock) -> None:
    account_id = register(u)
    clock.advance(hours=48)
    with pytest.raises(Rejected) as refused:
        commands.activate(u.deps, activation_token(u), PASSWORD, CLIENT)
    assert refused.value.code == "token_expired"
    with u.deps.uow() as uow:
        account = uow.session.get(Account, account_id)
        assert account is not None and account.status == "pending_activation"


def test_activation_after_the_application_asks_the_validator(u: Unit[IdentityDeps]) -> None:
    account_id = register(u)
    submit_application(u, account_id, new_entity=True)
    commands.activate(u.deps, activation_token(u), PASSWORD, CLIENT)
    [asked] = [e for e in u.emitted() if e.type == "identity.account.validation_requested"]
    assert asked.payload["account_id"] == str(account_id) and asked.payload["validator"] == "si_admin"


# --- authentication --------------------------------------------------------------------


def test_a_wrong_password_or_an_unknown_address_is_bad_credentials(u: Unit[IdentityDeps]) -> None:
    register(u)
    for email, password in (("camille.durand@example.org", "Wrong-Password-1"), ("nobody@example.org", PASSWORD)):
        with pytest.raises(Unauthenticated) as refused:
            log_in(u, password, email)
        assert refused.value.code == "invalid_credentials"


def test_missing_fields_are_named(u: Unit[IdentityDeps]) -> None:
    with pytest.raises(Invalid) as refused:
        commands.log_in(u.deps, " ", "", CLIENT)
    assert [e["loc"] for e in refused.value.detail] == [["body", "username"], ["body", "password"]]


def test_failures_of_one_address_slow_that_address_down_progressively(u: Unit[IdentityDeps], clock: FixedClock) -> None:
    register(u)
    for _ in range(3):  # three failures are free
        with pytest.raises(Unauthenticated):
            log_in(u, "Wrong-Password-1")
    for expected in (2, 4, 8):
        with pytest.raises(Throttled) as refused:
            log_in(u)  # even the right password waits
        assert refused.value.code == "too_many_attempts" and refused.value.retry_after == expected
        clock.advance(seconds=expected)
        with pytest.raises(Unauthenticated):
            log_in(u, "Wrong-Password-1")
    with pytest.raises(Forbidden):  # from elsewhere the person is not slowed down
        log_in(u, client="203.0.113.1")


def test_one_client_spraying_many_addresses_is_throttled_alone(u: Unit[IdentityDeps]) -> None:
    register(u)
    for n in range(30):
        with pytest.raises(Unauthenticated):
            log_in(u, PASSWORD, f"someone.{n}@example.org")
    with pytest.raises(Throttled):
        log_in(u)
    with pytest.raises(Forbidden):  # from elsewhere the person is not throttled
        log_in(u, client="203.0.113.1")


def test_what_the_account_still_waits_for_is_a_403_code(u: Unit[IdentityDeps]) -> None:
    def refusal() -> str:
        with pytest.raises(Forbidden) as refused:
            log_in(u)
        return refused.value.code

    account_id = register(u)
    assert refusal() == "application_missing"
    submit_application(u, account_id)
    assert refusal() == "not_activated"
    commands.activate(u.deps, activation_token(u), PASSWORD, CLIENT)
    assert refusal() == "pending_validation"
    commands.reject(u.deps, si_admin(), account_id, "Organisme inconnu.")
    assert refusal() == "rejected"


def test_an_approved_account_logs_in_and_its_failures_are_forgotten(u: Unit[IdentityDeps]) -> None:
    account_id = register(u)
    submit_application(u, account_id)
    commands.activate(u.deps, activation_token(u), PASSWORD, CLIENT)
    entity_id = commands.approve(u.deps, si_admin(), account_id).entity_id
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            log_in(u, "Wrong-Password-1")
    access = log_in(u)
    assert access.token_type == "bearer" and access.expires_in == u.deps.config.access_token_ttl_seconds
    claims = jwt.decode(access.access_token, options={"verify_signature": False})
    assert claims["scope"] == "access" and claims["roles"] == ["depositor", "entity_manager"]
    assert claims["entity_id"] == str(entity_id)
    for _ in range(3):  # the pair's count starts again: three failures before any delay
        with pytest.raises(Unauthenticated):
            log_in(u, "Wrong-Password-1")


def test_guesses_from_many_addresses_lock_the_account_for_new_addresses_only(u: Unit[IdentityDeps]) -> None:
    account_id = register(u)
    submit_application(u, account_id)
    commands.activate(u.deps, activation_token(u), PASSWORD, CLIENT)
    commands.approve(u.deps, si_admin(), account_id)
    log_in(u)  # CLIENT is now known to the account
    for n in range(10):
        with pytest.raises(Unauthenticated):
            log_in(u, "Wrong-Password-1", client=f"198.51.100.{n}")
    for _ in range(2):
        with pytest.raises(Throttled) as refused:
            log_in(u, client="203.0.113.9")
        assert refused.value.code == "account_locked"
    assert log_in(u).token_type == "bearer"  # the owner, from a known address
    [mail] = [e for e in u.emitted() if e.type == "identity.account.unlock_requested"]  # one mail, not one per try
    token = parse_qs(urlparse(mail.payload["unlock_url"]).query)["token"][0]
    commands.unlock(u.deps, token, "203.0.113.9")
    assert log_in(u, client="203.0.113.9").token_type == "bearer"
    with pytest.raises(Rejected):
        commands.unlock(u.deps, token, "203.0.113.10")  # single use


def test_sign_ups_are_throttled_per_client(keys: KeyRing, clock: FixedClock) -> None:
    """Issue 11, point 9: CERTREG_SIGNUPS_PER_CLIENT_PER_HOUR sign-ups from one client."""
    u = unit(IdentityDeps, "identity", metadata, clock=clock, keys=keys, config=IdentityConfig(signups_per_client_per_hour=2))
    for n in range(2):
        register(u, f"person.{n}@example.org")
    with pytest.raises(Throttled) as refused:
        register(u, "person.2@example.org")
    assert refused.value.code == "too_many_signups"
    commands.create_account(
        u.deps, AccountCreate(email="person.3@example.org", password=PASSWORD, first_name="Camille", last_name="Durand"), "203.0.113.1"
    )
