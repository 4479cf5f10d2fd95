"""Institution coordinators: granted by administrators, scoped to one institution, enrolling
their people through the seasons' own rules, reading their participation."""

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.coordinators import services
from app.coordinators.models import InstitutionCoordinator
from app.extensions import db
from app.seasons.models import Enrollment
from tests.conftest import login, outbox, post_form
from tests.learning.helpers import build_course
from tests.seasons.factories import days, enroll, make_cohort
from tests.test_access import make_coordinator


def member_of(make_user, institution, **kwargs):
    user = make_user(**kwargs)
    user.institution_id = institution.id
    db.session.commit()
    return user


def enrolments_of(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.user_id == user.id)
    )


@pytest.fixture
def two(institutions):
    return institutions[0], institutions[1]


def test_an_administrator_grants_and_removes_the_role(client, login_as, make_user, two):
    first, _second = two
    login_as(Role.ADMIN)
    member = member_of(make_user, first, email="ana@example.org")
    url = f"/admin/institutions/{first.id}/coordinators"
    response = post_form(client, url, {"email": "ANA@example.org"})
    assert response.status_code == 302
    assert services.coordinated_institution_id(member) == first.id
    page = client.get(url).get_data(as_text=True)
    assert "ana@example.org" in page
    post_form(client, f"{url}/{member.id}/remove", {}, form_page=url)
    db.session.expire_all()
    assert db.session.get(InstitutionCoordinator, member.id) is None


def test_the_role_is_refused_for_someone_of_another_institution(client, login_as, make_user, two):
    first, second = two
    login_as(Role.ADMIN)
    outsider = member_of(make_user, second, email="out@example.org")
    response = post_form(
        client, f"/admin/institutions/{first.id}/coordinators", {"email": outsider.email}
    )
    assert response.status_code == 200
    assert "not registered with this institution" in response.get_data(as_text=True) or (
        "no está registrad" in response.get_data(as_text=True)
    )
    assert db.session.get(InstitutionCoordinator, outsider.id) is None


def test_one_institution_per_coordinator(make_user, two):
    first, second = two
    coordinator = make_coordinator(make_user, first)
    coordinator.institution_id = second.id
    with pytest.raises(services.CoordinatorError):
        services.grant_coordinator(coordinator, second, coordinator)


def test_learners_and_tutors_are_refused_the_pages(client, login_as, two):
    first, _ = two
    login_as(Role.TUTOR)
    assert client.get(f"/institution/{first.id}").status_code == 403


def test_a_coordinator_sees_their_people_and_not_others(client, make_user, two):
    first, second = two
    coordinator = make_coordinator(make_user, first, email="coord@example.org")
    ours = member_of(make_user, first, full_name="Nuestra Persona")
    theirs = member_of(make_user, second, full_name="Ajena Persona")
    login(client, coordinator)
    page = client.get(f"/institution/{first.id}").get_data(as_text=True)
    assert "Nuestra Persona" in page and "Ajena Persona" not in page
    assert client.get(f"/institution/{first.id}/people/{ours.id}").status_code == 200
    # Another institution's person, through the coordinator's own institution's URL: 404.
    assert client.get(f"/institution/{first.id}/people/{theirs.id}").status_code == 404
    assert client.get(f"/institution/{second.id}/people/{theirs.id}").status_code == 403
    assert client.get(f"/institution/{second.id}/participation").status_code == 403
    # "My institution" leads to their own.
    assert client.get("/institution/").headers["Location"].endswith(f"/institution/{first.id}")


