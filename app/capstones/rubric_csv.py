"""A capstone rubric as a CSV file, so tutors can edit it in a spreadsheet and reuse it.

The layout, for a course in Spanish and Portuguese::

    criterion_es,criterion_pt,criterion_description_es,criterion_description_pt,points,
        level_es,level_pt,level_description_es,level_description_pt
    Diagnóstico,Diagnóstico,Calidad del...,Qualidade do...,0,Insuficiente,Insuficiente,...
    ,,,,1,Inicial,Inicial,...
    ,,,,3,Adecuado,Adequado,...
    Integración,Integração,...,...,0,...
    pass_threshold,,,,12,,,,

- Four columns per language of the course (criterion, criterion_description, level,
  level_description) and one `points` column; every one of them is required, in any order,
  and a column the layout does not know is refused (a typo would otherwise lose its text).
- One row per level. The criterion's cells are filled on its first row and left empty on its
  other rows: a row with a criterion cell starts the next criterion. A spreadsheet that
  "fills down" and repeats them is accepted too (a row repeating exactly the criterion cells
  of the criterion above continues it), so sorting or copying rows does not break a file.
- The pass mark is one row whose first criterion cell is `pass_threshold`, with the number in
  the `points` column and nothing else; it is written last.
- Empty text cells are texts missing in that language. A criterion needs a title and a level
  a description, in at least one language; points are whole numbers from 0.
- UTF-8, with a byte order mark written (so spreadsheets detect it) and accepted; comma or
  semicolon separated (the header row decides). A cell starting with = + - @ or a tab is
  written with a leading apostrophe, so a spreadsheet shows it as text instead of running it
  as a formula, and the apostrophe is taken off again on import.

`import_rubric` checks the whole file and raises RubricCsvError with every problem found,
each with its line, or returns the rubric exactly as a course package's import stores it
(`item.content["rubric"]`), validated by the package format's own Rubric model.
"""

import csv
import io
from dataclasses import dataclass
from typing import get_args

from flask_babel import lazy_gettext as _l
from pydantic import ValidationError

from app.capstones.item_kinds import Rubric, stored_rubric
from app.catalog.content.schema import Language
from app.core.refusals import Refusal

THRESHOLD_ROW = "pass_threshold"
POINTS = "points"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_BYTES = 1024 * 1024
MAX_ROWS = 1000
# Texts per language, in the order the header lists them.
CRITERION, CRITERION_DESCRIPTION = "criterion", "criterion_description"
LEVEL, LEVEL_DESCRIPTION = "level", "level_description"


@dataclass(frozen=True)
class Problem:
    line: int | None  # the file's line (the header is line 1); None: the file as a whole
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return str(self.message)
        return str(_l("Line %(line)s: %(problem)s", line=self.line, problem=self.message))


