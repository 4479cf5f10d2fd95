"""Data saver: pictures in lessons become a link that says what the picture weighs.

On when the learner chose it (profile) or the browser asks (`Save-Data: on`, sent by
Chrome's Lite mode and other data-saving browsers). The link opens the picture itself, so it
works without JavaScript. Registered as the template filter `lighter_pictures` (the lesson's
partial uses it), one query for the page's pictures' sizes, and only when on.
"""

import re
from html import escape, unescape

from flask import after_this_request, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from app.core.formats import filesize
from app.core.models import StoredFile
from app.extensions import db

# A picture as the sanitised lesson HTML holds it (app/catalog/content/markdown.py).
PICTURE = re.compile(r"<img\b[^>]*?\bsrc=\"(/files/([0-9a-f]{64})/[^\"]+)\"[^>]*>")
ALT = re.compile(r"\balt=\"([^\"]*)\"")


def browser_asks_to_save_data() -> bool:
    return has_request_context() and request.headers.get("Save-Data", "").strip().lower() == "on"


def saving_data() -> bool:
    """Whether this page should leave pictures out: the learner's choice or the browser's."""
    if not has_request_context():
        return False
    chose = current_user.is_authenticated and bool(getattr(current_user, "data_saver", False))
    return chose or browser_asks_to_save_data()


def lighter_pictures(html):
    """The lesson's HTML, each stored picture a link saying its size when saving data."""
    if has_request_context():

        @after_this_request
        def vary(response):
            response.vary.add("Save-Data")  # caches keep both versions apart
            return response

    if not saving_data():
        return html
    text = str(html)
    hashes = {sha for _url, sha in PICTURE.findall(text)}
    if not hashes:
        return html
    sizes = dict(
        db.session.execute(
            select(StoredFile.sha256, StoredFile.size).where(StoredFile.sha256.in_(hashes))
        ).all()
    )

    def placeholder(match):
        url, sha = match.group(1), match.group(2)
        alt = ALT.search(match.group(0))
        label = unescape(alt.group(1)) if alt and alt.group(1).strip() else _("Picture")
        size = sizes.get(sha)
        weight = filesize(size) if size else "?"
        words = _("Picture: %(label)s (%(size)s). Tap to load it.", label=label, size=weight)
        return f'<a class="picture-placeholder" href="{escape(url)}">{escape(words)}</a>'

    return Markup(PICTURE.sub(placeholder, text))  # noqa: S704 - sanitised HTML, escaped parts
