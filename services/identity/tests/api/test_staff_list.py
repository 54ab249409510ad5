"""GET /api/identity/staff: the back-office accounts, e.g. the instructors a case may be
assigned to. This module has its own platform (module-scoped fixture), so the staff
listed are the ones its tests create."""

from __future__ import annotations

import itertools
import uuid

from identity.app.commands import create_active_staff

PASSWORD = "Correct-Horse-42"
_counter = itertools.count()


def add_staff(ident, first_name: str, last_name: str, *roles: str) -> str:
    """An active staff member; their account id."""
    email = ident.new_email("staff")
    return str(
        create_active_staff(ident.deps, email=email, password=PASSWORD, first_name=first_name, last_name=last_name, roles=list(roles))
    )


async def staff(ident, headers, **params):
    response = await ident.client.get("/api/identity/staff", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_instructors_are_listed_by_name_with_their_roles(ident):
    tag = f"T{next(_counter)}{uuid.uuid4().hex[:4]}"
    zoe = add_staff(ident, "Zoé", f"{tag} Bernard", "instructor")
    alice = add_staff(ident, "Alice", f"{tag} Bernard", "instructor", "reviewer")
    marc = add_staff(ident, "Marc", f"{tag} Arnaud", "instructor")
    reviewer_only = add_staff(ident, "Rémi", f"{tag} Aubry", "reviewer")
    _, reviewer = await ident.staff("reviewer")

    listed = await staff(ident, reviewer, role="instructor", limit=200)
    assert listed["limit"] == 200 and listed["offset"] == 0
    assert listed["total"] == len(listed["items"])
    assert all("instructor" in i["roles"] and i["status"] == "active" for i in listed["items"])
    mine = [i for i in listed["items"] if i["last_name"].startswith(tag)]
    assert [i["account_id"] for i in mine] == [marc, alice, zoe]
    assert mine[1] == {
        "account_id": alice,
        "email": mine[1]["email"],
        "first_name": "Alice",
        "last_name": f"{tag} Bernard",
        "roles": ["instructor", "reviewer"],
        "status": "active",
    }
    assert mine[1]["email"].startswith("staff.") and "password_hash" not in mine[1]

    everyone = await staff(ident, reviewer, limit=200)
    assert reviewer_only in [i["account_id"] for i in everyone["items"]]
    assert everyone["total"] > listed["total"]


async def test_pages_follow_limit_and_offset(ident):
    tag = f"P{next(_counter)}{uuid.uuid4().hex[:4]}"
    for n in range(3):
        add_staff(ident, f"Agent{n}", f"{tag}", "commission")
    _, director = await ident.staff("director")
    whole = await staff(ident, director, role="commission", limit=200)
    first = await staff(ident, director, role="commission", limit=2, offset=0)
    second = await staff(ident, director, role="commission", limit=2, offset=2)
    assert first["total"] == second["total"] == whole["total"] >= 3
    assert len(first["items"]) == 2
    assert [i["account_id"] for i in first["items"] + second["items"]] == [i["account_id"] for i in whole["items"]][:4]


async def test_staff_without_a_password_yet_only_with_status(ident):
    _, admin = await ident.staff("si_admin")
    email = ident.new_email("newcomer")
    created = await ident.client.post(
        "/api/identity/staff",
        headers=admin,
        json={"email": email, "first_name": "Nina", "last_name": "Nouvelle", "roles": ["instructor"]},
    )
    assert created.status_code == 201, created.text
    account_id = created.json()["account_id"]

    active = await staff(ident, admin, role="instructor", limit=200)
    assert account_id not in [i["account_id"] for i in active["items"]]
    pending = await staff(ident, admin, role="instructor", status="pending_activation", limit=200)
    assert account_id in [i["account_id"] for i in pending["items"]]
    assert {i["status"] for i in pending["items"]} == {"pending_activation"}


async def test_only_si_admin_reviewer_and_director_may_list_staff(ident):
    member = await ident.validated_member(new_entity=True)
    assert (await ident.client.get("/api/identity/staff", headers=member["headers"])).status_code == 403
    assert (await ident.client.get("/api/identity/staff")).status_code == 401
    for role in ("instructor", "commission"):
        _, headers = await ident.staff(role)
        assert (await ident.client.get("/api/identity/staff", headers=headers)).status_code == 403
    for role in ("si_admin", "reviewer", "director"):
        _, headers = await ident.staff(role)
        assert (await ident.client.get("/api/identity/staff", headers=headers)).status_code == 200


async def test_depositors_are_never_listed_even_when_active(ident):
    member = await ident.validated_member(new_entity=True)
    _, admin = await ident.staff("si_admin")
    listed = await staff(ident, admin, limit=200)
    assert member["account_id"] not in [i["account_id"] for i in listed["items"]]
    assert listed["items"] and all(
        set(i["roles"]) <= {"si_admin", "reviewer", "instructor", "commission", "director"} for i in listed["items"]
    )


async def test_unknown_role_or_status_is_a_422_naming_the_parameter(ident):
    _, admin = await ident.staff("si_admin")
    response = await ident.client.get("/api/identity/staff", headers=admin, params={"role": "depositor", "status": "gone"})
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert fields == {("query", "role"), ("query", "status")}
    response = await ident.client.get("/api/identity/staff", headers=admin, params={"limit": 0})
    assert response.status_code == 422
