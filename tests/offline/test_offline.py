"""Learning offline: the installable app, a course saved for offline use, actions queued on a
device and sent later (once per idempotency key), the printable course pack."""

import gzip
import io
import json
import threading
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import Course, Item
from app.core.models import StoredFile
from app.extensions import db
from app.learning.models import ItemProgress, QuizAttempt
from app.offline.models import CoursePack, OfflineAction
from tests.conftest import csrf_token, login
from tests.learning.helpers import (
    SMALL,
    attempts_of,
    count_rows,
    done_slugs,
    enroll_directly,
    flashes,
    tags_of,
)

STATIC = Path(__file__).resolve().parents[2] / "app" / "static" / "offline"
RIGHT = {"0": ["0"], "1": ["0", "1"], "2": ["true"], "3": ["2"]}
WRONG = {"0": ["1"], "1": ["2"], "2": ["false"], "3": ["3"]}


def key() -> str:
    return uuid.uuid4().hex


def send(client, action, token=None):
    token = token or client.get("/offline/token").get_json()["token"]
    return client.post(
        "/offline/actions",
        data=json.dumps(action),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )


@pytest.fixture
def learner(client, login_as, small_course):
    user = login_as(Role.LEARNER, locale="en")
    enroll_directly(user, small_course)
    db.session.commit()
    return user


# Installable -------------------------------------------------------------------------------


def test_the_layout_links_a_web_app_manifest_with_png_icons(client):
    page = client.get("/").get_data(as_text=True)
    links = [attrs for tag, attrs in tags_of(page) if tag == "link"]
    manifest_url = next(a["href"] for a in links if a.get("rel") == "manifest")
    answer = client.get(manifest_url)
    assert answer.status_code == 200
    assert answer.mimetype == "application/manifest+json"
    manifest = answer.get_json()
    assert manifest["name"] == "Aula" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/dashboard"
    sizes = set()
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.get_data().startswith(b"\x89PNG"), icon
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes


def test_pages_carry_no_script_for_learners_who_never_save(client, learner):
    for url in ("/", "/dashboard", f"/learn/{SMALL}", f"/learn/{SMALL}/welcome"):
        page = client.get(url).get_data(as_text=True)
        assert "offline.js" not in page and "sw.js" not in page, url


def test_the_worker_and_its_script_weigh_at_most_15_kb_gzipped():
    total = sum(len(gzip.compress((STATIC / n).read_bytes(), 9)) for n in ("sw.js", "offline.js"))
    assert total <= 15 * 1024, total


def test_the_worker_may_look_after_the_whole_site(client):
    answer = client.get("/offline/sw.js")
    assert answer.status_code == 200
    assert answer.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in answer.headers["Cache-Control"]
    assert b"addEventListener('fetch'" in answer.get_data()


# Saving a course -----------------------------------------------------------------------------


