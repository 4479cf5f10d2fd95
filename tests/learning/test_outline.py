"""The player's outline: its links are kept per course version and language
(app/learning/outline.py), yet each learner sees their own progress and place in it, and a new
import of changed content shows at once."""

from app.accounts.models import Role
from app.learning.outline import course_outline
from tests.catalog.helpers import copy_example, edit
from tests.conftest import import_package, login
from tests.learning.helpers import SMALL, enroll_by_form, mark_done_by_form, outline_of


def url(item_slug):
    return f"/learn/{SMALL}/{item_slug}"


def test_each_learner_sees_their_own_progress_and_place_in_a_kept_outline(
    app, client, make_user, small_course
):
    login(client, make_user(role=Role.LEARNER, locale="en"))
    enroll_by_form(client)
    assert mark_done_by_form(client, "welcome").status_code == 302
    mine = outline_of(client.get(url("checklist")).get_data(as_text=True))
    assert mine[url("welcome")] == (True, False)
    assert mine[url("checklist")] == (False, True)

    other = app.test_client()
    login(other, make_user(role=Role.LEARNER, locale="en"))
    enroll_by_form(other)
    theirs = outline_of(other.get(url("guide")).get_data(as_text=True))
    assert theirs.keys() == mine.keys()
    assert theirs[url("welcome")] == (False, False)
    assert theirs[url("checklist")] == (False, False)
    assert theirs[url("guide")] == (False, True)


def test_the_outline_is_in_each_readers_language_whoever_came_first(app, make_user, small_course):
    link = f'<a href="{url("checklist")}">'  # the outline's own link (not previous/next)
    for locale, title in (("en", "Checklist"), ("pt", '<span lang="es">Lista de control</span>')):
        client = app.test_client()
        login(client, make_user(role=Role.LEARNER, locale=locale))
        enroll_by_form(client)
        html = client.get(url("welcome")).get_data(as_text=True)
        assert f"{link}{title}</a>" in html, locale


def test_a_new_import_of_changed_titles_shows_in_the_outline_at_once(
    app, client, login_as, tmp_path
):
    package = copy_example(tmp_path)
    import_package(package)
    login_as(Role.LEARNER, locale="en")
    enroll_by_form(client)
    assert f'href="{url("checklist")}">Checklist</a>' in client.get(url("welcome")).text

    changed = copy_example(tmp_path, "changed")  # the same course, one title changed
    edit(changed / "course.yaml", "en: Checklist}", "en: Site safety checklist}")
    import_package(changed)
    html = client.get(url("welcome")).text
    assert f'href="{url("checklist")}">Site safety checklist</a>' in html
    assert ">Checklist</a>" not in html


def test_a_course_that_came_from_no_package_is_written_afresh_each_time(app, small_course):
    """No version to key on (`package_hash` empty): nothing is kept for it."""
    small_course.package_hash = ""
    with app.test_request_context("/"):
        first = course_outline(small_course)
        small_course.modules[0].items[0].title = {"es": "Otro título", "en": "Another title"}
        second = course_outline(small_course)
    assert "Otro título" in second[0].items[0][1]
    assert "Otro título" not in first[0].items[0][1]


def test_the_outline_is_read_once_per_course_version(app, client, login_as, tmp_path):
    """One statement for the outline on the first page of a version, none after it, one
    again after a new import of changed content."""
    from tests.learning.helpers import counting_queries

    package = copy_example(tmp_path)
    import_package(package)
    login_as(Role.LEARNER, locale="en")
    enroll_by_form(client)

    def statements(path):
        with counting_queries() as found:
            assert client.get(path).status_code == 200
        return len(found)

    first = statements(url("welcome"))
    assert statements(url("checklist")) == first - 1
    assert statements(url("welcome")) == first - 1

    changed = copy_example(tmp_path, "changed")
    edit(changed / "course.yaml", "en: Checklist}", "en: Site safety checklist}")
    import_package(changed)
    assert statements(url("welcome")) == first
    assert statements(url("welcome")) == first - 1


def test_the_dashboard_counts_what_a_new_import_makes_required(app, client, login_as, tmp_path):
    """A course's card counts its required items from the kept outline: a new import that
    makes an item optional shows on the next dashboard."""
    import re

    package = copy_example(tmp_path)
    import_package(package)
    login_as(Role.LEARNER, locale="en")
    enroll_by_form(client)
    assert mark_done_by_form(client, "welcome").status_code == 302

    def progress():
        found = re.search(r"(\d+) of (\d+) required item", client.get("/dashboard").text)
        return int(found.group(1)), int(found.group(2))

    done, required = progress()
    assert done == 1 and required > 2
    changed = copy_example(tmp_path, "changed")
    edit(
        changed / "course.yaml",
        "title: {es: Lista de control, en: Checklist}\n",
        "title: {es: Lista de control, en: Checklist}\n        required: false\n",
    )
    import_package(changed)
    assert progress() == (1, required - 1)
