"""A cohort's gradebook: one row per learner, in columns that areas contribute.

Seasons owns the rows (the cohort's learners) and the columns about them (institution,
country, progress). Areas above seasons register a column group: the columns it shows for a
cohort and a loader that reads every learner's cells at once, in a fixed number of queries
(learning: each quiz's best score and attempts; capstones: the project's state and points;
certificates: the certificate). The page and its CSV loop over the registry and never name a
group, so a new kind of grade is one area's file plus one registration.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_percent
from flask_babel import gettext as _

from app.core.i18n import collation_key, country_name, reader_language
from app.seasons import enrollments, services
from app.seasons.models import Cohort, Enrollment


@dataclass(frozen=True)
class Cell:
    text: str  # as shown and exported, in the reader's language
    sort: Any = None  # what sorting compares; None sorts last either way


EMPTY = Cell("—")


@dataclass(frozen=True)
class Column:
    key: str  # unique in the gradebook, used in the URL to sort by it
    heading: str


@dataclass(frozen=True)
class ColumnGroup:
    name: str
    columns: Callable[[Cohort], list[Column]]
    # (cohort, enrolments) -> {enrolment id: {column key: Cell}}; missing cells show EMPTY.
    load: Callable[[Cohort, list[Enrollment]], dict[int, dict[str, Cell]]]
    position: int = 50  # groups show left to right by position: the course's order of work


_GROUPS: dict[str, ColumnGroup] = {}


def register_columns(group: ColumnGroup) -> ColumnGroup:
    _GROUPS[group.name] = group
    return group


@dataclass
class Row:
    enrollment: Enrollment
    cells: dict[str, Cell] = field(default_factory=dict)

    def cell(self, key: str) -> Cell:
        return self.cells.get(key, EMPTY)


@dataclass
class Gradebook:
    cohort: Cohort
    columns: list[Column]
    rows: list[Row]
    sort: str
    descending: bool


def gradebook(cohort: Cohort, sort: str = "", descending: bool = False) -> Gradebook:
    """Every learner of the cohort with every registered column, sorted by `sort`."""
    places = services.cohort_learners(cohort)  # sorted by name
    columns: list[Column] = []
    rows = {e.id: Row(e) for e in places}
    for group in sorted(_GROUPS.values(), key=lambda g: g.position):
        columns += group.columns(cohort)
        for enrollment_id, cells in group.load(cohort, places).items():
            rows[enrollment_id].cells.update(cells)
    keys = {c.key for c in columns}
    if sort not in keys:
        sort, descending = "learner", False
    ordered = list(rows.values())
    present = [r for r in ordered if r.cell(sort).sort is not None]
    absent = [r for r in ordered if r.cell(sort).sort is None]
    present.sort(key=lambda r: r.cell(sort).sort, reverse=descending)  # stable: by name after
    return Gradebook(cohort, columns, present + absent, sort, descending)


def as_table(book: Gradebook) -> tuple[list[str], list[list[str]]]:
    """The gradebook as a header and rows of text, for the CSV."""
    header = [c.heading for c in book.columns]
    return header, [[row.cell(c.key).text for c in book.columns] for row in book.rows]


# Seasons' own columns: who the learner is and how far they have got ----------------------


def _people_columns(cohort: Cohort) -> list[Column]:
    return [
        Column("learner", _("Learner")),
        Column("email", _("Email")),
        Column("institution", _("Institution")),
        Column("country", _("Country")),
        Column("progress", _("Progress")),
    ]


def _people_cells(cohort: Cohort, places: list[Enrollment]) -> dict[int, dict[str, Cell]]:
    language = reader_language()
    progress = enrollments.progress_of(places)
    cells = {}
    for e in places:
        done, required = progress[e.id]
        share = done / required if required else 0
        country = country_name(e.user.country_code, language)
        cells[e.id] = {
            "learner": Cell(e.user.full_name, collation_key(e.user.full_name)),
            "email": Cell(e.user.email, e.user.email),
            "institution": Cell(e.user.institution_label or "—", fold_or_none(e.user)),
            "country": Cell(country or "—", collation_key(country) if country else None),
            "progress": Cell(
                _(
                    "%(done)s of %(required)s (%(percent)s)",
                    done=done,
                    required=required,
                    percent=format_percent(share),
                ),
                share,
            ),
        }
    return cells


def fold_or_none(user) -> tuple | None:
    label = user.institution_label
    return collation_key(label) if label else None


register_columns(ColumnGroup("people", _people_columns, _people_cells, position=0))
