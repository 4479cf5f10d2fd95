"""No dead ends: every item kind in the registry (app/catalog/kinds.py) has a way forward that
a learner on any device can take, walked here through the pages as a browser without
JavaScript would: a form that is in the page as served (not hidden, not made by a script)
and that, sent, makes the item count as done.

A kind registered without a way listed in WAYS fails `test_every_registered_kind_has_a_way`;
add the walk of its completion here when you add the kind.
"""

import re
from html import unescape

from sqlalchemy import select

from app.accounts.models import Role
from app.capstones import services as capstones
from app.catalog import kinds
from app.catalog.content.loader import load_package
from app.catalog.models import Item
from app.extensions import db
from app.learning import services as learning
from tests.capstones.helpers import (
    CAPSTONE,
    OSH,
    capstone_cohort,
    enrolled_learner,
    osh_course,
    submission_of,
)
from tests.catalog.helpers import copy_example, edit
from tests.conftest import login
from tests.learning.helpers import RIGHT, SMALL, WRONG, done_slugs, enroll_directly

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ATTR_RE = re.compile(r'([\w-]+)(?:="([^"]*)")?')
INPUT_RE = re.compile(r"<(?:input|button)\b([^>]*)>", re.S)


def attributes(tag: str) -> dict:
    return {name: unescape(value or "") for name, value in ATTR_RE.findall(tag)}


def served_form(page: str, action_ends: str, url: str = "") -> tuple[str, dict, list[dict]]:
    """(action, form attributes, its fields) of the one form, as served, whose action ends
    with `action_ends` (a form without an action posts to its page, `url`); fails if it is
    missing, hidden, or has no submit button."""
    found = []
    for start, body in FORM_RE.findall(page):
        form = attributes(start)
        form.setdefault("action", url)
        if form["action"].split("#")[0].endswith(action_ends):
            found.append((form, [attributes(tag) for tag in INPUT_RE.findall(body)]))
    assert len(found) == 1, f"{len(found)} forms posting to …{action_ends}"
    form, fields = found[0]
    assert "hidden" not in form, f"the form to …{action_ends} is hidden until a script shows it"
    assert any(f.get("type") == "submit" for f in fields), f"no button in …{action_ends}"
    return form["action"].split("#")[0], form, fields


def send(client, page_url: str, action_ends: str, button: str | None = None, **data):
    """Fetch the page, find the form and send it as its button would, with `data` filled in."""
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    action, _form, fields = served_form(page.get_data(as_text=True), action_ends, page_url)
    sent = {f["name"]: f.get("value", "") for f in fields if f.get("type") == "hidden"}
    buttons = [f for f in fields if f.get("type") == "submit" and f.get("name")]
    pressed = next((b for b in buttons if b["name"] == button), None) if button else None
    if button:
        assert pressed is not None, f"no {button!r} button on {page_url}"
        sent[pressed["name"]] = pressed.get("value") or "y"
    return client.post(action, data={**sent, **data})


# The ways forward, one per kind: (client, course slug, item, context) -> None -----------


def mark_done(client, course, item, _context):
    send(client, f"/learn/{course}/{item.slug}", "/done")


def pass_quiz(client, course, item, _context):
    send(client, f"/learn/{course}/{item.slug}", "/quiz", **RIGHT)


def read_visit(client, course, item, _context):
    page = client.get(f"/learn/{course}/{item.slug}").get_data(as_text=True)
    # Whatever its tour (hosted, embedded, none, or an embed no longer allowed): a plain form.
    action = "/read" if f"/learn/{course}/{item.slug}/read" in page else "/done"
    send(client, f"/learn/{course}/{item.slug}", action)


def submit_and_pass_capstone(client, course, item, context):
    """The learner submits through the page's forms (the confirmation step included); a tutor
    of the cohort passes it through the review form."""
    url = f"/learn/{course}/{item.slug}"
    response = send(client, url, "/capstone", "review_submission", text="My project")
    assert response.status_code == 200  # the confirmation page, itself a plain form
    page = response.get_data(as_text=True)
    action, _form, fields = served_form(page, "/capstone")
    sent = {f["name"]: f.get("value", "") for f in fields if f.get("type") == "hidden"}
    assert client.post(action, data={**sent, "submit_project": "y"}).status_code == 302
    submission = submission_of(context["learner"])
    tutor_client = context["tutor_client"]
    review_url = f"/tutor/capstones/{submission.id}"
    levels = {
        f"level_{n}": str(len(c["levels"]) - 1)
        for n, c in enumerate(capstones.rubric(item)["criteria"])
    }
    response = send(tutor_client, review_url, f"/tutor/capstones/{submission.id}",
                    decision="pass", comment="Good", **levels)  # fmt: skip
    assert response.status_code in (200, 302), response.status_code


