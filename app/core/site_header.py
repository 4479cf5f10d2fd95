"""The layout's header (skip link, navigation, sign-out and language forms), written once and
kept.

Every page shows it, and it is the same for every reader of one kind: it changes only with the
language, the address the site is served under (links carry the script root) and whether the
reader is signed in, a tutor or an administrator. Jinja wrote it on every page (a few dozen
translated labels and links, a fifth of the layout's time); now it is rendered once per kind
of reader, in each process, with a hole in place of each of the three things that belong to
the request: the session's CSRF token, the page to come back to after switching language, and
the reader's count of unread notifications. Each page fills the holes.

The kept copies are only a cache: each process fills its own, from the template
(templates/_site_header.html), which holds everything the header shows.
"""

import threading
from collections.abc import Callable

from cachetools import LRUCache
from flask import current_app, request
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape

from app.core.forms import csrf_field
from app.core.i18n import current_language

# Written where each part goes; never in a header otherwise (a NUL is not HTML text).
_CSRF = Markup("\x00header-csrf\x00")
_NEXT = Markup("\x00header-next\x00")
_UNREAD = Markup("\x00header-unread\x00")
# Script roots x languages x kinds of reader: a handful on a real site; bounded all the same.
_KINDS = 64


def site_header() -> Markup:
    """The header for this request's reader (the layout calls it)."""
    signed_in = bool(current_user.is_authenticated)
    language = current_language()
    reader = (signed_in, signed_in and current_user.is_tutor, signed_in and current_user.is_admin)
    key = (request.script_root, language, reader)
    store, lock, unread_count = current_app.extensions["site_header"]
    with lock:
        kept = store.get(key)
    if kept is None:
        kept = _render(language, *reader)
        with lock:
            store[key] = kept
    return Markup(  # noqa: S704  (rendered with autoescape; each filling is markup or escaped)
        kept.replace(_CSRF, csrf_field())
        .replace(_NEXT, escape(request.full_path if request.method == "GET" else ""))
        .replace(_UNREAD, _unread_badge(unread_count(current_user)) if signed_in else "")
    )


def _render(language: str, signed_in: bool, is_tutor: bool, is_admin: bool) -> str:
    template = current_app.jinja_env.get_template("_site_header.html")
    return template.render(
        current_locale=language,
        signed_in=signed_in,
        is_tutor=is_tutor,
        is_admin=is_admin,
        csrf=_CSRF,
        next_path=_NEXT,
        unread_badge=_UNREAD,
    )


def _unread_badge(unread: int) -> Markup:
    """The count beside "Notifications", nothing when none is unread."""
    if not unread:
        return Markup("")
    label = ngettext("%(num)s unread", "%(num)s unread", unread)
    return Markup(' <span class="badge">%s</span>') % label


def init_site_header(app, unread_count: Callable[[object], int]) -> None:
    """This app's kept headers (one store per app: tests' apps never share them), and how
    many notifications a person has not read (the notifications area answers: core names no
    area)."""
    app.extensions["site_header"] = (LRUCache(maxsize=_KINDS), threading.Lock(), unread_count)
    app.jinja_env.globals["site_header"] = site_header
