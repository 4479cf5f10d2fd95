"""Forms of the administrators' seasons pages: seasons, copies, offerings' windows, cohorts.

The forms check what a field can say on its own (a date, a whole number, a choice from the
list, one date after another); the services check the rules and change the rows.
"""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.models import User
from app.catalog.models import Course, CourseKind
from app.core.forms import strip_filter
from app.core.i18n import LANGUAGE_NAMES, localise
from app.seasons.models import Season
from app.seasons.services import NAME_MAX, SEATS_MAX, CohortPlan

# Calendar days an administrator may type. Wider ranges are typing mistakes, and years far
# away would overflow date arithmetic when a season is copied with its dates moved.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
SHIFT_MAX = 3650


class DayField(DateField):
    """A calendar day as `<input type=date>`: empty is None, a bad value one clear error."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(
            label,
            validators,
            invalid_value_message=_l("Enter a date as year-month-day, such as 2021-03-01."),
            **kwargs,
        )

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None  # left empty: the validators decide whether it is needed
            return
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_DAY <= self.data <= LAST_DAY:
            self.data = None
            raise ValueError(_l("Enter a date between the years 2000 and 2100."))

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the parse error says it all


class WholeNumberField(IntegerField):
    """An integer whose parse error is the range message, so every bad value reads the same."""

    def __init__(self, label=None, validators=None, *, minimum, maximum, message, **kwargs):
        super().__init__(
            label,
            [NumberRange(minimum, maximum, message=message), *(validators or [])],
            invalid_value_message=message,
            render_kw={"min": minimum, "max": maximum, "step": 1},
            **kwargs,
        )

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NotBefore:
    """The field's day does not come before another field's day (the error goes on the later)."""

    def __init__(self, other: str, message):
        self.other, self.message = other, message

    def __call__(self, form, field):
        first = form[self.other].data
        if first is not None and field.data is not None and field.data < first:
            raise ValidationError(self.message)


def _name_field(label, missing):
    return StringField(
        label,
        validators=[
            DataRequired(message=missing),
            Length(max=NAME_MAX, message=_l("Use at most %(max)s characters.", max=NAME_MAX)),
        ],
        filters=[strip_filter],
        render_kw={"maxlength": NAME_MAX},
    )


def _shown_name_field(label):
    return StringField(
        label,
        validators=[
            Optional(),
            Length(max=NAME_MAX, message=_l("Use at most %(max)s characters.", max=NAME_MAX)),
        ],
        filters=[strip_filter],
        description=_l("What learners reading this language see; blank: the name above."),
        render_kw={"maxlength": NAME_MAX},
    )


class SeasonNamesMixin:
    """The season's name as learners see it in Spanish, Portuguese and English."""

    name_es = _shown_name_field(_l("Name in Spanish"))
    name_pt = _shown_name_field(_l("Name in Portuguese"))
    name_en = _shown_name_field(_l("Name in English"))

    @property
    def names(self) -> dict[str, str | None]:
        return {language: self[f"name_{language}"].data for language in Season.NAME_LANGUAGES}


def course_label(course: Course) -> str:
    """A course in a list: its title in the reader's language and its kind."""
    title = localise(course.title, course.language)
    if course.kind == CourseKind.TUTOR_LED:
        return _("%(title)s (tutor-led)", title=title)
    return _("%(title)s (self-paced)", title=title)


# Seasons ------------------------------------------------------------------------------


class SeasonForm(SeasonNamesMixin, FlaskForm):
    name = _name_field(_l("Name"), _l("Enter the season's name."))
    starts_on = DayField(_l("First day"), [DataRequired(message=_l("Enter the first day."))])
    ends_on = DayField(
        _l("Last day"),
        [
            DataRequired(message=_l("Enter the last day.")),
            NotBefore("starts_on", _l("The last day comes before the first day.")),
        ],
    )
    submit = SubmitField(_l("Save the season"))


class CopySeasonForm(SeasonNamesMixin, FlaskForm):
    source = SelectField(_l("Copy the season"), validate_choice=False)
    name = _name_field(_l("Name of the new season"), _l("Enter the new season's name."))
    shift_days = WholeNumberField(
        _l("Move the dates by (days)"),
        minimum=-SHIFT_MAX,
        maximum=SHIFT_MAX,
        message=_l(
            "Enter a whole number of days from %(min)s to %(max)s.",
            min=-SHIFT_MAX,
            max=SHIFT_MAX,
        ),
        default=364,
        description=_l("364 days keep each date on the same weekday a year later."),
    )
    keep_tutors = BooleanField(_l("Keep the tutors of each cohort"), default=True)
    submit = SubmitField(_l("Copy the season"))

    def __init__(self, *args, seasons: list[Season], **kwargs):
        super().__init__(*args, **kwargs)
        self._seasons = {str(s.id): s for s in seasons}
        self.source.choices = [("", _l("Choose a season"))] + [
            (key, s.name) for key, s in self._seasons.items()
        ]

    def validate_source(self, field):
        if field.data not in self._seasons:
            raise ValidationError(_l("Choose a season from the list."))

    @property
    def source_season(self) -> Season:
        return self._seasons[self.source.data]


