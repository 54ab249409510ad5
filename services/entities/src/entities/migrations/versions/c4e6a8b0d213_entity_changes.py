"""entity_changes: the SI administrator's corrections of an entity's details (issue 12, point 2)

Revision ID: c4e6a8b0d213
Revises: 22e760a9c2a8
Create Date: 2026-12-01 05:00:00
"""
from alembic import op
import sqlalchemy as sa



revision = 'c4e6a8b0d213'
down_revision = '22e760a9c2a8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'entity_changes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('entity_id', sa.Uuid(), nullable=False),
        sa.Column('changed_by', sa.Uuid(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_entity_changes_entity', 'entity_changes', ['entity_id', 'changed_at'])


def downgrade() -> None:
    op.drop_index('ix_entity_changes_entity', table_name='entity_changes')
    op.drop_table('entity_changes')
