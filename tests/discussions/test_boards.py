"""Cohort boards: who reads them, what a post may hold, announcements, answers, pages."""

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.discussions import services
from app.discussions.models import Post, Thread, ThreadKind
from app.discussions.services import Place
from app.extensions import db
from tests.capstones.helpers import pdf_bytes, png_bytes
from tests.conftest import csrf_token, login, outbox, post_form
from tests.discussions.helpers import counts, make_scene, post_multipart, signed_in, start
from tests.learning.helpers import build_course, counting_queries, enroll_directly
from tests.seasons.factories import enroll, offering_for


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list]]:
    """Every element's (tag, attributes) in the HTML, as a browser's parser reads them."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.fixture
def scene(app, make_user):
    return make_scene(make_user)


@pytest.fixture
def generous_limit(app):
    saved = app.config.get("DISCUSSION_POST_RATE_LIMIT")
    app.config["DISCUSSION_POST_RATE_LIMIT"] = "1000 per minute"
    yield
    if saved is None:
        app.config.pop("DISCUSSION_POST_RATE_LIMIT")
    else:
        app.config["DISCUSSION_POST_RATE_LIMIT"] = saved


def board_url(scene):
    return f"/discussions/cohorts/{scene.cohort.id}"


def test_a_learner_starts_a_thread_and_a_classmate_replies(client, scene, app):
    login(client, scene.learner)
    response = post_multipart(
        client,
        board_url(scene),
        {"title": "Marcos de cualificaciones", "kind": "discussion", "body": "¿Cómo **empezar**?"},
    )
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread))
    assert thread.title == "Marcos de cualificaciones" and thread.author_id == scene.learner.id
    page = client.get(f"/discussions/threads/{thread.id}").get_data(as_text=True)
    assert "<strong>empezar</strong>" in page

    other = app.test_client()
    login(other, scene.classmate)
    assert "Marcos de cualificaciones" in other.get(board_url(scene)).get_data(as_text=True)
    response = post_multipart(other, f"/discussions/threads/{thread.id}", {"body": "Así."})
    assert response.status_code == 302
    db.session.expire_all()
    thread = db.session.get(Thread, thread.id)
    assert thread.reply_count == 1 and thread.last_author_id == scene.classmate.id


def test_another_cohort_sees_nothing_of_the_board(app, scene):
    thread = start(scene)
    post = db.session.scalar(select(Post))
    services.reply(thread, scene.place, scene.classmate, "Con foto", [("foto.png", png_bytes())])
    db.session.commit()
    token = db.session.scalar(select(Post).where(Post.id != post.id)).attachments[0].token
    for person in (scene.stranger, scene.other_tutor):
        client = signed_in(app, person)
        assert client.get(board_url(scene)).status_code == 403
        assert client.get(f"/discussions/threads/{thread.id}").status_code == 403
        assert client.get(f"/discussions/files/{token}").status_code == 403
        before = counts()
        response = post_multipart(client, f"/discussions/threads/{thread.id}", {"body": "Hola"})
        assert response.status_code == 403 and counts() == before
        response = post_multipart(
            client, board_url(scene), {"title": "Intruso", "kind": "discussion", "body": "x"}
        )
        assert response.status_code == 403 and counts() == before


def test_script_and_event_handlers_in_posts_are_made_harmless(client, scene):
    login(client, scene.learner)
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> "
        "[clic](javascript:alert(3)) [sitio](https://example.org) "
        '<a href="https://evil.example" onclick="alert(4)">a</a> ![p](https://tracker.example/p.png)'
    )
    post_multipart(
        client, board_url(scene), {"title": "<b>Hola</b>", "kind": "discussion", "body": hostile}
    )
    post = db.session.scalar(select(Post))
    page = client.get(f"/discussions/threads/{post.thread_id}").get_data(as_text=True)
    for html in (post.body_html, page):
        tags = elements(html)
        assert "script" not in {tag for tag, _attrs in tags}
        assert "img" not in {tag for tag, _attrs in tags}
        assert not [name for _tag, attrs in tags for name, _v in attrs if name.startswith("on")]
        assert not [
            v for _t, attrs in tags for _n, v in attrs if (v or "").startswith("javascript")
        ]
    assert 'href="https://example.org"' in post.body_html
    assert 'rel="nofollow ugc noopener noreferrer"' in post.body_html
    assert "&lt;b&gt;Hola&lt;/b&gt;" in page  # the title is text, never markup


@pytest.mark.parametrize("size, status", [(20_001, 200), (400_000, 200), (1_000_000, 413)])
def test_a_post_too_long_is_refused_and_nothing_is_stored(client, scene, size, status):
    """Up to the form's memory limit the form says so; a megabyte is refused on arrival."""
    thread = start(scene)
    login(client, scene.learner)
    before = counts()
    for url, data in (
        (board_url(scene), {"title": "Largo", "kind": "discussion", "body": "a" * size}),
        (f"/discussions/threads/{thread.id}", {"body": "a" * size}),
    ):
        response = post_multipart(client, url, data)
        assert response.status_code == status
        assert "20000" in response.get_data(as_text=True).replace(",", "").replace(".", "")
        assert counts() == before


