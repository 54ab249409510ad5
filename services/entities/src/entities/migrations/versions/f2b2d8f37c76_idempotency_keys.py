"""idempotency keys

Revision ID: f2b2d8f37c76
Revises: 98192244d42e
Create Date: 2026-11-30 22:13:16.309429
"""

from certreg_runtime.migrations import create_idempotency_table, drop_idempotency_table


revision = "f2b2d8f37c76"
down_revision = "98192244d42e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
