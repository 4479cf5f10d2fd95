"""The learner's dashboard: their courses, then what other areas show there.

Areas above learning (certificates, say) register a section: a template partial and a
function loading what it shows for the signed-in learner, in a fixed number of queries. The
dashboard renders them in registration order and never names one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DashboardSection:
    name: str
    template: str  # gets `section`: what `load` returned
    load: Callable[[Any], Any]  # (user) -> what the template shows; falsy: nothing to show


_SECTIONS: dict[str, DashboardSection] = {}


def register_section(section: DashboardSection) -> DashboardSection:
    _SECTIONS[section.name] = section
    return section


def sections_for(user) -> list[tuple[str, Any]]:
    """(template, what it shows) for each registered section that has something to show."""
    shown = []
    for section in _SECTIONS.values():
        found = section.load(user)
        if found:
            shown.append((section.template, found))
    return shown
