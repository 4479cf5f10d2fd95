"""Administrators enrol people in a course one by one or from a CSV file (email, name,
institution, country), creating invited accounts for those who have none.

Every row is checked before anything changes. While any row is bad nothing is created,
enrolled or mailed, unless the administrator asked to skip bad rows; a problem with the file
itself (encoding, columns, size, seats) always stops everything.
"""

import csv
import io
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.validators import ValidationError

from app.accounts import services as accounts
from app.accounts.models import Institution, User
from app.accounts.services import external_url
from app.core.forms import PlainName
from app.core.i18n import _country_names, fold, is_country, language_of_country
from app.core.mail import send_template_mail
from app.extensions import db
from app.seasons import services as seasons
from app.seasons.models import Cohort, Enrollment, Offering, SeasonState

MAX_ROWS = 5_000
NAME_MAX = 120  # the account's full_name column
INSTITUTION_MAX = 200
EMAIL_MAX = 254
COLUMNS = ("email", "name", "institution", "country")

# Header names accepted for each column, folded (see fold): English, Spanish, Portuguese.
HEADER_ALIASES = {
    "email": "email",
    "mail": "email",
    "correo": "email",
    "correoelectronico": "email",
    "name": "name",
    "fullname": "name",
    "nombre": "name",
    "nombrecompleto": "name",
    "nome": "name",
    "nomecompleto": "name",
    "institution": "institution",
    "institucion": "institution",
    "instituicao": "institution",
    "country": "country",
    "pais": "country",
    "language": "language",
    "idioma": "language",
    "lengua": "language",
    "lingua": "language",
}
# An optional column: a new account's language (else the language of the person's country).
OPTIONAL_COLUMNS = ("language",)
# Language values accepted, folded: codes and names in English, Spanish and Portuguese.
LANGUAGE_VALUES = {
    "es": "es", "spanish": "es", "espanol": "es", "castellano": "es", "espanhol": "es",
    "pt": "pt", "portuguese": "pt", "portugues": "pt",
    "en": "en", "english": "en", "ingles": "en",
}  # fmt: skip

SAVE_AS_UTF8 = _l(
    "Save it from your spreadsheet as “CSV UTF-8” (comma or semicolon separated) and upload "
    "it again."
)


@dataclass
class PersonRow:
    """One person as the file (or the one-person form) gives them, values trimmed."""

    line: int
    email: str
    name: str
    institution: str
    country: str
    language: str = ""
    extra_values: bool = False  # the line had more values than the header has columns


@dataclass
class RowProblem:
    line: int
    message: str
    column: str | None = None  # one of COLUMNS, when the problem is about one value


@dataclass
class ImportReport:
    file_problems: list[str] = field(default_factory=list)
    row_problems: list[RowProblem] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)  # existing accounts newly enrolled
    invited: list[str] = field(default_factory=list)  # new accounts created and invited
    already: list[str] = field(default_factory=list)  # already had this place
    applied: bool = False  # False when nothing was changed

    @property
    def has_problems(self) -> bool:
        return bool(self.file_problems or self.row_problems)


# Reading the file ---------------------------------------------------------------------


def _header_key(value: str) -> str:
    return "".join(c for c in fold(value) if c.isalnum())


def _show(value: str, limit: int = 60) -> str:
    """A value quoted back in a message, cut short."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """The file's text, or a problem saying it is not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return None, _(
            "The file is not UTF-8 text (it looks like UTF-16 or a binary file such as a "
            "spreadsheet). %(how)s",
            how=SAVE_AS_UTF8,
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, _(
            "The file is not UTF-8 text: line %(line)s has a character in another encoding "
            "(such as Latin-1 or Windows-1252). %(how)s",
            line=line,
            how=SAVE_AS_UTF8,
        )


