"""Institutions in Spanish, Portuguese and English: shown in the reader's language everywhere,
matched by any of their names or their acronym, accents and case ignored."""

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import Institution, Role, User
from app.extensions import db
from tests.accounts.test_registration import registration
from tests.conftest import post_form
from tests.seasons.factories import enroll, make_cohort
from tests.seasons.test_roster_import import page_url, upload


def by_acronym(institutions, acronym):
    return next(i for i in institutions if i.acronym == acronym)


def test_the_network_is_seeded_with_each_institutions_own_official_names(institutions):
    sena, senai = by_acronym(institutions, "SENA"), by_acronym(institutions, "SENAI")
    assert sena.name_es == "Servicio Nacional de Aprendizaje"
    assert senai.name_pt == "Serviço Nacional de Aprendizagem Industrial"
    assert senai.name_en == "National Industrial Training Service"
    assert all(all(i.names.values()) for i in institutions)


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        ("es", "SENAI — Servicio Nacional de Aprendizaje Industrial", "Serviço Nacional"),
        ("pt", "SENA — Serviço Nacional de Aprendizagem (Colômbia)", "Servicio Nacional de"),
        ("en", "INEFOP — National Institute for Employment and Vocational Training", "Instituto"),
    ],
)
def test_the_registration_picker_names_institutions_in_the_readers_language(
    client, institutions, language, shown, not_shown
):
    page = client.get("/register", headers={"Accept-Language": language}).get_data(as_text=True)
    assert shown in page
    assert not_shown not in page


@pytest.mark.parametrize(
    "typed",
    [
        "Servicio Nacional de Aprendizaje",
        "serviço nacional de aprendizagem (colombia)",
        "NATIONAL LEARNING SERVICE",
        "sena",
        "  Servicio   Nacional de APRENDIZAJE ",
    ],
)
def test_an_institution_written_in_by_any_of_its_names_is_the_listed_one(
    client, institutions, typed
):
    data = registration(institutions, institution="other", institution_other=typed, country="CO")
    assert post_form(client, "/register", data).status_code == 302
    user = db.session.scalar(select(User))
    assert user.institution_id == by_acronym(institutions, "SENA").id
    assert user.institution_other is None


def test_a_name_no_institution_has_stays_written_in(institutions):
    assert services.match_institution("Escuela Taller Sur", "CO", institutions) is None
    assert services.match_institution("", "CO", institutions) is None
    # An acronym two countries share is matched within the person's country only.
    twin = Institution(acronym="SENA", name_es="Otra", name_pt="Outra", name_en="Other")
    twin.country_code = "PE"
    db.session.add(twin)
    db.session.flush()
    both = institutions + [twin]
    assert services.match_institution("sena", "PE", both) is twin
    assert services.match_institution("sena", "CO", both).name_es.startswith("Servicio")
    assert services.match_institution("sena", "UY", both) is None


@pytest.mark.parametrize(
    "written",
    ["Serviço Nacional de Aprendizagem Industrial", "servicio nacional de aprendizaje industrial",
     "National Industrial Training Service", "senai"],
)  # fmt: skip
def test_bulk_enrolment_matches_any_name_or_the_acronym(client, institutions, login_as, written):
    from app.catalog.models import CourseKind
    from tests.learning.helpers import build_course

    course = build_course("names-course", kind=CourseKind.TUTOR_LED, languages=["es"], modules=1)
    cohort = make_cohort(course, seats=5)
    db.session.commit()
    login_as(Role.ADMIN, locale="en")
    data = f"email,name,institution,country\nnova@example.org,Nova Silva,{written},BR\n"
    response = upload(client, page_url(cohort), data.encode())
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "nova@example.org"))
    assert user.institution_id == by_acronym(institutions, "SENAI").id


@pytest.mark.parametrize(
    ("language", "name"),
    [("es", "Servicio Nacional de Aprendizaje Industrial"),
     ("pt", "Serviço Nacional de Aprendizagem Industrial"),
     ("en", "National Industrial Training Service")],
)  # fmt: skip
def test_the_season_report_names_institutions_in_the_readers_language(
    client, institutions, login_as, make_user, small_course, language, name
):
    learner = make_user()
    learner.institution_id, learner.institution_other = by_acronym(institutions, "SENAI").id, None
    place = enroll(learner, small_course)
    db.session.commit()
    login_as(Role.ADMIN, locale=language)
    page = client.get(f"/admin/seasons/{place.season_id}/report").get_data(as_text=True)
    assert name in page


def test_institutions_load_takes_three_names_or_one(app, tmp_path):
    from tests.accounts.test_cli import run

    three = tmp_path / "three.csv"
    three.write_text(
        "acronym,country_code,name_es,name_pt,name_en\n"
        "UTEC,UY,Universidad Tecnológica,Universidade Tecnológica,Technological University\n",
        encoding="utf-8",
    )
    assert run(app, "institutions", "load", str(three)).exit_code == 0
    utec = db.session.scalar(select(Institution))
    assert utec.names == {
        "es": "Universidad Tecnológica",
        "pt": "Universidade Tecnológica",
        "en": "Technological University",
    }
    missing = tmp_path / "missing.csv"
    missing.write_text("acronym,country_code,name_es\nUTEC,UY,Universidad\n", encoding="utf-8")
    result = run(app, "institutions", "load", str(missing))
    assert result.exit_code != 0
    assert "name_en" in result.output and "name_pt" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Institution)).name_es == "Universidad Tecnológica"
