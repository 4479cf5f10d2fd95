"""The catalog's own kinds of course item: lessons, resources to download, practical guides.

Each is registered with app/catalog/kinds.py; the player shows its partial from
templates/catalog/kinds/, and the learner marks it done.
"""

import re
from pathlib import PurePosixPath
from typing import Literal

from flask_babel import lazy_gettext as _l

from app.catalog import kinds
from app.catalog.content.guides import render_guide_pdf
from app.catalog.content.loader import localised
from app.catalog.content.schema import ItemBase, LocalText
from app.catalog.kinds import ItemKind, OfflinePart

LESSON, RESOURCE, GUIDE = "lesson", "resource", "guide"

# A stored file as a lesson links to it: /files/<sha256>/<filename>
STORED_LINK = re.compile(r'/files/([0-9a-f]{64})/([^"\'?#<>\s]+)')


class Lesson(ItemBase):
    kind: Literal["lesson"]
    body: LocalText  # Markdown file(s), relative to the course folder


class Resource(ItemBase):
    kind: Literal["resource"]
    file: str
    description: LocalText | None = None


class Guide(ItemBase):
    kind: Literal["guide"]
    source: LocalText  # Markdown file(s), rendered to PDF at import
    description: LocalText | None = None


def _lesson_offline(item) -> OfflinePart:
    files = {
        sha: {"sha256": sha, "filename": name}
        for html in item.content["html"].values()
        for sha, name in STORED_LINK.findall(html)
    }
    return OfflinePart(content={"html": item.content["html"]}, files=list(files.values()))


def _guide_content(context, spec) -> dict:
    course, main = context.course, context.main
    pdfs = {}
    title = context.localised(spec.title)
    for language, rel in context.localised(spec.source).items():
        pdf = render_guide_pdf(
            title.get(language, title[main]),
            course.title.get(language, course.title[main]),
            context.text(rel),
            context.loaded.files,
            str(PurePosixPath(rel).parent),
        )
        pdfs[language] = context.store_bytes(
            pdf, f"{course.slug}-{spec.slug}-{language}.pdf", "application/pdf"
        )
    return {
        "pdf": pdfs,
        "description": context.localised(spec.description),
        # The guide's text as HTML too, for the course's printable pack (app/offline).
        "html": context.markdown_html(spec.source),
    }


kinds.register(
    ItemKind(
        name=LESSON,
        label=_l("lesson"),
        schema=Lesson,
        check=lambda context, spec: context.markdown(spec, "body"),
        build_content=lambda context, spec: {"html": context.markdown_html(spec.body)},
        template="catalog/kinds/lesson.html",
        offline=_lesson_offline,
        # A course lists a language only when every lesson is written in it.
        written_in=lambda spec, main: set(localised(spec.body, main)),
    )
)

kinds.register(
    ItemKind(
        name=RESOURCE,
        label=_l("resource"),
        schema=Resource,
        check=lambda context, spec: context.need(spec.file, "file"),
        build_content=lambda context, spec: {
            "file": context.store(spec.file),
            "description": context.localised(spec.description),
        },
        template="catalog/kinds/resource.html",
        offline=lambda item: OfflinePart(
            content={"description": item.content["description"]}, files=[item.content["file"]]
        ),
    )
)

kinds.register(
    ItemKind(
        name=GUIDE,
        label=_l("practical guide"),
        schema=Guide,
        check=lambda context, spec: context.markdown(spec, "source"),
        build_content=_guide_content,
        template="catalog/kinds/guide.html",
        offline=lambda item: OfflinePart(
            content={
                "description": item.content["description"],
                "html": item.content.get("html", {}),
            },
            files=list(item.content["pdf"].values()),
        ),
    )
)
