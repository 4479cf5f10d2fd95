"""The directory of members' distance courses: coordinators list, everyone filters."""

import pytest
from sqlalchemy import func, select

from app.directory import services
from app.directory.models import MemberCourse, Modality
from app.extensions import db
from tests.conftest import login, post_form
from tests.learning.helpers import counting_queries
from tests.test_access import course_listing, make_coordinator


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(MemberCourse))


def form(**changes):
    data = {"title": "Electricidad básica", "description": "Para instaladores.",
            "modality": "tutor_led", "language": "pt", "theme": "green", "hours": "30",
            "free": "y", "url": "https://ead.example.org/eletricidade"}  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def first(institutions):
    return institutions[0]


@pytest.fixture
def second(institutions):
    return next(i for i in institutions if i.country_code != institutions[0].country_code)


def test_a_coordinator_lists_changes_and_removes_a_course(client, make_user, first):
    login(client, make_coordinator(make_user, first))
    base = f"/institution/{first.id}/courses"
    assert post_form(client, f"{base}/new", form()).status_code == 302
    course = db.session.scalar(select(MemberCourse))
    assert (course.modality, course.language, course.hours, course.free) == (
        Modality.TUTOR_LED,
        "pt",
        30,
        True,
    )
    post_form(client, f"{base}/{course.id}", form(title="Eletricidade básica", free=""))
    db.session.expire_all()
    assert db.session.get(MemberCourse, course.id).title == "Eletricidade básica"
    assert not db.session.get(MemberCourse, course.id).free
    post_form(client, f"{base}/{course.id}/remove", {}, form_page=base)
    assert count() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "Dos\nlíneas"},
        {"url": "javascript:alert(1)"},
        {"url": "ftp://example.org/x"},
        {"url": "https://example.org/" + "a" * 500},
        {"modality": "telepathy"},
        {"language": "fr"},
        {"theme": "astrology"},
        {"hours": "0"},
        {"hours": "999999"},
        {"description": "x" * 2001},
        {"description": "nulo\x00"},
    ],
)
def test_bad_listings_are_refused_and_nothing_is_stored(client, make_user, first, changes):
    login(client, make_coordinator(make_user, first))
    response = post_form(client, f"/institution/{first.id}/courses/new", form(**changes))
    assert response.status_code == 200
    assert count() == 0


def test_another_institution_cannot_touch_the_course(app, make_user, first, second):
    course = services.save_course(None, first, course_listing())
    db.session.commit()
    client = app.test_client()
    login(client, make_coordinator(make_user, second))
    own = f"/institution/{second.id}/courses/{course.id}"
    assert client.get(own).status_code == 404
    assert post_form(client, f"{own}/remove", {}, form_page="/").status_code == 404
    assert client.get(f"/institution/{first.id}/courses/{course.id}").status_code == 403
    assert count() == 1


def test_the_public_directory_filters(app, first, second):
    services.save_course(None, first, course_listing(title="Soldadura", theme="digital"))
    services.save_course(
        None, second,
        course_listing(title="Huerta escolar", theme="green", language="pt", modality="mobile",
                       url="https://example.org/huerta"),
    )  # fmt: skip
    db.session.commit()
    client = app.test_client()

    def titles(query):
        page = client.get(f"/distance-courses/?{query}").get_data(as_text=True)
        return [t for t in ("Soldadura", "Huerta escolar") if t in page]

    assert sorted(titles("")) == ["Huerta escolar", "Soldadura"]
    assert titles(f"country={second.country_code}") == ["Huerta escolar"]
    assert titles("theme=digital") == ["Soldadura"]
    assert titles("language=pt") == ["Huerta escolar"]
    assert titles("modality=mobile") == ["Huerta escolar"]
    assert sorted(titles("modality=x&theme=<b>&country=ZZ")) == ["Huerta escolar", "Soldadura"]


@pytest.mark.parametrize("locale, heading", [
    ("es", "Cursos a distancia de las instituciones de la red"),
    ("pt", "Cursos a distância das instituições da rede"),
    ("en", "Distance courses of the network's institutions"),
])  # fmt: skip
def test_the_directory_speaks_each_language(app, first, locale, heading):
    services.save_course(None, first, course_listing())
    db.session.commit()
    page = app.test_client().get("/distance-courses/", headers={"Accept-Language": locale})
    text = page.get_data(as_text=True)
    assert heading in text.replace("&#39;", "'") and f'<html lang="{locale}">' in text


def test_the_directory_keeps_its_queries_and_weight_from_10_to_1000(app, first):
    def add(n):
        for k in range(n):
            db.session.add(
                MemberCourse(
                    institution_id=first.id, title=f"Curso {k}", description="Descripción " * 20,
                    modality=Modality.SELF_PACED, language="es", theme="digital", hours=20,
                    free=True, url=f"https://example.org/{k}",
                )
            )  # fmt: skip
        db.session.commit()

    client = app.test_client()
    urls = ["/distance-courses/", "/distance-courses/?theme=digital&page=2"]

    def queries():
        counts = {}
        for url in urls:
            with counting_queries() as statements:
                assert client.get(url).status_code == 200
            counts[url] = len(statements)
        return counts

    add(10)
    queries()
    few = queries()
    add(990)
    assert queries() == few
    size = len(client.get("/distance-courses/", headers={"Accept-Encoding": "identity"}).data)
    assert size < 30_000, size
