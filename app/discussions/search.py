"""Search in a board's posts with the database's own full-text search, in the board's
language: PostgreSQL's text search (the cohort's or course's language: Spanish, Portuguese
or English stemming; `simple` for networks), SQLite's FTS5 (an index kept by triggers, words
without accents, each word matched as a prefix).

The person's words are never query syntax: PostgreSQL reads them with websearch_to_tsquery,
and for FTS5 each word is quoted. What the person may not read (another's private question,
what a moderator hid) is never found.
"""

import re

from sqlalchemy import String, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import joinedload

from app.core.fulltext import Fts5Index
from app.discussions.models import Post, PostState, Thread, ThreadKind
from app.extensions import db

RESULTS_MAX = 30
QUERY_MAX = 200
CONFIGS = {"es": "spanish", "pt": "portuguese", "en": "english"}
_WORD = re.compile(r"\w+", re.UNICODE)

# SQLite: an FTS5 index over the posts' text, kept in step by triggers (the migration makes
# the same, migrations/versions/388ead7c9919_discussions_search.py).
SEARCH_INDEX = Fts5Index("discussion_post", "body")
SEARCH_INDEX.attach(Post.__table__)


def language_of(place) -> str:
    if place.network is not None:
        return "simple"
    language = place.cohort.language if place.cohort is not None else place.course.language
    return CONFIGS.get(language, "simple")


def search_posts(board, place, user, moderator: bool, words: str) -> list[Post]:
    """The board's posts matching the words, best first (PostgreSQL) or newest first
    (SQLite), with their threads and authors; at most RESULTS_MAX."""
    words = (words or "").strip()[:QUERY_MAX]
    if board is None or not words:
        return []
    where = [Thread.board_id == board.id, Post.state == PostState.VISIBLE]
    if not moderator:
        where.append(Thread.state == PostState.VISIBLE)
        where.append(or_(Thread.kind != ThreadKind.PRIVATE, Thread.author_id == user.id))
    query = (
        select(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .where(*where)
        .options(joinedload(Post.thread), joinedload(Post.author))
        .limit(RESULTS_MAX)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        config = cast(literal(language_of(place), String), REGCONFIG)
        vector = func.to_tsvector(config, Post.body)
        wanted = func.websearch_to_tsquery(config, words)
        query = query.where(vector.op("@@")(wanted)).order_by(
            func.ts_rank(vector, wanted).desc(), Post.id.desc()
        )
    else:
        terms = _WORD.findall(words)[:10]
        if not terms:
            return []
        found = SEARCH_INDEX.matching(terms)
        query = query.where(Post.id.in_(select(found.c.id))).order_by(Post.id.desc())
    return db.session.scalars(query).unique().all()