def test_a_coordinator_enrols_within_seats_and_windows(client, make_user, two):
    first, second = two
    coordinator = make_coordinator(make_user, first)
    course = build_course("coord-course", kind=CourseKind.TUTOR_LED)
    cohort = make_cohort(course, seats=1)
    closed = make_cohort(
        course, name="Closed", enroll_opens_on=days(-20), enroll_closes_on=days(-5)
    )
    ours, again = member_of(make_user, first), member_of(make_user, first)
    theirs = member_of(make_user, second)
    db.session.commit()
    login(client, coordinator)
    url = f"/institution/{first.id}/people/{ours.id}"
    form = client.get(url).get_data(as_text=True)
    assert f"{cohort.offering_id}-{cohort.id}" in form
    assert f"{closed.offering_id}-{closed.id}" not in form  # its window has passed
    assert post_form(client, url, {"place": f"{cohort.offering_id}-{cohort.id}"}).status_code == 302
    assert enrolments_of(ours) == 1
    assert [m.recipient for m in outbox()] == [ours.email]  # told of their place
    # The cohort is now full: refused, nothing stored.
    response = post_form(
        client,
        f"/institution/{first.id}/people/{again.id}",
        {"place": f"{cohort.offering_id}-{cohort.id}"},
    )
    assert response.status_code == 200 and enrolments_of(again) == 0
    # A closed window cannot be chosen even by a hand-made form.
    response = post_form(client, url, {"place": f"{closed.offering_id}-{closed.id}"})
    assert enrolments_of(ours) == 1
    # Another institution's person: 404, not enrolled.
    response = post_form(
        client,
        f"/institution/{first.id}/people/{theirs.id}",
        {"place": f"{cohort.offering_id}-{cohort.id}"},
        form_page=url,
    )
    assert response.status_code == 404 and enrolments_of(theirs) == 0


def test_participation_counts_only_the_institutions_people(client, make_user, two, small_course):
    first, second = two
    coordinator = make_coordinator(make_user, first)
    for _ in range(2):
        enroll(member_of(make_user, first), small_course)
    enroll(member_of(make_user, second), small_course)
    db.session.commit()
    rows = services.participation(first)
    assert [(r.learners, r.enrolled, r.completed) for r in rows] == [(2, 2, 0)]
    login(client, coordinator)
    page = client.get(f"/institution/{first.id}/participation")
    assert page.status_code == 200 and "Test season" in page.get_data(as_text=True)


def test_coordinators_pages_keep_their_queries(client, make_user, two, small_course):
    from tests.learning.helpers import counting_queries

    first, _ = two
    coordinator = make_coordinator(make_user, first)
    person = member_of(make_user, first)
    enroll(person, small_course)
    db.session.commit()
    login(client, coordinator)
    urls = [
        f"/institution/{first.id}",
        f"/institution/{first.id}/participation",
        f"/institution/{first.id}/people/{person.id}",
    ]

    def queries():
        counts = {}
        for url in urls:
            with counting_queries() as statements:
                assert client.get(url).status_code == 200, url
            counts[url] = len(statements)
        return counts

    queries()
    few = queries()
    for _n in range(40):
        enroll(member_of(make_user, first), small_course)
    db.session.commit()
    assert queries() == few


def test_a_coordinator_enrols_several_people_all_or_none(client, make_user, two):
    first, second = two
    coordinator = make_coordinator(make_user, first)
    course = build_course("coord-many", kind=CourseKind.TUTOR_LED)
    cohort = make_cohort(course, seats=2)
    a, b, c = (member_of(make_user, first) for _ in range(3))
    theirs = member_of(make_user, second)
    db.session.commit()
    login(client, coordinator)
    url = f"/institution/{first.id}"
    place = f"{cohort.offering_id}-{cohort.id}"
    # Three people for two seats: nobody is enrolled, nobody mailed.
    response = post_form(client, url, {"people": [a.id, b.id, c.id], "place": place})
    assert response.status_code == 200
    assert sum(enrolments_of(p) for p in (a, b, c)) == 0 and outbox() == []
    # Ids that are no ids: refused, nothing stored.
    for bad in (["²"], [str(10**15)], ["9" * 5000]):
        assert post_form(client, url, {"people": bad, "place": place}).status_code == 200
    # Someone of another institution among them: refused, nothing stored.
    post_form(client, url, {"people": [a.id, theirs.id], "place": place})
    assert enrolments_of(a) == 0 and enrolments_of(theirs) == 0
    # Two for two seats: both enrolled and told.
    assert post_form(client, url, {"people": [a.id, b.id], "place": place}).status_code == 302
    assert enrolments_of(a) == enrolments_of(b) == 1
    assert sorted(m.recipient for m in outbox()) == sorted([a.email, b.email])
