"""Forms of the survey: writing it (administrators) and answering it (coordinators), the
answer form built from the survey's own questions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from app.core.i18n import LANGUAGE_NAMES
from app.observatory.forms import CheckboxesField
from app.survey.models import InstitutionKind, QuestionKind

QUESTION_KINDS = {
    QuestionKind.SINGLE: _l("One choice"),
    QuestionKind.MULTIPLE: _l("Several choices"),
    QuestionKind.NUMBER: _l("A number"),
    QuestionKind.SHORT: _l("A short text"),
    QuestionKind.LONG: _l("A long text"),
}

INSTITUTION_KINDS = {
    InstitutionKind.PUBLIC: _l("Public vocational training institution"),
    InstitutionKind.PRIVATE: _l("Private or employer-run institution"),
    InstitutionKind.TRIPARTITE: _l("Tripartite or mixed institution"),
    InstitutionKind.GOVERNMENT: _l("Ministry or government body"),
    InstitutionKind.OTHER: _l("Other"),
}


class SurveyForm(FlaskForm):
    title = StringField(_l("Title"))
    intro = TextAreaField(_l("Introduction"))
    language = SelectField(_l("Language it is written in"), choices=list(LANGUAGE_NAMES.items()))
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])
    submit = SubmitField(_l("Save the survey"))


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of question"), choices=list(QUESTION_KINDS.items()))
    prompt = StringField(_l("Question text"))
    choices = TextAreaField(_l("Choices (one per line)"))
    required = BooleanField(_l("An answer is required"))
    add = SubmitField(_l("Add the question"))


def field_name(question) -> str:
    return f"q{question.id}"


def translation_form(survey, language: str, data=None) -> FlaskForm:
    """The survey's title, introduction, prompts and choices in another language."""

    class TranslationForm(FlaskForm):
        title = StringField(_l("Title"))
        intro = TextAreaField(_l("Introduction"))
        submit = SubmitField(_l("Save the translation"))

    for question in survey.questions:
        setattr(TranslationForm, f"q{question.id}_prompt", StringField(question.prompt))
        if question.kind.has_choices:
            setattr(
                TranslationForm,
                f"q{question.id}_choices",
                TextAreaField(" / ".join(question.choices)),
            )
    return TranslationForm(data=data)


def answer_form(survey, data=None, language: str = "") -> FlaskForm:
    """A form with one field per question (checked again, fully, by the service), in the
    reader's language where the survey is written in it."""

    class AnswerForm(FlaskForm):
        institution_kind = RadioField(
            _l("Type of your institution"), choices=list(INSTITUTION_KINDS.items())
        )
        submit = SubmitField(_l("Save the answers"))

    for question in survey.questions:
        shown = language or survey.language
        choices = [(str(i), choice) for i, choice in enumerate(question.choices_in(shown))]
        label = question.prompt_in(shown)
        if question.kind == QuestionKind.SINGLE:
            field = RadioField(label, choices=choices, validate_choice=False)
        elif question.kind == QuestionKind.MULTIPLE:
            field = CheckboxesField(label, choices=choices, validate_choice=False)
        elif question.kind == QuestionKind.LONG:
            field = TextAreaField(label)
        elif question.kind == QuestionKind.NUMBER:
            field = StringField(label, render_kw={"inputmode": "decimal"})
        else:
            field = StringField(label)
        setattr(AnswerForm, field_name(question), field)
    return AnswerForm(data=data)
