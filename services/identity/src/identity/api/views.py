"""The API's views of an account (never the table itself)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from identity.adapters.tables import Account
from identity.api import schemas

ViewT = TypeVar("ViewT", bound=BaseModel)


def account_view(model: type[ViewT], account: Account) -> ViewT:
    """``Me``, ``AccountRequest``…: the account's fields under the names the view shares
    with the table (the id is ``account_id``)."""
    return model.model_validate({**account.model_dump(), "account_id": account.id, "roles": list(account.roles)})


def request_view(account: Account) -> schemas.AccountRequest:
    return account_view(schemas.AccountRequest, account)


def staff_member(account: Account) -> schemas.StaffMember:
    return account_view(schemas.StaffMember, account)


def member_view(account: Account) -> schemas.Member:
    return account_view(schemas.Member, account)
