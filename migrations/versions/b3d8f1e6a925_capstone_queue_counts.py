"""capstone queue counts: projects per cohort and state, kept by triggers on the submissions

The tutor queue counted its projects on every page (reading one index entry per project);
it reads one row per cohort now. The index that count read is no longer needed.

Revision ID: b3d8f1e6a925
Revises: e7a9c2d4b613
Create Date: 2026-12-03 16:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b3d8f1e6a925"
down_revision = "e7a9c2d4b613"
branch_labels = None
depends_on = None

# What app/capstones/queue_counts.py makes (kept here as it was written).
STATES = ("draft", "submitted", "revise", "passed", "not_passed")


def _upsert(row, sign):
    columns = ", ".join(STATES)
    values = ", ".join(
        f"CASE WHEN {row}.state = '{state}' THEN {sign}1 ELSE 0 END" for state in STATES
    )
    updates = ", ".join(
        f"{state} = capstone_queue_count.{state} + excluded.{state}" for state in STATES
    )
    return (
        f"INSERT INTO capstone_queue_count (cohort_id, {columns}) "
        f"VALUES ({row}.cohort_id, {values}) "
        f"ON CONFLICT (cohort_id) DO UPDATE SET {updates};"
    )


def _triggers(dialect):
    if dialect == "postgresql":
        return (
            "CREATE OR REPLACE FUNCTION capstone_queue_count_follow() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_upsert('OLD', '-')} END IF; "
            f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_upsert('NEW', '+')} END IF; "
            "RETURN NULL; END $$",
            "DROP TRIGGER IF EXISTS capstone_queue_count_follow ON capstone_submission",
            "CREATE TRIGGER capstone_queue_count_follow "
            "AFTER INSERT OR DELETE OR UPDATE OF state, cohort_id ON capstone_submission "
            "FOR EACH ROW EXECUTE FUNCTION capstone_queue_count_follow()",
        )
    return (
        "CREATE TRIGGER IF NOT EXISTS capstone_queue_count_insert AFTER INSERT ON "
        f"capstone_submission BEGIN {_upsert('NEW', '+')} END",
        "CREATE TRIGGER IF NOT EXISTS capstone_queue_count_delete AFTER DELETE ON "
        f"capstone_submission BEGIN {_upsert('OLD', '-')} END",
        "CREATE TRIGGER IF NOT EXISTS capstone_queue_count_update AFTER UPDATE OF state, "
        f"cohort_id ON capstone_submission BEGIN {_upsert('OLD', '-')} {_upsert('NEW', '+')} END",
    )


def upgrade():
    # First: on SQLite a batch operation may rebuild the table, which would drop its triggers.
    with op.batch_alter_table("capstone_submission", schema=None) as batch_op:
        batch_op.drop_index("ix_capstone_submission_state_cohort")
    columns = [sa.Column("cohort_id", sa.Integer(), autoincrement=False, nullable=False)]
    columns += [
        sa.Column(state, sa.Integer(), server_default="0", nullable=False) for state in STATES
    ]
    op.create_table(
        "capstone_queue_count",
        *columns,
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_capstone_queue_count")),
    )
    # The projects already there, counted once; the triggers count from now on.
    sums = ", ".join(f"SUM(CASE WHEN state = '{state}' THEN 1 ELSE 0 END)" for state in STATES)
    op.execute(
        f"INSERT INTO capstone_queue_count (cohort_id, {', '.join(STATES)}) "
        f"SELECT cohort_id, {sums} FROM capstone_submission GROUP BY cohort_id"
    )
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS capstone_queue_count_follow ON capstone_submission")
        op.execute("DROP FUNCTION IF EXISTS capstone_queue_count_follow()")
    else:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS capstone_queue_count_{event}")
    op.drop_table("capstone_queue_count")
    with op.batch_alter_table("capstone_submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_capstone_submission_state_cohort", ["state", "cohort_id"], unique=False
        )
