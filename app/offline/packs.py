"""Printable course packs: one PDF per course and language, rendered at import and stored.

The pack holds what the item kinds' offline parts hold (app/catalog/kinds.py, `offline`):
every lesson, the guides' text, resources' descriptions, the quizzes' questions and choices
(never the answers), the study visits' text, key points and stills, the capstone's brief.
The importer calls `render_packs` for every course it creates or changes.
"""

import hashlib
import re
import threading
from collections import OrderedDict
from html import escape

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from app.catalog import kinds
from app.catalog.models import Course, Module
from app.core.i18n import localise
from app.core.models import StoredFile
from app.core.pdf import SCHEME, render_pdf
from app.core.storage import INLINE_TYPES, file_reference, store_file
from app.extensions import db
from app.offline.models import CoursePack

STORED_PICTURE = re.compile(r'src="/files/([0-9a-f]{64})/[^"]*"')

PACK_CSS = """
@page { size: A4; margin: 2cm 2cm 2.2cm; @bottom-right { content: counter(page); font-size: 9pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; line-height: 1.45;
       color: #1c2430; }
h1 { font-size: 22pt; color: #0b5cad; margin: 0 0 .4em; }
h2 { font-size: 16pt; color: #0b5cad; margin: 0 0 .6em; break-before: page; }
h3 { font-size: 13pt; margin: 1.4em 0 .4em; }
h4, h5 { font-size: 11pt; margin: 1em 0 .3em; }
.kind { color: #4a5566; font-size: 9pt; text-transform: uppercase; letter-spacing: .05em; }
img { max-width: 100%; max-height: 12cm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #9aa7b6; padding: 4px 6px; vertical-align: top; font-size: 9.5pt; }
ol.questions > li { margin-bottom: .8em; }
ul.choices { list-style: none; padding-left: 0; }
ul.choices li::before { content: "\\25A2  "; }
"""

_RENDERED: OrderedDict[str, bytes] = OrderedDict()
_RENDERED_MAX = 64  # about 100 KB each: every pack of a season and then some
_lock = threading.Lock()


def pack_for(course: Course, language: str) -> CoursePack | None:
    """The course's pack in `language`, else in its main language, else any."""
    packs = {
        p.language: p
        for p in db.session.scalars(select(CoursePack).where(CoursePack.course_id == course.id))
    }
    return packs.get(language) or packs.get(course.language) or next(iter(packs.values()), None)


def render_packs(_context, course: Course) -> None:
    """Render and store the course's pack in each language it lists (an import hook)."""
    course = db.session.scalar(
        select(Course)
        .where(Course.id == course.id)
        .options(selectinload(Course.modules).selectinload(Module.items))
        .execution_options(populate_existing=True)
    )
    parts = {
        item.id: kinds.get(item.kind).offline(item) for m in course.modules for item in m.items
    }
    wanted = {ref["sha256"] for part in parts.values() for ref in part.files if "sha256" in ref}
    for part in parts.values():
        for html in _html_values(part.content):
            wanted.update(STORED_PICTURE.findall(html))
    # Keyed "<sha256>/<filename>": the renderer tells a picture's type by its name.
    stored = (
        db.session.scalars(
            select(StoredFile)
            .where(StoredFile.sha256.in_(wanted), StoredFile.content_type.in_(INLINE_TYPES))
            .options(undefer(StoredFile.data))
        ).all()
        if wanted
        else []
    )
    pictures = {f"{f.sha256}/{f.filename}": f.data for f in stored}
    paths = {f.sha256: f"{f.sha256}/{f.filename}" for f in stored}
    existing = {
        p.language: p
        for p in db.session.scalars(select(CoursePack).where(CoursePack.course_id == course.id))
    }
    languages = list(dict.fromkeys([course.language, *(course.languages or [])]))
    for language in languages:
        with force_locale(language):
            html = pack_html(course, parts, language, paths)
        pdf = _render_cached(html, pictures)
        reference = file_reference(
            store_file(pdf, f"{course.slug}-{language}.pdf", "application/pdf")
        )
        pack = existing.pop(language, None) or CoursePack(course_id=course.id, language=language)
        pack.file, pack.package_hash = reference, course.package_hash
        db.session.add(pack)
    for gone in existing.values():
        db.session.delete(gone)
    db.session.flush()


