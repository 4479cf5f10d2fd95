"""Offline: what a saved course holds, and the actions a device queued offline, replayed once.

A device queues marking an item done, a quiz's answers and a capstone draft's text while it
has no signal, each under a random idempotency key, and sends them one by one when it is
back online. `replay_action` acts on each key once: the key's row in `offline_action` is
written in the same transaction as the action (or, when a rule refuses the action, with the
reason), and the unique (user, key) index means a copy sent again, even at the same moment,
finds that row and changes nothing. Grading and every rule stay on the server.
"""

import re
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.capstones import services as capstones
from app.catalog import kinds
from app.catalog.models import Course, Item, Module
from app.core.db import insert_or_ignore
from app.core.i18n import localise
from app.core.models import StoredFile
from app.core.refusals import Refusal
from app.extensions import db
from app.learning import services as learning
from app.learning.item_kinds import QUIZ
from app.offline.models import ACTION_KINDS, OfflineAction
from app.seasons import enrollments
from app.seasons.enrollments import lock_enrollment

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
DRAFT_MAX = 20_000  # characters of draft text, as the capstone form allows
# What a saved page weighs beyond its item's own text (the layout, the outline, forms).
PAGE_OVERHEAD = 3 * 1024


class OfflineRefusal(Refusal):
    """A queued action the server will not take; the message says why, for the learner."""


class MalformedAction(ValueError):
    """The request is not an action a device of ours queues (a bug or a forgery): 400."""


# What a saved course holds ---------------------------------------------------------------


@dataclass
class SavedItem:
    item: Item
    label: str
    url: str
    files: list[dict] = field(default_factory=list)  # {url, filename, size}
    text_bytes: int = 0

    @property
    def size(self) -> int:
        return PAGE_OVERHEAD + self.text_bytes + sum(f["size"] for f in self.files)


@dataclass
class Bundle:
    """A course (or one module) as the device would save it."""

    course: Course
    module: Module | None
    items_by_module: list[tuple[Module, list[SavedItem]]]
    extra_urls: list[str]
    extra_size: int = 0  # what the extra URLs weigh (the offline pages, the stylesheet)

    @property
    def items(self) -> list[SavedItem]:
        return [saved for _module, saved in self.items_by_module for saved in saved]

    @property
    def size(self) -> int:
        return self.extra_size + sum(s.size for s in self.items)

    @property
    def version(self) -> str:
        """Changes whenever the course's content does (its package hash)."""
        return self.course.package_hash + (f":{self.module.slug}" if self.module else "")

    def urls(self) -> list[str]:
        seen: dict[str, None] = {}
        for url in [*self.extra_urls, *(u for s in self.items for u in _urls_of(s))]:
            seen.setdefault(url, None)
        return list(seen)


def _urls_of(saved: SavedItem) -> list[str]:
    return [saved.url, *(f["url"] for f in saved.files)]


def load_course_for_offline(course_slug: str) -> Course | None:
    """The course with its modules and items, content included (two queries)."""
    return db.session.scalar(
        select(Course)
        .where(Course.slug == course_slug)
        .options(selectinload(Course.modules).selectinload(Module.items))
    )


def bundle_of(
    course: Course, module: Module | None, extra_urls: list[str], extra_size: int = 0
) -> Bundle:
    """What saving the course (or only `module`) puts on the device: every item's page and
    the files the item kinds' offline parts name (pictures, resources, guides, stills)."""
    modules = [module] if module is not None else list(course.modules)
    parts = {item.id: kinds.get(item.kind).offline(item) for m in modules for item in m.items}
    hashes = {ref["sha256"] for part in parts.values() for ref in part.files if "sha256" in ref}
    stored = (
        {
            sha: (filename, size)
            for sha, filename, size in db.session.execute(
                select(StoredFile.sha256, StoredFile.filename, StoredFile.size).where(
                    StoredFile.sha256.in_(hashes)
                )
            )
        }
        if hashes
        else {}
    )
    labels = kinds.labels()
    languages = set(course.languages or []) | {course.language}
    grouped = []
    for m in modules:
        saved_items = []
        for item in m.items:
            part = parts[item.id]
            files = []
            for ref in part.files:
                found = stored.get(ref.get("sha256", ""))
                if found is None:
                    continue
                filename, size = found
                files.append(
                    {
                        "url": url_for("core.stored_file", sha256=ref["sha256"], filename=filename),
                        "filename": filename,
                        "size": size,
                    }
                )
            saved_items.append(
                SavedItem(
                    item=item,
                    label=str(labels.get(item.kind, item.kind)),
                    url=url_for("learning.item", course_slug=course.slug, item_slug=item.slug),
                    files=files,
                    text_bytes=_one_language_size(part.content, languages),
                )
            )
        grouped.append((m, saved_items))
    return Bundle(
        course=course,
        module=module,
        items_by_module=grouped,
        extra_urls=extra_urls,
        extra_size=extra_size,
    )


def _one_language_size(value, languages: set[str]) -> int:
    """Bytes of the text a page shows: of texts kept by language, one language (the longest)."""
    if isinstance(value, dict):
        if value and set(value) <= languages:
            return max(_one_language_size(v, languages) for v in value.values())
        return sum(_one_language_size(v, languages) for v in value.values())
    if isinstance(value, list):
        return sum(_one_language_size(v, languages) for v in value)
    return len(str(value).encode())


# Actions queued offline ------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedAction:
    key: str
    kind: str
    course_slug: str
    item_slug: str
    answers: dict
    text: str
    user: int | None = None  # the learner whose device queued it, when the device knows