class RubricCsvError(Refusal):
    """The file is not a usable rubric; `problems` says every reason, with its line."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def languages_of(rubric: dict, course_languages: list[str]) -> list[str]:
    """The languages a rubric's file carries: the course's, then any other its texts are
    written in (a course lists only its lessons' languages; a title may have more), so a
    round trip through the file loses no text."""
    written = {
        language
        for criterion in rubric.get("criteria", [])
        for texts in (
            criterion.get("title"),
            criterion.get("description"),
            *(
                level.get(key)
                for level in criterion.get("levels", [])
                for key in ("title", "description")
            ),
        )
        for language in (texts or {})
    }
    extra = [language for language in get_args(Language) if language in written]
    return list(course_languages) + [code for code in extra if code not in course_languages]


def columns(languages: list[str]) -> list[str]:
    """The header row for a course in these languages."""
    return (
        [f"{CRITERION}_{lang}" for lang in languages]
        + [f"{CRITERION_DESCRIPTION}_{lang}" for lang in languages]
        + [POINTS]
        + [f"{LEVEL}_{lang}" for lang in languages]
        + [f"{LEVEL_DESCRIPTION}_{lang}" for lang in languages]
    )


# Export ------------------------------------------------------------------------------


def _cell(text) -> str:
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def _texts(prefix: str, texts: dict | None, languages: list[str]) -> dict[str, str]:
    texts = texts or {}
    return {f"{prefix}_{lang}": _cell(texts.get(lang)) for lang in languages}


def export_rubric(rubric: dict, languages: list[str]) -> str:
    """The rubric as CSV text (byte order mark first), in the course's languages."""
    header = columns(languages)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    for criterion in rubric["criteria"]:
        first = {
            **_texts(CRITERION, criterion.get("title"), languages),
            **_texts(CRITERION_DESCRIPTION, criterion.get("description"), languages),
        }
        for position, level in enumerate(criterion["levels"]):
            row = dict.fromkeys(header, "")
            if position == 0:
                row.update(first)
            row[POINTS] = str(level["points"])
            row.update(_texts(LEVEL, level.get("title"), languages))
            row.update(_texts(LEVEL_DESCRIPTION, level.get("description"), languages))
            writer.writerow(row)
    last = dict.fromkeys(header, "")
    last[header[0]] = THRESHOLD_ROW
    last[POINTS] = str(rubric["pass_threshold"])
    writer.writerow(last)
    return out.getvalue()


# Import ------------------------------------------------------------------------------


def _uncell(text: str) -> str:
    text = text.strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RubricCsvError(
            [Problem(None, _l("The file is larger than %(kb)s KB.", kb=MAX_BYTES // 1024))]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RubricCsvError(
            [
                Problem(
                    None,
                    _l("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."),
                )
            ]
        ) from None
    if "\x00" in text:
        raise RubricCsvError([Problem(None, _l("The file is not a CSV text file."))])
    if not text.strip():
        raise RubricCsvError([Problem(None, _l("The file is empty."))])
    return text


@dataclass
class _Row:
    line: int
    cells: dict[str, str]


def _rows(text: str, languages: list[str]) -> list[_Row]:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = None
        rows, line = [], 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                if not any(c.strip() for c in cells):
                    continue
                header, header_line = [c.strip().lower() for c in cells], start
                continue
            if len(rows) >= MAX_ROWS:
                raise RubricCsvError(
                    [Problem(start, _l("A rubric has at most %(max)s rows.", max=MAX_ROWS))]
                )
            rows.append((start, cells))
    except csv.Error as error:
        raise RubricCsvError(
            [Problem(reader.line_num, _l("The CSV is malformed: %(error)s", error=str(error)))]
        ) from None
    if header is None:
        raise RubricCsvError([Problem(None, _l("The file is empty."))])
    expected = columns(languages)
    problems = []
    missing = [c for c in expected if c not in header]
    if missing:
        problems.append(
            Problem(
                header_line,
                _l("Missing columns: %(columns)s.", columns=", ".join(missing)),
            )
        )
    unknown = [c for c in header if c and c not in expected]
    if unknown:
        problems.append(
            Problem(
                header_line,
                _l(
                    "Unknown columns: %(columns)s. The columns are: %(expected)s.",
                    columns=", ".join(unknown),
                    expected=", ".join(expected),
                ),
            )
        )
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        problems.append(
            Problem(header_line, _l("Repeated columns: %(columns)s.", columns=", ".join(repeated)))
        )
    if problems:
        raise RubricCsvError(problems)
    result = []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # blank rows, such as those a spreadsheet leaves at the end
        extra = cells[len(header) :]
        if any(c.strip() for c in extra):
            problems.append(Problem(line, _l("This row has more cells than the header.")))
        values = {
            name: _uncell(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)
        }
        result.append(_Row(line, values))
    if problems:
        raise RubricCsvError(problems)
    return result


def _gather(cells: dict[str, str], prefix: str, languages: list[str]) -> dict[str, str]:
    return {lang: cells[f"{prefix}_{lang}"] for lang in languages if cells[f"{prefix}_{lang}"]}


def _points(row: _Row, problems: list[Problem]) -> int | None:
    raw = row.cells[POINTS]
    if not raw:
        problems.append(Problem(row.line, _l("The points are missing.")))
        return None
    try:
        value = int(raw)
    except ValueError:
        problems.append(
            Problem(row.line, _l("“%(value)s” is not a whole number of points.", value=raw[:40]))
        )
        return None
    if value < 0:
        problems.append(Problem(row.line, _l("Points cannot be negative.")))
        return None
    if value > 1_000_000:
        problems.append(Problem(row.line, _l("The points are too high.")))
        return None
    return value


def import_rubric(data: bytes, languages: list[str]) -> dict:
    """The rubric in `data` (CSV bytes), as item.content["rubric"]; RubricCsvError if unusable."""
    languages = list(languages)
    rows = _rows(_decode(data), languages)
    problems: list[Problem] = []
    criteria: list[dict] = []
    criterion_lines: list[int] = []
    level_lines: list[list[int]] = []
    threshold, threshold_line = None, None
    criterion_columns = [f"{CRITERION}_{lang}" for lang in languages]
    for row in rows:
        cells = row.cells
        marks = [name for name in criterion_columns if cells[name].lower() == THRESHOLD_ROW]
        if marks:
            others = [
                name for name, value in cells.items() if value and name not in (*marks, POINTS)
            ]
            if threshold_line is not None:
                problems.append(
                    Problem(
                        row.line,
                        _l(
                            "The pass threshold is given twice (also on line %(line)s).",
                            line=threshold_line,
                        ),
                    )
                )
            elif others:
                problems.append(
                    Problem(row.line, _l("The pass_threshold row has only its points filled in."))
                )
            threshold_line = row.line
            threshold = _points(row, problems)
            continue
        title = _gather(cells, CRITERION, languages)
        description = _gather(cells, CRITERION_DESCRIPTION, languages)
        level = {
            "points": _points(row, problems),
            "title": _gather(cells, LEVEL, languages),
            "description": _gather(cells, LEVEL_DESCRIPTION, languages),
        }
        starts = bool(title or description)
        if starts and criteria:
            current = criteria[-1]
            if current["title"] == title and current["description"] == description:
                starts = False  # the criterion's cells filled down: the same criterion
        if starts:
            if not title:
                problems.append(Problem(row.line, _l("The criterion has no title.")))
            criteria.append({"title": title, "description": description, "levels": []})
            criterion_lines.append(row.line)
            level_lines.append([])
        elif not criteria:
            problems.append(
                Problem(row.line, _l("A level comes before any criterion: give its title."))
            )
            continue
        if not level["description"]:
            problems.append(Problem(row.line, _l("The level has no description.")))
        criteria[-1]["levels"].append(level)
        level_lines[-1].append(row.line)
    last_line = rows[-1].line if rows else 2
    if threshold_line is None:
        problems.append(
            Problem(
                None,
                _l(
                    "The pass mark is missing: add a last row with “pass_threshold” in the "
                    "first column and the points needed to pass in the points column."
                ),
            )
        )
    if not criteria:
        problems.append(Problem(None, _l("The rubric has no criterion.")))
    for criterion, line in zip(criteria, criterion_lines, strict=True):
        if len(criterion["levels"]) < 2:
            problems.append(Problem(line, _l("A criterion needs at least two levels.")))
    if not problems:
        best = sum(max(level["points"] for level in c["levels"]) for c in criteria)
        if threshold > best:
            problems.append(
                Problem(
                    threshold_line,
                    _l(
                        "The pass threshold %(threshold)s cannot be reached: the best levels "
                        "add up to %(best)s points.",
                        threshold=threshold,
                        best=best,
                    ),
                )
            )
    if problems:
        raise RubricCsvError(sorted(problems, key=lambda p: p.line or 0))
    rubric = {"pass_threshold": threshold, "criteria": criteria}
    try:
        checked = Rubric.model_validate(rubric)
    except ValidationError as error:
        raise RubricCsvError(
            [
                _schema_problem(e, criterion_lines, level_lines, threshold_line or last_line)
                for e in error.errors()
            ]
        ) from None
    return _stored(checked)


def _schema_problem(error: dict, criterion_lines, level_lines, threshold_line) -> Problem:
    """A pydantic error of the package format, placed on the file's line."""
    where = error["loc"]
    if where and where[0] == "criteria" and len(where) > 1 and isinstance(where[1], int):
        index = where[1]
        if len(where) > 3 and where[2] == "levels" and isinstance(where[3], int):
            return Problem(level_lines[index][where[3]], error["msg"])
        return Problem(criterion_lines[index], error["msg"])
    return Problem(threshold_line, error["msg"])


def _stored(rubric: Rubric) -> dict:
    """The validated rubric in the shape a package import stores (app.capstones.item_kinds)."""
    return stored_rubric(rubric, lambda value: dict(value or {}))
