"""Tour progress: a hosted tour's visit is done once its learner has seen every scene, an
embedded one once they confirm; kept in the database across sessions, counted toward the
course's completion through the learning area; bad steps are refused and change nothing."""

import json

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.content.importer import import_courses
from app.catalog.content.loader import load_package
from app.catalog.models import Course, Item
from app.extensions import db
from app.learning import services as learning
from app.learning.models import ItemProgress
from app.seasons.models import SeasonState
from app.visits.models import TourSceneView
from tests.catalog.helpers import copy_example, edit
from tests.conftest import csrf_token, login
from tests.learning.helpers import SMALL, count_rows, done_slugs, enroll_directly, enrollment_of

HOSTED = f"/learn/{SMALL}/visit-hosted"
EMBED = f"/learn/{SMALL}/visit-embed"
JSON = {"Accept": "application/json"}


@pytest.fixture
def learner(client, login_as, small_course):
    user = login_as(Role.LEARNER)
    enroll_directly(user, small_course)
    db.session.commit()
    return user


def see(client, scene, page=HOSTED, token=None):
    """What the viewer page's script sends when a scene has loaded."""
    token = token or csrf_token(client, page)
    response = client.post(f"{page}/tour", data={"scene": scene, "csrf_token": token}, headers=JSON)
    return response, response.get_json()


def status_of(page: str) -> str:
    """The tour's status line (what a screen reader announces)."""
    start = page.index('<p id="tour-status" role="status">') + len(
        '<p id="tour-status" role="status">'
    )
    return page[start : page.index("</p>", start)]


def scene_rows(user=None):
    db.session.expire_all()
    query = select(TourSceneView.scene).order_by(TourSceneView.scene)
    if user is not None:
        query = query.where(TourSceneView.enrollment_id == enrollment_of(user).id)
    return list(db.session.scalars(query))


def test_seeing_every_scene_marks_the_visit_done_once(client, learner):
    response, body = see(client, "hall")
    assert response.status_code == 200
    assert body == {"seen": ["hall"], "done": False, "completed": False}
    assert "visit-hosted" not in done_slugs(learner)

    _, body = see(client, "hall")  # the same scene again: nothing new
    assert body["seen"] == ["hall"] and not body["done"]
    assert scene_rows() == ["hall"]

    _, body = see(client, "workshop")
    assert body == {"seen": ["hall", "workshop"], "done": True, "completed": False}
    assert "visit-hosted" in done_slugs(learner)
    assert scene_rows() == ["hall", "workshop"]
    see(client, "workshop")
    assert count_rows(ItemProgress, item_id=_item("visit-hosted").id) == 1

    page = client.get(HOSTED).get_data(as_text=True)
    assert "<strong>Completado</strong>" in page
    assert "Visita de estudio completada: ha visto todas las escenas." in page


def test_what_was_seen_is_kept_across_sessions(app, client, learner):
    see(client, "workshop")
    other = app.test_client()
    login(other, learner)
    page = other.get(HOSTED).get_data(as_text=True)
    assert status_of(page) == "Escenas vistas: 1 de 2."
    workshop = page[page.index('id="scene-workshop"') :]
    assert '<span class="seen">' in workshop[: workshop.index("</h4>")]
    hall = page[page.index('id="scene-hall"') :]
    assert '<span class="seen" hidden>' in hall[: hall.index("</h4>")]
    _, body = see(other, "hall")
    assert body["done"] is True


def test_one_learners_tour_is_not_anothers(app, client, learner, make_user, small_course):
    see(client, "hall")
    see(client, "workshop")
    other = make_user(email="other@example.org")
    enroll_directly(other, small_course)
    db.session.commit()
    second = app.test_client()
    login(second, other)
    assert status_of(second.get(HOSTED).get_data(as_text=True)) == ""
    assert scene_rows(other) == []
    assert "visit-hosted" not in done_slugs(other)


