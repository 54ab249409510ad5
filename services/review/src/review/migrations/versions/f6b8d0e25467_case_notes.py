"""case_notes: the staff's private annotations, instruction report and external opinions
(issue 13, point 8)

Revision ID: f6b8d0e25467
Revises: e5a7c9d14356
Create Date: 2026-12-01 04:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'f6b8d0e25467'
down_revision = 'e5a7c9d14356'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_notes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('filing_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Uuid(), nullable=False),
        sa.Column('author_role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('author_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expert', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_by', sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_notes_case', 'case_notes', ['filing_id', 'kind', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_case_notes_case', table_name='case_notes')
    op.drop_table('case_notes')
