"""Alembic environment: the shared one of certreg_runtime."""

from certreg_runtime.migrations import run_env

run_env()
