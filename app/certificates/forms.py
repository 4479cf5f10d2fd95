"""Forms of the certificate pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import strip_filter
from app.core.i18n import LANGUAGE_NAMES


class CodeForm(FlaskForm):
    """Type a code from a printed certificate (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(_l("Type the code printed on the certificate.")), Length(max=80)],
        filters=[strip_filter],
        description=_l("As printed under the QR code, for example K7QM-3XTR-9B2F-…"),
    )


class CheckFileForm(FlaskForm):
    """Upload a PDF to learn whether it is byte for byte the file issued."""

    pdf = FileField(
        _l("Certificate PDF"),
        validators=[FileRequired(_l("Choose the PDF file to check."))],
        description=_l("The file is compared and forgotten: it is not kept."),
    )


class LanguageChoiceForm(FlaskForm):
    """The learner chooses the certificate's language."""

    language = SelectField(_l("Language of the certificate"), choices=list(LANGUAGE_NAMES.items()))


class ReasonForm(FlaskForm):
    """Revoke or restore: the reason goes into the certificate's history."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason.")), Length(min=3, max=1000)],
        filters=[strip_filter],
        description=_l("Kept in the certificate's history with your name and the date."),
    )


class BulkIssueForm(FlaskForm):
    """Issue the certificates of a season, or of one cohort of it (cohort_id)."""

    cohort_id = HiddenField(validators=[Length(max=12)])

    again = BooleanField(
        _l(
            "Also re-issue existing certificates (a new PDF with today's design, signatories "
            "and partners; the name, course and dates stay as issued)"
        )
    )


class NameCorrectionForm(FlaskForm):
    """The holder asks for the name on the certificate to be corrected."""

    name = StringField(
        _l("Name as it should be printed"),
        validators=[DataRequired(_l("Type the name as it should be printed.")), Length(max=120)],
        filters=[strip_filter],
    )
    explanation = TextAreaField(
        _l("Why (optional)"),
        validators=[Length(max=1000)],
        filters=[strip_filter],
        description=_l("For example: a typing mistake, or the name on your identity document."),
    )


class NameDecisionForm(FlaskForm):
    """An administrator approves or refuses a name correction, with the reason."""

    decision = SelectField(
        _l("Decision"),
        choices=[("approve", _l("Approve: print the new name")), ("refuse", _l("Refuse"))],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason.")), Length(min=3, max=1000)],
        filters=[strip_filter],
        description=_l("Kept in the certificate's history and sent to the holder."),
    )


class SignatoryForm(FlaskForm):
    """A signatory of a course's or a season's certificates."""

    course_id = SelectField(_l("Course"), coerce=str, validate_choice=False)
    season_id = SelectField(_l("Season"), coerce=str, validate_choice=False)
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the name.")), Length(max=120)],
        filters=[strip_filter],
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the title.")), Length(max=200)],
        filters=[strip_filter],
        description=_l("For example: Director"),
    )
    signature = FileField(
        _l("Signature (picture)"),
        validators=[FileRequired(_l("Choose the picture of the signature."))],
        description=_l("PNG, JPEG, WebP or GIF, up to 2 MB; a transparent PNG prints best."),
    )


class PartnerForm(FlaskForm):
    """A partner institution of a course, with its logo."""

    course_id = SelectField(_l("Course"), coerce=str, validate_choice=False)
    name = StringField(
        _l("Institution"),
        validators=[DataRequired(_l("Give the name.")), Length(max=200)],
        filters=[strip_filter],
    )
    logo = FileField(
        _l("Logo (picture)"),
        validators=[FileRequired(_l("Choose the logo."))],
        description=_l("PNG, JPEG, WebP or GIF, up to 2 MB."),
    )
