"""Column types and helpers shared by every area's models."""

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, bindparam
from sqlalchemy.types import TypeDecorator

# The table option of tables whose rows are deleted while their ids travel in URLs and forms
# (an enrolment, a cohort, a submission...): an id, once used, never names another row. SQLite
# otherwise hands the highest id out again once its row is deleted, so a form sent twice, or a
# stale link, would act on someone else's row; PostgreSQL's sequences never reuse an id.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def utcnow() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored as text with a CHECK constraint: the same on SQLite and PostgreSQL."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [member.value for member in e],
        validate_strings=True,
    )


def insert_or_ignore(model, **values) -> bool:
    """INSERT a row unless a unique constraint already holds one like it; True if inserted.

    The database decides, atomically, so concurrent requests cannot both insert.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    from app.extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing()
    # The returned key says whether a row went in: with RETURNING (which the ORM adds on
    # PostgreSQL) the driver reports rowcount -1 whatever happened.
    key = model.__table__.primary_key.columns
    return db.session.execute(statement.returning(*key)).first() is not None


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys (cascades), let readers and a writer work side by side."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


def install_sqlite_pragmas() -> None:
    """Apply _sqlite_pragmas to every new SQLite connection (idempotent)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


def after_commit(callback) -> None:
    """Run `callback()` once the current transaction commits; forget it if it rolls back.

    Callbacks run outside any transaction: they may queue work or send signals, but must not
    use the session.
    """
    from app.extensions import db

    db.session.info.setdefault("after_commit", []).append(callback)


def _run_after_commit(session) -> None:
    for callback in session.info.pop("after_commit", []):
        callback()


def _forget_after_commit(session) -> None:
    session.info.pop("after_commit", None)


def install_after_commit_hooks() -> None:
    """Wire after_commit() into every SQLAlchemy session (idempotent)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _run_after_commit):
        event.listen(Session, "after_commit", _run_after_commit)
        event.listen(Session, "after_rollback", _forget_after_commit)


def equals_written(column, value):
    """`column == value` with the value written into the statement's SQL rather than bound.

    For conditions a partial index names (`uq_certificate_name_request_pending`: status =
    'pending'): SQLite cannot tell whether such an index applies until it sees the value, so a
    statement with the value bound is prepared again on every run: the dashboard's
    certificates took 83 µs with none found, 34 written. Only for fixed values of the code,
    never for what a request brings."""
    return column == bindparam(None, value, type_=column.type, literal_execute=True)


def read_rows(statement, params: dict | None = None):
    """The result of a statement that selects columns, not mapped objects, run on the
    session's connection (its transaction) instead of through the ORM's execution path: about
    a third of the Python time a statement, which pages running several of them on every
    request feel. It does not flush pending changes first, as `db.session.execute` would:
    for reads of what is committed or flushed, never right after an unflushed change."""
    from app.extensions import db

    return db.session.connection().execute(statement, params or {})
