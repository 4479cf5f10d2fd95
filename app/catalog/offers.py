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
    # (user or None) -> {course id: "enrolled" | "open"} for the catalog's list
    statuses: Callable[[Any], dict[int, str]]
    # (course, user or None) -> the course page's panel: its template and that template's context
    panel: Callable[[Any, Any], tuple[str, dict]]


_PROVIDER: list[Offers] = []


def register_offers(provider: Offers) -> Offers:
    _PROVIDER[:] = [provider]
    return provider


def course_statuses(user) -> dict[int, str]:
    return _PROVIDER[0].statuses(user) if _PROVIDER else {}


def course_panel(course, user) -> tuple[str | None, dict]:
    return _PROVIDER[0].panel(course, user) if _PROVIDER else (None, {})
