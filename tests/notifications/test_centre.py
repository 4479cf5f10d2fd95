"""The notification centre: in-app news with a server-rendered unread count, a page to read
and clear them, per-kind delivery (platform, mail at once, daily digest), and unsubscribing
in one click, signed out."""

import pytest
from sqlalchemy import select

from app.discussions import services as discussions
from app.discussions.models import Thread, ThreadKind
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification, NotificationPreference
from tests.conftest import outbox, post_form
from tests.core.test_mail import smtp  # noqa: F401  (a real SMTP server)
from tests.discussions.helpers import make_scene, post_multipart, signed_in, start
from tests.learning.helpers import counting_queries


@pytest.fixture
def scene(app, make_user):
    return make_scene(make_user)


def unread_badge(page: str) -> str | None:
    import re

    match = re.search(r'<span class="badge">([^<]*)</span>', page)
    return match.group(1) if match else None


def test_a_learner_asks_the_tutor_answers_and_the_learner_sees_it(app, scene):
    learner = signed_in(app, scene.learner)
    post_multipart(
        learner,
        f"/discussions/cohorts/{scene.cohort.id}/questions",
        {"title": "¿Plazo?", "body": "¿Cuándo se entrega?"},
    )
    question = db.session.scalar(select(Thread))
    # The tutor hears of it in the platform and, by default, by mail.
    tutor = signed_in(app, scene.tutor)
    assert unread_badge(tutor.get("/tutor/cohorts").get_data(as_text=True)) == "1 sin leer"
    mail = [m for m in outbox(scene.tutor.email) if "¿Plazo?" in m.subject]
    assert len(mail) == 1
    assert mail[0].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail[0].headers["List-Unsubscribe"].startswith("<http")
    assert "/unsubscribe/" in mail[0].body

    post_multipart(tutor, f"/discussions/threads/{question.id}", {"body": "El viernes."})
    page = learner.get("/dashboard").get_data(as_text=True)
    assert unread_badge(page) == "1 sin leer"
    inbox = learner.get("/notifications").get_data(as_text=True)
    assert "Tina Tutor respondió en «¿Plazo?»" in inbox
    (notification,) = db.session.scalars(
        select(Notification).where(Notification.user_id == scene.learner.id)
    ).all()
    response = post_form(
        learner, f"/notifications/{notification.id}/open", {}, form_page="/notifications"
    )
    assert response.headers["Location"].startswith(f"/discussions/threads/{question.id}")
    assert unread_badge(learner.get("/dashboard").get_data(as_text=True)) is None
    # Someone else's notification is not found.
    assert (
        post_form(
            tutor, f"/notifications/{notification.id}/open", {}, form_page="/notifications"
        ).status_code
        == 404
    )


def test_mark_all_as_read_clears_the_count(app, scene):
    thread = start(scene)
    for n in range(3):
        discussions.reply(thread, scene.place, scene.classmate, f"r{n}")
    db.session.commit()
    learner = signed_in(app, scene.learner)
    assert unread_badge(learner.get("/notifications").get_data(as_text=True)) == "3 sin leer"
    post_form(learner, "/notifications/read", {}, form_page="/notifications")
    assert unread_badge(learner.get("/notifications").get_data(as_text=True)) is None
    assert services.unread_count(scene.learner) == 0


def test_the_header_count_costs_one_query_and_none_for_visitors(app, client, scene):
    learner = signed_in(app, scene.learner)
    with counting_queries() as before:
        learner.get("/")
    thread = start(scene)
    for n in range(40):
        discussions.reply(thread, scene.place, scene.classmate, f"r{n}")
    db.session.commit()
    with counting_queries() as after:
        page = learner.get("/").get_data(as_text=True)
    assert len(after) == len(before)
    assert unread_badge(page) == "40 sin leer"
    assert len([s for s in after if "notification" in s]) == 1
    with counting_queries() as anonymous:
        client.get("/")
    assert not [s for s in anonymous if "notification" in s]


