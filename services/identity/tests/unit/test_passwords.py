import pytest

from identity.domain import passwords
from identity.domain.accounts import InvalidEmail, Scope, normalize_email, roles_on_approval, validator_for


def codes(password: str, email: str | None = "camille.durand@example.org") -> list[str]:
    return [f.code for f in passwords.check_password(password, email)]


def test_a_long_password_with_three_classes_is_accepted():
    assert codes("Correct-horse-battery") == []
    assert codes("correcthorse42!") == []  # lower, digit, special


def test_too_short():
    assert codes("Ab1!Ab1!Ab1") == ["password_too_short"]  # 11 characters


def test_twelve_characters_are_enough():
    assert codes("Ab1!Ab1!Ab1!") == []


def test_two_classes_are_not_enough():
    assert codes("onlylowercaseletters1") == ["password_too_simple"]
    assert codes("onlylowercaseletters") == ["password_too_simple"]
    assert codes("lowercase-and-dash") == ["password_too_simple"]


def test_containing_the_local_part_is_refused_whatever_the_case():
    assert codes("Camille.Durand-2024", "camille.durand@example.org") == ["password_contains_email"]


def test_a_very_short_local_part_is_not_looked_for():
    assert codes("Correct-horse-battery", "co@example.org") == []


def test_every_broken_rule_is_reported_in_french():
    failures = passwords.check_password("durand", "durand@example.org")
    assert [f.code for f in failures] == ["password_too_short", "password_too_simple", "password_contains_email"]
    assert all(f.message.startswith("Le mot de passe") for f in failures)


def test_hash_is_argon2id_and_verifies_only_the_right_password():
    digest = passwords.hash_password("Correct-horse-battery")
    assert digest.startswith("$argon2id$")
    assert passwords.verify_password(digest, "Correct-horse-battery")
    assert not passwords.verify_password(digest, "Correct-horse-batterY")
    assert not passwords.verify_password(None, "Correct-horse-battery")
    assert not passwords.verify_password("not a hash", "Correct-horse-battery")


@pytest.mark.parametrize("raw", ["", "   ", "no-at-sign", "a@b", "two@@example.org", "x" * 250 + "@example.org"])
def test_malformed_emails_are_refused(raw):
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


def test_emails_are_trimmed_and_lower_cased():
    assert normalize_email("  Camille.Durand@Example.ORG ") == "camille.durand@example.org"


def test_the_first_account_of_a_new_entity_manages_it():
    assert roles_on_approval(True) == ["depositor", "entity_manager"]
    assert roles_on_approval(False) == ["depositor"]
    assert validator_for(True) == "si_admin"
    assert validator_for(False) == "entity_manager"


def test_validator_scope():
    admin = Scope(si_admin=True, manager_of=None)
    manager = Scope(si_admin=False, manager_of="e1")
    assert admin.covers(new_entity=True, entity_id="e9")
    assert not admin.covers(new_entity=False, entity_id="e1")
    assert manager.covers(new_entity=False, entity_id="e1")
    assert not manager.covers(new_entity=False, entity_id="e2")
    assert not manager.covers(new_entity=True, entity_id="e1")
    assert not admin.covers(new_entity=None, entity_id=None)


def test_hashes_use_the_documented_argon2id_parameters_and_old_ones_are_rehashed() -> None:
    """Issue 16, point 2: 19 MiB, 2 iterations, 1 lane (OWASP); a hash made with the
    library's old default (64 MiB) still verifies and asks to be replaced."""
    from argon2 import PasswordHasher

    made = passwords.hash_password("Un-mot-de-passe-2026")
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    old = PasswordHasher().hash("Un-mot-de-passe-2026")
    assert passwords.verify_password(old, "Un-mot-de-passe-2026") and passwords.needs_rehash(old)
    assert not passwords.needs_rehash(made)


def test_the_hashing_gate_lets_slots_through_queues_a_few_and_refuses_the_rest_at_once() -> None:
    import threading
    import time

    from certreg_runtime.errors import Unavailable

    gate = passwords.HashingGate(1, queue=1, wait_seconds=5)
    inside, release = threading.Event(), threading.Event()
    results: list[str] = []

    def hold() -> str:
        inside.set()
        release.wait(5)
        return "first"

    first = threading.Thread(target=lambda: results.append(gate.run(hold)))
    first.start()
    assert inside.wait(5)
    queued = threading.Thread(target=lambda: results.append(gate.run(lambda: "queued")))
    queued.start()
    deadline = time.monotonic() + 5
    while gate._pending < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(Unavailable) as refused:
        gate.run(lambda: "refused")
    assert time.monotonic() - started < 1  # the queue is full: refused at once
    assert refused.value.retry_after > 0 and refused.value.code == "busy" and gate.refused == 1
    release.set()
    first.join(5)
    queued.join(5)
    assert sorted(results) == ["first", "queued"]  # the queued one ran once the slot was free
    gate.close()


def test_a_hash_that_waited_longer_than_allowed_is_refused_and_never_computed() -> None:
    import threading

    from certreg_runtime.errors import Unavailable

    gate = passwords.HashingGate(1, queue=5, wait_seconds=0.05)
    inside, release = threading.Event(), threading.Event()
    computed: list[str] = []

    def hold() -> bool:
        inside.set()
        return release.wait(5)

    holder = threading.Thread(target=lambda: gate.run(hold))
    holder.start()
    assert inside.wait(5)
    threading.Timer(0.2, release.set).start()
    with pytest.raises(Unavailable):
        gate.run(lambda: computed.append("late"))
    holder.join(5)
    assert computed == [] and gate.refused == 1
    gate.close()
