"""idempotency keys

Revision ID: b414a344bddf
Revises: 3ac290b59b25
Create Date: 2026-11-30 22:12:48.850898
"""

from certreg_runtime.migrations import create_idempotency_table, drop_idempotency_table


revision = "b414a344bddf"
down_revision = "3ac290b59b25"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
