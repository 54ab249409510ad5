"""Issue 16: a sync route costs one worker-thread hop, not three. Its answer is validated
on the event loop (FastAPI validates a sync endpoint's answer in another hop), and a
token already verified is taken from the verifier's memory on the loop (a sync
dependency is a hop of its own); only a token seen for the first time goes to a thread."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from types import SimpleNamespace

import httpx
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, field_validator

from certreg_runtime.api import CurrentUser
from certreg_runtime.auth import ACCESS_SCOPE, Principal, TokenVerifier
from certreg_runtime.service import in_one_hop
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from certreg_runtime.web import install_error_handlers

KEY = SigningKey.generate()
validated_in: list[str] = []


class Out(BaseModel):
    account: str
    endpoint_thread: str

    @field_validator("account")
    @classmethod
    def where(cls, value: str) -> str:
        validated_in.append(threading.current_thread().name)
        return value


class CountingVerifier(TokenVerifier):
    """A TokenVerifier that counts its calls to ``verify`` (the one that may need a thread)."""

    def __init__(self) -> None:
        keys = jwks([KEY])
        super().__init__(lambda refresh=False: keys, issuer="certreg-identity", audience="certreg")
        self.verify_calls: list[str] = []

    def verify(self, token: str, *, scope: str = ACCESS_SCOPE) -> Principal:
        self.verify_calls.append(threading.current_thread().name)
        return super().verify(token, scope=scope)


def app_with(verifier: TokenVerifier) -> FastAPI:
    router = APIRouter()

    @router.get("/mine", response_model=Out)
    def mine(user: CurrentUser) -> dict[str, str]:  # validated by FastAPI against Out
        return {"account": str(user.account_id), "endpoint_thread": threading.current_thread().name}

    app = FastAPI()
    install_error_handlers(app)
    app.state.ctx = SimpleNamespace(verifier=verifier)
    app.include_router(in_one_hop(in_one_hop(router)), prefix="/api/x")  # twice: a router is shared by every app
    return app


async def test_a_sync_route_takes_one_thread_hop() -> None:
    verifier = CountingVerifier()
    subject = uuid.uuid4()
    token = issue_token(KEY, subject=subject, issuer="certreg-identity", audience="certreg", ttl=timedelta(minutes=5), scope="access")
    loop_thread = threading.current_thread().name
    validated_in.clear()
    transport = httpx.ASGITransport(app=app_with(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for _ in range(3):
            answer = await client.get("/api/x/mine", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and answer.json()["account"] == str(subject)
            assert answer.json()["endpoint_thread"] != loop_thread  # the route's body in a worker thread
        assert (await client.get("/api/x/mine", headers={"Authorization": "Bearer nope"})).status_code == 401
    # The answer validated on the loop, not in a second hop.
    assert validated_in == [loop_thread] * 3
    # The token verified once, in a worker thread; then taken from memory on the loop.
    assert len(verifier.verify_calls) == 2 and loop_thread not in verifier.verify_calls  # the first request, and "nope"
    assert verifier.verifications == 2  # its signature checked once (and "nope" tried)
