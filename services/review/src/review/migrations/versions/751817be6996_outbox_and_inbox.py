"""outbox and inbox

Revision ID: 751817be6996
Revises: 
Create Date: 2026-11-27 01:36:46.702727
"""
from certreg_runtime.migrations import create_messaging_tables, drop_messaging_tables


revision = '751817be6996'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
