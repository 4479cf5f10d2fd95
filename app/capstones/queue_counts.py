"""The tutor queue's figures kept by the database: triggers on capstone_submission add and
take away in capstone_queue_count (one row per cohort, a column per state) as projects are
created, change state or go, whichever code or cascade does it.

Tests build tables from the models and the triggers come with them (`attach`); in production
a migration makes them with the same statements (each migration keeps its own copy, as it was
written). On PostgreSQL one trigger function handles the three events; SQLite has a trigger
for each. A later migration that rebuilds capstone_submission on SQLite (a batch operation
that copies the table) drops its triggers: it makes them again.
"""

from sqlalchemy import Table, event

# The count table's columns: SubmissionState's values (tests/capstones/test_queue_counts.py
# checks both).
STATES = ("draft", "submitted", "revise", "passed", "not_passed")


def _upsert(row: str, sign: str) -> str:
    """Add (sign '+') or take away ('-') the project `row` (NEW or OLD) in its cohort's row."""
    columns = ", ".join(STATES)
    values = ", ".join(
        f"CASE WHEN {row}.state = '{state}' THEN {sign}1 ELSE 0 END" for state in STATES
    )
    updates = ", ".join(
        f"{state} = capstone_queue_count.{state} + excluded.{state}" for state in STATES
    )
    return (
        f"INSERT INTO capstone_queue_count (cohort_id, {columns}) "  # noqa: S608 (code's names)
        f"VALUES ({row}.cohort_id, {values}) "
        f"ON CONFLICT (cohort_id) DO UPDATE SET {updates};"
    )


def statements(dialect: str) -> tuple[str, ...]:
    """CREATE statements for the triggers on that dialect (idempotent)."""
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


def attach(submissions: Table, counts: Table) -> None:
    """Make the triggers whenever the submission table is created from the models; the count
    table is created before it."""

    def make(target, connection, **_kw) -> None:
        for statement in statements(connection.dialect.name):
            connection.exec_driver_sql(statement)

    event.listen(submissions, "after_create", make)
    submissions.add_is_dependent_on(counts)
