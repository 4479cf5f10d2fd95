"""Private questions to the tutors, reports and moderation with its trail."""

import pytest
from sqlalchemy import select

from app.discussions import moderation, services
from app.discussions.models import (
    Attachment,
    ModerationEntry,
    Post,
    PostState,
    Report,
    Thread,
    ThreadKind,
)
from app.extensions import db
from tests.capstones.helpers import pdf_bytes
from tests.conftest import post_form
from tests.discussions.helpers import counts, make_scene, post_multipart, signed_in, start


@pytest.fixture
def scene(app, make_user):
    return make_scene(make_user)


def ask(app, scene):
    client = signed_in(app, scene.learner)
    response = post_multipart(
        client,
        f"/discussions/cohorts/{scene.cohort.id}/questions",
        {"title": "Mi proyecto", "body": "¿Puedo cambiar el tema?"},
        files=[("borrador.pdf", pdf_bytes())],
    )
    assert response.status_code == 302
    return client, db.session.scalar(select(Thread).where(Thread.kind == ThreadKind.PRIVATE))


def test_a_private_question_is_read_by_its_asker_and_the_cohorts_tutors_only(app, scene, make_user):
    from app.accounts.models import Role

    learner, question = ask(app, scene)
    token = db.session.scalar(select(Attachment)).token
    url = f"/discussions/threads/{question.id}"
    assert learner.get(url).status_code == 200
    # Not on the board, where the classmates read.
    classmate = signed_in(app, scene.classmate)
    board = classmate.get(f"/discussions/cohorts/{scene.cohort.id}").get_data(as_text=True)
    assert "Mi proyecto" not in board
    assert classmate.get(url).status_code == 404
    assert classmate.get(f"/discussions/files/{token}").status_code == 404
    questions = classmate.get(f"/discussions/cohorts/{scene.cohort.id}/questions")
    assert "Mi proyecto" not in questions.get_data(as_text=True)
    before = counts()
    assert post_multipart(classmate, url, {"body": "Yo también"}).status_code == 404
    assert counts() == before
    # Another cohort's tutor and learner: not their board at all.
    for person in (scene.other_tutor, scene.stranger):
        assert signed_in(app, person).get(url).status_code == 403
    # The cohort's tutor and an administrator read it.
    assert signed_in(app, make_user(role=Role.ADMIN)).get(url).status_code == 200
    tutor = signed_in(app, scene.tutor)
    assert "¿Puedo cambiar el tema?" in tutor.get(url).get_data(as_text=True)
    assert tutor.get(f"/discussions/files/{token}").status_code == 200


def test_the_tutors_start_page_shows_questions_waiting_until_one_answers(app, scene):
    learner, question = ask(app, scene)
    tutor = signed_in(app, scene.tutor)
    page = tutor.get("/tutor/cohorts").get_data(as_text=True)
    assert "1 pregunta" in page or "1 question" in page
    assert (
        post_multipart(tutor, f"/discussions/threads/{question.id}", {"body": "Sí"}).status_code
        == 302
    )
    page = tutor.get("/tutor/cohorts").get_data(as_text=True)
    assert "1 pregunta" not in page and "1 question" not in page
    assert services.unanswered_private_questions([scene.cohort]) == {}
    # The learner writes again: it waits again.
    post_multipart(learner, f"/discussions/threads/{question.id}", {"body": "¡Gracias! Otra cosa…"})
    assert services.unanswered_private_questions([scene.cohort]) == {scene.cohort.id: 1}