def _html_values(content: dict) -> list[str]:
    found = []
    for key in ("html", "brief_html"):
        value = content.get(key)
        if isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, str)]
    return found


def _render_cached(html: str, pictures: dict[str, bytes]) -> bytes:
    digest = hashlib.sha256(html.encode())
    for sha in sorted(pictures):
        digest.update(sha.encode())
    key = digest.hexdigest()
    with _lock:
        if key in _RENDERED:
            _RENDERED.move_to_end(key)
            return _RENDERED[key]
    pdf = render_pdf(html, pictures, fonts_key="course-pack")
    with _lock:
        _RENDERED[key] = pdf
        while len(_RENDERED) > _RENDERED_MAX:
            _RENDERED.popitem(last=False)
    return pdf


def _text(texts, course, language) -> str:
    return str(localise(texts, course.language, language)) if texts else ""


def _pictures_local(html: str, pictures: dict[str, str]) -> str:
    """Stored pictures from the package's files; any other picture is left out."""

    def swap(match):
        sha = match.group(1)
        return f'src="{SCHEME}{escape(pictures[sha])}"' if sha in pictures else 'src="" hidden'

    return STORED_PICTURE.sub(swap, html)


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def pack_html(course: Course, parts: dict, language: str, pictures: dict[str, str]) -> str:
    """The pack as one HTML document; item text comes from the kinds' offline parts (already
    sanitised HTML, or plain text escaped here)."""
    labels = kinds.labels()
    out = [
        f"<!doctype html><html lang='{escape(language)}'><head><meta charset='utf-8'>"
        f"<style>{PACK_CSS}</style></head><body>",
        f"<h1>{escape(_text(course.title, course, language))}</h1>",
        _paragraphs(_text(course.summary, course, language)),
        "<p>"
        + escape(
            _(
                "Printable course pack: every lesson, guide, quiz question and study visit "
                "of the course, for reading on paper."
            )
        )
        + "</p>",
    ]
    for module in course.modules:
        out.append(f"<h2>{escape(_text(module.title, course, language))}</h2>")
        for item in module.items:
            content = parts[item.id].content
            out.append(f"<p class='kind'>{escape(str(labels.get(item.kind, item.kind)))}</p>")
            out.append(f"<h3>{escape(_text(item.title, course, language))}</h3>")
            for key in ("html", "brief_html"):
                if isinstance(content.get(key), dict) and content[key]:
                    out.append(_pictures_local(_text(content[key], course, language), pictures))
            if isinstance(content.get("description"), dict):
                out.append(_paragraphs(_text(content["description"], course, language)))
            points = content.get("key_points") or []
            if points:
                out.append("<ul>")
                out += [f"<li>{escape(_text(p, course, language))}</li>" for p in points]
                out.append("</ul>")
            for still in content.get("stills") or []:
                sha = still.get("file", {}).get("sha256")
                if sha in pictures:
                    alt = escape(_text(still.get("alt"), course, language))
                    src = escape(SCHEME + pictures[sha])
                    out.append(f"<p><img src='{src}' alt='{alt}'></p><p>{alt}</p>")
            questions = content.get("questions") or []
            if questions:
                out.append("<ol class='questions'>")
                for question in questions:
                    out.append(f"<li>{escape(_text(question['prompt'], course, language))}")
                    if question.get("choices"):
                        out.append("<ul class='choices'>")
                        out += [
                            f"<li>{escape(_text(c['text'], course, language))}</li>"
                            for c in question["choices"]
                        ]
                        out.append("</ul>")
                    out.append("</li>")
                out.append("</ol>")
    out.append("</body></html>")
    return "".join(out)


kinds.register_course_imported(render_packs)