def parse_action(data) -> QueuedAction:
    """The action as the device sent it (JSON), checked for shape only: MalformedAction."""
    if not isinstance(data, dict):
        raise MalformedAction("not an object")
    key, kind = data.get("key"), data.get("kind")
    course_slug, item_slug = data.get("course"), data.get("item")
    if not isinstance(key, str) or not KEY.match(key):
        raise MalformedAction("key")
    if kind not in ACTION_KINDS:
        raise MalformedAction("kind")
    for slug in (course_slug, item_slug):
        if not isinstance(slug, str) or not SLUG.match(slug):
            raise MalformedAction("slug")
    answers: dict = {}
    if kind == "quiz":
        raw = data.get("answers")
        if not isinstance(raw, dict) or len(raw) > 200:
            raise MalformedAction("answers")
        for position, values in raw.items():
            if not isinstance(position, str) or not position.isdigit() or len(position) > 3:
                raise MalformedAction("answers")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise MalformedAction("answers")
            answers[position] = [v[:50] for v in values[:20]]
    text = data.get("text", "")
    if kind == "draft" and (not isinstance(text, str) or len(text) > DRAFT_MAX):
        raise MalformedAction("text")
    user = data.get("user")
    if user is not None and (not isinstance(user, int) or isinstance(user, bool)):
        raise MalformedAction("user")
    return QueuedAction(
        key, kind, course_slug, item_slug, answers, text if kind == "draft" else "", user
    )


def find_action(user: User, key: str) -> OfflineAction | None:
    return db.session.scalar(
        select(OfflineAction).where(OfflineAction.user_id == user.id, OfflineAction.key == key)
    )


def replay_action(user: User, action: QueuedAction) -> OfflineAction:
    """Take a queued action once: the first copy of a key acts (or is refused, with the
    reason kept); every later copy returns that first outcome and changes nothing."""
    seen = find_action(user, action.key)
    if seen is not None:
        return seen
    values = dict(
        user_id=user.id,
        key=action.key,
        kind=action.kind,
        course_slug=action.course_slug,
        item_slug=action.item_slug,
    )
    # The key's row goes in first: a copy arriving at the same moment waits on the unique
    # index (PostgreSQL) or the write lock (SQLite), then finds this row and does nothing.
    if not insert_or_ignore(OfflineAction, outcome="done", message="", **values):
        return find_action(user, action.key)
    try:
        message = _act(user, action)
    except Refusal as refusal:
        # The refusal rolled back the action and the key's row: keep the key with the reason,
        # so the learner is told and a copy sent again is refused the same way.
        reason = str(refusal)[:500]
        if not insert_or_ignore(OfflineAction, outcome="refused", message=reason, **values):
            return find_action(user, action.key)
        return find_action(user, action.key)
    row = find_action(user, action.key)
    row.message = message[:500]
    db.session.flush()
    return row


def _act(user: User, action: QueuedAction) -> str:
    course = db.session.scalar(select(Course).where(Course.slug == action.course_slug))
    if course is None:
        raise OfflineRefusal(_l("This course is no longer offered."))
    item = db.session.scalar(
        select(Item).where(Item.course_id == course.id, Item.slug == action.item_slug)
    )
    if item is None:
        raise OfflineRefusal(_l("This item is no longer part of the course."))
    enrollment = enrollments.find_enrollment(user, course)
    if enrollment is None:
        raise OfflineRefusal(_l("You are not enrolled in this course any more."))
    if action.kind == "done":
        kind = kinds.get(item.kind)
        if not kind.learner_marks_done(item, kind.page(enrollment, item)):
            raise OfflineRefusal(_l("This item counts as done another way, not by marking it."))
        learning.mark_done(enrollment, item)
        return _("Marked as done.")
    if action.kind == "quiz":
        if item.kind != QUIZ:
            raise OfflineRefusal(_l("This item is not a quiz."))
        # The attempt's number is the server's next one: attempts made meanwhile elsewhere
        # count first, and the rules (attempts left, passed already, season) judge this one.
        lock_enrollment(enrollment.id)
        number = len(learning.attempts_of(enrollment, item)) + 1
        attempt = learning.submit_quiz(enrollment, item, number, action.answers)
        if attempt.passed:
            return _("Passed with %(score)s%%.", score=attempt.score)
        return _("Not passed: %(score)s%%.", score=attempt.score)
    if item.kind != capstones.CAPSTONE:
        raise OfflineRefusal(_l("This item is not a capstone project."))
    submission = capstones.find_submission(enrollment, item) or capstones.start_submission(
        enrollment, item
    )
    capstones.save_draft(submission, action.text)
    return _("Your draft was saved.")


def recent_actions(user: User, limit: int = 20) -> list[tuple[OfflineAction, str]]:
    """The learner's latest actions sent from a device, newest first, with the item's title
    in the reader's language (its slug if the item is gone). Two queries."""
    actions = list(
        db.session.scalars(
            select(OfflineAction)
            .where(OfflineAction.user_id == user.id)
            .order_by(OfflineAction.id.desc())
            .limit(limit)
        )
    )
    pairs = {(a.course_slug, a.item_slug) for a in actions}
    titles = {}
    if pairs:
        rows = db.session.execute(
            select(Course.slug, Item.slug, Item.title, Course.language)
            .join(Course, Course.id == Item.course_id)
            .where(Course.slug.in_({c for c, _i in pairs}), Item.slug.in_({i for _c, i in pairs}))
        )
        titles = {(c, i): str(localise(title, language)) for c, i, title, language in rows}
    return [(a, titles.get((a.course_slug, a.item_slug), a.item_slug)) for a in actions]


def enrolled_courses(user: User) -> list[Course]:
    """The courses the learner is enrolled in, in the catalog's order."""
    ids = enrollments.enrolled_course_ids(user)
    if not ids:
        return []
    return list(
        db.session.scalars(select(Course).where(Course.id.in_(ids)).order_by(Course.position))
    )
