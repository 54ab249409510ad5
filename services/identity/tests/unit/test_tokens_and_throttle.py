from datetime import UTC, datetime, timedelta

import pytest

from certreg_runtime.clock import FixedClock
from identity.domain import onetime
from identity.domain.throttle import LOGIN_PAIR, Rule

LOGIN_FAILURES = Rule(limit=5, window=timedelta(minutes=15))

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def usable(clock, *, purpose="activation", allowed=("activation",), used_at=None, expires_at=None, found=True):
    onetime.check_usable(
        found=found,
        purpose=purpose,
        allowed=allowed,
        used_at=used_at,
        expires_at=expires_at or T0 + onetime.TTL["activation"],
        now=clock.now(),
    )


def rejected(clock, **kwargs) -> str:
    with pytest.raises(onetime.TokenRejected) as exc:
        usable(clock, **kwargs)
    return exc.value.code


def test_secret_is_random_and_only_its_hash_is_kept():
    secret, digest = onetime.new_token()
    other, _ = onetime.new_token()
    assert secret != other and len(secret) >= 43
    assert digest == onetime.hash_token(secret) and len(digest) == 64 and secret not in digest


def test_a_fresh_token_is_usable_until_it_expires():
    clock = FixedClock(T0)
    usable(clock)
    clock.advance(hours=47, minutes=59)
    usable(clock)
    clock.advance(minutes=1)
    assert rejected(clock) == "token_expired"


def test_a_used_token_is_refused():
    assert rejected(FixedClock(T0), used_at=T0) == "token_used"


def test_unknown_or_wrong_purpose_is_invalid():
    clock = FixedClock(T0)
    assert rejected(clock, found=False, purpose=None) == "token_invalid"
    assert rejected(clock, purpose="password_reset", allowed=("activation",)) == "token_invalid"


def test_naive_datetimes_from_sqlite_are_read_as_utc():
    clock = FixedClock(T0 + timedelta(hours=2))
    assert (
        rejected(clock, purpose="password_reset", allowed=("password_reset",), expires_at=(T0 + timedelta(hours=1)).replace(tzinfo=None))
        == "token_expired"
    )


def test_reset_links_are_short_lived():
    assert onetime.TTL["password_reset"] <= timedelta(hours=1) < onetime.TTL["activation"]


def test_five_failures_in_fifteen_minutes_throttle():
    clock = FixedClock(T0)
    hits = []
    for _ in range(4):
        hits.append(clock.now())
        clock.advance(minutes=1)
    assert LOGIN_FAILURES.retry_after(hits, clock.now()) is None
    hits.append(clock.now())  # the fifth, at T0+4min
    wait = LOGIN_FAILURES.retry_after(hits, clock.now())
    # The first failure (T0) leaves the window at T0+15min: 11 minutes from now.
    assert wait == 11 * 60
    clock.advance(seconds=wait - 1)
    assert LOGIN_FAILURES.retry_after(hits, clock.now()) == 1
    clock.advance(seconds=1)
    assert LOGIN_FAILURES.retry_after(hits, clock.now()) is None


def test_old_failures_do_not_count():
    clock = FixedClock(T0)
    hits = [T0 - timedelta(minutes=16)] * 10 + [T0] * 4
    assert LOGIN_FAILURES.retry_after(hits, clock.now()) is None


def test_rule_with_naive_hits():
    rule = Rule(limit=1, window=timedelta(minutes=1))
    assert rule.retry_after([T0.replace(tzinfo=None)], T0 + timedelta(seconds=30)) == 30


def test_the_pair_delay_doubles_past_three_failures_up_to_fifteen_minutes():
    assert [LOGIN_PAIR.delay(n).total_seconds() for n in range(1, 8)] == [0, 0, 2, 4, 8, 16, 32]
    assert LOGIN_PAIR.delay(30) == timedelta(minutes=15)
    assert LOGIN_PAIR.retry_after([T0] * 3, T0 + timedelta(seconds=1)) == 1
    assert LOGIN_PAIR.retry_after([T0] * 3, T0 + timedelta(seconds=2)) is None