def _delimiter(text: str) -> str:
    """Comma or semicolon (spreadsheets in Spain and Latin America export with ';')."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_header(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    """{column: index} from the header row, and the problems with it."""
    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for index, cell in enumerate(cells):
        if not cell.strip():
            continue  # spreadsheets add empty columns at the end
        column = HEADER_ALIASES.get(_header_key(cell))
        if column is None:
            unknown.append(f"“{_show(cell.strip(), 40)}”")
        elif column in positions:
            repeated.append(f"“{column}”")
        else:
            positions[column] = index
    problems = []
    missing = [c for c in COLUMNS if c not in positions]
    if missing:
        problems.append(
            _("Missing columns: %(columns)s.", columns=", ".join(f"“{c}”" for c in missing))
        )
    if unknown:
        problems.append(_("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
    if repeated:
        problems.append(_("Columns given twice: %(columns)s.", columns=", ".join(repeated)))
    if problems:
        problems.append(
            _(
                "The first line must name the columns email, name, institution and country, "
                "in any order (and, if you wish, language)."
            )
        )
    return positions, problems


def read_roster(data: bytes) -> tuple[list[PersonRow], list[str]]:
    """The people in a CSV file, and the problems with the file as a whole."""
    text, problem = _decode(data)
    if problem:
        return [], [problem]
    if not text.strip():
        return [], [_("The file is empty.")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    rows: list[PersonRow] = []
    positions = None
    next_line = 1
    try:
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if positions is None:
                positions, problems = _read_header(cells)
                width = len(cells)
                if problems:
                    return [], problems
                continue
            if len(rows) == MAX_ROWS:
                return [], [
                    _(
                        "The file has more than %(max)s people. Split it into smaller files.",
                        max=format_decimal(MAX_ROWS),
                    )
                ]
            values = {
                column: cells[index].strip() if index < len(cells) else ""
                for column, index in positions.items()
            }
            rows.append(
                PersonRow(
                    line=line,
                    **values,
                    extra_values=any(cell.strip() for cell in cells[width:]),
                )
            )
    except csv.Error as error:
        return [], [_("Line %(line)s cannot be read: %(reason)s", line=next_line, reason=error)]
    if positions is None:
        return [], [_("The file is empty.")]
    if not rows:
        return [], [_("The file has a header line but nobody in it.")]
    return rows, []


# Checking the rows --------------------------------------------------------------------


@lru_cache(maxsize=1)
def _countries_by_name() -> dict[str, str]:
    """{folded country name in English, Spanish or Portuguese: code}."""
    names = {}
    for locale in ("en", "es", "pt"):
        for code, name in _country_names(locale).items():
            names.setdefault(fold(name), code)
    return names


def country_code(value: str) -> str | None:
    """The ISO code for a two-letter code or a country's name (en, es, pt), else None."""
    value = value.strip()
    if len(value) == 2 and is_country(value.upper()):
        return value.upper()
    return _countries_by_name().get(fold(value))


def _plain_name_problem(value: str) -> str | None:
    try:
        PlainName()(None, SimpleNamespace(data=value))
    except ValidationError as error:
        return str(error)
    return None


@dataclass
class _Place:
    """A good row: who gets the place (an account, or the details of a new one)."""

    row: PersonRow
    email: str
    user: User | None = None
    already: bool = False
    full_name: str = ""
    country_code: str = ""
    institution: Institution | None = None
    institution_other: str | None = None
    locale: str = ""


