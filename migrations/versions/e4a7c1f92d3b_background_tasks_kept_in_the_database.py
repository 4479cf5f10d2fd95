"""background tasks kept in the database, claimed with a lease; job figures from their rows

Every background task is now a row of background_task, written with the action that asks for
it and kept until a worker has done it (Redis only carries the news), claimed with a lease
that another worker may take over. A job's units are its tasks: background_job loses its
counters (total, done, failed, updated_at, finished_at), which are counted from the tasks
instead, and background_job_failure, whose rows become failed tasks.

Upgrade with the job workers stopped and their queue drained (`flask jobs worker --burst`):
tasks queued in Redis by the previous version are not understood by this one. A job's earlier
progress is kept as done and failed task rows, so its page reads as before.

Revision ID: e4a7c1f92d3b
Revises: 5f3a9c1d7e20
Create Date: 2026-12-02 23:50:00.000000

"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'e4a7c1f92d3b'
down_revision = '5f3a9c1d7e20'
branch_labels = None
depends_on = None


def upgrade():
    task = op.create_table('background_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('arguments', sa.Text(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatch_key', sa.String(length=32), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('label', sa.String(length=300), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'running', 'done', 'failed')", name=op.f('ck_background_task_state_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_background_task_attempts_not_negative')),
    sa.ForeignKeyConstraint(['job_id'], ['background_job.id'], name=op.f('fk_background_task_job_id_background_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_task'))
    )
    with op.batch_alter_table('background_task', schema=None) as batch_op:
        batch_op.create_index('ix_background_task_job_id_state', ['job_id', 'state'], unique=False)
        batch_op.create_index('ix_background_task_state_available_at', ['state', 'available_at'], unique=False)

    # Earlier progress, as rows: what each job had done, and what failed with its reason.
    bind = op.get_bind()
    now = datetime.now(UTC)
    jobs = sa.table('background_job', sa.column('id'), sa.column('done'), sa.column('finished_at'), sa.column('updated_at'))
    failures = sa.table('background_job_failure', sa.column('job_id'), sa.column('label'), sa.column('message'), sa.column('created_at'))
    rows = []
    for job_id, done, finished_at, updated_at in bind.execute(sa.select(jobs.c.id, jobs.c.done, jobs.c.finished_at, jobs.c.updated_at)):
        rows += [_kept(job_id, 'done', finished_at or updated_at or now) for _ in range(done)]
    for job_id, label, message, created_at in bind.execute(sa.select(failures.c.job_id, failures.c.label, failures.c.message, failures.c.created_at)):
        rows.append({**_kept(job_id, 'failed', created_at or now), 'label': label, 'message': message})
    if rows:
        op.bulk_insert(task, rows)

    with op.batch_alter_table('background_job_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_background_job_failure_job_id'))
    op.drop_table('background_job_failure')
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_background_job_progress'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_background_job_counts'), type_='check')
        batch_op.drop_column('total')
        batch_op.drop_column('done')
        batch_op.drop_column('failed')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('finished_at')


def _kept(job_id, state, when):
    return {
        'name': 'certificates.issue_one', 'arguments': '{}', 'job_id': job_id, 'state': state,
        'attempts': 1, 'created_at': when, 'available_at': when, 'finished_at': when,
        'dispatch_key': uuid.uuid4().hex, 'label': None, 'message': None,
    }


def downgrade():
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('done', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('failed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('background_job_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['background_job.id'], name=op.f('fk_background_job_failure_job_id_background_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job_failure'))
    )
    with op.batch_alter_table('background_job_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_background_job_failure_job_id'), ['job_id'], unique=False)

    op.execute("""
        INSERT INTO background_job_failure (job_id, label, message, created_at)
        SELECT job_id, COALESCE(label, ''), COALESCE(message, ''), COALESCE(finished_at, created_at)
        FROM background_task WHERE job_id IS NOT NULL AND state = 'failed'
    """)
    op.execute("""
        UPDATE background_job SET
          total = (SELECT count(*) FROM background_task t WHERE t.job_id = background_job.id),
          done = (SELECT count(*) FROM background_task t
                  WHERE t.job_id = background_job.id AND t.state = 'done'),
          failed = (SELECT count(*) FROM background_task t
                    WHERE t.job_id = background_job.id AND t.state = 'failed'),
          updated_at = created_at
    """)
    op.execute("""
        UPDATE background_job SET finished_at = COALESCE(
          (SELECT max(t.finished_at) FROM background_task t WHERE t.job_id = background_job.id),
          created_at)
        WHERE done + failed >= total
    """)
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('total', server_default=None)
        batch_op.alter_column('done', server_default=None)
        batch_op.alter_column('failed', server_default=None)
        batch_op.create_check_constraint(batch_op.f('ck_background_job_counts'), 'total >= 0 AND done >= 0 AND failed >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_background_job_progress'), 'done + failed <= total')

    with op.batch_alter_table('background_task', schema=None) as batch_op:
        batch_op.drop_index('ix_background_task_state_available_at')
        batch_op.drop_index('ix_background_task_job_id_state')
    op.drop_table('background_task')
