"""Administrators enrol people in a cohort or a self-paced course: one by one or from a CSV
file. People without an account get one, with an emailed invitation to choose a password."""

from flask import current_app, render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from app.accounts.forms import country_select_choices
from app.catalog.models import CourseKind
from app.core.auth import admin_blueprint
from app.core.formats import filesize
from app.core.forms import PlainName, strip_filter
from app.core.i18n import LANGUAGE_NAMES, is_country, localise
from app.extensions import db
from app.seasons import roster_import
from app.seasons.models import Cohort, Offering
from app.seasons.queries import load_cohort_or_404, load_offering_or_404

bp = admin_blueprint("enrollment_admin", __name__, template_folder="templates", url_prefix="/admin")


class EnrollPersonForm(FlaskForm):
    """One person; name, institution and country only matter for an email with no account."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Length(max=roster_import.EMAIL_MAX),
            Email(message=_l("Enter a valid email address.")),
        ],
        filters=[strip_filter],
    )
    full_name = StringField(
        _l("Full name"),
        validators=[Length(max=roster_import.NAME_MAX), PlainName()],
        filters=[strip_filter],
        description=_l("Needed only if this email has no account yet. As on certificates."),
    )
    institution = StringField(
        _l("Institution"),
        validators=[Length(max=roster_import.INSTITUTION_MAX), PlainName()],
        filters=[strip_filter],
        description=_l(
            "Needed only if this email has no account yet. The acronym or name of a member "
            "institution (such as SENA), or the name of any other."
        ),
    )
    country = SelectField(
        _l("Country"),
        validate_choice=False,
        description=_l("Needed only if this email has no account yet."),
    )
    language = SelectField(
        _l("Language of the new account"),
        choices=[("", _l("The language of their country"))] + list(LANGUAGE_NAMES.items()),
        default="",
        description=_l("Pages and mails are in this language; the person can change it."),
    )
    submit = SubmitField(_l("Enrol this person"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices()

    def validate_country(self, field):
        if field.data and not is_country(field.data):
            raise ValidationError(_l("Choose a country from the list."))


class RosterUploadForm(FlaskForm):
    """A CSV file of people; its size is bounded by the app's MAX_CONTENT_LENGTH."""

    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file."))],
        render_kw={"accept": ".csv,text/csv"},
    )
    skip_bad = BooleanField(_l("Skip bad rows: enrol the people in the good rows anyway"))
    submit = SubmitField(_l("Enrol the people in the file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file.description = _(
            "UTF-8 text, columns separated by commas or semicolons, at most %(max)s people "
            "and %(size)s.",
            max=format_decimal(roster_import.MAX_ROWS),
            size=filesize(current_app.config["MAX_CONTENT_LENGTH"]),
        )


# The one-person form's fields, by the column a problem is about.
PERSON_FIELDS = {
    "email": "email",
    "name": "full_name",
    "institution": "institution",
    "country": "country",
    "language": "language",
}


@bp.route("/cohorts/<int:cohort_id>/enrol", methods=["GET", "POST"])
def enroll_cohort(cohort_id):
    cohort = load_cohort_or_404(cohort_id)
    return _enroll_page(cohort.offering, cohort)


@bp.route("/offerings/<int:offering_id>/enrol", methods=["GET", "POST"])
def enroll_offering(offering_id):
    offering = load_offering_or_404(offering_id)
    if offering.course.kind == CourseKind.TUTOR_LED:
        # People join a tutor-led course in a cohort: let the administrator pick one.
        return render_template(
            "seasons/enroll/choose_cohort.html", offering=offering, title=_title(offering)
        )
    return _enroll_page(offering, None)


def _title(offering: Offering):
    return localise(offering.course.title, offering.course.language)


def _enroll_page(offering: Offering, cohort: Cohort | None):
    person = EnrollPersonForm(prefix="person")
    roster = RosterUploadForm(prefix="roster")
    report, sent = None, None
    # Two forms on one page: only the one whose button was pressed is read.
    if person.submit.data and person.validate_on_submit():
        sent = "person"
        row = roster_import.PersonRow(
            line=1,
            email=person.email.data,
            name=person.full_name.data or "",
            institution=person.institution.data or "",
            country=person.country.data or "",
            language=person.language.data or "",
        )
        report = roster_import.enroll_person(offering, cohort, row, actor=current_user)
        for problem in report.row_problems:
            target = getattr(person, PERSON_FIELDS.get(problem.column, ""), None)
            (target.errors if target is not None else person.form_errors).append(problem.message)
        person.form_errors.extend(report.file_problems)
        if report.applied or report.already:
            person = EnrollPersonForm(prefix="person", formdata=None)
    elif roster.submit.data and roster.validate_on_submit():
        sent = "roster"
        # Werkzeug has already refused a body over MAX_CONTENT_LENGTH (413).
        data = roster.file.data.read()
        report = roster_import.import_roster(
            offering, cohort, data, skip_bad=roster.skip_bad.data, actor=current_user
        )
    if report is not None and cohort is not None:
        db.session.refresh(cohort)  # the seat count after the import
    return render_template(
        "seasons/enroll/enroll.html",
        offering=offering,
        cohort=cohort,
        title=_title(offering),
        person_form=person,
        roster_form=roster,
        report=report,
        sent=sent,
        max_rows=roster_import.MAX_ROWS,
    )