WAYS = {
    "lesson": mark_done,
    "resource": mark_done,
    "guide": mark_done,
    "quiz": pass_quiz,
    "study_visit": read_visit,
    "capstone": submit_and_pass_capstone,
}


def test_every_registered_kind_has_a_way(app):
    assert set(WAYS) == set(kinds.names()), (
        "a registered item kind without a way forward in tests/learning/test_way_forward.py"
    )


def test_every_item_of_a_self_paced_course_can_be_done_without_javascript(
    client, login_as, small_course
):
    """Every item of the small example (a lesson, a resource, a guide, a quiz, a hosted and
    an embedded visit), each by its kind's way, as a browser without JavaScript."""
    learner = login_as(Role.LEARNER)
    enroll_directly(learner, small_course)
    db.session.commit()
    items = db.session.scalars(
        select(Item).where(Item.course_id == small_course.id).order_by(Item.position)
    ).all()
    walked = set()
    for item in items:
        WAYS[item.kind](client, SMALL, item, {})
        assert item.slug in done_slugs(learner), f"{item.kind} {item.slug} is not done"
        walked.add(item.kind)
    assert walked == set(WAYS) - {"capstone"}  # a capstone needs a cohort: walked below


def test_a_capstone_can_be_done_through_the_forms(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    login(client, learner)
    tutor_client = app.test_client()
    login(tutor_client, cohort.tutors[0])
    item = db.session.scalar(
        select(Item).where(Item.course_id == osh_course().id, Item.slug == CAPSTONE)
    )
    context = {"learner": learner, "tutor_client": tutor_client}
    WAYS["capstone"](client, OSH, item, context)
    assert CAPSTONE in done_slugs(learner, OSH)


def test_a_visit_whose_embed_is_no_longer_allowed_can_still_be_done(client, login_as, small_course):
    from app.visits.services import save_allowed_hosts

    learner = login_as(Role.LEARNER)
    enroll_directly(learner, small_course)
    save_allowed_hosts(["kuula.co"], None)  # the example embeds from youtube-nocookie
    db.session.commit()
    item = db.session.scalar(select(Item).where(Item.slug == "visit-embed"))
    read_visit(client, SMALL, item, {})
    assert "visit-embed" in done_slugs(learner)


def test_a_required_capstone_in_a_self_paced_course_is_refused_by_the_check(tmp_path):
    """Only a cohort's tutor completes a capstone: in a self-paced course, required, it would
    be a dead end for every learner, so the package check refuses it."""
    package = copy_example(tmp_path)
    edit(
        package / "course.yaml",
        "      - kind: resource\n",
        "      - kind: capstone\n        slug: project\n        title: {es: Proyecto}\n"
        "        brief: {es: lessons/welcome.es.md}\n        rubric:\n"
        "          pass_threshold: 1\n          criteria:\n            - title: {es: C}\n"
        "              levels:\n                - {points: 0, description: {es: No}}\n"
        "                - {points: 1, description: {es: Sí}}\n"
        "      - kind: resource\n",
    )
    _courses, problems = load_package(package)
    assert any("self-paced course can never be completed" in str(p) for p in problems), problems


def test_a_required_quiz_with_every_attempt_spent_has_a_way_forward(client, login_as, make_user):
    """A learner who spent every attempt of a required quiz is not stuck for good: someone can
    grant one more (a tutor of the cohort or an administrator), then the quiz can be passed."""
    from tests.learning.helpers import QUIZ_URL

    small = load_small(login_as)
    learner, course = small
    quiz = db.session.scalar(select(Item).where(Item.slug == "basics-quiz"))
    for _attempt in range(quiz.content["max_attempts"]):
        send(client, QUIZ_URL, "/quiz", **WRONG)
    assert "basics-quiz" not in done_slugs(learner)
    enrollment = learning_enrollment(learner, course)
    assert learning.attempts_left(quiz, learning.attempts_of(enrollment, quiz)) == 0
    admin = make_user(role=Role.ADMIN, email="grants@example.org")
    number = learning.grants_made(enrollment) + 1
    learning.grant_attempts(enrollment, quiz, 1, "A second chance", by=admin, number=number)
    db.session.commit()
    send(client, QUIZ_URL, "/quiz", **RIGHT)
    assert "basics-quiz" in done_slugs(learner)


def load_small(login_as):
    from tests.catalog.helpers import EXAMPLE
    from tests.conftest import import_package

    (course,) = import_package(EXAMPLE)
    learner = login_as(Role.LEARNER)
    enroll_directly(learner, course)
    db.session.commit()
    return learner, course


def learning_enrollment(learner, course):
    from tests.learning.helpers import enrollment_of

    return enrollment_of(learner, course.slug)
