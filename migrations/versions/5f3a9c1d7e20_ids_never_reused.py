"""ids never reused: AUTOINCREMENT on SQLite for the tables whose ids travel in URLs and forms

SQLite gives a new row the highest id plus one, so once the row with the highest id is deleted
its id goes to the next row: a withdrawn learner's enrolment id went to the learner promoted
from the waiting list, and a second copy of the withdraw or remove request then removed that
learner. With AUTOINCREMENT, SQLite never hands an id out twice. The tables are those whose
rows are deleted while their ids are in URLs or forms (or, for the waiting list, give its
order). SQLite keeps AUTOINCREMENT in the CREATE TABLE statement, so each table is rebuilt (batch
mode; migrations/env.py turns foreign keys off meanwhile, so the DROP of the old table cascades
into nothing). PostgreSQL's sequences never reuse an id: nothing to rebuild there.

On both databases the cohort gets the CHECK its model declares and no revision had added
(a capstone cut-off never comes before its deadline).

Revision ID: 5f3a9c1d7e20
Revises: c8f1a2b3d4e5
Create Date: 2026-12-02 23:10:00.000000

"""
from alembic import op


revision = '5f3a9c1d7e20'
down_revision = 'c8f1a2b3d4e5'
branch_labels = None
depends_on = None

TABLES = (
    'season',
    'season_course',
    'cohort',
    'waitlist_entry',
    'enrollment',
    'course_item',
    'capstone_submission',
)


# The model's cohort CHECK that the capstone revision (1df52991bc26) left out, on both
# databases: a capstone cut-off never comes before its deadline. Added here while the table is
# rebuilt anyway.
CUTOFF = 'ck_cohort_cutoff_after_deadline'
CUTOFF_RULE = (
    'capstone_cutoff_on IS NULL OR capstone_due_on IS NULL '
    'OR capstone_cutoff_on >= capstone_due_on'
)


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.create_check_constraint(op.f(CUTOFF), 'cohort', CUTOFF_RULE)
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': True}
        ) as batch_op:
            if table == 'cohort':
                batch_op.create_check_constraint(op.f(CUTOFF), CUTOFF_RULE)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f(CUTOFF), 'cohort', type_='check')
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': False}
        ) as batch_op:
            if table == 'cohort':
                batch_op.drop_constraint(op.f(CUTOFF), type_='check')
