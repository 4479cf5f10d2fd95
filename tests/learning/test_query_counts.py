"""The catalog, a course page, a lesson page and the dashboard run a fixed number of SQL
queries, however many courses, modules, items, learners and enrolments there are."""

from app.accounts.models import Role
from app.core import page_cache
from app.extensions import db
from tests.learning.helpers import add_modules, build_course, counting_queries, enroll_directly

FEW_COURSES, MANY_COURSES = 5, 200  # the issue: the same with 5 or 200
FIRST = "course-000"
PAGES = {
    "catalog": "/courses",
    "filtered catalog": "/courses?kind=self_paced&language=es",
    "course page": f"/courses/{FIRST}",
    "course home": f"/learn/{FIRST}",
    "lesson page": f"/learn/{FIRST}/m1-i2",
    "dashboard": "/dashboard",
}


def add_courses(start, stop, learner):
    for n in range(start, stop):
        course = build_course(f"course-{n:03d}", position=n, hours=n + 1)
        enroll_directly(learner, course, done_items=n % 12)


def add_learners(start, stop, make_user, course):
    for n in range(start, stop):
        other = make_user(email=f"other{n}@example.org")
        enroll_directly(other, course, done_items=n % 12)


def queries_per_page(client, kept: bool):
    """Statements per page: `kept`, with what the page cache keeps for anyone (the catalog's
    list) already there; otherwise rendered from an empty store."""
    counts = {}
    for name, path in PAGES.items():
        if kept:
            client.get(path)
        else:
            page_cache.clear()
        with counting_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(statements)
    return counts


def queries_anonymous(client):
    counts = {}
    for name in ("catalog", "filtered catalog", "course page"):
        with counting_queries() as statements:
            assert client.get(PAGES[name]).status_code == 200
        counts[name] = len(statements)
    return counts


def test_pages_run_the_same_queries_for_few_and_many(app, client, login_as, make_user):
    learner = login_as(Role.LEARNER)  # reads in Spanish, the courses' language
    add_courses(0, FEW_COURSES, learner)
    add_learners(0, 2, make_user, _first_course())
    db.session.commit()
    queries_per_page(client, kept=False)  # warm up anything loaded once per process
    few = queries_per_page(client, kept=False), queries_per_page(client, kept=True)

    add_courses(FEW_COURSES, MANY_COURSES, learner)
    add_modules(_first_course(), 3, 9)  # the viewed course: 12 modules, 48 items
    add_learners(2, 40, make_user, _first_course())
    db.session.commit()
    many = queries_per_page(client, kept=False), queries_per_page(client, kept=True)

    for before, after in zip(few, many, strict=True):
        assert before == after, {name: (before[name], after[name]) for name in PAGES}
    # Sanity: a page reads more than a handful of rows, but never one query per row.
    assert all(count <= 15 for count in many[0].values()), many
    # The catalog's list, once kept, is read from the store, not from its rows again.
    assert many[1]["catalog"] == many[0]["catalog"] - 2, many


def test_anonymous_pages_run_the_same_queries_for_few_and_many(client, make_user):
    learner = make_user()
    add_courses(0, FEW_COURSES, learner)
    db.session.commit()
    queries_anonymous(client)
    # What rendering costs: visitors' pages come from the page cache once rendered (its own
    # tests count that), so each measure starts from an empty store.
    page_cache.clear()
    few = queries_anonymous(client)
    add_courses(FEW_COURSES, MANY_COURSES, learner)
    add_modules(_first_course(), 3, 9)
    db.session.commit()
    page_cache.clear()
    assert queries_anonymous(client) == few


def test_the_many_rows_are_really_shown(client, login_as):
    """Guards the test above: the pages do list the extra rows it counts queries for."""
    learner = login_as(Role.LEARNER)
    add_courses(0, MANY_COURSES, learner)
    add_modules(_first_course(), 3, 9)
    db.session.commit()
    catalog = client.get("/courses").get_data(as_text=True)
    assert catalog.count('<li class="card">') == MANY_COURSES
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert dashboard.count('<section class="card">') == MANY_COURSES
    assert "Lección 11.3" in client.get(f"/courses/{FIRST}").get_data(as_text=True)
    lesson = client.get(PAGES["lesson page"]).get_data(as_text=True)
    assert "Lección 11.3" in lesson and "<p>x</p>" in lesson


def _first_course():
    from app.catalog.models import Course

    return db.session.scalar(db.select(Course).where(Course.slug == FIRST))
