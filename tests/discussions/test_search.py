"""Search within a board with the database's full-text search: found in the board's posts
only, never what the person may not read, and the person's words are never query syntax."""

import pytest

from app.discussions import moderation, services
from app.discussions.models import Post, ThreadKind
from app.extensions import db
from tests.discussions.helpers import make_scene, signed_in, start


@pytest.fixture
def scene(app, make_user):
    return make_scene(make_user)


def found(client, scene, words) -> str:
    response = client.get(f"/discussions/cohorts/{scene.cohort.id}", query_string={"q": words})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_posts_are_found_by_their_words_on_this_board_only(app, scene):
    start(scene, title="Cualificaciones", body="El marco nacional de cualificaciones de Chile")
    start(scene, title="Aprendizaje", body="La formación dual en empresas")
    services.start_thread(
        services.Place(cohort=scene.other_cohort), scene.stranger, ThreadKind.DISCUSSION,
        "Otra cohorte", "Cualificaciones en la otra cohorte",
    )  # fmt: skip
    db.session.commit()
    client = signed_in(app, scene.learner)
    page = found(client, scene, "cualificaciones")
    assert "El marco nacional" in page and "formación dual" not in page
    assert "otra cohorte" not in page
    assert "formación dual" in found(client, scene, "formacion")  # accents or not


def test_what_the_reader_may_not_read_is_never_found(app, scene):
    services.start_thread(
        scene.place, scene.classmate, ThreadKind.PRIVATE, "Privada", "Secreto compartido"
    )
    thread = start(scene, author=scene.classmate, title="Oculta", body="Mensaje escondido")
    opening = db.session.scalar(db.select(Post).where(Post.thread_id == thread.id))
    moderation.moderate_post(opening, scene.place, scene.tutor, "hide", "x")
    db.session.commit()
    learner = signed_in(app, scene.learner)
    assert "Secreto compartido" not in found(learner, scene, "secreto")
    assert "Mensaje escondido" not in found(learner, scene, "escondido")
    tutor = signed_in(app, scene.tutor)
    assert "Secreto compartido" in found(tutor, scene, "secreto")


@pytest.mark.parametrize(
    "words",
    ['"', "*", "NEAR(a b)", "a OR", "-a", "body:x", "'; DROP TABLE discussion_post; --", "🙂",
     "x" * 500],
)  # fmt: skip
def test_query_syntax_in_the_words_is_harmless(app, scene, words):
    start(scene, body="Un mensaje cualquiera")
    client = signed_in(app, scene.learner)
    found(client, scene, words)
    assert db.session.scalar(db.select(db.func.count(Post.id))) == 1
