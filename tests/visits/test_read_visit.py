"""A study visit completes on any device: its text version has its own "I have read this
visit" form (a plain POST, no JavaScript or WebGL), and the 360° viewer's own messages come
in the page's language."""

import html
import json
import re

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
from tests.catalog.helpers import copy_example, edit
from tests.conftest import csrf_token, login
from tests.learning.helpers import SMALL, count_rows, done_slugs, enroll_directly, enrollment_of

HOSTED = f"/learn/{SMALL}/visit-hosted"
EMBED = f"/learn/{SMALL}/visit-embed"
READ_FORM = 'action="/learn/small-example/visit-hosted/read"'


@pytest.fixture
def learner(client, login_as, small_course):
    user = login_as(Role.LEARNER)
    enroll_directly(user, small_course)
    db.session.commit()
    return user


def read(client, page=HOSTED, token=None):
    token = token if token is not None else csrf_token(client, page)
    return client.post(f"{page}/read", data={"csrf_token": token})


def viewer_strings(page: str) -> dict:
    found = re.search(r'data-viewer-strings="([^"]*)"', page)
    return json.loads(html.unescape(found.group(1)))


def test_the_text_version_has_its_own_completion_form(client, learner):
    for page in (HOSTED, EMBED):
        body = client.get(page).get_data(as_text=True)
        form = body[body.index('<section class="read-visit"') :]
        assert f'action="{page}/read"' in form
        assert "He leído esta visita" in form
        assert 'type="submit"' in form  # a plain form: no script needed to send it


def test_reading_marks_the_visit_done_and_leads_on(client, learner):
    response = read(client)
    assert response.status_code == 303
    following = db.session.scalar(
        select(Item.slug)
        .join(Course, Course.id == Item.course_id)
        .where(Item.position > _item("visit-hosted").position, Course.slug == SMALL)
        .order_by(Item.position)
    )
    assert response.headers["Location"].endswith(f"/learn/{SMALL}/{following}")
    assert done_slugs(learner) == {"visit-hosted"}
    page = client.get(HOSTED).get_data(as_text=True)
    assert READ_FORM not in page and "Esta visita está completada." in page
    # Sent twice: still one row.
    read(client)
    assert count_rows(ItemProgress, item_id=_item("visit-hosted").id) == 1


def test_a_required_visit_never_blocks_the_course(app, client, login_as, tmp_path):
    """A required hosted visit, read rather than toured, completes the course."""
    package = copy_example(tmp_path)
    title = "title: {es: Visita al centro, pt: Visita ao centro, en: Visit to the centre}"
    edit(
        package / "course.yaml",
        f"        slug: visit-hosted\n        {title}\n        required: false",
        f"        slug: visit-hosted\n        {title}\n        required: true",
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
    assert enrollment_of(user).completed_at is None

    response = read(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/learn/{SMALL}")  # the course home
    assert enrollment_of(user).completed_at is not None


def test_reading_needs_the_form_token_a_place_and_a_visit(app, client, make_user, learner):
    assert read(client, token="").status_code == 400
    assert read(client, page=f"/learn/{SMALL}/welcome").status_code == 404  # a lesson
    assert read(client, page=f"/learn/{SMALL}/no-such-item").status_code == 404
    assert done_slugs(learner) == set()
    stranger = app.test_client()  # signed in, with no place in the course
    login(stranger, make_user(email="stranger@example.org"))
    assert read(stranger, token=csrf_token(stranger, "/")).status_code == 403
    assert count_rows(ItemProgress) == 0


def test_nothing_is_read_once_the_season_is_closed(client, learner):
    token = csrf_token(client, HOSTED)
    enrollment_of(learner).season.state = SeasonState.CLOSED
    db.session.commit()
    response = read(client, token=token)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(HOSTED)
    assert done_slugs(learner) == set()
    assert READ_FORM not in client.get(HOSTED).get_data(as_text=True)


@pytest.mark.parametrize(
    ("locale", "webgl", "too_big"),
    [
        ("es", "necesita WebGL", "es demasiado grande para este dispositivo"),
        ("pt", "precisa de WebGL", "é grande demais para este dispositivo"),
        ("en", "it needs WebGL", "too large for this device"),
    ],
)
def test_the_viewers_messages_are_in_the_pages_language(
    client, login_as, small_course, locale, webgl, too_big
):
    user = login_as(Role.LEARNER, locale=locale)
    enroll_directly(user, small_course)
    db.session.commit()
    page = client.get(HOSTED).get_data(as_text=True)
    strings = viewer_strings(page)
    assert webgl in strings["genericWebGLError"]
    assert too_big in strings["textureSizeError"]
    assert strings["textureSizeError"].count("%s") == 2  # the viewer fills in the widths
    assert "%s" in strings["fileAccessError"]
    # Every message the viewer can show is given, none left in its English default.
    assert set(strings) >= {
        "loadButtonLabel",
        "loadingLabel",
        "noPanoramaError",
        "fileAccessError",
        "malformedURLError",
        "genericWebGLError",
        "textureSizeError",
        "unknownError",
    }
    no_webgl = re.search(r'data-no-webgl="([^"]*)"', page).group(1)
    assert webgl in html.unescape(no_webgl)


def _item(slug):
    return db.session.scalar(select(Item).where(Item.slug == slug))
