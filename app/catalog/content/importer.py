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

from app.catalog import kinds
from app.catalog.content import markdown
from app.catalog.content.loader import LoadedCourse, clean_path, localised, offered_languages
from app.catalog.models import Course, CourseKind, Item, Module
from app.core.refusals import Refusal
from app.core.storage import file_reference, store_file
from app.extensions import db


class ImportRefused(Refusal):
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
        # Each area that keeps learners' data about items says what it holds.
        data = kinds.learner_data([i.id for i in gone])
        for item in gone:
            if data.get(item.id):
                losses.append(
                    f"{course.slug}/{item.slug}: {' and '.join(data[item.id])} would be lost"
                )
    if losses and not force:
        raise ImportRefused(losses + ["Run again with --force to remove these items anyway."])

    written: list[tuple[ImportContext, Course]] = []
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
            written.append((_write_course(course, loaded, position, fingerprint), course))
    for item in doomed:
        report.removed_items.append(f"{item.slug}")
        db.session.delete(item)
    db.session.flush()
    with current_app.test_request_context():
        for context, course in written:  # what other areas make of each whole course
            kinds.course_imported(context, course)
    db.session.flush()
    return report


def _write_course(
    course: Course, loaded: LoadedCourse, position: int, fingerprint: str
) -> "ImportContext":
    spec, main = loaded.spec, loaded.spec.language
    course.kind = CourseKind(spec.kind)
    course.language = main
    # The check refuses a listed language a lesson lacks; never list one, whoever calls.
    course.languages = offered_languages(spec)
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
    context = ImportContext(course, loaded)
    counter, written = 0, []
    for m_position, module_spec in enumerate(spec.modules):
        module = modules.get(module_spec.slug)
        if module is None:
            module = Module(course_id=course.id, slug=module_spec.slug)
            db.session.add(module)
        module.position = m_position
        module.title = localised(module_spec.title, main)
        db.session.flush()
        for item_spec in module_spec.items:
            # Before the row, for autoflush.
            content = kinds.get(item_spec.kind).build_content(context, item_spec)
            item = items.get(item_spec.slug)
            if item is None:
                item = Item(course_id=course.id, slug=item_spec.slug)
                db.session.add(item)
            item.module_id = module.id
            item.kind = item_spec.kind
            item.position = counter
            item.title = localised(item_spec.title, main)
            item.required = item_spec.required
            item.content = content
            written.append((item, item_spec))
            counter += 1
    db.session.flush()
    for item, item_spec in written:  # what areas keep of their items in their own tables
        kind = kinds.get(item_spec.kind)
        if kind.imported is not None:
            kind.imported(context, item, item_spec)
    for slug, module in modules.items():
        if slug not in {m.slug for m in spec.modules} and not module.items:
            db.session.delete(module)
    return context


class ImportContext:
    """What an item kind's `build_content` uses: texts by language, Markdown rendered with
    the package's links resolved, files stored."""

    def __init__(self, course: Course, loaded: LoadedCourse):
        self.course, self.loaded, self.main = course, loaded, loaded.spec.language

    def localised(self, value) -> dict[str, str]:
        """Text as {language: text}; a plain string is in the course's main language."""
        return localised(value, self.main)

    def markdown_html(self, value) -> dict[str, str]:
        """Each language's Markdown file rendered to sanitised HTML, package links resolved."""
        return _markdown_html(self.course, self.loaded, self.localised(value))

    def text(self, rel: str) -> str:
        return self.loaded.text(clean_path(rel))

    def store(self, rel: str) -> dict:
        """A package file stored; its reference ({sha256, filename, size, ...})."""
        path = clean_path(rel)
        return file_reference(store_file(self.loaded.files[path], PurePosixPath(path).name))

    def store_bytes(self, data: bytes, filename: str, content_type: str) -> dict:
        return file_reference(store_file(data, filename, content_type))


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
