"""Thematic networks: administrators create them and name moderators, anyone registered
joins and writes, members-only networks are read by members only, moderators moderate."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.discussions import moderation, networks, services
from app.discussions.models import NetworkMember, Post, PostState, ThreadKind
from app.discussions.services import Place
from app.extensions import db
from tests.conftest import post_form
from tests.discussions.helpers import counts, post_multipart, signed_in


def test_an_administrator_creates_a_network_and_names_a_moderator(app, make_user):
    admin = signed_in(app, make_user(role=Role.ADMIN))
    moderator = make_user(email="mod@example.org")
    response = post_form(
        admin, "/admin/networks", {"name": "Empleos verdes", "slug": "empleos-verdes"}
    )
    assert response.status_code == 302
    refused = post_form(admin, "/admin/networks", {"name": "Copia", "slug": "empleos-verdes"})
    assert refused.status_code == 200 and len(networks.all_networks()) == 1
    assert (
        post_form(admin, "/admin/networks", {"name": "X", "slug": "No Válido"}).status_code == 200
    )
    post_form(admin, "/admin/networks/empleos-verdes/moderators", {"email": "mod@example.org"},
              form_page="/admin/networks")  # fmt: skip
    network = networks.network_by_slug("empleos-verdes")
    assert [u.id for u in networks.moderators_of(network)] == [moderator.id]
    # Learners cannot create networks.
    learner = signed_in(app, make_user())
    assert learner.get("/admin/networks").status_code == 403


def test_anyone_joins_writes_and_leaves(app, make_user):
    network = networks.create_network("aprendizaje", "Aprendizaje de calidad")
    db.session.commit()
    person = make_user()
    client = signed_in(app, person)
    board = f"/networks/{network.slug}/board"
    assert client.get(board).status_code == 200  # readable before joining
    before = counts()
    refused = post_multipart(client, board, {"title": "Hola", "kind": "discussion", "body": "x"})
    assert refused.status_code == 200 and counts() == before  # not a member: nothing stored
    assert (
        post_form(client, f"/networks/{network.slug}/join", {}, form_page="/networks").status_code
        == 302
    )
    response = post_multipart(
        client, board, {"title": "Hola", "kind": "discussion", "body": "Hola a todos"}
    )
    assert response.status_code == 302
    assert "Hola a todos" in client.get(response.headers["Location"]).get_data(as_text=True)
    post_form(client, f"/networks/{network.slug}/leave", {}, form_page="/networks")
    assert db.session.get(NetworkMember, (network.id, person.id)) is None


def test_a_members_only_network_is_closed_to_others(app, make_user):
    network = networks.create_network("sst", "Seguridad y salud", members_only=True)
    member, outsider = make_user(), make_user()
    networks.join(network, member)
    thread = services.start_thread(Place(network=network), member, ThreadKind.DISCUSSION, "t", "b")
    db.session.commit()
    client = signed_in(app, outsider)
    assert client.get(f"/networks/{network.slug}/board").status_code == 403
    assert client.get(f"/discussions/threads/{thread.id}").status_code == 403
    assert signed_in(app, member).get(f"/discussions/threads/{thread.id}").status_code == 200


def test_a_networks_moderator_moderates_there_and_nowhere_else(app, make_user):
    network = networks.create_network("digital", "Digitalización")
    other = networks.create_network("otra", "Otra red")
    moderator, author = make_user(email="mod@example.org"), make_user()
    networks.name_moderator(network, "mod@example.org")
    for place_network in (network, other):
        networks.join(place_network, author)
    here = services.start_thread(Place(network=network), author, ThreadKind.DISCUSSION, "a", "b")
    there = services.start_thread(Place(network=other), author, ThreadKind.DISCUSSION, "c", "d")
    db.session.commit()
    here_post = db.session.scalar(select(Post).where(Post.thread_id == here.id))
    there_post = db.session.scalar(select(Post).where(Post.thread_id == there.id))
    client = signed_in(app, moderator)
    url = f"/networks/posts/{here_post.id}/moderate"
    assert post_form(client, url, {"action": "hide", "reason": "Fuera de tema"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, here_post.id).state == PostState.HIDDEN
    assert client.get(f"/networks/posts/{there_post.id}/moderate").status_code == 403
    assert client.get(f"/networks/{other.slug}/moderation").status_code == 403
    assert "Fuera de tema" in client.get(f"/networks/{network.slug}/moderation").get_data(
        as_text=True
    )
    with pytest.raises(services.NotAllowed):
        moderation.moderate_post(there_post, Place(network=other), moderator, "hide", "x")


def test_learners_of_an_ended_cohort_are_invited_once_to_their_courses_network(app, make_user):
    from datetime import date, timedelta

    from app.catalog.models import CourseKind
    from app.notifications.models import Notification
    from app.seasons.models import Enrollment
    from tests.learning.helpers import build_course
    from tests.seasons.factories import make_cohort

    course = build_course("themed", kind=CourseKind.TUTOR_LED)
    today = date.today()
    ended = make_cohort(
        course, name="Ended", starts_on=today - timedelta(days=40),
        ends_on=today - timedelta(days=2), enroll_opens_on=today - timedelta(days=50),
        enroll_closes_on=today - timedelta(days=41),
    )  # fmt: skip
    running = make_cohort(course, name="Running")
    network = networks.create_network("tema", "Red del tema", course_id=course.id)
    alumna, member, current = make_user(), make_user(), make_user()
    for person, cohort in ((alumna, ended), (member, ended), (current, running)):
        db.session.add(
            Enrollment(
                user_id=person.id, course_id=course.id,
                season_id=cohort.offering.season_id, cohort_id=cohort.id,
            )
        )  # fmt: skip
    networks.join(network, member)
    db.session.commit()

    assert networks.invite_alumni() == 1
    assert networks.invite_alumni() == 0  # once
    db.session.commit()
    invited = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.link) for n in invited] == [(alumna.id, "/networks/tema/board")]
    assert "Red del tema" in services_describe(invited[0])


def services_describe(notification):
    from app.notifications.services import describe

    return describe(notification)
