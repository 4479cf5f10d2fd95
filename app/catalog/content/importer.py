"""Write validated course packages to the database, in place and all-or-nothing.

Courses, modules and items are matched by slug, so an item whose text changes keeps its id and
with it every learner's progress and quiz attempts. An item that disappears from the package
takes learners' data with it; that needs `force`, and the refusal says what would be lost.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from flask import current_app, url_for
from sqlalchemy import select

from app.catalog.content import markdown
from app.catalog.content.guides import render_guide_pdf
from app.catalog.content.loader import LoadedCourse, clean_path, localised
from app.catalog.models import Course, CourseKind, Item, ItemKind, Module
from app.core.storage import file_reference, store_file
from app.extensions import db
from app.visits.embeds import embed_host


class ImportRefused(Exception):
    """The import would lose learners' data; `lines` say what."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed_items: list[str] = field(default_factory=list)


def package_hash(course: LoadedCourse) -> str:
    """A fingerprint of the course's declaration and every file it uses."""
    digest = hashlib.sha256(course.spec.model_dump_json().encode())
    for path in sorted(course.files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(course.files[path]).digest())
    return digest.hexdigest()


def import_courses(courses: list[LoadedCourse], *, force: bool = False) -> ImportReport:
    """Create or update every course; flushes, the caller commits (or rolls back)."""
    from app.learning.services import learner_data_for_items  # the learning area owns that data

    report = ImportReport()
    existing = {c.slug: c for c in db.session.scalars(select(Course))}
    # Check what removals would lose before changing anything.
    losses, doomed = [], []
    for loaded in courses:
        course = existing.get(loaded.spec.slug)
        if course is None:
            continue
        keep = {item.slug for module in loaded.spec.modules for item in module.items}
        gone = [
            i
            for i in db.session.scalars(select(Item).where(Item.course_id == course.id))
            if i.slug not in keep
        ]
        doomed += gone
        data = learner_data_for_items([i.id for i in gone])
        for item in gone:
            progress, attempts = data.get(item.id, (0, 0))
            if progress or attempts:
                losses.append(
                    f"{course.slug}/{item.slug}: progress of {progress} learner(s) and "
                    f"{attempts} quiz attempt(s) would be lost"
                )
    if losses and not force:
        raise ImportRefused(losses + ["Run again with --force to remove these items anyway."])

    with current_app.test_request_context():  # url_for() for links inside lessons
        for position, loaded in enumerate(courses):
            course = existing.get(loaded.spec.slug)
            fingerprint = package_hash(loaded)
            if course is not None and course.package_hash == fingerprint:
                course.position = position  # the package's order may still have changed
                report.unchanged.append(course.slug)
                continue
            if course is None:
                course = Course(slug=loaded.spec.slug)
                db.session.add(course)
                report.created.append(course.slug)
            else:
                report.updated.append(course.slug)
            _write_course(course, loaded, position, fingerprint)
    for item in doomed:
        report.removed_items.append(f"{item.slug}")
        db.session.delete(item)
    db.session.flush()
    return report


def _write_course(course: Course, loaded: LoadedCourse, position: int, fingerprint: str) -> None:
    spec, main = loaded.spec, loaded.spec.language
    course.kind = CourseKind(spec.kind)
    course.language = main
    course.languages = list(spec.languages)
    course.title = localised(spec.title, main)
    course.summary = localised(spec.summary, main)
    course.hours = spec.hours
    course.outcomes = [localised(o, main) for o in spec.outcomes]
    course.completion_rule = spec.completion
    course.position = position
    course.package_hash = fingerprint
    db.session.flush()

    modules = {
        m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))
    }
    items = {i.slug: i for i in db.session.scalars(select(Item).where(Item.course_id == course.id))}
    counter = 0
    for m_position, module_spec in enumerate(spec.modules):
        module = modules.get(module_spec.slug)
        if module is None:
            module = Module(course_id=course.id, slug=module_spec.slug)
            db.session.add(module)
        module.position = m_position
        module.title = localised(module_spec.title, main)
        db.session.flush()
        for item_spec in module_spec.items:
            content = _item_content(course, loaded, item_spec)  # before the row, for autoflush
            item = items.get(item_spec.slug)
            if item is None:
                item = Item(course_id=course.id, slug=item_spec.slug)
                db.session.add(item)
            item.module_id = module.id
            item.kind = ItemKind(item_spec.kind)
            item.position = counter
            item.title = localised(item_spec.title, main)
            item.required = item_spec.required
            item.content = content
            counter += 1
    db.session.flush()
    for slug, module in modules.items():
        if slug not in {m.slug for m in spec.modules} and not module.items:
            db.session.delete(module)


