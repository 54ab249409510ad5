"""outbox and inbox

Revision ID: e269f8128872
Revises: 
Create Date: 2026-11-27 01:36:39.552812
"""
from certreg_runtime.migrations import create_messaging_tables, drop_messaging_tables


revision = 'e269f8128872'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
