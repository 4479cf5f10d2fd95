"""Where a course is offered, as the catalog's pages show it.

The catalog lists courses; the area that runs seasons knows which are open for enrolment,
who holds a place, and how to enrol. It registers one `Offers` provider here, and the
catalog's pages ask it without knowing seasons, cohorts or enrolments. Without a provider
the pages show the courses alone.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Offers:
    # () -> ids of the courses open for enrolment now: the same for everyone, so the catalog's
    # list is kept per version of its rows (app/core/page_cache.py)
    open_courses: Callable[[], set[int]]
    # (user) -> ids of the courses the user holds a place in
    enrolled_courses: Callable[[Any], set[int]]
    # (course, user or None) -> the course page's panel: its template and that template's context
    panel: Callable[[Any, Any], tuple[str, dict]]


_PROVIDER: list[Offers] = []


def register_offers(provider: Offers) -> Offers:
    _PROVIDER[:] = [provider]
    return provider


def enrolled_courses(user) -> frozenset[int]:
    """The courses `user` (None for a visitor) holds a place in."""
    if user is None or not _PROVIDER:
        return frozenset()
    return frozenset(_PROVIDER[0].enrolled_courses(user))


def course_statuses(enrolled: frozenset[int]) -> dict[int, str]:
    """{course id: "enrolled" | "open"} for the catalog's list, given the reader's places."""
    statuses = dict.fromkeys(_PROVIDER[0].open_courses(), "open") if _PROVIDER else {}
    statuses.update(dict.fromkeys(enrolled, "enrolled"))
    return statuses


def course_panel(course, user) -> tuple[str | None, dict]:
    return _PROVIDER[0].panel(course, user) if _PROVIDER else (None, {})
