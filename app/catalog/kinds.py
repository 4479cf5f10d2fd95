"""Item kinds: the registry each area adds its kinds of course item to.

A kind says, in one place, everything the platform needs to know about it: its part of the
package format (a pydantic model whose `kind` field is `Literal[name]`), how its files are
checked, what the importer stores as the item's `content`, how it renders inside the course
player, when it counts as done, and what it contributes to an offline bundle.

The loader, the importer, the player, completion and the catalog loop over this registry and
never name a kind. An area registers the kinds it owns in its own `kinds.py`, which
`app/__init__.py` imports (see "Adding an item kind" in course_content/README.md).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


def _always(*_args) -> bool:
    return True


def _no_check(_context, _spec) -> None:
    return None


def _no_page(_enrollment, _item) -> None:
    return None


def _no_headers(_part) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class OfflinePart:
    """What an item adds to a course saved for offline study.

    `content` is what the device may keep (never an answer key); `files` are stored-file
    references ({sha256, filename, size, ...}) the device downloads with it.
    """

    content: dict = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ItemKind:
    """One kind of course item, as its owning area declares it."""

    name: str  # as written in course.yaml (`kind: quiz`) and stored in course_item.kind
    label: Any  # a lazy string: how outlines and the catalog name the kind ("practical guide")
    schema: type[BaseModel]  # its part of the package format
    # (import context, spec) -> the item's `content` (see app/catalog/content/importer.py)
    build_content: Callable[[Any, Any], dict]
    template: str  # the player's partial for this kind; it gets `item` and `part`
    # What counts as done, in words for the package format's documentation.
    done_when: str = "the learner marks it as done"
    # (check context, spec) -> None; records problems through the context (files, links)
    check: Callable[[Any, Any], None] = _no_check
    # (enrolment, item) -> what the player's partial needs beyond the item (`part`)
    page: Callable[[Any, Any], Any] = _no_page
    # (item, part) -> whether the learner may mark the item done themselves
    learner_marks_done: Callable[[Any, Any], bool] = _always
    head_template: str | None = None  # scripts the page needs in <head>, if any
    # part -> response headers the page needs (a study visit's frame policy)
    headers: Callable[[Any], dict[str, str]] = _no_headers
    # item -> its part of an offline bundle
    offline: Callable[[Any], OfflinePart] = lambda _item: OfflinePart()
    # (import context, item row, spec) -> None: what the owning area keeps of the item in its
    # own tables (a capstone's rubric), called once the item's row exists
    imported: Callable[[Any, Any, Any], None] | None = None
    # () -> settings its check reads from the database (`context.settings`), for
    # `flask content check|import`; without a database the check uses its defaults.
    check_settings: Callable[[], dict] | None = None
    # (spec, the course's main language) -> the languages the item's own text is written in,
    # for kinds a course must offer in every language it lists (lessons); None: the kind's
    # texts may fall back to the main language without narrowing the course's languages.
    written_in: Callable[[Any, str], set[str]] | None = None


_KINDS: dict[str, ItemKind] = {}


class UnknownItemKind(LookupError):
    pass


def register(kind: ItemKind) -> ItemKind:
    """Add a kind (at import of its area's kinds module); registering a name twice is a bug."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"item kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> ItemKind:
    """The kind called `name`; UnknownItemKind if no area registered it."""
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownItemKind(
            f"no item kind {name!r} is registered (known: {', '.join(_KINDS) or 'none'})"
        ) from None


def all_kinds() -> Iterator[ItemKind]:
    """Every registered kind, in registration order."""
    if not _KINDS:
        raise UnknownItemKind("no item kinds are registered: build the app with create_app()")
    return iter(list(_KINDS.values()))


def names() -> frozenset[str]:
    return frozenset(_KINDS)


def check_settings() -> dict:
    """What every kind's check needs from the database (it may raise SQLAlchemyError)."""
    settings: dict = {}
    for kind in all_kinds():
        if kind.check_settings is not None:
            settings.update(kind.check_settings())
    return settings


def labels() -> dict[str, Any]:
    """{kind name: its label}, for outlines and the catalog."""
    return {kind.name: kind.label for kind in _KINDS.values()}


# Hooks for data other areas keep about items -------------------------------------------
# The importer must say what removing an item would lose, but the rows (progress, attempts,
# projects) belong to the areas that keep them: each registers a counter here.

ItemDataCounter = Callable[[list[int]], dict[int, list[str]]]
_ITEM_DATA_COUNTERS: list[ItemDataCounter] = []


def register_item_data(counter: ItemDataCounter) -> ItemDataCounter:
    """`counter(item_ids)` -> {item id: ["progress of 3 learner(s)", ...]} for non-empty data."""
    if counter not in _ITEM_DATA_COUNTERS:
        _ITEM_DATA_COUNTERS.append(counter)
    return counter


def learner_data(item_ids: list[int]) -> dict[int, list[str]]:
    """What every area keeps about these items, in words, by item id."""
    found: dict[int, list[str]] = {}
    if not item_ids:
        return found
    for counter in _ITEM_DATA_COUNTERS:
        for item_id, phrases in counter(item_ids).items():
            found.setdefault(item_id, []).extend(phrases)
    return found


# Hooks for what other areas make of a whole course at import ------------------------------
# A course's printable pack (app/offline) is rendered from all its items once they are
# written; the importer calls each hook, in the import's transaction, for every course it
# creates or changes (never for an unchanged one).

CourseImported = Callable[[Any, Any], None]
_COURSE_IMPORTED: list[CourseImported] = []


def register_course_imported(hook: CourseImported) -> CourseImported:
    """`hook(import context, course)` runs after a created or changed course's items are written."""
    if hook not in _COURSE_IMPORTED:
        _COURSE_IMPORTED.append(hook)
    return hook


def course_imported(context, course) -> None:
    for hook in _COURSE_IMPORTED:
        hook(context, course)