def test_the_daily_digest_sends_once_and_not_to_who_unsubscribed(app, scene):
    services.set_preferences(scene.learner, {"discussions.announcement": "digest"})
    db.session.commit()
    start(scene, author=scene.tutor, kind=ThreadKind.ANNOUNCEMENT, title="Sesión el martes")
    # The classmate unsubscribes from the mail the announcement sent, signed out, in one click.
    (classmate_mail,) = [m for m in outbox(scene.classmate.email)]
    url = classmate_mail.headers["List-Unsubscribe"].strip("<>").split("5000", 1)[-1]
    anonymous = app.test_client()
    response = anonymous.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert services.preferences(scene.classmate)["discussions.announcement"] == "platform"
    assert not outbox(scene.learner.email)  # waits for the digest

    start(scene, author=scene.tutor, kind=ThreadKind.ANNOUNCEMENT, title="Cambio de sala")
    assert len(outbox(scene.classmate.email)) == 1  # nothing more after unsubscribing
    assert services.send_digests() == 1
    (digest,) = outbox(scene.learner.email)
    assert "Sesión el martes" in digest.body and "Cambio de sala" in digest.body
    assert digest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert services.send_digests() == 0  # a second run sends nothing twice
    assert len(outbox(scene.learner.email)) == 1


def test_news_moved_to_platform_only_is_dropped_from_the_digest(app, scene):
    services.set_preferences(scene.learner, {"discussions.announcement": "digest"})
    db.session.commit()
    start(scene, author=scene.tutor, kind=ThreadKind.ANNOUNCEMENT, title="Aviso")
    services.set_preferences(scene.learner, {"discussions.announcement": "platform"})
    db.session.commit()
    assert services.send_digests() == 0 and not outbox(scene.learner.email)


@pytest.mark.parametrize("token", ["not-a-token", "WzMsIioiXQ.forged-signature"])
def test_an_unsigned_unsubscribe_token_changes_nothing(app, scene, token):
    anonymous = app.test_client()
    response = anonymous.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    assert "no es válido" in anonymous.get(f"/unsubscribe/{token}").get_data(as_text=True)
    assert db.session.scalar(select(NotificationPreference)) is None


def test_the_unsubscribe_page_works_signed_out_with_its_button(app, scene):
    token = services.unsubscribe_token(scene.learner, services.ALL_KINDS)
    anonymous = app.test_client()
    assert anonymous.post(f"/unsubscribe/{token}", data={}).status_code == 400  # no form token
    response = post_form(anonymous, f"/unsubscribe/{token}", {})
    assert response.status_code == 200
    assert set(services.preferences(scene.learner).values()) == {"platform"}


def test_settings_keep_a_choice_per_kind_and_refuse_unknown_ones(app, scene):
    learner = signed_in(app, scene.learner)
    page = learner.get("/notifications/settings").get_data(as_text=True)
    assert "Avisos de mis tutores" in page
    response = post_form(learner, "/notifications/settings", {"kind_discussions__reply": "digest"})
    assert response.status_code == 302
    assert services.preferences(scene.learner)["discussions.reply"] == "digest"
    response = post_form(learner, "/notifications/settings", {"kind_discussions__reply": "sms"})
    assert response.status_code == 200
    assert services.preferences(scene.learner)["discussions.reply"] == "digest"
    with pytest.raises(services.PreferenceRefused):
        services.set_preferences(scene.learner, {"no.such.kind": "mail"})


def test_the_unsubscribe_headers_reach_the_mail_server(app, scene, smtp):  # noqa: F811
    start(scene, author=scene.tutor, kind=ThreadKind.ANNOUNCEMENT, title="Aviso")  # committed
    received = [m for _f, to, m in smtp.received if scene.learner.email in to]
    assert received, "the announcement was not delivered"
    assert received[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in received[0]["List-Unsubscribe"]
