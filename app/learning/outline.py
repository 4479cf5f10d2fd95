"""The course outline of the player's pages: the course's modules and items as plain values,
read once per course version, and their links written once per version and language. The
dashboard's and course home's cards count progress and find the next item on it too.

Every page of the player needs the whole outline (the list of links, the items before and
after the one shown, what comes next on the course's home). It is the same for every learner
of the course, who differ only in what they have done and where they are, which the pages
add. Built from ORM objects on each page (a few dozen modules and items, their titles' JSON
decoded again), it cost a lesson page about a fifth of its time. So the outline is read as
rows into plain values and kept per course and version of its package (`Course.package_hash`:
a new import of changed content is a new version); its links are kept per version, language
and script root. Both live in a bounded store in each process that any worker or machine
fills on its own: nothing kept is ever served for another version. A course that did not
come from a package has no version to key on: its outline is read and written on each page.
"""

import threading
from dataclasses import dataclass
from functools import cached_property

from cachetools import LRUCache
from flask import current_app, request, url_for
from markupsafe import Markup
from sqlalchemy import bindparam, select

from app.catalog.models import Item, Module
from app.core.i18n import current_language, localise, text_html
from app.extensions import db

_KEPT = 512  # outlines and their links in three languages, for a few seasons' courses


@dataclass(frozen=True)
class OutlineItem:
    """An item as the outline knows it: enough to link to it, not its content (the item a page
    shows is loaded whole: learning.views.load_course_item)."""

    id: int
    slug: str
    title: dict
    required: bool  # counts towards completion (the dashboard's and course home's progress)


@dataclass(frozen=True)
class Outline:
    modules: tuple[tuple[dict, tuple[OutlineItem, ...]], ...]  # (a module's title, its items)
    items: tuple[OutlineItem, ...]  # every item in study order

    @cached_property
    def required_ids(self) -> frozenset[int]:
        """The items that count towards completion (kept with the outline)."""
        return frozenset(item.id for item in self.items if item.required)


@dataclass(frozen=True)
class OutlineLinks:
    title: Markup
    items: tuple[tuple[int, Markup], ...]  # (item id, its link)


# Built once: the modules of the courses in order, each with its items (a module without any
# keeps its place).
_ROWS = (
    select(
        Module.course_id,
        Module.id,
        Module.title,
        Item.id.label("item_id"),
        Item.slug,
        Item.title.label("item_title"),
        Item.required,
    )
    .select_from(Module)
    .outerjoin(Item, Item.module_id == Module.id)
    .where(Module.course_id.in_(bindparam("course_ids", expanding=True)))
    .order_by(Module.course_id, Module.position, Module.id, Item.position, Item.id)
)


def outline_of(course) -> Outline:
    """The course's modules and items (one statement when the version is not kept yet)."""
    return outlines_of([course])[course.id]


def outlines_of(courses) -> dict[int, Outline]:
    """{course id: its outline} for many courses: those not kept yet are read together, in
    one statement whatever their number."""
    found: dict[int, Outline] = {}
    missing = {}
    store, lock = current_app.extensions["course_outlines"]
    with lock:
        for course in courses:
            kept = store.get(_key(course)) if course.package_hash else None
            if kept is None:
                missing[course.id] = course
            else:
                found[course.id] = kept
    if missing:
        read = _read(list(missing))
        with lock:
            for course_id, course in missing.items():
                found[course_id] = read.get(course_id, _EMPTY)
                if course.package_hash:
                    store[_key(course)] = found[course_id]
    return found


def _key(course):
    return ("outline", course.id, course.package_hash)


def course_outline(course) -> tuple[OutlineLinks, ...]:
    """The course's modules with each item's link, in the reader's language."""
    key = ("links", course.id, course.package_hash, current_language(), request.script_root)
    return _kept(key, course, _written)


def _kept(key, course, make):
    if not course.package_hash:
        return make(course)
    store, lock = current_app.extensions["course_outlines"]
    with lock:
        found = store.get(key)
    if found is None:
        found = make(course)
        with lock:
            store[key] = found
    return found


def _read(course_ids: list[int]) -> dict[int, Outline]:
    modules: dict[int, dict[int, tuple[dict, list[OutlineItem]]]] = {}
    for row in db.session.execute(_ROWS, {"course_ids": course_ids}):
        own = modules.setdefault(row.course_id, {})
        _title, items = own.setdefault(row.id, (row.title, []))
        if row.item_id is not None:
            items.append(OutlineItem(row.item_id, row.slug, row.item_title, row.required))
    return {course_id: _outline(own) for course_id, own in modules.items()}


def _outline(modules: dict[int, tuple[dict, list[OutlineItem]]]) -> Outline:
    kept = tuple((title, tuple(items)) for title, items in modules.values())
    return Outline(kept, tuple(item for _title, items in kept for item in items))


_EMPTY = Outline((), ())


def _written(course) -> tuple[OutlineLinks, ...]:
    return tuple(
        OutlineLinks(
            text_html(localise(title, course.language)),
            tuple(
                (
                    item.id,
                    Markup('<a href="{}">{}</a>').format(
                        url_for("learning.item", course_slug=course.slug, item_slug=item.slug),
                        text_html(localise(item.title, course.language)),
                    ),
                )
                for item in items
            ),
        )
        for title, items in outline_of(course).modules
    )


def init_outlines(state) -> None:
    """This app's store (one per app, so that tests' apps never share outlines)."""
    state.app.extensions["course_outlines"] = (LRUCache(maxsize=_KEPT), threading.Lock())


def clear() -> None:
    """Empty this app's store. Only the tests need it: they empty every table between tests,
    so a course's id may come back with other rows behind it, which a running platform never
    sees."""
    store, lock = current_app.extensions["course_outlines"]
    with lock:
        store.clear()
