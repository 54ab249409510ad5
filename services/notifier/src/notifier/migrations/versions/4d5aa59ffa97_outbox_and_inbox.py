"""outbox and inbox

Revision ID: 4d5aa59ffa97
Revises: 
Create Date: 2026-11-27 01:36:50.026265
"""
from certreg_runtime.migrations import create_messaging_tables, drop_messaging_tables


revision = '4d5aa59ffa97'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
