"""discussions search: SQLite's FTS5 index of posts, kept by triggers

PostgreSQL searches the posts with its own text search at query time (no table needed).

Revision ID: 388ead7c9919
Revises: f5edf8e85546
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op

revision = '388ead7c9919'
down_revision = 'f5edf8e85546'
branch_labels = None
depends_on = None

# The same statements as app/discussions/search.py SQLITE_INDEX (kept here as they were).
SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS discussion_post_fts USING fts5(body, "
    "content='discussion_post', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS discussion_post_fts_insert AFTER INSERT ON discussion_post "
    "BEGIN INSERT INTO discussion_post_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS discussion_post_fts_delete AFTER DELETE ON discussion_post "
    "BEGIN INSERT INTO discussion_post_fts(discussion_post_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS discussion_post_fts_update AFTER UPDATE OF body "
    "ON discussion_post BEGIN INSERT INTO discussion_post_fts(discussion_post_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO discussion_post_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO discussion_post_fts(discussion_post_fts) VALUES ('rebuild')",
)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_INDEX:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS discussion_post_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS discussion_post_fts")
