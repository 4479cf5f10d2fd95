"""observatory search on SQLite: an FTS5 index of the entries' folded text, kept by triggers

PostgreSQL searches the entries through its GIN index over to_tsvector(search_text), made
with the entries (3e8b6f2a9d14); no table is needed there.

Revision ID: 6b0d4e2f8a19
Revises: 8f1a6c3b7e25
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op

revision = '6b0d4e2f8a19'
down_revision = '8f1a6c3b7e25'
branch_labels = None
depends_on = None

# The statements app/core/fulltext.py makes for Fts5Index("observatory_entry", "search_text")
# (kept here as they were), then the entries already written are indexed.
SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS observatory_entry_fts USING fts5(search_text, "
    "content='observatory_entry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS observatory_entry_fts_insert AFTER INSERT ON observatory_entry "
    "BEGIN INSERT INTO observatory_entry_fts(rowid, search_text) "
    "VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS observatory_entry_fts_delete AFTER DELETE ON observatory_entry "
    "BEGIN INSERT INTO observatory_entry_fts(observatory_entry_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS observatory_entry_fts_update AFTER UPDATE OF search_text "
    "ON observatory_entry BEGIN "
    "INSERT INTO observatory_entry_fts(observatory_entry_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO observatory_entry_fts(rowid, search_text) "
    "VALUES (new.id, new.search_text); END",
    "INSERT INTO observatory_entry_fts(observatory_entry_fts) VALUES ('rebuild')",
)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_INDEX:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS observatory_entry_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS observatory_entry_fts")
