"""What other areas show on the tutor's cohorts page, their start page.

Areas above seasons (discussions, say) register a panel: a template partial and a function
loading what it shows for the tutor's cohorts, in a fixed number of queries. The page renders
them in registration order and never names one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CohortsPanel:
    name: str
    template: str  # gets `panel`: what `load` returned, and `cohorts`
    load: Callable[[Any, list], Any]  # (user, cohorts) -> what it shows; falsy: nothing


_PANELS: dict[str, CohortsPanel] = {}


def register_panel(panel: CohortsPanel) -> CohortsPanel:
    _PANELS[panel.name] = panel
    return panel


def panels_for(user, cohorts: list) -> list[tuple[str, Any]]:
    """(template, what it shows) for each registered panel that has something to show."""
    shown = []
    for panel in _PANELS.values():
        found = panel.load(user, cohorts)
        if found:
            shown.append((panel.template, found))
    return shown
