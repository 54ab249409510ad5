"""outbox and inbox

Revision ID: 265c3773993a
Revises: 
Create Date: 2026-11-27 01:36:36.451653
"""
from certreg_runtime.migrations import create_messaging_tables, drop_messaging_tables


revision = '265c3773993a'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