class _Checker:
    """Checks rows against each other, the accounts and the places already held."""

    def __init__(self, offering: Offering, cohort: Cohort | None, rows: list[PersonRow]):
        self.offering, self.cohort = offering, cohort
        self.first_line: dict[str, int] = {}
        emails = {_normal_email(r.email) for r in rows} - {None}
        self.users = _users_by_email(emails)
        self.places = _places_in_course(offering, [u.id for u in self.users.values()])
        self._institutions = None

    @property
    def institutions(self) -> list[Institution]:
        if self._institutions is None:
            self._institutions = accounts.active_institutions()
        return self._institutions

    def check(self, row: PersonRow) -> tuple[_Place | None, list[RowProblem]]:
        problems: list[RowProblem] = []

        def refuse(message, column=None):
            problems.append(RowProblem(row.line, str(message), column))

        if row.extra_values:
            refuse(
                _(
                    "This line has more values than the first line has columns. A value "
                    "containing a comma or a semicolon must be in double quotes."
                )
            )
        email = _normal_email(row.email)
        if not row.email:
            refuse(_("The email is missing."), "email")
        elif email is None:
            refuse(_("“%(value)s” is not a valid email address.", value=_show(row.email)), "email")
        elif email in self.first_line:
            refuse(_("Same email as line %(line)s.", line=self.first_line[email]), "email")
            email = None
        if email is None:
            return None, problems
        self.first_line[email] = row.line

        user = self.users.get(email)
        if user is not None:
            # An existing account is enrolled as it is; the other values are not used.
            place = self.places.get(user.id)
            if place is not None and place.cohort_id != (self.cohort.id if self.cohort else None):
                where = place.cohort.name if place.cohort else ""
                refuse(
                    _(
                        "%(email)s already has a place in cohort “%(cohort)s” of this course "
                        "this season.",
                        email=email,
                        cohort=where,
                    )
                    if where
                    else _("%(email)s already has a place in this course this season.", email=email)
                )
            if problems:
                return None, problems
            return _Place(row, email, user=user, already=place is not None), []

        if not row.name:
            refuse(_("The name is missing (it is needed for a new account)."), "name")
        elif len(row.name) > NAME_MAX:
            refuse(_("The name is longer than %(max)s characters.", max=NAME_MAX), "name")
        elif problem := _plain_name_problem(row.name):
            refuse(_("The name: %(problem)s", problem=problem), "name")
        code = country_code(row.country)
        if not row.country:
            refuse(_("The country is missing (it is needed for a new account)."), "country")
        elif code is None:
            refuse(
                _(
                    "Unknown country “%(value)s”: use a two-letter code such as UY, or the "
                    "country's name.",
                    value=_show(row.country),
                ),
                "country",
            )
        if not row.institution:
            refuse(_("The institution is missing (it is needed for a new account)."), "institution")
        elif len(row.institution) > INSTITUTION_MAX:
            refuse(
                _("The institution is longer than %(max)s characters.", max=INSTITUTION_MAX),
                "institution",
            )
        elif problem := _plain_name_problem(row.institution):
            refuse(_("The institution: %(problem)s", problem=problem), "institution")
        locale = LANGUAGE_VALUES.get(fold(row.language)) if row.language else None
        if row.language and locale is None:
            refuse(
                _(
                    "Unknown language “%(value)s”: use es, pt or en (or leave it empty for "
                    "the language of the person's country).",
                    value=_show(row.language),
                ),
                "language",
            )
        if problems:
            return None, problems
        institution = accounts.match_institution(row.institution, code, self.institutions)
        return _Place(
            row,
            email,
            full_name=row.name,
            country_code=code,
            institution=institution,
            institution_other=None if institution else row.institution,
            # Never the cohort's: a Brazilian in a Spanish cohort still reads Portuguese best.
            locale=locale or language_of_country(code),
        ), []


def _normal_email(value: str) -> str | None:
    """The address lower-cased, or None when it is not a valid one."""
    if not value or len(value) > EMAIL_MAX:
        return None
    try:
        address = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
    return address.lower()


def _users_by_email(emails: set[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    ordered = sorted(emails)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for user in db.session.scalars(select(User).where(User.email.in_(chunk))):
            found[user.email] = user
    return found


def _places_in_course(offering: Offering, user_ids: list[int]) -> dict[int, Enrollment]:
    """{user id: their place in this course this season} for the given people."""
    found: dict[int, Enrollment] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        for enrollment in db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.user_id.in_(chunk),
                Enrollment.course_id == offering.course_id,
                Enrollment.season_id == offering.season_id,
            )
            .options(joinedload(Enrollment.cohort))
        ):
            found[enrollment.user_id] = enrollment
    return found


