"""An administrator's page about one person: what each area holds about them, and the
history of what staff did about them (who, when, why).

Areas above accounts register a section: a template partial and a function loading what it
shows for the person, in a fixed number of queries whatever their number of places (seasons:
places and waiting lists; learning: quiz attempts; capstones: projects and versions;
certificates: certificates and their editions). The page renders them in position order and
never names one. Actions other areas take about a person (a place withdrawn, attempts given)
are written to the history with `accounts.services.record_action` and read back here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class PersonSection:
    name: str
    template: str  # gets `section`: what `load` returned, and `person`
    load: Callable[[Any], Any]  # (person) -> what the template shows; falsy: nothing to show
    position: int = 50


_SECTIONS: dict[str, PersonSection] = {}

# What the history calls each action (other areas add theirs with register_action_label).
ACTION_LABELS: dict[str, Any] = {
    "confirmation_resent": _l("Confirmation mail sent again"),
    "sessions_ended": _l("Signed out everywhere"),
}


def register_person_section(section: PersonSection) -> PersonSection:
    _SECTIONS[section.name] = section
    return section


def register_action_label(action: str, label) -> None:
    ACTION_LABELS[action] = label


def sections_for(person) -> list[tuple[str, Any]]:
    """(template, what it shows) for each registered section with something to show."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda s: s.position):
        found = section.load(person)
        if found:
            shown.append((section.template, found))
    return shown