def test_pictures_and_pdfs_are_attached_and_served_as_attachments(client, scene):
    login(client, scene.learner)
    response = post_multipart(
        client,
        board_url(scene),
        {"title": "Archivos", "kind": "discussion", "body": "Adjunto"},
        files=[("plan.pdf", pdf_bytes()), ("foto.png", png_bytes())],
    )
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert [a.filename for a in post.attachments] == ["plan.pdf", "foto.png"]
    download = client.get(f"/discussions/files/{post.attachments[0].token}")
    assert download.status_code == 200 and download.data == pdf_bytes()
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("plan.pdf", b"<html><script>alert(1)</script></html>"),  # HTML disguised as a PDF
        ("foto.png", pdf_bytes()),  # a PDF named as a picture
        ("dibujo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'),
        ("hoja.docx", b"PK\x03\x04 not really"),  # capstones take office files; posts do not
        ("vacio.pdf", b""),
    ],
)
def test_disguised_or_unaccepted_files_are_refused_with_nothing_half_stored(
    client, scene, name, content
):
    thread = start(scene)
    login(client, scene.learner)
    before = counts()
    for url, data in (
        (board_url(scene), {"title": "Con archivo", "kind": "discussion", "body": "Mira"}),
        (f"/discussions/threads/{thread.id}", {"body": "Mira"}),
    ):
        response = post_multipart(
            client, url, data, files=[("ok.pdf", pdf_bytes()), (name, content)]
        )
        assert response.status_code == 200
        assert counts() == before


def test_an_announcement_is_pinned_and_mailed_and_only_tutors_post_one(app, client, scene):
    start(scene, title="Una charla")
    login(client, scene.learner)
    before = counts()
    response = post_multipart(
        client, board_url(scene), {"title": "Falso aviso", "kind": "announcement", "body": "x"}
    )
    assert response.status_code == 200 and counts() == before

    client = signed_in(app, scene.tutor)
    response = post_multipart(
        client,
        board_url(scene),
        {"title": "Sesión en vivo", "kind": "announcement", "body": "El martes"},
    )
    assert response.status_code == 302
    announcement = db.session.scalar(select(Thread).where(Thread.kind == ThreadKind.ANNOUNCEMENT))
    assert announcement.pinned
    recipients = {m.recipient for m in outbox() if "Sesión en vivo" in m.subject}
    assert recipients == {scene.learner.email, scene.classmate.email}
    page = client.get(board_url(scene)).get_data(as_text=True)
    assert page.index("Sesión en vivo") < page.index("Una charla")  # pinned first