def test_a_required_visit_counts_toward_the_course_completion(app, client, login_as, tmp_path):
    package = copy_example(tmp_path)
    edit(
        package / "course.yaml",
        "        slug: visit-hosted\n        title: {es: Visita al centro, pt: Visita ao centro, "
        "en: Visit to the centre}\n        required: false",
        "        slug: visit-hosted\n        title: {es: Visita al centro, pt: Visita ao centro, "
        "en: Visit to the centre}\n        required: true",
    )
    courses, problems = load_package(package)
    assert not problems
    import_courses(courses)
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == SMALL))
    user = login_as(Role.LEARNER)
    enrollment = enroll_directly(user, course)
    for item in db.session.scalars(select(Item).where(Item.course_id == course.id, Item.required)):
        if item.kind == "quiz":
            answers = {"0": ["0"], "1": ["0", "1"], "2": ["true"], "3": ["2"]}
            assert learning.submit_quiz(enrollment, item, 1, answers).passed
        elif item.kind != "study_visit":
            learning.mark_done(enrollment, item)
    db.session.commit()
    assert enrollment_of(user).completed_at is None  # the visit is still to do

    see(client, "hall")
    assert enrollment_of(user).completed_at is None
    _, body = see(client, "workshop")
    assert body == {"seen": ["hall", "workshop"], "done": True, "completed": True}
    assert enrollment_of(user).completed_at is not None
    _, body = see(client, "hall")  # congratulated once: the course was already complete
    assert body == {"seen": ["hall", "workshop"], "done": True, "completed": False}


def test_an_unknown_scene_is_refused_clearly_and_records_nothing(client, learner):
    response, body = see(client, "basement")
    assert response.status_code == 400
    assert body["error"] == (
        "Este recorrido no tiene esa escena. Vuelva a cargar la página e inténtelo de nuevo."
    )
    assert scene_rows() == []
    response, _ = see(client, "h" * 5000)  # huge: cut, then refused
    assert response.status_code == 400
    assert scene_rows() == []


def test_a_step_without_the_form_token_is_refused(client, learner):
    csrf_token(client, HOSTED)
    response = client.post(f"{HOSTED}/tour", data={"scene": "hall"}, headers=JSON)
    assert response.status_code == 400
    assert scene_rows() == []


def test_a_learner_not_enrolled_cannot_record_anything(client, login_as, small_course):
    login_as(Role.LEARNER)
    token = csrf_token(client, "/")
    response = client.post(f"{HOSTED}/tour", data={"scene": "hall", "csrf_token": token})
    assert response.status_code == 403
    assert scene_rows() == []


def test_only_study_visits_have_a_tour_to_record(client, learner):
    token = csrf_token(client, HOSTED)
    for slug in ("welcome", "basics-quiz", "no-such-item"):
        response = client.post(
            f"/learn/{SMALL}/{slug}/tour", data={"scene": "hall", "csrf_token": token}
        )
        assert response.status_code == 404, slug
    assert scene_rows() == []


def test_the_plain_mark_as_done_does_not_count_for_a_tour(client, learner):
    page = client.get(HOSTED).get_data(as_text=True)
    assert "Marcar como completado" not in page
    token = csrf_token(client, HOSTED)
    response = client.post(f"{HOSTED}/done", data={"csrf_token": token})
    assert response.status_code == 400
    response = client.post(f"{EMBED}/done", data={"csrf_token": token})
    assert response.status_code == 400
    assert done_slugs(learner) == set()


def test_an_embedded_tour_is_done_when_the_learner_confirms(client, learner):
    page = client.get(EMBED).get_data(as_text=True)
    assert 'id="tour-confirm" method="post" hidden' in page  # shown once the tour is opened
    token = csrf_token(client, EMBED)
    response = client.post(f"{EMBED}/tour", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(EMBED)
    assert "visit-embed" in done_slugs(learner)
    page = client.get(EMBED).get_data(as_text=True)
    assert "Visita de estudio completada." in page
    assert 'id="tour-confirm"' not in page


def test_a_step_of_the_wrong_kind_is_refused(client, learner):
    response, body = see(client, "hall", page=EMBED)
    assert response.status_code == 400 and "no tiene un recorrido de ese tipo" in body["error"]
    token = csrf_token(client, HOSTED)
    response = client.post(f"{HOSTED}/tour", data={"csrf_token": token}, headers=JSON)
    assert response.status_code == 400
    assert done_slugs(learner) == set()


def test_nothing_moves_once_the_season_is_closed(client, learner):
    enrollment_of(learner).season.state = SeasonState.CLOSED
    db.session.commit()
    response, body = see(client, "hall")
    assert response.status_code == 400
    assert "temporada" in body["error"].lower()
    assert scene_rows() == []
    assert 'id="tour-progress"' not in client.get(HOSTED).get_data(as_text=True)


def _item(slug):
    return db.session.scalar(select(Item).where(Item.slug == slug))


def test_the_json_answer_is_plain_data(client, learner):
    response, body = see(client, "hall")
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data(as_text=True)) == body
