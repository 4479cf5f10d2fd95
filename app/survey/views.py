"""The survey's pages: administrators write, open, read and remind; coordinators answer."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.coordinators.auth import coordinator_blueprint, load_own_institution_or_404
from app.core.auth import admin_blueprint
from app.core.exports import Table, csv_bytes, download, file_name, xlsx_bytes
from app.core.i18n import country_name
from app.extensions import db
from app.survey import services
from app.survey.forms import (
    INSTITUTION_KINDS,
    QUESTION_KINDS,
    QuestionForm,
    SurveyForm,
    answer_form,
    field_name,
    translation_form,
)
from app.survey.models import Question, QuestionKind, Survey, SurveyState

admin_bp = admin_blueprint(
    "survey_admin", __name__, url_prefix="/admin/surveys", template_folder="templates"
)
coordinator_bp = coordinator_blueprint(
    "survey_coordinator", __name__, url_prefix="/institution", template_folder="templates"
)

GROUPINGS = ("", "country", "kind")


def load_survey_or_404(survey_id: int) -> Survey:
    return db.session.get(Survey, survey_id) or abort(404)


# Administrators ---------------------------------------------------------------------------


@admin_bp.route("/", methods=["GET", "POST"])
def surveys():
    form = SurveyForm()
    problem = None
    if form.validate_on_submit():
        try:
            survey = services.save_survey(
                None, form.title.data, form.intro.data, form.language.data,
                form.opens_on.data, form.closes_on.data,
            )  # fmt: skip
        except services.SurveyError as error:
            problem = str(error)
        else:
            return redirect(url_for("survey_admin.survey", survey_id=survey.id))
    return render_template(
        "survey/admin/surveys.html", surveys=services.all_surveys(), form=form, problem=problem
    )


@admin_bp.route("/<int:survey_id>", methods=["GET", "POST"])
def survey(survey_id):
    found = load_survey_or_404(survey_id)
    initial = None
    if request.method == "GET":
        initial = {
            "title": found.title, "intro": found.intro, "language": found.language,
            "opens_on": found.opens_on, "closes_on": found.closes_on,
        }  # fmt: skip
    form = SurveyForm(data=initial)
    problem = None
    if form.validate_on_submit():
        try:
            services.save_survey(
                found, form.title.data, form.intro.data, form.language.data,
                form.opens_on.data, form.closes_on.data,
            )  # fmt: skip
        except services.SurveyError as error:
            problem = str(error)
        else:
            flash(_("The survey is saved."), "success")
            return redirect(url_for("survey_admin.survey", survey_id=found.id))
    return _survey_page(found, form, QuestionForm(formdata=None), problem)


def _survey_page(found, form, question_form, problem=None):
    return render_template(
        "survey/admin/survey.html",
        survey=found,
        form=form,
        question_form=question_form,
        problem=problem,
        kinds=QUESTION_KINDS,
        waiting=services.not_answered(found),
    )


@admin_bp.post("/<int:survey_id>/questions")
def add_question(survey_id):
    found = load_survey_or_404(survey_id)
    question_form = QuestionForm()
    question_form.validate_on_submit()
    try:
        services.add_question(
            found, question_form.kind.data or "", question_form.prompt.data or "",
            question_form.choices.data or "", question_form.required.data,
        )  # fmt: skip
    except services.SurveyError as error:
        return _survey_page(found, SurveyForm(formdata=None, obj=found), question_form, str(error))
    flash(_("The question is added."), "success")
    return redirect(url_for("survey_admin.survey", survey_id=found.id))


@admin_bp.post("/<int:survey_id>/questions/<int:question_id>/remove")
def remove_question(survey_id, question_id):
    found = load_survey_or_404(survey_id)
    question = next((q for q in found.questions if q.id == question_id), None) or abort(404)
    try:
        services.remove_question(found, question)
    except services.SurveyError as error:
        flash(str(error), "error")
    return redirect(url_for("survey_admin.survey", survey_id=found.id))


@admin_bp.route("/<int:survey_id>/translations/<language>", methods=["GET", "POST"])
def translation(survey_id, language):
    found = load_survey_or_404(survey_id)
    if language not in services.LANGUAGES or language == found.language:
        abort(404)
    initial = None
    if request.method == "GET":
        written = (found.translations or {}).get(language, {})
        initial = {"title": written.get("title", ""), "intro": written.get("intro", "")}
        for question in found.questions:
            own = (question.translations or {}).get(language, {})
            initial[f"q{question.id}_prompt"] = own.get("prompt", "")
            initial[f"q{question.id}_choices"] = "\n".join(own.get("choices", []))
    form = translation_form(found, language, initial)
    problem = None
    if form.validate_on_submit():
        answers = {
            q.id: (
                form[f"q{q.id}_prompt"].data or "",
                form[f"q{q.id}_choices"].data if q.kind.has_choices else "",
            )
            for q in found.questions
        }
        try:
            services.translate_survey(
                found, language, form.title.data or "", form.intro.data or "", answers
            )
        except services.SurveyError as error:
            problem = str(error)
        else:
            flash(_("The translation is saved."), "success")
            return redirect(url_for("survey_admin.survey", survey_id=found.id))
    return render_template(
        "survey/admin/translation.html",
        survey=found,
        language=language,
        form=form,
        problem=problem,
    )


@admin_bp.post("/<int:survey_id>/open")
def open_survey(survey_id):
    found = load_survey_or_404(survey_id)
    try:
        services.open_survey(found)
    except services.SurveyError as error:
        flash(str(error), "error")
    else:
        flash(_("The survey is open."), "success")
    return redirect(url_for("survey_admin.survey", survey_id=found.id))


@admin_bp.post("/<int:survey_id>/close")
def close_survey(survey_id):
    found = load_survey_or_404(survey_id)
    services.close_survey(found)
    flash(_("The survey is closed: answers can no longer change."), "success")
    return redirect(url_for("survey_admin.survey", survey_id=found.id))


@admin_bp.post("/<int:survey_id>/remind")
def remind(survey_id):
    found = load_survey_or_404(survey_id)
    try:
        sent = services.remind(found)
    except services.SurveyError as error:
        flash(str(error), "error")
    else:
        flash(_("%(num)s reminders sent.", num=sent), "success")
    return redirect(url_for("survey_admin.survey", survey_id=found.id))


def _grouping() -> str:
    by = request.args.get("by", "")
    return by if by in GROUPINGS else ""


def group_label(by: str, group: str) -> str:
    if by == "country":
        return country_name(group, str(_locale()))
    if by == "kind":
        return str(INSTITUTION_KINDS.get(group, group))
    return _("All")


def _locale():
    return get_locale()


@admin_bp.get("/<int:survey_id>/results")
def results(survey_id):
    found = load_survey_or_404(survey_id)
    by = _grouping()
    rows, groups, responses = services.results(found, by)
    return render_template(
        "survey/admin/results.html",
        survey=found,
        results=rows,
        groups=groups,
        responses=responses,
        by=by,
        group_label=lambda group: group_label(by, group),
        QuestionKind=QuestionKind,
    )


@admin_bp.get("/<int:survey_id>/results.csv")
def results_csv(survey_id):
    found = load_survey_or_404(survey_id)
    by = _grouping()
    header, table = _results_table(found, by)
    return download(
        csv_bytes(header, table), file_name("survey", found.title, by) + ".csv", "text/csv"
    )


@admin_bp.get("/<int:survey_id>/results.xlsx")
def results_xlsx(survey_id):
    """The results as a workbook, which is what administrators open: one sheet."""
    found = load_survey_or_404(survey_id)
    by = _grouping()
    header, table = _results_table(found, by)
    return download(
        xlsx_bytes([Table(found.title, header, table)]),
        file_name("survey", found.title, by) + ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _results_table(found, by: str) -> tuple[list[str], list[list]]:
    rows, _groups, _responses = services.results(found, by)
    table = []
    for number, result in enumerate(rows, start=1):
        question = result.question
        if question.kind.has_choices:
            for group, counts in sorted(result.counts.items()):
                for index, choice in enumerate(question.choices):
                    table.append(
                        [number, question.prompt, by, group, choice, counts.get(index, 0), ""]
                    )
        elif question.kind == QuestionKind.NUMBER:
            for group, values in sorted(result.numbers.items()):
                mean = sum(values) / len(values)
                table.append([number, question.prompt, by, group, "", len(values), round(mean, 2)])
        else:
            for institution, group, text in result.texts:
                table.append([number, question.prompt, by, group, text, 1, institution.acronym])
    header = ["question_number", "question", "grouped_by", "group", "answer", "count",
              "mean_or_institution"]  # fmt: skip
    return header, table


# Coordinators -----------------------------------------------------------------------------


@coordinator_bp.get("/<int:institution_id>/surveys")
def surveys_to_answer(institution_id):
    institution = load_own_institution_or_404(institution_id)
    return render_template(
        "survey/list.html",
        institution=institution,
        surveys=services.surveys_for_institutions(),
        today=date.today(),
    )


def _visible_survey_or_404(survey_id: int) -> Survey:
    found = load_survey_or_404(survey_id)
    if found.state == SurveyState.DRAFT:
        abort(404)
    return found


@coordinator_bp.route("/<int:institution_id>/surveys/<int:survey_id>", methods=["GET", "POST"])
def answer(institution_id, survey_id):
    institution = load_own_institution_or_404(institution_id)
    found = _visible_survey_or_404(survey_id)
    response = services.response_of(found, institution)
    initial = None
    if request.method == "GET" and response is not None:
        initial = {"institution_kind": response.institution_kind.value}
        for stored in response.answers:
            value = stored.value
            if isinstance(value, list):
                value = [str(v) for v in value]
            elif isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            initial[f"q{stored.question_id}"] = value
    locale = str(get_locale())
    form = answer_form(found, initial, found.shown_language(locale))
    open_now = found.accepts_answers(date.today())
    problem = None
    if request.method == "POST" and form.validate_on_submit():
        raw = {q.id: getattr(form, field_name(q)).data for q in found.questions}
        try:
            services.save_response(
                found, institution, current_user, form.institution_kind.data or "", raw
            )
        except services.SurveyError as error:
            problem = str(error)
            for question_id, message in getattr(error, "problems", {}).items():
                getattr(form, f"q{question_id}").errors = [message]
        else:
            flash(_("Your institution's answers are saved."), "success")
            return redirect(
                url_for("survey_coordinator.answer", institution_id=institution.id,
                        survey_id=found.id)
            )  # fmt: skip
    return render_template(
        "survey/answer.html",
        institution=institution,
        survey=found,
        form=form,
        response=response,
        open_now=open_now,
        problem=problem,
        field_name=field_name,
        text_kinds=(QuestionKind.SHORT, QuestionKind.LONG),
        shown=found.shown_language(locale),
        given={
            a.question_id: services.answer_text(q, a.value, found.shown_language(locale))
            for a in (response.answers if response else [])
            for q in found.questions
            if q.id == a.question_id
        },
    )


@coordinator_bp.post(
    "/<int:institution_id>/surveys/<int:survey_id>/questions/<int:question_id>/entry"
)
def answer_to_entry(institution_id, survey_id, question_id):
    institution = load_own_institution_or_404(institution_id)
    found = _visible_survey_or_404(survey_id)
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != found.id:
        abort(404)
    try:
        entry = services.answer_to_entry(found, institution, question, current_user)
    except services.SurveyError as error:
        flash(str(error), "error")
        return redirect(
            url_for("survey_coordinator.answer", institution_id=institution.id, survey_id=found.id)
        )
    flash(_("A draft entry is made from the answer: complete it, then send it."), "success")
    return redirect(
        url_for("observatory_coordinator.edit_entry", institution_id=institution.id,
                entry_id=entry.id)
    )  # fmt: skip
