"""Practical guides: Markdown rendered to an A4 PDF by WeasyPrint at import.

The renderer reads nothing but the package's own files (see app.core.pdf).
"""

import hashlib
import threading
from collections import OrderedDict
from html import escape

from app.catalog.content import markdown
from app.catalog.content.loader import clean_path
from app.core.pdf import SCHEME, render_pdf

GUIDE_CSS = """
@page { size: A4; margin: 2cm 2cm 2.2cm; @bottom-right { content: counter(page); font-size: 9pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; line-height: 1.45;
       color: #1c2430; }
h1 { font-size: 20pt; color: #0b5cad; margin: 0 0 .6em; }
h2 { font-size: 14pt; color: #0b5cad; margin: 1.2em 0 .4em; }
h3 { font-size: 12pt; margin: 1em 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; }
th, td { border: 1px solid #9aa7b6; padding: 4px 6px; vertical-align: top; font-size: 9.5pt; }
th { background: #eef2f7; }
img { max-width: 100%; }
.course { color: #4a5566; font-size: 9pt; margin-bottom: 1.5em; }
"""


# Guides rendered lately, by a digest of everything that goes into them: importing a package
# again (another course changed, or a test imports it once more) reuses an unchanged guide's
# PDF instead of laying it out again. Bounded; any process may hold it or not.
_RENDERED: OrderedDict[str, bytes] = OrderedDict()
_RENDERED_MAX = 32
_lock = threading.Lock()


def _digest(*parts: str, files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


def render_guide_pdf(
    title: str, course_title: str, text: str, files: dict[str, bytes], base: str
) -> bytes:
    """The guide as PDF bytes; `files` are the package's files, `base` the Markdown's folder."""
    key = _digest(title, course_title, text, base, files=files)
    with _lock:
        if key in _RENDERED:
            _RENDERED.move_to_end(key)
            return _RENDERED[key]
    pdf = _render(title, course_title, text, files, base)
    with _lock:
        _RENDERED[key] = pdf
        while len(_RENDERED) > _RENDERED_MAX:
            _RENDERED.popitem(last=False)
    return pdf


def _render(title: str, course_title: str, text: str, files: dict[str, bytes], base: str):

    def rewrite(kind, target):
        if kind == "image" and "://" not in target:
            return SCHEME + (clean_path(f"{base}/{target}") or "")
        return target

    # The document's own pictures use the package: scheme, which only our fetcher serves.
    body = markdown.render(text, rewrite, extra_schemes=frozenset({SCHEME.rstrip(":")}))

    document = (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{GUIDE_CSS}</style></head>"
        f"<body><h1>{escape(title)}</h1><p class='course'>{escape(course_title)}</p>"
        f"{body}</body></html>"
    )
    return render_pdf(document, files)