def _target_problems(offering: Offering, cohort: Cohort | None) -> list[str]:
    """Problems with where the people would go, whatever the file says."""
    try:
        seasons._check_target(offering, cohort)
    except seasons.SeasonError as error:
        return [str(error)]
    if offering.season.state == SeasonState.CLOSED:
        return [_("Enrolment in this season is closed.")]
    return []


# Applying -----------------------------------------------------------------------------


def import_roster(offering, cohort, data: bytes, *, skip_bad: bool, actor) -> ImportReport:
    """Enrol the people of a CSV file in the offering (in `cohort` for a tutor-led course)."""
    rows, file_problems = read_roster(data)
    if file_problems:
        return ImportReport(file_problems=file_problems)
    return _enroll_rows(offering, cohort, rows, skip_bad=skip_bad, actor=actor)


def enroll_person(offering, cohort, row: PersonRow, *, actor) -> ImportReport:
    """Enrol one person, inviting them to a new account if the email has none."""
    return _enroll_rows(offering, cohort, [row], skip_bad=False, actor=actor)


def _enroll_rows(offering, cohort, rows, *, skip_bad: bool, actor) -> ImportReport:
    report = ImportReport(file_problems=_target_problems(offering, cohort))
    if report.file_problems:
        return report
    checker = _Checker(offering, cohort, rows)
    places = []
    for row in rows:
        place, problems = checker.check(row)
        report.row_problems.extend(problems)
        if place is not None:
            places.append(place)
    if cohort is not None:
        db.session.refresh(cohort)
        needed = sum(1 for p in places if not p.already)
        if needed > cohort.seats_left:
            report.file_problems.append(
                _(
                    "%(needed)s people would take a seat, but the cohort has only %(left)s "
                    "seats left. Nothing was changed.",
                    needed=needed,
                    left=cohort.seats_left,
                )
            )
    if report.file_problems or (report.row_problems and not skip_bad):
        return report
    return _apply(offering, cohort, places, report, actor)


def _apply(offering, cohort, places: list[_Place], report: ImportReport, actor) -> ImportReport:
    mails = []
    try:
        for place in places:
            if place.already:
                report.already.append(place.email)
                continue
            user = place.user
            if user is None:
                user = accounts.invite_user(
                    place.email,
                    place.full_name,
                    country_code=place.country_code,
                    locale=place.locale,
                    institution_id=place.institution.id if place.institution else None,
                    institution_other=place.institution_other,
                )
                report.invited.append(place.email)
            else:
                report.enrolled.append(place.email)
            seasons.enroll(user, offering, cohort, by_admin=True)
            mails.append(user)
    except seasons.SeasonError as error:
        # Someone else took seats or places while the rows were checked. Undo this import
        # entirely rather than half of it (in a request the refusal already has; from the
        # command line it has not).
        db.session.rollback()
        return ImportReport(
            file_problems=[
                _(
                    "Nothing was changed: %(reason)s The seats or places changed during the "
                    "import; check the cohort and try again.",
                    reason=str(error),
                )
            ],
            row_problems=report.row_problems,
        )
    # Mail only once every place is held, so a refused import mails nobody.
    for user in mails:
        _tell(user, offering, cohort, actor)
    report.applied = bool(report.enrolled or report.invited)
    return report


def _tell(user: User, offering: Offering, cohort: Cohort | None, actor) -> None:
    course = offering.course
    if accounts.invitation_pending(user):
        accounts.send_invitation(user, invited_by=actor, course=course, cohort=cohort)
        return
    send_template_mail(
        user.email,
        user.locale,
        "seasons/mail/enrolled",
        _l("You have a place in a course on Aula"),
        user=user,
        invited_by=actor,
        course=course,
        cohort=cohort,
        course_url=external_url("learning.course_home", course_slug=course.slug),
        reset_url=external_url("accounts.forgot_password"),
    )
