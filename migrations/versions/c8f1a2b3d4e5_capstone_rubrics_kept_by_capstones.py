"""capstone rubrics kept by the capstones area: capstone_rubric

A capstone item's rubric leaves course_item.content (the catalog's row) for a table of the
capstones area, which the package import writes and administrators' CSV files replace. Each
capstone item's rubric moves over as it is; downgrading puts it back.

Revision ID: c8f1a2b3d4e5
Revises: b52e0d7c9a31
Create Date: 2026-12-02 23:45:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = 'c8f1a2b3d4e5'
down_revision = 'b52e0d7c9a31'
branch_labels = None
depends_on = None

item = sa.table('course_item', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                sa.column('content', sa.JSON))
rubric = sa.table('capstone_rubric', sa.column('item_id', sa.Integer),
                  sa.column('rubric', sa.JSON), sa.column('updated_at', sa.DateTime(timezone=True)))


def upgrade():
    op.create_table('capstone_rubric',
    sa.Column('item_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rubric', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['course_item.id'], name=op.f('fk_capstone_rubric_item_id_course_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_capstone_rubric'))
    )
    connection = op.get_bind()
    now = datetime.now(timezone.utc)
    for item_id, content in connection.execute(
        sa.select(item.c.id, item.c.content).where(item.c.kind == 'capstone')
    ).all():
        content = dict(content)
        connection.execute(rubric.insert().values(
            item_id=item_id, rubric=content.pop('rubric'), updated_at=now))
        connection.execute(item.update().where(item.c.id == item_id).values(content=content))


def downgrade():
    connection = op.get_bind()
    for item_id, kept in connection.execute(sa.select(rubric.c.item_id, rubric.c.rubric)).all():
        content = dict(connection.execute(
            sa.select(item.c.content).where(item.c.id == item_id)).scalar_one())
        content['rubric'] = kept
        connection.execute(item.update().where(item.c.id == item_id).values(content=content))
    op.drop_table('capstone_rubric')