# Offerings ----------------------------------------------------------------------------


class WindowForm(FlaskForm):
    """A self-paced course's enrolment window; empty days mean the season's."""

    enroll_opens_on = DayField(_l("Enrolment opens"), [Optional()])
    enroll_closes_on = DayField(
        _l("Enrolment closes"),
        [Optional(), NotBefore("enroll_opens_on", _l("Enrolment closes before it opens."))],
    )
    submit = SubmitField(_l("Save the window"))


class OfferingForm(WindowForm):
    course = SelectField(_l("Course"), validate_choice=False)
    submit = SubmitField(_l("Add the course"))

    def __init__(self, *args, courses: list[Course], **kwargs):
        super().__init__(*args, **kwargs)
        self._courses = {str(c.id): c for c in courses}
        self.course.choices = [("", _l("Choose a course"))] + [
            (key, course_label(c)) for key, c in self._courses.items()
        ]
        self.enroll_opens_on.description = _l("Self-paced courses only. Empty: the season's dates.")

    def validate_course(self, field):
        if field.data not in self._courses:
            raise ValidationError(_l("Choose a course from the list."))

    @property
    def chosen_course(self) -> Course:
        return self._courses[self.course.data]


# Cohorts ------------------------------------------------------------------------------


class CohortForm(FlaskForm):
    name = _name_field(_l("Name"), _l("Enter the cohort's name."))
    starts_on = DayField(_l("First day"), [DataRequired(message=_l("Enter the first day."))])
    ends_on = DayField(
        _l("Last day"),
        [
            DataRequired(message=_l("Enter the last day.")),
            NotBefore("starts_on", _l("The last day comes before the first day.")),
        ],
    )
    enroll_opens_on = DayField(
        _l("Enrolment opens"), [DataRequired(message=_l("Enter the day enrolment opens."))]
    )
    enroll_closes_on = DayField(
        _l("Enrolment closes"),
        [
            DataRequired(message=_l("Enter the day enrolment closes.")),
            NotBefore("enroll_opens_on", _l("Enrolment closes before it opens.")),
        ],
    )
    seats = WholeNumberField(
        _l("Seats"),
        minimum=1,
        maximum=SEATS_MAX,
        message=_l("Enter a whole number of seats from 1 to %(max)s.", max=SEATS_MAX),
    )
    language = SelectField(_l("Language of instruction"), validate_choice=False)
    capstone_due_on = DayField(
        _l("Capstone deadline"),
        [Optional()],
        description=_l(
            "Optional. Projects sent after this day are accepted and marked late; learners "
            "who have sent nothing get a reminder a few days before."
        ),
    )
    capstone_cutoff_on = DayField(
        _l("Capstone cut-off"),
        [
            Optional(),
            NotBefore("capstone_due_on", _l("The capstone cut-off comes before its deadline.")),
        ],
        description=_l("Optional. No project is accepted after this day. Empty: no cut-off."),
    )
    tutors = CheckboxesField(_l("Tutors"), validate_choice=False)
    submit = SubmitField(_l("Save the cohort"))

    def __init__(self, *args, course: Course, tutors: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self._languages = list(course.languages)
        self.language.choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in self._languages]
        self._tutors = {str(t.id): t for t in tutors}
        self.tutors.choices = [
            (key, f"{t.full_name} ({t.email})") for key, t in self._tutors.items()
        ]
        if not tutors:
            self.tutors.description = _l("Nobody has the tutor role yet.")

    def validate_language(self, field):
        if field.data not in self._languages:
            raise ValidationError(_l("Choose one of the course's languages."))

    def validate_tutors(self, field):
        if any(key not in self._tutors for key in field.data or []):
            raise ValidationError(_l("Only people with the tutor role can lead a cohort."))

    def plan(self) -> CohortPlan:
        """What the form says, for services.add_cohort / update_cohort."""
        return CohortPlan(
            name=self.name.data,
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            enroll_opens_on=self.enroll_opens_on.data,
            enroll_closes_on=self.enroll_closes_on.data,
            seats=self.seats.data,
            language=self.language.data,
            tutors=[self._tutors[key] for key in dict.fromkeys(self.tutors.data or [])],
            capstone_due_on=self.capstone_due_on.data,
            capstone_cutoff_on=self.capstone_cutoff_on.data,
        )
