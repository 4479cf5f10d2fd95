"""Helpers the learning tests share: courses built straight from the models, page parsing,
quiz submission and SQL statement counting."""

import copy
import re
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import event, func, select

from app.catalog.models import Course, CourseKind, Item, Module
from app.extensions import db
from app.learning.models import ItemProgress, QuizAttempt
from app.seasons.models import Enrollment
from tests.conftest import csrf_token, import_package
from tests.seasons.factories import offering_for

SEASON = Path(__file__).resolve().parents[2] / "course_content"
SMALL = "small-example"
QUIZ_URL = f"/learn/{SMALL}/basics-quiz"
# The answers that are right for each question of small-example's basics-quiz.
RIGHT = {"q0": "0", "q1": ["0", "1"], "q2": "true", "q3": "2"}
WRONG = {"q0": "1", "q1": ["2"], "q2": "false", "q3": "3"}


def build_course(
    slug,
    *,
    kind=CourseKind.SELF_PACED,
    language="es",
    languages=None,
    title=None,
    hours=10,
    modules=3,
    items_per_module=4,
    position=0,
    outcomes=None,
    lesson_html=None,
    required=True,
):
    """A course of lesson items, written directly with the models (flushed, not committed)."""
    course = Course(
        slug=slug,
        kind=kind,
        language=language,
        languages=list(languages or [language]),
        title=title or {language: f"Curso {slug}"},
        summary={language: f"Resumen de {slug}"},
        hours=hours,
        outcomes=outcomes or [{language: f"Resultado de {slug}"}],
        position=position,
    )
    db.session.add(course)
    db.session.flush()
    item_position = 0
    for m in range(modules):
        module = Module(slug=f"m{m}", position=m, title={language: f"Módulo {m} de {slug}"})
        course.modules.append(module)
        for i in range(items_per_module):
            module.items.append(
                Item(
                    course_id=course.id,
                    slug=f"m{m}-i{i}",
                    kind="lesson",
                    position=item_position,
                    title={language: f"Lección {m}.{i} de {slug}"},
                    required=required,
                    content={"html": lesson_html or {language: "<p>x</p>"}},
                )
            )
            item_position += 1
    db.session.flush()
    return course


# small-example's basics-quiz as the importer writes it (tests/learning/test_quizzes.py checks
# that it still is): q0 single, q1 multiple, q2 true/false, q3 numeric; 50% passes; 2 attempts.
BASICS_QUIZ = {
    "pass_mark": 50,
    "max_attempts": 2,
    "show_answers": "when_passed_or_spent",
    "questions": [
        {
            "kind": "single",
            "prompt": {
                "es": "¿Cuántos módulos tiene este curso?",
                "pt": "Quantos módulos tem este curso?",
                "en": "How many modules does this course have?",
            },
            "choices": [
                {"text": {"es": "1"}, "correct": True},
                {"text": {"es": "2"}, "correct": False},
            ],
            "answer": None,
            "tolerance": 0,
            "feedback": {
                "es": "Tiene un módulo.",
                "pt": "Tem um módulo.",
                "en": "It has one module.",
            },
        },
        {
            "kind": "multiple",
            "prompt": {"es": "¿Qué tipos de elemento hay?", "en": "Which item kinds are there?"},
            "choices": [
                {"text": {"es": "Lección", "en": "Lesson"}, "correct": True},
                {"text": {"es": "Cuestionario", "en": "Quiz"}, "correct": True},
                {"text": {"es": "Videojuego", "en": "Video game"}, "correct": False},
            ],
            "answer": None,
            "tolerance": 0,
            "feedback": {},
        },
        {
            "kind": "true_false",
            "prompt": {"es": "Las guías se descargan en PDF.", "en": "Guides download as PDF."},
            "choices": [],
            "answer": True,
            "tolerance": 0,
            "feedback": {},
        },
        {
            "kind": "numeric",
            "prompt": {
                "es": "¿Cuántas horas dura el curso?",
                "en": "How many hours does the course take?",
            },
            "choices": [],
            "answer": 2.0,
            "tolerance": 0.0,
            "feedback": {},
        },
    ],
}


def build_quiz_course():
    """small-example as the quiz tests need it, written with the models (no package import):
    three required lessons, then basics-quiz (BASICS_QUIZ); committed."""
    course = build_course(
        SMALL,
        languages=["es", "pt", "en"],
        title={"es": "Curso de ejemplo", "pt": "Curso de exemplo", "en": "Example course"},
        hours=2,
        modules=1,
        items_per_module=3,
    )
    course.modules[0].items.append(
        Item(
            course_id=course.id,
            slug="basics-quiz",
            kind="quiz",
            position=3,
            title={"es": "Cuestionario", "pt": "Questionário", "en": "Quiz"},
            content=copy.deepcopy(BASICS_QUIZ),
        )
    )
    db.session.commit()
    return course


