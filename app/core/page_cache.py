"""Pages for visitors, rendered once per path, language and version of what they show, and
revalidated by browsers with `ETag` and `304`.

A page a visitor sees without an account (the catalog, a course page, a certificate's
verification) is the same for every visitor but for one thing: the CSRF token of the forms
in the layout (the language switcher), which belongs to the visitor's session. So the page is
rendered with a placeholder in place of the token and kept; each answer puts the visitor's own
token in.

What keeps this right on any number of workers and machines is the version, not the store:

- each page names the *scopes* it shows (`"catalog"`, `"certificates"`); each scope has one
  row in `page_version`, in the one database every machine shares;
- the areas declare which models each scope shows (`depends`); any change to such a row made
  through the session (objects flushed, or an ORM `update()`/`delete()`) advances the scope's
  version in the same transaction, just before it commits;
- a request reads the versions first (one small query), and a page rendered under other
  versions is never served. A content import or a revocation shows on the very next request.

The store itself is only a cache: a bounded LRU in each process, which any worker or machine
fills on its own. The hour is part of the key, so pages whose offers open and close with the
date are rendered afresh at least every hour. Signed-in people, anything but GET, and
visitors with a message waiting (a flash) get the page rendered as usual; a part of a page
that is the same for many readers (the catalog's list, for each set of places a learner holds)
can be kept the same way for anyone (`fragment`).

A kept page is kept gzipped too, with a hole where each token goes (app/core/gzip_holes.py):
a browser that takes gzip gets it without the page being compressed again.
"""

import functools
import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from cachetools import LRUCache
from flask import Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from app.core.gzip_holes import HoledGzip
from app.extensions import db

# Rendered in place of the visitor's CSRF token; never a valid token (not base64url-safe).
_TOKEN_PLACEHOLDER = "\x00csrf-token\x00"  # noqa: S105  (a placeholder, not a secret)
_ENTRIES = 512
_LARGEST = 256 * 1024  # a page larger than this is rendered every time, never kept
# A 304 keeps the page the browser already holds, with the token it was sent with: the ETag
# changes every few hours so that token is always well within WTF_CSRF_TIME_LIMIT (8 hours).
_TOKEN_HOURS = 4


# scope -> [(model, attribute names or None for any change)]
_DEPENDS: dict[str, list[tuple[type, frozenset[str] | None]]] = {}


def depends(scope: str, *models: type, attributes: tuple[str, ...] = ()) -> None:
    """Pages of `scope` show rows of `models`: any row added, changed or removed changes them;
    with `attributes`, only a change to one of these or a row removed does (the pages show
    these rows through others, as the catalog shows a tutor's name through a cohort)."""
    for model in models:
        _DEPENDS.setdefault(scope, []).append((model, frozenset(attributes) or None))


def scopes_of(instance, *, removed: bool = False) -> set[str]:
    """The scopes whose pages show `instance`, if this change to it matters to them."""
    return {
        scope
        for scope, entries in _DEPENDS.items()
        for model, attributes in entries
        if isinstance(instance, model) and (removed or _changed(instance, attributes))
    }


def _changed(instance, attributes) -> bool:
    if attributes is None:
        return True
    state = inspect(instance)
    if state.pending:  # a new row: shown only once another row points at it
        return False
    return any(state.attrs[name].history.has_changes() for name in attributes)


# Versions ---------------------------------------------------------------------------------

_SESSION_KEY = "page_cache_scopes"


@functools.cache
def install_version_hooks() -> None:
    """Advance the versions of the scopes a transaction changed, just before it commits (once
    per process: the hooks are on every session). What a transaction that rolls back noted is
    forgotten with it (a savepoint rolled back inside it may leave a version advanced for
    nothing, which costs one page rendered again)."""

    @event.listens_for(Session, "before_flush")
    def note_changed_objects(session, flush_context, instances):
        changed = session.info.setdefault(_SESSION_KEY, set())
        for instance in session.new:
            changed |= scopes_of(instance)
        for instance in session.dirty:
            if session.is_modified(instance):
                changed |= scopes_of(instance)
        for instance in session.deleted:
            changed |= scopes_of(instance, removed=True)

    @event.listens_for(Session, "do_orm_execute")
    def note_bulk_statements(state):
        if not (state.is_update or state.is_delete or state.is_insert):
            return
        mapper = state.bind_mapper
        if mapper is None:
            return
        scopes = {scope for scope, entries in _DEPENDS.items()
                  if any(issubclass(mapper.class_, model) for model, _ in entries)}  # fmt: skip
        if scopes:
            state.session.info.setdefault(_SESSION_KEY, set()).update(scopes)

    @event.listens_for(Session, "after_transaction_end")
    def forget_when_it_ends(session, transaction):
        if transaction.parent is None:  # committed (advanced already) or rolled back
            session.info.pop(_SESSION_KEY, None)

    @event.listens_for(Session, "before_commit")
    def advance_versions(session):
        session.flush()  # the last changes are noted too (nothing to do if none)
        changed = session.info.pop(_SESSION_KEY, set())
        # Always in the same order: two transactions never wait on each other's rows.
        for scope in sorted(changed):
            session.execute(_ADVANCE, {"scope": scope})


_ADVANCE = text(
    "INSERT INTO page_version (scope, version) VALUES (:scope, 1) "
    "ON CONFLICT (scope) DO UPDATE SET version = page_version.version + 1"
)


