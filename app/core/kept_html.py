"""Parts of a page written once for the values they show, and kept.

A row of a long table (the tutor's queue of fifty projects), or a list of links with their
counts, is a pure function of the values it shows and of how its reader reads: the language,
the time zone, the address the site is served under. Jinja wrote every row on every request,
about 20 microseconds each, most of a queue page's own time; a tutor looks at the same rows
again and again between two reviews. Here each part's HTML is kept under exactly those values:
a part whose values changed is another key, so nothing kept can show an old value, and a page
where one row of fifty changed writes one.

A kept part is a macro of its own template, called with plain values (a database row, a title,
a tuple of counts) and rendered outside the page's context: it may read its arguments,
translations (`_`, `ngettext`), the date filters and `url_for`, whose answers the key covers,
and nothing else (no `current_user`, no `request`, nothing that depends on the time of the
request). A database row is kept under its values, not its column names: feed each macro from
one statement.

The kept parts are only a cache: each process fills its own, bounded.
"""

import threading
from collections.abc import Iterable

from flask import current_app, request
from markupsafe import Markup
from sqlalchemy.engine import Row

from app.core.i18n import current_language, reader_dates

# Parts of every page, language and zone in one store; a part is a few hundred bytes. When it
# is full the oldest go first.
_PARTS = 4096


def _value(value):
    # A plain tuple compares ten times faster than SQLAlchemy's Row.
    return tuple(value) if isinstance(value, Row) else value


def kept_rows(template: str, macro: str, calls: Iterable[tuple]) -> Markup:
    """The HTML of `macro` in `template` called with each tuple of `calls` (hashable
    values), in order: each kept under its values and the reader's way of reading."""
    _locale, zone = reader_dates()
    where = (template, macro, request.script_root, current_language(), str(zone))
    calls = list(calls)
    keys = [(where, tuple(_value(value) for value in args)) for args in calls]
    store, lock = current_app.extensions["kept_html"]
    with lock:
        found = [store.get(key) for key in keys]
    missing = [i for i, html in enumerate(found) if html is None]
    if missing:
        write = getattr(current_app.jinja_env.get_template(template).module, macro)
        for i in missing:
            found[i] = str(write(*calls[i]))
        with lock:
            for i in missing:
                store[keys[i]] = found[i]
            while len(store) > _PARTS:
                del store[next(iter(store))]
    return Markup("".join(found))  # noqa: S704  (each part rendered with autoescape)


def kept_html(template: str, macro: str, *args) -> Markup:
    """The HTML of `macro` in `template` called with `args`, kept as `kept_rows` keeps a row."""
    return kept_rows(template, macro, [args])


def init_kept_html(app) -> None:
    """This app's kept parts (one store per app: tests' apps never share them)."""
    app.extensions["kept_html"] = ({}, threading.Lock())
    app.jinja_env.globals.update(kept_html=kept_html, kept_rows=kept_rows)