def test_the_save_page_lists_every_item_with_its_size_and_loads_the_script(client, learner):
    page = client.get(f"/offline/courses/{SMALL}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "offline/offline.js" in html
    titles = db.session.scalars(select(Item.title).join(Course).where(Course.slug == SMALL))
    for title in titles:
        assert title.get("en", title.get("es")) in html
    assert " KB" in html and "Save only this module" in html
    # Without JavaScript: the saving controls stay hidden, the pack is a plain link.
    assert 'id="offline-save" hidden' in html and "<noscript>" in html
    assert f"/offline/courses/{SMALL}/pack.pdf" in html


def test_the_manifest_lists_pages_and_files_never_the_answers(client, learner, small_course):
    manifest = client.get(f"/offline/courses/{SMALL}/manifest.json").get_json()
    urls = manifest["urls"]
    assert f"/learn/{SMALL}" in urls and "/offline/fallback" in urls
    items = db.session.scalars(select(Item).where(Item.course_id == small_course.id)).all()
    for item in items:
        assert f"/learn/{SMALL}/{item.slug}" in urls
    guide = next(i for i in items if i.kind == "guide")
    for ref in guide.content["pdf"].values():
        assert f"/files/{ref['sha256']}/{ref['filename']}" in urls
    for visit in (i for i in items if i.kind == "study_visit"):
        for still in visit.content["stills"]:
            ref = still["file"]
            assert f"/files/{ref['sha256']}/{ref['filename']}" in urls
    assert manifest["version"] == small_course.package_hash
    assert manifest["size"] > sum(
        db.session.scalar(select(StoredFile.size).where(StoredFile.sha256 == r["sha256"]))
        for r in guide.content["pdf"].values()
    )
    assert "correct" not in json.dumps(manifest)


def test_one_module_can_be_saved_alone(client, learner, small_course):
    module = small_course.modules[0]
    manifest = client.get(f"/offline/courses/{SMALL}/manifest.json?module={module.slug}").get_json()
    assert manifest["id"] == f"{SMALL}/{module.slug}"
    assert manifest["version"].endswith(module.slug)
    assert client.get(f"/offline/courses/{SMALL}/manifest.json?module=nope").status_code == 404


def test_the_manifest_version_follows_the_package_hash(client, learner, small_course):
    before = client.get(f"/offline/courses/{SMALL}/manifest.json").get_json()["version"]
    small_course.package_hash = "f" * 64
    db.session.commit()
    after = client.get(f"/offline/courses/{SMALL}/manifest.json").get_json()["version"]
    assert before != after == "f" * 64


def test_only_enrolled_learners_save_a_course(client, login_as, small_course):
    login_as(Role.LEARNER)
    assert client.get(f"/offline/courses/{SMALL}").status_code == 403
    assert client.get(f"/offline/courses/{SMALL}/manifest.json").status_code == 403
    assert client.get("/offline/courses/no-such-course").status_code == 404


# Actions queued offline ---------------------------------------------------------------------


def test_a_queued_mark_done_acts_once_with_its_key(client, learner):
    action = {"key": key(), "kind": "done", "course": SMALL, "item": "welcome"}
    first = send(client, action)
    assert first.status_code == 200 and first.get_json()["outcome"] == "done"
    again = send(client, action)
    assert again.get_json() == first.get_json()
    assert done_slugs(learner) == {"welcome"}
    assert count_rows(OfflineAction, user_id=learner.id) == 1
    # The next page says what arrived from the device.
    page = client.get(f"/learn/{SMALL}").get_data(as_text=True)
    assert any("Sent from your device" in text for _c, text in flashes(page))


def test_a_queued_quiz_is_graded_on_the_server_once(client, learner):
    action = {
        "key": key(),
        "kind": "quiz",
        "course": SMALL,
        "item": "basics-quiz",
        "answers": RIGHT,
    }
    for _ in range(3):
        answer = send(client, action).get_json()
        assert answer["outcome"] == "done" and "100" in answer["message"]
    attempts = attempts_of(learner)
    assert len(attempts) == 1 and attempts[0].passed and attempts[0].number == 1
    assert "basics-quiz" in done_slugs(learner)


def test_two_queued_attempts_take_the_next_numbers(client, learner):
    for _ in range(2):
        send(
            client,
            {
                "key": key(),
                "kind": "quiz",
                "course": SMALL,
                "item": "basics-quiz",
                "answers": WRONG,
            },
        )
    assert [a.number for a in attempts_of(learner)] == [1, 2]


def test_a_queued_attempt_with_attempts_spent_meanwhile_is_refused_and_the_learner_told(
    client, learner
):
    # Spent online meanwhile (max_attempts: 2), then the device's queued attempt arrives.
    for _ in range(2):
        send(
            client,
            {
                "key": key(),
                "kind": "quiz",
                "course": SMALL,
                "item": "basics-quiz",
                "answers": WRONG,
            },
        )
    client.get("/")  # the flashes of those two
    action = {
        "key": key(),
        "kind": "quiz",
        "course": SMALL,
        "item": "basics-quiz",
        "answers": RIGHT,
    }
    answer = send(client, action).get_json()
    assert answer["outcome"] == "refused"
    assert "every attempt" in answer["message"]
    assert len(attempts_of(learner)) == 2
    page = client.get(f"/learn/{SMALL}/basics-quiz").get_data(as_text=True)
    assert any(c == "error" and "every attempt" in t for c, t in flashes(page))
    listed = client.get("/offline/").get_data(as_text=True)
    assert "not counted" in listed and "every attempt" in listed
    # Sent again, the same key is refused the same way and still spends nothing.
    assert send(client, action).get_json()["outcome"] == "refused"
    assert count_rows(OfflineAction, user_id=learner.id, outcome="refused") == 1


def test_marking_done_an_item_that_counts_another_way_is_refused(client, learner):
    answer = send(client, {"key": key(), "kind": "done", "course": SMALL, "item": "basics-quiz"})
    assert answer.get_json()["outcome"] == "refused"
    assert done_slugs(learner) == set()


def test_a_draft_in_a_self_paced_course_is_refused(client, learner):
    answer = send(
        client,
        {"key": key(), "kind": "draft", "course": SMALL, "item": "welcome", "text": "Mi texto"},
    )
    assert answer.get_json()["outcome"] == "refused"


def test_actions_for_a_course_the_learner_left_are_refused(client, login_as, small_course):
    login_as(Role.LEARNER)
    answer = send(client, {"key": key(), "kind": "done", "course": SMALL, "item": "welcome"})
    assert answer.get_json()["outcome"] == "refused"
    assert count_rows(ItemProgress) == 0


@pytest.mark.parametrize(
    "action",
    [
        None,
        [],
        "text",
        {"key": "short", "kind": "done", "course": SMALL, "item": "welcome"},
        {"key": key(), "kind": "delete", "course": SMALL, "item": "welcome"},
        {"key": key(), "kind": "done", "course": "../x", "item": "welcome"},
        {"key": key(), "kind": "done", "course": SMALL, "item": "<script>"},
        {"key": key(), "kind": "quiz", "course": SMALL, "item": "basics-quiz", "answers": "0"},
        {
            "key": key(),
            "kind": "quiz",
            "course": SMALL,
            "item": "basics-quiz",
            "answers": {"x": ["0"]},
        },
        {
            "key": key(),
            "kind": "quiz",
            "course": SMALL,
            "item": "basics-quiz",
            "answers": {str(i): ["0"] for i in range(500)},
        },
        {"key": key(), "kind": "draft", "course": SMALL, "item": "welcome", "text": "x" * 20001},
        {"key": "k" * 65, "kind": "done", "course": SMALL, "item": "welcome"},
    ],
)
def test_malformed_actions_are_refused_with_400_and_change_nothing(client, learner, action):
    answer = send(client, action)
    assert answer.status_code == 400
    assert count_rows(OfflineAction) == 0 and count_rows(ItemProgress) == 0


def test_actions_need_a_form_token_and_a_signed_in_learner(client, learner, app):
    action = {"key": key(), "kind": "done", "course": SMALL, "item": "welcome"}
    refused = client.post(
        "/offline/actions", data=json.dumps(action), content_type="application/json"
    )
    assert refused.status_code == 400  # no CSRF token
    other = app.test_client()
    answer = other.post(
        "/offline/actions", data=json.dumps(action), content_type="application/json"
    )
    assert answer.status_code in (302, 400)
    assert count_rows(ItemProgress) == 0


def test_one_learners_key_does_not_touch_anothers(client, learner, app, make_user, small_course):
    action = {"key": key(), "kind": "done", "course": SMALL, "item": "welcome"}
    send(client, action)
    other_user = make_user(locale="en")
    enroll_directly(other_user, small_course)
    db.session.commit()
    other = app.test_client()
    login(other, other_user)
    assert send(other, action).get_json()["outcome"] == "done"
    assert done_slugs(other_user) == {"welcome"}
    assert count_rows(OfflineAction) == 2


def test_the_same_key_sent_at_once_acts_once(app, learner, database_url):
    """Four copies of one queued quiz attempt arriving together: one attempt, one row."""
    action = {
        "key": key(),
        "kind": "quiz",
        "course": SMALL,
        "item": "basics-quiz",
        "answers": WRONG,
    }
    clients = []
    for _ in range(4):
        c = app.test_client()
        login(c, learner)
        clients.append((c, c.get("/offline/token").get_json()["token"]))
    db.session.remove()
    barrier = threading.Barrier(len(clients))
    answers = []

    def post(c, token):
        barrier.wait()
        answers.append(send(c, action, token).get_json())

    threads = [threading.Thread(target=post, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4 and all(a["outcome"] == "done" for a in answers), answers
    assert count_rows(QuizAttempt) == 1
    assert count_rows(OfflineAction) == 1


def test_a_form_posted_by_hand_goes_to_the_saved_page(client, learner):
    token = csrf_token(client, "/")
    answer = client.post("/offline/actions", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/offline/")


# The offline pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/offline/", "/offline/fallback", "/offline/queued"])
def test_the_offline_pages_answer(client, learner, url):
    assert client.get(url).status_code == 200


# The printable course pack ---------------------------------------------------------------------


def test_the_course_pack_holds_every_lesson_and_no_answer(client, learner, small_course):
    packs = db.session.scalars(select(CoursePack).where(CoursePack.course_id == small_course.id))
    assert {p.language for p in packs} == {"es", "pt", "en"}
    answer = client.get(f"/offline/courses/{SMALL}/pack.pdf", follow_redirects=True)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.get_data())).pages)
    flat = " ".join(text.split())
    assert b"/Subtype /Image" in answer.get_data()  # the lesson's diagram, the visits' stills
    items = db.session.scalars(select(Item).where(Item.course_id == small_course.id)).all()
    for item in items:
        assert " ".join(item.title["en"].split()) in flat, item.slug
    for item in items:
        if item.kind == "lesson":
            words = _visible_words(item.content["html"]["en"])
            assert words and all(w in flat for w in words[:12]), item.slug
        if item.kind == "guide":  # the guide's own text, not only its title
            html = item.content["html"]
            words = _visible_words(html.get("en") or html[small_course.language])
            assert words and all(w in flat for w in words[:12]), item.slug
        if item.kind == "quiz":
            for question in item.content["questions"]:
                assert " ".join(question["prompt"]["en"].split())[:30] in flat
            assert "correct" not in flat.lower()


def _visible_words(html: str) -> list[str]:
    import re

    text = re.sub(r"<[^>]+>", " ", html)
    return [w for w in text.split() if w.isalpha() and len(w) > 3]


def test_the_course_pack_is_for_enrolled_learners(client, login_as, small_course):
    login_as(Role.LEARNER)
    assert client.get(f"/offline/courses/{SMALL}/pack.pdf").status_code == 403


# Data saver --------------------------------------------------------------------------------


def _lesson(client, **headers):
    html = client.get(f"/learn/{SMALL}/welcome", headers=headers).get_data(as_text=True)
    start = html.index('<div class="lesson"')
    return html[start : html.index("</div>", start)]


def test_lessons_show_their_pictures_by_default(client, login_as, small_course):
    enroll_directly(login_as(Role.LEARNER), small_course)
    db.session.commit()
    assert "<img" in _lesson(client)
    assert "picture-placeholder" not in _lesson(client)


def test_the_data_saver_preference_puts_a_link_with_the_size_in_place_of_pictures(
    client, login_as, small_course
):
    user = login_as(Role.LEARNER)
    enroll_directly(user, small_course)
    db.session.commit()
    token = csrf_token(client, "/offline/data-saver")
    answer = client.post("/offline/data-saver", data={"csrf_token": token, "on": "y"})
    assert answer.status_code == 302
    db.session.refresh(user)
    assert user.data_saver is True
    lesson = _lesson(client)
    assert "<img" not in lesson
    placeholder = next(
        a for t, a in tags_of(lesson) if t == "a" and "picture-placeholder" in a.get("class", "")
    )
    picture = client.get(placeholder["href"])  # a plain link: works without JavaScript
    assert picture.status_code == 200 and picture.mimetype.startswith("image/")
    size = db.session.scalar(
        select(StoredFile.size).where(StoredFile.sha256 == placeholder["href"].split("/")[2])
    )
    from app.core.formats import filesize

    assert f"({filesize(size, 'es')})" in lesson
    # And off again.
    client.post("/offline/data-saver", data={"csrf_token": token})
    assert "<img" in _lesson(client)


def test_the_save_data_header_puts_links_in_place_of_pictures(client, login_as, small_course):
    enroll_directly(login_as(Role.LEARNER), small_course)
    db.session.commit()
    lesson = _lesson(client, **{"Save-Data": "on"})
    assert "<img" not in lesson and "picture-placeholder" in lesson
    answer = client.get(f"/learn/{SMALL}/welcome", headers={"Save-Data": "on"})
    assert "Save-Data" in answer.headers.get("Vary", "")
    assert "<img" in _lesson(client, **{"Save-Data": "off"})


def test_a_picture_alt_text_cannot_inject_markup_into_the_placeholder(app):
    from app.offline.pictures import lighter_pictures

    hostile = '<p><img src="/files/' + "a" * 64 + '/x.png" alt="&lt;script&gt;x&quot;"></p>'
    with app.test_request_context("/", headers={"Save-Data": "on"}):
        out = str(lighter_pictures(hostile))
    assert "<script" not in out and "<img" not in out
    assert 'href="/files/' + "a" * 64 + '/x.png"' in out and "&lt;script&gt;" in out


# A capstone draft and the packs command ------------------------------------------------------


def test_a_queued_capstone_draft_keeps_its_text_once(client, login_as):
    from app.capstones.models import Submission
    from app.catalog.models import CourseKind
    from tests.learning.helpers import build_course
    from tests.seasons.factories import enroll, make_cohort
    from tests.test_access import add_capstone

    course = build_course("tutored-offline", kind=CourseKind.TUTOR_LED)
    add_capstone(course)
    cohort = make_cohort(course, seats=5)
    user = login_as(Role.LEARNER)
    enroll(user, course, cohort)
    db.session.commit()
    action = {
        "key": key(),
        "kind": "draft",
        "course": "tutored-offline",
        "item": "capstone",
        "text": "Mi plan, escrito en el autobús <b>sin</b> señal",
    }
    assert send(client, action).get_json()["outcome"] == "done"
    assert send(client, action).get_json()["outcome"] == "done"
    db.session.expire_all()
    (submission,) = db.session.scalars(select(Submission)).all()
    assert submission.draft_text == action["text"] and submission.versions == 0


def test_the_packs_command_renders_packs_of_courses_imported_before(app, small_course):
    db.session.execute(CoursePack.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["offline", "packs", SMALL])
    assert result.exit_code == 0, result.output
    assert "small-example: course pack rendered" in result.output
    assert count_rows(CoursePack, course_id=small_course.id) == 3


def test_a_pack_follows_the_course_when_it_is_imported_again(app, small_course):
    from tests.conftest import PACKAGES, import_package

    before = {p.language: p.file["sha256"] for p in db.session.scalars(select(CoursePack))}
    small_course.package_hash = "0" * 64  # as if the package had changed
    small_course.title = {**small_course.title, "en": "A renamed course"}
    db.session.commit()
    import_package(PACKAGES / "small-example")
    db.session.expire_all()
    after = {p.language: p for p in db.session.scalars(select(CoursePack))}
    assert set(after) == set(before)
    assert all(p.package_hash == small_course.package_hash for p in after.values())


def test_an_action_queued_for_another_learner_waits_for_them(client, learner, make_user):
    """Queued on a shared phone by someone else: not taken for whoever is signed in now."""
    manifest = client.get(f"/offline/courses/{SMALL}/manifest.json").get_json()
    assert manifest["user"] == learner.id
    other = make_user()
    action = {"key": key(), "kind": "done", "course": SMALL, "item": "welcome", "user": other.id}
    answer = send(client, action)
    assert answer.status_code == 409
    assert count_rows(OfflineAction) == 0 and done_slugs(learner) == set()
    assert send(client, {**action, "user": learner.id}).get_json()["outcome"] == "done"


@pytest.mark.parametrize("user", ["1", True, 1.5, [1]])
def test_an_action_whose_learner_is_not_an_id_is_malformed(client, learner, user):
    action = {"key": key(), "kind": "done", "course": SMALL, "item": "welcome", "user": user}
    assert send(client, action).status_code == 400


# Fixed query counts ------------------------------------------------------------------------


def test_the_save_page_and_manifest_run_the_same_queries_for_a_small_and_a_long_course(
    client, login_as
):
    from tests.learning.helpers import add_modules, build_course, counting_queries

    user = login_as(Role.LEARNER)
    course = build_course("grows", modules=2, items_per_module=3)
    enroll_directly(user, course)
    db.session.commit()

    def counts():
        found = {}
        for url in (
            "/offline/courses/grows",
            "/offline/courses/grows/manifest.json",
            "/offline/",
            "/learn/grows/m1-i2",
        ):
            with counting_queries() as statements:
                assert client.get(url).status_code == 200, url
            found[url] = len(statements)
        return found

    send(client, {"key": key(), "kind": "done", "course": "grows", "item": "m0-i0"})
    client.get("/")  # its flash
    before = counts()
    add_modules(course, 2, 10, items_per_module=6)
    db.session.commit()
    for item in ("m0-i1", "m0-i2", "m1-i0"):
        send(client, {"key": key(), "kind": "done", "course": "grows", "item": item})
    client.get("/")
    assert counts() == before


def test_data_saver_costs_a_lesson_one_query_and_only_with_pictures(client, login_as, small_course):
    from tests.learning.helpers import counting_queries

    enroll_directly(login_as(Role.LEARNER), small_course)
    db.session.commit()
    client.get(f"/learn/{SMALL}/welcome")  # the outline is read once per course version
    with counting_queries() as plain:
        client.get(f"/learn/{SMALL}/welcome")
    with counting_queries() as saving:
        client.get(f"/learn/{SMALL}/welcome", headers={"Save-Data": "on"})
    assert len(saving) == len(plain) + 1
    with counting_queries() as plain:
        client.get(f"/learn/{SMALL}/checklist")
    with counting_queries() as saving:
        client.get(f"/learn/{SMALL}/checklist", headers={"Save-Data": "on"})
    assert len(saving) == len(plain)


def test_the_size_shown_is_near_what_the_device_downloads(client, learner):
    manifest = client.get(f"/offline/courses/{SMALL}/manifest.json").get_json()
    downloaded = 0
    for url in manifest["urls"]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        downloaded += len(answer.get_data())
    assert 0.6 * downloaded <= manifest["size"] <= 1.5 * downloaded, (manifest["size"], downloaded)


def test_work_queued_before_the_season_closed_is_refused_with_the_reason(client, learner):
    from app.seasons.models import SeasonState
    from tests.learning.helpers import enrollment_of

    enrollment_of(learner).season.state = SeasonState.CLOSED
    db.session.commit()
    for action in (
        {"key": key(), "kind": "done", "course": SMALL, "item": "welcome"},
        {"key": key(), "kind": "quiz", "course": SMALL, "item": "basics-quiz", "answers": RIGHT},
    ):
        answer = send(client, action).get_json()
        assert answer["outcome"] == "refused" and "season is closed" in answer["message"]
    assert done_slugs(learner) == set() and attempts_of(learner) == []