def add_modules(course, start, count, items_per_module=4):
    """More lesson modules at the end of a course built by build_course."""
    position = db.session.scalar(
        select(func.coalesce(func.max(Item.position), -1)).where(Item.course_id == course.id)
    )
    for m in range(start, start + count):
        module = Module(
            course_id=course.id, slug=f"m{m}", position=m, title={course.language: f"Módulo {m}"}
        )
        db.session.add(module)
        for i in range(items_per_module):
            position += 1
            module.items.append(
                Item(
                    course_id=course.id,
                    slug=f"m{m}-i{i}",
                    kind="lesson",
                    position=position,
                    title={course.language: f"Lección {m}.{i}"},
                    content={"html": {course.language: "<p>x</p>"}},
                )
            )
    db.session.flush()


def import_season():
    """The first season's real courses (course_content/), imported and committed (the
    package read and its guides rendered once per worker: see import_package)."""
    import_package(SEASON)
    return db.session.scalars(select(Course).order_by(Course.slug)).all()


def lesson_slugs(course):
    return db.session.scalars(
        select(Item.slug)
        .where(Item.course_id == course.id, Item.kind == "lesson")
        .order_by(Item.position)
    ).all()


def enroll_directly(user, course, done_items=0):
    """An enrolment row (whatever the course kind) with progress on its first items."""
    season = offering_for(course).season
    enrollment = Enrollment(user_id=user.id, course_id=course.id, season_id=season.id)
    db.session.add(enrollment)
    db.session.flush()
    items = db.session.scalars(
        select(Item).where(Item.course_id == course.id).order_by(Item.position)
    ).all()
    for item in items[:done_items]:
        db.session.add(ItemProgress(enrollment_id=enrollment.id, item_id=item.id))
    db.session.flush()
    return enrollment


def item_by_slug(course_slug, item_slug):
    return db.session.scalar(
        select(Item)
        .join(Course, Course.id == Item.course_id)
        .where(Course.slug == course_slug, Item.slug == item_slug)
    )


def enrollment_of(user, course_slug=SMALL):
    db.session.expire_all()
    return db.session.scalar(
        select(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == user.id, Course.slug == course_slug)
    )


def count_rows(model, **where):
    db.session.expire_all()
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def attempts_of(user):
    enrollment = enrollment_of(user)
    if enrollment is None:
        return []
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.enrollment_id == enrollment.id)
            .order_by(QuizAttempt.number)
        )
    )


def done_slugs(user, course_slug=SMALL):
    enrollment = enrollment_of(user, course_slug)
    return set(
        db.session.scalars(
            select(Item.slug)
            .join(ItemProgress, ItemProgress.item_id == Item.id)
            .where(ItemProgress.enrollment_id == enrollment.id)
        )
    )


def enroll_by_form(client, course_slug=SMALL):
    """Enrol through the course page's form, in the course's offering in the open season."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    offering = offering_for(course)
    db.session.commit()
    token = csrf_token(client, f"/courses/{course_slug}")
    return client.post(enroll_url(offering), data={"csrf_token": token})


def enroll_url(offering):
    return f"/offerings/{offering.id}/enrol"


def mark_done_by_form(client, item_slug, course_slug=SMALL):
    token = csrf_token(client, f"/learn/{course_slug}/{item_slug}")
    return client.post(f"/learn/{course_slug}/{item_slug}/done", data={"csrf_token": token})


def submit_quiz(client, answers, attempt, token=None, **kwargs):
    """Post the basics-quiz form as a browser does: answers q0..q3, attempt number, CSRF."""
    token = token or csrf_token(client, "/")
    data = {**answers, "attempt": str(attempt), "csrf_token": token}
    return client.post(f"{QUIZ_URL}/quiz", data=data, **kwargs)


def flashes(html):
    """(category, text) of every flash message on a page."""
    return re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', html, flags=re.S)


def main_of(html):
    start = html.find("<main")
    return html[start : html.find("</main>", start)]


class Tags(HTMLParser):
    """Every start tag with its attributes, in order, plus the text of the page."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def tags_of(html):
    parser = Tags()
    parser.feed(html)
    return parser.tags


class OutlineEntries(HTMLParser):
    """In the player's outline (`nav.outline`): each item link with whether it is marked done."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # >0 while inside nav.outline
        self.stack = []
        self.entries = []  # (href, done, current)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "outline" in (attrs.get("class") or "").split():
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "li":
            self.stack.append(
                {"href": None, "done": False, "current": attrs.get("aria-current") == "page"}
            )
        elif tag == "a" and self.stack and self.stack[-1]["href"] is None:
            self.stack[-1]["href"] = attrs.get("href")
        elif tag == "span" and "done" in (attrs.get("class") or "").split() and self.stack:
            self.stack[-1]["done"] = True

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "nav":
            self.depth = 0
        elif tag == "li" and self.stack:
            entry = self.stack.pop()
            if entry["href"]:
                self.entries.append((entry["href"], entry["done"], entry["current"]))


def outline_of(html):
    parser = OutlineEntries()
    parser.feed(html)
    return {href: (done, current) for href, done, current in parser.entries}


@contextmanager
def counting_queries():
    """Collects every SQL statement sent to the database inside the block."""
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)
