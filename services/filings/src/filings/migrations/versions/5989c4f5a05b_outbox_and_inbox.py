"""outbox and inbox

Revision ID: 5989c4f5a05b
Revises: 
Create Date: 2026-11-27 01:36:42.860437
"""
from certreg_runtime.migrations import create_messaging_tables, drop_messaging_tables


revision = '5989c4f5a05b'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
