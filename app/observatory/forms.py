"""Forms of the observatory: an entry in three languages, a file, a review decision."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.i18n import LANGUAGE_NAMES
from app.observatory.models import LANGUAGES
from app.observatory.services import FIRST_YEAR, LAST_YEAR
from app.observatory.vocabulary import AUDIENCES, THEMES


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EntryForm(FlaskForm):
    """Texts are checked by the service (lengths, control characters), in one place."""

    country = SelectField(_l("Country"), validators=[InputRequired()])
    themes = CheckboxesField(_l("Themes"), choices=list(THEMES.items()))
    audience = SelectField(_l("Audience"), choices=list(AUDIENCES.items()))
    period_from = IntegerField(
        _l("From (year)"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)]
    )
    period_to = IntegerField(
        _l("To (year)"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)]
    )
    links = TextAreaField(
        _l("Links"),
        description=_l("One per line: the address (https://...), then a space and its name."),
    )
    submit = SubmitField(_l("Save the draft"))


for _language in LANGUAGES:
    _name = LANGUAGE_NAMES[_language]
    setattr(
        EntryForm, f"title_{_language}", StringField(_l("Title (%(language)s)", language=_name))
    )
    setattr(
        EntryForm, f"summary_{_language}",
        TextAreaField(_l("Summary (%(language)s)", language=_name)),
    )  # fmt: skip
    setattr(
        EntryForm, f"body_{_language}",
        TextAreaField(
            _l("Text (%(language)s)", language=_name),
            description=_l("Markdown: headings, lists, links, emphasis. No pictures or HTML."),
        ),
    )  # fmt: skip


class EntryFileForm(FlaskForm):
    file = FileField(_l("A file (a guide, a toolkit)"), validators=[FileRequired()])
    upload = SubmitField(_l("Add the file"))


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("What should change"))
    submit = SubmitField(_l("Send back"))
