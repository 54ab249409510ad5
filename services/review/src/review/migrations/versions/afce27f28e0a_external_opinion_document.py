"""case_notes: the expert's report filed with an external opinion's answer, kept in
review's own bucket (issue 13, point 8)

Revision ID: afce27f28e0a
Revises: e1f3a5c7d9b2
Create Date: 2026-12-01 10:22:31.515306
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'afce27f28e0a'
down_revision = 'e1f3a5c7d9b2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_object_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('answer_filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('answer_content_type', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column('answer_size', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('answer_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_column('answer_sha256')
        batch_op.drop_column('answer_size')
        batch_op.drop_column('answer_content_type')
        batch_op.drop_column('answer_filename')
        batch_op.drop_column('answer_object_key')