def _markdown_html(course: Course, loaded: LoadedCourse, files: dict[str, str]) -> dict[str, str]:
    """Render each language's Markdown file to sanitised HTML with package links resolved."""
    rendered = {}
    for language, rel in files.items():
        rel = clean_path(rel)
        base = PurePosixPath(rel).parent

        def rewrite(kind, target, base=base):
            if target.startswith("item:"):
                return url_for("learning.item", course_slug=course.slug, item_slug=target[5:])
            if "://" in target or target.startswith(("mailto:", "#")) or not target:
                return target
            path = clean_path(str(base / target))
            stored = store_file(loaded.files[path], PurePosixPath(path).name)
            return url_for("core.stored_file", sha256=stored.sha256, filename=stored.filename)

        rendered[language] = markdown.render(loaded.text(rel), rewrite)
    return rendered


def _tour_content(loaded: LoadedCourse, tour) -> dict:
    """A tour as the player needs it: panoramas stored, texts by language, its data size."""
    main = loaded.spec.language
    if tour.kind == "embed":
        return {
            "kind": "embed",
            "url": tour.url,
            "host": embed_host(tour.url),
            "size": round(tour.size_mb * 1024 * 1024),
        }
    scenes = []
    for scene in tour.scenes:
        path = clean_path(scene.panorama)
        stored = store_file(loaded.files[path], PurePosixPath(path).name)
        scenes.append(
            {
                "id": scene.id,
                "title": localised(scene.title, main),
                "description": localised(scene.description, main),
                "panorama": file_reference(stored),
                "hotspots": [
                    {
                        "kind": h.kind,
                        "pitch": h.pitch,
                        "yaw": h.yaw,
                        "text": localised(h.text, main),
                        "scene": h.scene,
                    }
                    for h in scene.hotspots
                ],
            }
        )
    return {"kind": "hosted", "scenes": scenes, "size": sum(s["panorama"]["size"] for s in scenes)}


def _item_content(course: Course, loaded: LoadedCourse, spec) -> dict:
    main = loaded.spec.language
    if spec.kind == "lesson":
        return {"html": _markdown_html(course, loaded, localised(spec.body, main))}
    if spec.kind == "quiz":
        return {
            "pass_mark": spec.pass_mark,
            "max_attempts": spec.max_attempts,
            "questions": [
                {
                    "kind": q.kind,
                    "prompt": localised(q.prompt, main),
                    "choices": [
                        {"text": localised(c.text, main), "correct": c.correct} for c in q.choices
                    ],
                    "answer": q.answer,
                    "tolerance": q.tolerance,
                    "feedback": localised(q.feedback, main),
                }
                for q in spec.questions
            ],
        }
    if spec.kind == "resource":
        stored = store_file(loaded.files[clean_path(spec.file)], PurePosixPath(spec.file).name)
        return {"file": file_reference(stored), "description": localised(spec.description, main)}
    if spec.kind == "guide":
        pdfs = {}
        for language, rel in localised(spec.source, main).items():
            rel = clean_path(rel)
            title = localised(spec.title, main)
            pdf = render_guide_pdf(
                title.get(language, title[main]),
                course.title.get(language, course.title[main]),
                loaded.text(rel),
                loaded.files,
                str(PurePosixPath(rel).parent),
            )
            stored = store_file(pdf, f"{course.slug}-{spec.slug}-{language}.pdf", "application/pdf")
            pdfs[language] = file_reference(stored)
        return {"pdf": pdfs, "description": localised(spec.description, main)}
    if spec.kind == "study_visit":
        stills = []
        for still in spec.stills:
            stored = store_file(
                loaded.files[clean_path(still.file)], PurePosixPath(still.file).name
            )
            stills.append({"file": file_reference(stored), "alt": localised(still.alt, main)})
        return {
            "host": spec.host,
            "description": localised(spec.description, main),
            "key_points": [localised(p, main) for p in spec.key_points],
            "stills": stills,
            "tour": _tour_content(loaded, spec.tour) if spec.tour else None,
        }
    # capstone
    return {
        "brief_html": _markdown_html(course, loaded, localised(spec.brief, main)),
        "max_attempts": spec.max_attempts,
        "rubric": {
            "pass_threshold": spec.rubric.pass_threshold,
            "criteria": [
                {
                    "title": localised(c.title, main),
                    "description": localised(c.description, main),
                    "levels": [
                        {
                            "points": level.points,
                            "title": localised(level.title, main),
                            "description": localised(level.description, main),
                        }
                        for level in c.levels
                    ],
                }
                for c in spec.rubric.criteria
            ],
        },
    }
