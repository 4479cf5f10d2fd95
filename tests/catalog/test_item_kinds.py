"""Item kinds are a registry: adding one is one area's module plus one registration, and the
loader, the importer, the player, completion and the catalog take it up without a change."""

import re
from pathlib import Path
from typing import Literal

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from app.catalog import kinds
from app.catalog.content.importer import import_courses
from app.catalog.content.loader import load_package
from app.catalog.content.schema import ItemBase, LocalText
from app.catalog.models import Course, Item
from app.extensions import db
from app.learning.models import ItemProgress
from tests.catalog.helpers import copy_example, edit
from tests.conftest import login, post_form
from tests.learning.helpers import enroll_directly

README = Path(__file__).resolve().parents[2] / "course_content" / "README.md"

NOTE_YAML = """
      - kind: field_note
        slug: a-field-note
        title: {es: Nota de campo, en: Field note}
        note: {es: Mire la máquina antes de tocarla., en: Look at the machine first.}
        minutes: 5
"""


class FieldNote(ItemBase):
    kind: Literal["field_note"]
    note: LocalText
    minutes: int


def _check(context, spec):
    if spec.minutes > 60:
        context.problem(("minutes",), "a field note takes at most 60 minutes")


FIELD_NOTE = kinds.ItemKind(
    name="field_note",
    label="field note",
    schema=FieldNote,
    check=_check,
    build_content=lambda context, spec: {
        "note": context.localised(spec.note),
        "minutes": spec.minutes,
    },
    template="test/field_note.html",
    offline=lambda item: kinds.OfflinePart(content={"note": item.content["note"]}),
)


@pytest.fixture
def field_note_kind(app, monkeypatch):
    """A kind no area has: registered for one test, with its partial, then gone."""
    monkeypatch.setitem(kinds._KINDS, "field_note", FIELD_NOTE)
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"test/field_note.html": "<p class=note-kind>{{ tr(item.content.note, "
                     "course) }} ({{ item.content.minutes }} min)</p>"}), loader]
    )  # fmt: skip
    yield FIELD_NOTE
    app.jinja_env.loader = loader
    app.jinja_env.cache.clear()


def with_field_note(tmp_path, minutes=5) -> Path:
    course_dir = copy_example(tmp_path)
    text = (course_dir / "course.yaml").read_text(encoding="utf-8")
    anchor = re.search(r"\n    items:\n", text)
    assert anchor, "the example course has no items list"
    at = anchor.end() - 1
    note = NOTE_YAML.replace("minutes: 5", f"minutes: {minutes}")
    (course_dir / "course.yaml").write_text(text[:at] + note + text[at:], encoding="utf-8")
    return course_dir


def test_a_new_kind_is_checked_imported_shown_and_done(
    app, client, make_user, field_note_kind, tmp_path
):
    courses, problems = load_package(with_field_note(tmp_path))
    assert not problems, problems
    import_courses(courses)
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == "small-example"))
    note = db.session.scalar(select(Item).where(Item.slug == "a-field-note"))
    assert note.kind == "field_note"
    assert note.content == {
        "note": {"es": "Mire la máquina antes de tocarla.", "en": "Look at the machine first."},
        "minutes": 5,
    }

    # The catalog names it by its label.
    assert "field note" in client.get("/courses/small-example").get_data(as_text=True)

    # The player shows its partial, and the learner marks it done like a lesson.
    learner = make_user()
    enrollment = enroll_directly(learner, course)
    db.session.commit()
    login(client, learner)
    page = client.get("/learn/small-example/a-field-note").get_data(as_text=True)
    assert "<p class=note-kind>Mire la máquina antes de tocarla. (5 min)</p>" in page
    assert "/learn/small-example/a-field-note/done" in page
    response = post_form(
        client, "/learn/small-example/a-field-note/done", {},
        form_page="/learn/small-example/a-field-note",
    )  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalar(
        select(ItemProgress).where(
            ItemProgress.enrollment_id == enrollment.id, ItemProgress.item_id == note.id
        )
    )
    assert kinds.get("field_note").offline(note).content == {"note": note.content["note"]}


def test_a_new_kinds_own_check_reports_at_its_line(app, field_note_kind, tmp_path):
    course_dir = with_field_note(tmp_path, minutes=90)
    _courses, problems = load_package(course_dir)
    lines = (course_dir / "course.yaml").read_text(encoding="utf-8").splitlines()
    assert [p.message for p in problems] == ["a field note takes at most 60 minutes"]
    assert lines[problems[0].line - 1].strip() == "minutes: 90"


def test_a_field_the_kind_does_not_declare_is_refused_at_its_line(app, field_note_kind, tmp_path):
    course_dir = with_field_note(tmp_path)
    edit(
        course_dir / "course.yaml",
        "        minutes: 5\n",
        "        minutes: 5\n        colour: red\n",
    )
    _courses, problems = load_package(course_dir)
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "modules/0/items/0/colour: unknown field"
    ]


def test_without_its_registration_the_kind_is_unknown(app, tmp_path):
    _courses, problems = load_package(with_field_note(tmp_path))
    assert len(problems) == 1
    assert "unknown kind 'field_note'" in problems[0].message


def test_every_registered_kind_is_documented_with_its_area(app):
    text = README.read_text(encoding="utf-8")
    fields_table = re.findall(r"^\| `(\w+)` \| ", text, re.M)
    registered = {kind.name for kind in kinds.all_kinds()}
    assert registered <= set(fields_table)
    for kind in kinds.all_kinds():
        assert re.search(
            rf"^\|[^|\n]*`{kind.name}`[^|\n]*\| `app/\w+/item_kinds.py` \|", text, re.M
        )


def test_every_kind_has_its_partial_and_a_way_to_be_done(app):
    for kind in kinds.all_kinds():
        assert app.jinja_env.get_template(kind.template)
        if kind.head_template:
            assert app.jinja_env.get_template(kind.head_template)
        assert kind.done_when


def test_offline_quiz_carries_no_answer_key(app, small_course):
    quiz = db.session.scalar(select(Item).where(Item.slug == "basics-quiz"))
    offline = kinds.get(quiz.kind).offline(quiz)
    assert len(offline.content["questions"]) == len(quiz.content["questions"])
    flat = repr(offline.content)
    assert "correct" not in flat and "answer" not in flat and "feedback" not in flat
    assert "correct" in repr(quiz.content)  # the stored item has them: the bundle drops them


def test_an_unchanged_guide_is_laid_out_once_and_a_changed_one_again(app):
    from app.catalog.content.guides import render_guide_pdf

    files = {"lessons/a.png": b"not used"}
    first = render_guide_pdf("Guía", "Curso", "# Uno\n\nTexto.", files, "lessons")
    again = render_guide_pdf("Guía", "Curso", "# Uno\n\nTexto.", files, "lessons")
    changed = render_guide_pdf("Guía", "Curso", "# Uno\n\nOtro texto.", files, "lessons")
    other_file = render_guide_pdf(
        "Guía", "Curso", "# Uno\n\nTexto.", {"lessons/a.png": b"x"}, "lessons"
    )
    assert again is first
    assert changed is not first and changed != first
    assert other_file is not first