# The one statement of a page served from the cache, as plain SQL on a connection of its own
# (or on the session's, when the request has begun one: a signed-in reader's): the session's
# transaction, the ORM and the statement compiler cost such a page about a tenth of its time
# (errors still come as SQLAlchemy's, so an outage gets its 503 page).
# A page rendered on a miss reads its rows afterwards: at least as new as these versions,
# so what is kept under them is never older than they say.


def versions(scopes: tuple[str, ...]) -> tuple[int, ...]:
    engine = db.engine
    sql = _versions_sql(engine.dialect.paramstyle, len(scopes))
    if db.session.registry.has() and db.session().in_transaction():
        # A signed-in request has its session's connection already: no second one from the
        # pool (on PostgreSQL, two connections a request where one does).
        rows = dict(db.session.connection().exec_driver_sql(sql, scopes).all())
    else:
        with engine.connect() as connection:
            rows = dict(connection.exec_driver_sql(sql, scopes).all())
    return tuple(rows.get(scope, 0) for scope in scopes)


@functools.cache
def _versions_sql(paramstyle: str, count: int) -> str:
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}[paramstyle]  # SQLite, psycopg
    markers = ", ".join([marker] * count)  # placeholders only: the scopes are bound values
    return f"SELECT scope, version FROM page_version WHERE scope IN ({markers})"  # noqa: S608


# Serving ----------------------------------------------------------------------------------


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not session.get("_flashes")
    )


def _gzip_wanted() -> bool:
    """Whether the answer goes out gzipped: the browser takes gzip and pages are compressed.
    Browsers that also take brotli get gzip here (a few per cent larger, compressed once)."""
    return (
        "gzip" in current_app.config["COMPRESS_ALGORITHM"] and request.accept_encodings["gzip"] > 0
    )


def page(scopes: tuple[str, ...], render: Callable[[], str]) -> Response:
    """The page `render` makes, for a visitor from the cache when it holds this version."""
    if not _cacheable():
        return Response(render())
    key = _key(request.script_root + request.full_path, scopes)
    store, lock = current_app.extensions["page_cache"]
    with lock:
        entry = store.get(key)
    if entry is None:
        html = _with_placeholder_token(render)
        digest = hashlib.blake2b(html.encode(), digest_size=12).hexdigest()
        entry = (html, digest, None)
        if len(html) <= _LARGEST:
            # Kept compressed too, with a hole for each token (app/core/gzip_holes.py).
            holed = HoledGzip(html.split(_TOKEN_PLACEHOLDER), current_app.config["COMPRESS_LEVEL"])
            entry = (html, digest, holed)
            with lock:
                store[key] = entry
    html, digest, holed = entry
    token = generate_csrf()
    etag = _etag(digest)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    elif holed is not None and _gzip_wanted():
        response = Response(holed.fill(token))
        response.headers["Content-Encoding"] = "gzip"  # Flask-Compress leaves it as it is
        response.vary.add("Accept-Encoding")
    else:
        response = Response(html.replace(_TOKEN_PLACEHOLDER, token))
    response.set_etag(etag, weak=True)
    # Kept by the browser only, and asked again each time: the answer is a 304 while nothing
    # it shows has changed.
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


def fragment(scopes: tuple[str, ...], render: Callable[[], str], *key) -> Markup:
    """The part of a page `render` makes, for anyone, signed in or not, kept like a visitor's
    page: per path, language, hour and version of the scopes, and `key`, which names whatever
    else the part shows (a filter, the reader's places). It must show nothing of its reader
    that `key` does not name, and hold no form token: a part that renders one is an error."""
    full_key = (*_key("fragment:" + request.script_root + request.path, scopes), key)
    store, lock = current_app.extensions["page_cache"]
    with lock:
        html = store.get(full_key)
    if html is None:
        html = _with_placeholder_token(render)
        if _TOKEN_PLACEHOLDER in html:
            raise ValueError("a kept part of a page must hold no form token")
        if len(html) <= _LARGEST:
            with lock:
                store[full_key] = html
    return Markup(html)  # noqa: S704  (rendered by Jinja with autoescape, kept as it was)


def _key(where: str, scopes: tuple[str, ...]) -> tuple:
    """What a kept page or part is kept under: where it is, the language, the hour (offers open
    and close with the date) and the versions of what it shows."""
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    return (where, str(get_locale()), hour, scopes, versions(scopes))


def _with_placeholder_token(render: Callable[[], str]) -> str:
    """`render()` with forms writing the placeholder for their CSRF token (flask_wtf keeps the
    request's token in `g`); the request's own token is put back afterwards."""
    own = g.pop("csrf_token", None)
    g.csrf_token = _TOKEN_PLACEHOLDER
    try:
        return render()
    finally:
        g.pop("csrf_token", None)
        if own is not None:
            g.csrf_token = own


def _etag(digest: str) -> str:
    """The page's ETag for this visitor: the page, their session's token and the time band."""
    band = int(datetime.now(UTC).timestamp()) // (_TOKEN_HOURS * 3600)
    own = session.get("csrf_token", "")
    return hashlib.blake2b(f"{digest}:{own}:{band}".encode(), digest_size=12).hexdigest()


def init_page_cache(app) -> None:
    """This app's store (in this process: one per app, so tests' apps never share pages)."""
    install_version_hooks()
    app.extensions["page_cache"] = (LRUCache(maxsize=_ENTRIES), threading.Lock())


def clear() -> None:
    """Empty this app's store. Only the tests need it: they empty every table between tests,
    versions included, which a running platform never does."""
    store, lock = current_app.extensions["page_cache"]
    with lock:
        store.clear()
