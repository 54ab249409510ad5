"""decision notification: made available, first consulted, notified on (issue 12, point 3)

The old ``notified_at`` was the decision's instant: it is when the decision was made
available on the platform. The notification (first consultation, or 15 days after) and
a refusal's appeal deadline are fixed later; the old deadlines (decision + 2 calendar
months) are cleared for the sweeper to fix them by the legal calendar.

Revision ID: a1c3e5f70912
Revises: 6d25f5db648d
Create Date: 2026-12-01 00:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a1c3e5f70912'
down_revision = '6d25f5db648d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decisions') as batch:
        batch.alter_column('notified_at', new_column_name='made_available_at', existing_type=sa.DateTime(timezone=True), existing_nullable=False)
        batch.add_column(sa.Column('first_consulted_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('notified_on', sa.Date(), nullable=True))
    op.execute("UPDATE decisions SET appeal_deadline = NULL")


def downgrade() -> None:
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('notified_on')
        batch.drop_column('first_consulted_at')
        batch.alter_column('made_available_at', new_column_name='notified_at', existing_type=sa.DateTime(timezone=True), existing_nullable=False)