def test_the_asker_or_a_tutor_marks_the_answer_and_nobody_else(app, client, scene):
    thread = start(scene, kind=ThreadKind.QUESTION, title="¿Plazo?")
    first = services.reply(thread, scene.place, scene.classmate, "El lunes")
    second = services.reply(thread, scene.place, scene.tutor, "El martes")
    db.session.commit()
    first_id, second_id, thread_id = first.id, second.id, thread.id
    opening_id = db.session.scalar(
        select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id)
    )

    login(client, scene.classmate)
    url = f"/discussions/threads/{thread_id}/answer"
    assert post_form(client, url, {"post": first_id}, form_page="/").status_code == 403
    client = signed_in(app, scene.learner)
    assert post_form(client, url, {"post": opening_id}, form_page="/").status_code == 409
    assert post_form(client, url, {"post": "x"}, form_page="/").status_code == 302
    assert post_form(client, url, {"post": first_id}, form_page="/").status_code == 302
    tutor = signed_in(app, scene.tutor)
    assert post_form(tutor, url, {"post": second_id}, form_page="/").status_code == 302
    post_form(tutor, url, {"post": second_id}, form_page="/")  # twice: no change
    db.session.expire_all()
    answers = db.session.scalars(select(Post.id).where(Post.is_answer)).all()
    assert answers == [second_id]
    assert db.session.get(Thread, thread_id).answered_at is not None
    assert "Respondida" in client.get(board_url(scene)).get_data(as_text=True)


def _fill(thread, scene, n):
    for i in range(n):
        db.session.add(
            Post(
                thread_id=thread.id,
                author_id=scene.classmate.id,
                body=f"r{i}",
                body_html=f"<p>r{i}</p>",
            )
        )
    thread.reply_count += n
    db.session.commit()


def test_a_thread_page_runs_the_same_queries_for_5_and_500_replies(client, scene):
    short, long = start(scene, title="Corto"), start(scene, title="Largo")
    _fill(short, scene, 5)
    _fill(long, scene, 500)
    with_file = services.reply(long, scene.place, scene.tutor, "Archivo", [("a.pdf", pdf_bytes())])
    db.session.commit()
    login(client, scene.learner)
    client.get(f"/discussions/threads/{short.id}")  # warm up
    measured = {}
    for name, url in (
        ("5", f"/discussions/threads/{short.id}"),
        ("500", f"/discussions/threads/{long.id}"),
        ("500, last page", f"/discussions/threads/{long.id}?page=11"),
    ):
        with counting_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        measured[name] = len(statements)
    assert measured["5"] == measured["500"] == measured["500, last page"], measured
    assert measured["5"] <= 10, measured
    last = client.get(f"/discussions/threads/{long.id}?page=11").get_data(as_text=True)
    assert "r499" in last and with_file.attachments[0].filename in last and "r0<" not in last


def test_a_page_of_fifty_replies_weighs_under_30_kb(client, scene):
    thread = start(scene, kind=ThreadKind.QUESTION)
    for i in range(60):
        db.session.add(
            Post(
                thread_id=thread.id,
                author_id=scene.classmate.id,
                body="x",
                body_html=f"<p>Una respuesta de longitud habitual, número {i}, con texto.</p>",
            )
        )
    thread.reply_count = 60
    db.session.commit()
    login(client, scene.learner)  # the asker: every reply carries a "mark as the answer" form
    page = client.get(f"/discussions/threads/{thread.id}")
    assert page.status_code == 200
    assert len(page.data) < 30 * 1024, len(page.data)
    assert page.get_data(as_text=True).count('<article class="post') == services.POSTS_PER_PAGE


def test_posting_is_rate_limited_per_account(client, scene, app):
    thread = start(scene)
    login(client, scene.learner)
    statuses = [
        post_multipart(client, f"/discussions/threads/{thread.id}", {"body": f"n{i}"}).status_code
        for i in range(20)
    ]
    assert statuses.count(302) == 6 and statuses[6:] == [429] * 14
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 6
    # Another account is not held back by this one.
    other = app.test_client()
    login(other, scene.classmate)
    assert (
        post_multipart(other, f"/discussions/threads/{thread.id}", {"body": "yo"}).status_code
        == 302
    )