def test_a_report_reaches_the_tutor_who_hides_then_removes_with_a_trail(app, scene):
    thread = start(scene, author=scene.classmate)
    post = services.reply(
        thread,
        scene.place,
        scene.classmate,
        "Spam [aquí](https://spam.example)",
        [("spam.pdf", pdf_bytes())],
    )
    db.session.commit()
    post_id, thread_id, token = post.id, thread.id, post.attachments[0].token

    learner = signed_in(app, scene.learner)
    url = f"/discussions/posts/{post_id}/report"
    assert post_form(learner, url, {"reason": ""}).status_code == 200  # a reason is needed
    assert db.session.scalar(select(Report)) is None
    assert post_form(learner, url, {"reason": "Publicidad"}).status_code == 302
    post_form(learner, url, {"reason": "Publicidad"})  # twice: one report
    assert len(db.session.scalars(select(Report)).all()) == 1

    # Another cohort's tutor can neither see the reports nor act.
    other = signed_in(app, scene.other_tutor)
    assert other.get(f"/tutor/discussions/cohorts/{scene.cohort.id}/reports").status_code == 403
    assert (
        post_form(
            other,
            f"/tutor/discussions/posts/{post_id}",
            {"action": "hide", "reason": "x"},
            form_page="/",
        ).status_code
        == 403
    )
    # Learners do not reach moderation at all.
    assert learner.get(f"/tutor/discussions/posts/{post_id}").status_code == 403

    tutor = signed_in(app, scene.tutor)
    reports = tutor.get(f"/tutor/discussions/cohorts/{scene.cohort.id}/reports").get_data(
        as_text=True
    )
    assert "Publicidad" in reports
    moderate = f"/tutor/discussions/posts/{post_id}"
    assert post_form(tutor, moderate, {"action": "hide", "reason": "Publicidad"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post_id).state == PostState.HIDDEN
    assert db.session.get(Report, 1 if False else db.session.scalar(select(Report.id))).resolved_at
    page = learner.get(f"/discussions/threads/{thread_id}").get_data(as_text=True)
    assert "spam.example" not in page
    assert learner.get(f"/discussions/files/{token}").status_code == 404
    assert "spam.example" in tutor.get(f"/discussions/threads/{thread_id}").get_data(as_text=True)

    assert post_form(tutor, moderate, {"action": "remove", "reason": "Spam"}).status_code == 302
    db.session.expire_all()
    removed = db.session.get(Post, post_id)
    assert removed.state == PostState.REMOVED and removed.body == "" and not removed.attachments
    assert tutor.get(f"/discussions/files/{token}").status_code == 404
    trail = [
        (e.action.value, e.reason)
        for e in db.session.scalars(select(ModerationEntry).order_by(ModerationEntry.id))
    ]
    assert trail == [("hide", "Publicidad"), ("remove", "Spam")]
    # Removing twice changes nothing and records nothing.
    post_form(tutor, moderate, {"action": "remove", "reason": "Otra vez"})
    assert db.session.scalar(select(db.func.count(ModerationEntry.id))) == 2


def test_hiding_the_opening_post_hides_the_thread(app, scene):
    thread = start(scene, author=scene.classmate, title="Hilo ofensivo")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    assert moderation.moderate_post(opening, scene.place, scene.tutor, "hide", "Ofensivo")
    db.session.commit()
    learner = signed_in(app, scene.learner)
    assert "Hilo ofensivo" not in learner.get(f"/discussions/cohorts/{scene.cohort.id}").get_data(
        as_text=True
    )
    assert learner.get(f"/discussions/threads/{thread.id}").status_code == 404
    assert signed_in(app, scene.tutor).get(f"/discussions/threads/{thread.id}").status_code == 200


def test_locking_is_kept_in_the_trail_and_stops_learners(app, scene):
    thread = start(scene)
    tutor = signed_in(app, scene.tutor)
    url = f"/tutor/discussions/threads/{thread.id}/lock"
    assert post_form(tutor, url, {"reason": ""}, form_page="/").status_code == 200
    assert post_form(tutor, url, {"reason": "Tema cerrado"}, form_page="/").status_code == 302
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).locked
    learner = signed_in(app, scene.learner)
    before = counts()
    assert (
        post_multipart(learner, f"/discussions/threads/{thread.id}", {"body": "x"}).status_code
        == 200
    )
    assert counts() == before
    assert db.session.scalar(select(ModerationEntry)).action.value == "lock"


def test_removing_the_marked_answer_leaves_the_question_waiting_again(app, scene):
    thread = start(scene, kind=ThreadKind.QUESTION, title="¿Plazo?")
    answer = services.reply(thread, scene.place, scene.classmate, "Mañana")
    services.mark_answer(answer, scene.place, scene.learner)
    db.session.commit()
    assert moderation.moderate_post(answer, scene.place, scene.tutor, "remove", "Falso")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).answered_at is None
    assert not db.session.get(Post, answer.id).is_answer
