"""Forms of the accounts area."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from app.accounts import passwords
from app.accounts.models import Represents
from app.accounts.services import active_institutions
from app.core.forms import PlainName, strip_filter
from app.core.i18n import LANGUAGE_NAMES, country_choices, is_country, timezone_choices

OTHER_INSTITUTION = "other"

REPRESENTS_LABELS = {
    Represents.VTI: _l("A vocational training institution"),
    Represents.GOVERNMENT: _l("A government body (such as a labour ministry)"),
    Represents.EMPLOYERS: _l("An employers' organisation"),
    Represents.WORKERS: _l("A workers' organisation"),
    Represents.OTHER: _l("Other"),
}


def country_select_choices() -> dict:
    """Countries for a <select>: a prompt, the network's countries, then all others."""
    network, others = (group for _name, group in country_choices(str(get_locale())))
    return {
        None: [("", _l("Choose a country"))],
        str(_l("Countries of the network")): network,
        str(_l("Other countries")): others,
    }


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=passwords.MIN_LENGTH,
                max=passwords.MAX_LENGTH,
                message=_l("The password must have between 8 and 128 characters."),
            ),
        ],
        description=_l("At least 8 characters. A phrase of several words is easy to remember."),
    )


def _email_field():
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address.")),
        ],
        filters=[strip_filter],
    )


class ProfileFields(FlaskForm):
    """The fields a person gives about themselves, shared by registration and profile."""

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=120), PlainName()],
        filters=[strip_filter],
        description=_l("Exactly as it must appear on your certificates."),
    )
    country = SelectField(_l("Country"), validators=[DataRequired()], validate_choice=False)
    institution = SelectField(_l("Institution"), validators=[DataRequired()], validate_choice=False)
    # No Optional(): it would stop the chain before validate_institution_other runs.
    institution_other = StringField(
        _l("Institution, if not listed"),
        validators=[Length(max=200), PlainName()],
        filters=[strip_filter],
    )
    represents = RadioField(
        _l("You represent"),
        choices=[(member.value, label) for member, label in REPRESENTS_LABELS.items()],
        validators=[InputRequired(message=_l("Choose what you represent."))],
    )
    locale = SelectField(
        _l("Preferred language"),
        choices=list(LANGUAGE_NAMES.items()),
        validators=[DataRequired()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices()
        self._institutions = {str(i.id): i for i in active_institutions()}
        self.institution.choices = (
            [("", _l("Choose your institution"))]
            + [(key, i.label) for key, i in self._institutions.items()]
            + [(OTHER_INSTITUTION, _l("My institution is not listed"))]
        )

    def validate_country(self, field):
        if not is_country(field.data or ""):
            raise ValidationError(_l("Choose a country from the list."))

    def validate_institution(self, field):
        if field.data != OTHER_INSTITUTION and field.data not in self._institutions:
            raise ValidationError(_l("Choose an institution from the list."))

    def validate_institution_other(self, field):
        if self.institution.data == OTHER_INSTITUTION and not field.data:
            raise ValidationError(_l("Type the name of your institution."))

    @property
    def institution_id(self) -> int | None:
        data = self.institution.data
        return None if data == OTHER_INSTITUTION else int(data)

    def select_institution(self, institution_id: int | None) -> None:
        """Pre-select an institution (or 'not listed') for a profile being edited."""
        self.institution.data = str(institution_id) if institution_id else OTHER_INSTITUTION


class RegistrationForm(ProfileFields):
    email = _email_field()
    password = _password_field(_l("Password"))
    confirm_password = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    privacy_consent = BooleanField(
        _l("I have read the privacy notice and agree to what it says."),
        validators=[DataRequired(message=_l("Please accept the privacy notice to register."))],
    )
    submit = SubmitField(_l("Create my account"))


class ProfileForm(ProfileFields):
    timezone = SelectField(_l("Time zone"), choices=[], validators=[DataRequired()])
    submit = SubmitField(_l("Save my profile"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Set my new password"))


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=128)]
    )
    submit = SubmitField(_l("Change my password"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


# Administration ---------------------------------------------------------------------


class PersonActionForm(FlaskForm):
    """An administrator's action about a person: the reason goes into their history."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give the reason: it is kept in the person's history.")),
            Length(min=3, max=1000),
        ],
        filters=[strip_filter],
        description=_l("Kept in the person's history with your name and the date."),
    )


class RolesForm(FlaskForm):
    tutor = BooleanField(_l("Tutor"))
    admin = BooleanField(_l("Administrator"))
    submit = SubmitField(_l("Save roles"))


class InstitutionForm(FlaskForm):
    acronym = StringField(
        _l("Acronym"),
        validators=[DataRequired(), Length(max=40), PlainName()],
        filters=[strip_filter],
    )
    name_es = StringField(
        _l("Name in Spanish"),
        validators=[DataRequired(), Length(max=200), PlainName()],
        filters=[strip_filter],
    )
    name_pt = StringField(
        _l("Name in Portuguese"),
        validators=[DataRequired(), Length(max=200), PlainName()],
        filters=[strip_filter],
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[DataRequired(), Length(max=200), PlainName()],
        filters=[strip_filter],
        description=_l(
            "The institution's own official name in its own language, and the usual "
            "translation in the others."
        ),
    )
    country = SelectField(_l("Country"), validators=[DataRequired()], validate_choice=False)
    active = BooleanField(_l("Offered in the registration form"), default=True)
    submit = SubmitField(_l("Save institution"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices()

    def validate_country(self, field):
        if not is_country(field.data or ""):
            raise ValidationError(_l("Choose a country from the list."))


class SecondFactorForm(FlaskForm):
    """The code from an authenticator app, or a recovery code."""

    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Continue"))


class TotpSetupForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code your app shows now"),
        validators=[DataRequired(), Length(max=10)],
        filters=[strip_filter],
    )
    submit = SubmitField(_l("Turn on"))


class ConfirmPasswordForm(FlaskForm):
    """A sensitive change asks for the password again."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=128)])
    submit = SubmitField(_l("Confirm"))
