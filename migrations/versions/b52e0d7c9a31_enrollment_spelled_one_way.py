"""enrollment spelled one way: enroll_opens_on and enroll_closes_on

Code and schema spell the word one way, the American way the enrollment table already had
(user-facing English text stays as the translations have it). The enrolment window's
columns of season_course and cohort are renamed; RENAME COLUMN keeps their values, and both
SQLite and PostgreSQL carry the rename into the CHECK constraints that name them.

Revision ID: b52e0d7c9a31
Revises: 7a1c2e9d4b10
Create Date: 2026-12-02 23:30:00.000000

"""
from alembic import op


revision = 'b52e0d7c9a31'
down_revision = '7a1c2e9d4b10'
branch_labels = None
depends_on = None

COLUMNS = [(table, f'enrol_{edge}_on', f'enroll_{edge}_on')
           for table in ('season_course', 'cohort') for edge in ('opens', 'closes')]


def upgrade():
    for table, old, new in COLUMNS:
        op.execute(f'ALTER TABLE {table} RENAME COLUMN {old} TO {new}')


def downgrade():
    for table, old, new in COLUMNS:
        op.execute(f'ALTER TABLE {table} RENAME COLUMN {new} TO {old}')
