"""SQLite's full-text search (FTS5) for the areas that search their text.

An `Fts5Index` is an FTS5 index over one text column of a table: words without accents or
case (`unicode61 remove_diacritics 2`), its content read from the table itself, kept in step
by triggers. Tests build tables from the models, and the index comes with its table
(`attach`); in production a migration makes it with the same statements (each migration keeps
its own copy, as it was written).

The person's words are never FTS5 query syntax: each is quoted (`"` doubled inside), matched
as the start of a word, and the words are all required. NEAR, OR, `*`, `-`, `:` and brackets
inside a quoted string are only text.

PostgreSQL needs no such table: the areas search with its own text search.
"""

import re
from dataclasses import dataclass

from sqlalchemy import Table, column, event, func, literal_column, select, table, text

_INDEXES: list["Fts5Index"] = []
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def prefix_query(terms: list[str]) -> str:
    """An FTS5 query matching rows holding every term, each as the start of a word."""
    return " ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def is_search_index(name: str) -> bool:
    """An FTS5 index or one of its shadow tables (`<index>_data`, ...), which no model
    declares: migrations/env.py and the migration tests leave them out of comparisons."""
    return any(name == index.name or name.startswith(index.name + "_") for index in _INDEXES)


@dataclass(frozen=True)
class Fts5Index:
    """An FTS5 index of `table_name.column_name`, rows known by the table's `id`."""

    table_name: str
    column_name: str

    def __post_init__(self) -> None:
        # Names written by the code, never by a person: the statements below are built from them.
        for name in (self.table_name, self.column_name):
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"not a plain SQL name: {name!r}")
        _INDEXES.append(self)

    @property
    def name(self) -> str:
        return f"{self.table_name}_fts"

    def statements(self) -> tuple[str, ...]:
        """CREATE statements for the index and its triggers (idempotent)."""
        index, table_name, col = self.name, self.table_name, self.column_name
        # The names are checked in __post_init__: no person's text reaches these statements.
        remove = f"INSERT INTO {index}({index}, rowid, {col}) "  # noqa: S608
        remove += f"VALUES ('delete', old.id, old.{col});"
        add = f"INSERT INTO {index}(rowid, {col}) VALUES (new.id, new.{col});"  # noqa: S608
        return (
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {index} USING fts5({col}, "
            f"content='{table_name}', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER IF NOT EXISTS {index}_insert AFTER INSERT ON {table_name} "
            f"BEGIN {add} END",
            f"CREATE TRIGGER IF NOT EXISTS {index}_delete AFTER DELETE ON {table_name} "
            f"BEGIN {remove} END",
            f"CREATE TRIGGER IF NOT EXISTS {index}_update AFTER UPDATE OF {col} "
            f"ON {table_name} BEGIN {remove} {add} END",
        )

    def attach(self, model_table: Table) -> None:
        """Make the index (on SQLite) whenever the table is created from the models."""

        def make(target, connection, **_kw) -> None:
            if connection.dialect.name == "sqlite":
                for statement in self.statements():
                    connection.exec_driver_sql(statement)

        event.listen(model_table, "after_create", make)

    def matching(self, terms: list[str]):
        """A subquery of the rows holding every term: `id` and `score` (FTS5's bm25, lower
        is better). Empty terms match nothing."""
        index = table(self.name, column("rowid"))
        parameter = f"{self.name}_query"
        match = text(f"{self.name} MATCH :{parameter}").bindparams(
            **{parameter: prefix_query([term for term in terms if term]) or '""'}
        )
        score = func.bm25(literal_column(self.name))
        found = select(index.c.rowid.label("id"), score.label("score")).where(match)
        return found.subquery(f"{self.name}_found")
