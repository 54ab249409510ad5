"""What identity's commands, queries and handlers are given."""

from __future__ import annotations

from dataclasses import dataclass

from certreg_runtime.service import Deps
from identity.adapters.keys import KeyRing
from identity.config import IdentityConfig


@dataclass
class IdentityDeps(Deps):
    keys: KeyRing
    config: IdentityConfig