def test_a_self_paced_course_has_a_board_for_its_learners_in_the_season(app, client, make_user):
    course = build_course("self-paced-talk")
    learner, outsider = make_user(), make_user()
    enroll_directly(learner, course)
    offering = offering_for(course)
    db.session.commit()
    url = f"/discussions/courses/{offering.id}"
    login(client, outsider)
    assert client.get(url).status_code == 403
    client = signed_in(app, learner)
    assert client.get(url).status_code == 200
    response = post_multipart(client, url, {"title": "Hola", "kind": "question", "body": "¿?"})
    assert response.status_code == 302
    assert db.session.scalar(select(Thread)).board.offering_id == offering.id
    # No tutors here: no private questions either.
    with pytest.raises(services.NotAllowed):
        services.start_thread(Place(offering=offering), learner, ThreadKind.PRIVATE, "t", "b")


def test_the_dashboard_links_the_learners_boards(client, scene):
    """Each board the learner belongs to, named by its course and its cohort (a tutor-led
    course) or its season in the reader's language (a self-paced one), with the tutors'
    questions beside a cohort's board."""
    paced = build_course("paced", title={"es": "A su ritmo"})
    season = offering_for(paced).season
    season.name_es = "Temporada de prueba"
    enroll(scene.learner, paced)
    db.session.commit()
    login(client, scene.learner)
    page = client.get("/dashboard").get_data(as_text=True)
    boards = page.split('id="discussions-heading"')[1].split("</section>")[0]
    cohort = scene.cohort.id
    assert f'<a href="/discussions/cohorts/{cohort}">Curso talk · A</a>' in boards
    assert f'<a href="/discussions/cohorts/{cohort}/questions">' in boards
    paced_board = f'<a href="/discussions/courses/{offering_for(paced).id}">'
    assert f"{paced_board}A su ritmo · Temporada de prueba</a>" in boards
    assert f"/discussions/cohorts/{scene.other_cohort.id}" not in page


def test_a_locked_thread_takes_no_reply_but_the_moderators(client, scene):
    thread = start(scene)
    thread.locked = True
    db.session.commit()
    login(client, scene.learner)
    before = counts()
    response = post_multipart(client, f"/discussions/threads/{thread.id}", {"body": "¿Sigo?"})
    assert response.status_code == 200 and counts() == before
    services.reply(db.session.get(Thread, thread.id), scene.place, scene.tutor, "Yo sí")
    db.session.commit()
    assert counts()[1] == before[1] + 1


def test_the_board_needs_a_role_only_for_announcements(scene):
    assert Role.TUTOR not in scene.learner.roles


def test_many_replies_sent_at_once_by_one_account_store_only_what_the_limit_allows(app, scene):
    """A thousand replies from one account, fifty in flight at a time, released together: six
    are kept, each whole (post and count moved together); the rest are refused with nothing
    half-stored."""
    import threading

    thread = start(scene)
    client = signed_in(app, scene.learner)
    url = f"/discussions/threads/{thread.id}"
    token = csrf_token(client, "/")
    statuses, lock = [], threading.Lock()
    senders, each = 50, 20
    gate = threading.Barrier(senders)

    def send(n):
        gate.wait()
        for k in range(each):
            response = client.post(
                url,
                data={"csrf_token": token, "body": f"en paralelo {n}-{k}"},
                content_type="multipart/form-data",
            )
            with lock:
                statuses.append(response.status_code)

    workers = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(statuses) == 1000
    assert sorted(set(statuses)) == [302, 429], statuses
    kept = statuses.count(302)
    assert kept == 6
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == kept
    assert counts()[1] == kept + 1  # the opening post and the replies kept
