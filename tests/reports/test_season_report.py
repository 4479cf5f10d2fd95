"""The season report: the headline the network publishes, the tables by course, cohort,
country and institution, and the same figures as CSV, in a fixed number of queries."""

import codecs
import csv
import io
import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import CourseKind, Item
from app.certificates.services import PLATFORM, issue_certificate, revoke
from app.core.db import utcnow
from app.extensions import db
from app.learning.models import ItemProgress, QuizAttempt
from app.seasons import services
from tests.learning.helpers import build_course, counting_queries, main_of
from tests.seasons.factories import enroll, make_cohort, make_season, offering_for


def first_item(course):
    return db.session.scalar(
        select(Item).where(Item.course_id == course.id).order_by(Item.position).limit(1)
    )


def did_an_item(enrollment):
    item = first_item(enrollment.course)
    db.session.add(ItemProgress(enrollment_id=enrollment.id, item_id=item.id))
    db.session.flush()


def tried_the_quiz(enrollment):
    db.session.add(
        QuizAttempt(
            enrollment_id=enrollment.id,
            item_id=first_item(enrollment.course).id,
            number=1,
            answers={},
            results=[False],
            score=0,
            passed=False,
        )
    )
    db.session.flush()


def learner(make_user, name, country, institution=None, other=None):
    user = make_user(full_name=name)
    user.country_code = country
    user.institution_id = institution.id if institution else None
    user.institution_other = other
    db.session.flush()
    return user


@pytest.fixture
def season_data(make_user, institutions):
    """5 learners of the test season from 3 countries and 2 institutions (one listed, one
    written in two ways), in a tutor-led course with two cohorts and a self-paced course;
    plus a learner of another season who must not count."""
    listed = institutions[0]
    tutored = build_course(
        "tutored", kind=CourseKind.TUTOR_LED, languages=["es", "en"], modules=1, position=1,
        title={"es": "Curso tutorizado", "en": "Tutored course"},
    )  # fmt: skip
    paced = build_course(
        "paced", modules=1, position=2, title={"es": "A tu ritmo", "en": "At your pace"}
    )
    morning = make_cohort(tutored, name="Mañana", seats=5)
    evening = make_cohort(tutored, name="Tarde", seats=5)
    make_cohort(tutored, name="Vacía", seats=5)  # listed with zeros

    ana = learner(make_user, "Ana", "AR", institution=listed)
    beto = learner(make_user, "Beto", "AR", institution=listed)
    carla = learner(make_user, "Carla", "MX", other="Instituto Sol")
    dario = learner(make_user, "Darío", "MX", other=" instituto  SOL ")
    eva = learner(make_user, "Eva", "ES", institution=listed)

    did_an_item(enroll(ana, tutored, morning))
    ana_paced = enroll(ana, paced)
    did_an_item(ana_paced)
    ana_paced.completed_at = utcnow()
    db.session.flush()
    issue_certificate(ana_paced.id, render=False)
    tried_the_quiz(enroll(beto, tutored, morning))  # active through an attempt only
    enroll(carla, tutored, evening)
    enroll(dario, paced)
    did_an_item(enroll(eva, paced))

    other_season = make_season("Other season")
    outsider = learner(make_user, "Otto", "BR", other="Elsewhere")
    did_an_item(services.enroll(outsider, offering_for(paced, other_season)))
    services.enroll(ana, offering_for(paced, other_season))
    db.session.commit()
    return {"season": make_season(), "listed": listed}


def report_url(season):
    return f"/admin/seasons/{season.id}/report"


def table_after(html, heading):
    """The rows of the table under an <h2>, as lists of cell texts (th and td)."""
    section = html.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def read_csv(response):
    data = response.get_data()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_headline_counts_people_institutions_and_countries(client, login_as, season_data):
    login_as(Role.ADMIN, locale="en")
    response = client.get(report_url(season_data["season"]))
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert "5 participants from 2 institutions in 3 countries" in html
    # The definitions are on the page.
    assert "Active: enrolments with at least one item done or one quiz attempt." in html
    assert "Certified: enrolments holding a valid certificate" in html


def test_the_tables_by_course_cohort_country_and_institution(client, login_as, season_data):
    login_as(Role.ADMIN, locale="en")
    html = main_of(client.get(report_url(season_data["season"])).get_data(as_text=True))
    # columns: label(s), learners, enrolled, active, completed, certified
    assert table_after(html, "By course") == [
        ["Tutored course", "3", "3", "2", "0", "0"],
        ["At your pace", "3", "3", "2", "1", "1"],
    ]
    assert (
        '<th scope="row">Whole season</th><td>5</td><td>6</td><td>4</td><td>1</td><td>1</td>'
        in html
    )
    assert table_after(html, "By cohort") == [
        ["Tutored course", "Mañana", "2", "2", "2", "0", "0"],
        ["Tutored course", "Tarde", "1", "1", "0", "0", "0"],
        ["Tutored course", "Vacía", "0", "0", "0", "0", "0"],
        ["At your pace", "Self-paced (no cohort)", "3", "3", "2", "1", "1"],
    ]
    assert table_after(html, "By country") == [
        ["Argentina", "2", "3", "3", "1", "1"],
        ["Mexico", "2", "2", "0", "0", "0"],
        ["Spain", "1", "1", "1", "0", "0"],
    ]
    listed = season_data["listed"]
    assert table_after(html, "By institution") == [
        [listed.acronym, listed.name, "3", "4", "4", "1", "1"],
        # Two spellings of one written-in name count once, under the first alphabetically.
        ["Instituto Sol", "Written in by participants", "2", "2", "0", "0", "0"],
    ]
    assert "Elsewhere" not in html and "Brazil" not in html  # another season's learner


def test_an_empty_season_reports_zeros(client, login_as):
    season = make_season("Empty season")
    db.session.commit()
    login_as(Role.ADMIN, locale="en")
    html = main_of(client.get(report_url(season)).get_data(as_text=True))
    assert "0 participants from 0 institutions in 0 countries" in html
    rows = read_csv(client.get(f"{report_url(season)}.csv"))
    assert rows[0] == {
        "Section": "Season", "Course": "", "Cohort": "", "Country code": "", "Country": "",
        "Institution": "", "They represent": "", "Learners": "0", "Enrolled": "0", "Active": "0",
        "Completed": "0", "Certified": "0",
    }  # fmt: skip
    # Every kind of organisation is listed, with zeros.
    assert [(r["Section"], r["They represent"], r["Learners"]) for r in rows[1:]] == [
        ("They represent", "Vocational training institutions", "0"),
        ("They represent", "Ministries and government bodies", "0"),
        ("They represent", "Employers' organisations", "0"),
        ("They represent", "Workers' organisations", "0"),
        ("They represent", "Other organisations", "0"),
    ]


def test_the_csv_holds_the_same_figures_as_an_attachment(client, login_as, season_data):
    login_as(Role.ADMIN, locale="en")
    response = client.get(f"{report_url(season_data['season'])}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Participation-Test-season.csv"; '
        "filename*=UTF-8''Participation-Test-season.csv"
    )
    assert response.headers["Cache-Control"] == "private, no-store"  # personal data
    rows = read_csv(response)
    assert list(rows[0]) == [
        "Section", "Course", "Cohort", "Country code", "Country", "Institution",
        "They represent", "Learners", "Enrolled", "Active", "Completed", "Certified",
    ]  # fmt: skip

    def figures(section, **where):
        (row,) = [
            r for r in rows if r["Section"] == section and all(r[k] == v for k, v in where.items())
        ]
        return [row["Learners"], row["Enrolled"], row["Active"], row["Completed"], row["Certified"]]

    assert figures("Season") == ["5", "6", "4", "1", "1"]
    assert figures("Course", Course="Tutored course") == ["3", "3", "2", "0", "0"]
    assert figures("Course", Course="At your pace") == ["3", "3", "2", "1", "1"]
    assert figures("Cohort", Cohort="Mañana") == ["2", "2", "2", "0", "0"]
    assert figures("Cohort", Cohort="Self-paced (no cohort)") == ["3", "3", "2", "1", "1"]
    assert figures("Country", **{"Country code": "AR", "Country": "Argentina"}) == [
        "2", "3", "3", "1", "1",
    ]  # fmt: skip
    assert figures("Country", **{"Country code": "MX"}) == ["2", "2", "0", "0", "0"]
    assert figures("Institution", Institution=season_data["listed"].acronym) == [
        "3", "4", "4", "1", "1",
    ]  # fmt: skip
    assert figures("Institution", Institution="Instituto Sol") == ["2", "2", "0", "0", "0"]
    # Everybody in the fixture registered as "other" except where the test changed it.
    assert figures("They represent", **{"They represent": "Other organisations"})[0] == "5"
    # The headline can be read back from the CSV.
    assert len([r for r in rows if r["Section"] == "Country"]) == 3
    assert len([r for r in rows if r["Section"] == "Institution"]) == 2
    assert len(rows) == 1 + 2 + 4 + 3 + 2 + 5


def test_the_csv_neutralises_formulas_and_keeps_accents(client, login_as, make_user):
    season = make_season("Temporada 2021/Otoño")
    course = build_course("tricky", kind=CourseKind.TUTOR_LED, title={"es": "+Curso"})
    cohort = make_cohort(course, season=season, name="Cohorte")
    cohort.name = '=HYPERLINK("http://evil.example","x")'
    someone = learner(make_user, "Ñandú", "PE", other="@SUM(1+1)")
    services.enroll(someone, cohort.offering, cohort)
    other = learner(make_user, "Other", "PE", other="-Escuela Técnica")
    services.enroll(other, cohort.offering, cohort)
    db.session.commit()
    login_as(Role.ADMIN, locale="es")
    response = client.get(f"/admin/seasons/{season.id}/report.csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Participaci_n-Temporada-2021-Oto_o.csv"; '
        "filename*=UTF-8''Participaci%C3%B3n-Temporada-2021-Oto%C3%B1o.csv"
    )
    rows = read_csv(response)
    cells = {cell for row in rows for cell in row.values()}
    assert "'+Curso" in cells
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "'@SUM(1+1)" in cells and "'-Escuela Técnica" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "Perú" in cells  # the country's name in the reader's language, accents intact


def test_the_report_runs_the_same_queries_for_3_and_40_learners(
    client, login_as, make_user, institutions
):
    tutored = build_course("tutored", kind=CourseKind.TUTOR_LED, modules=1)
    paced = build_course("paced", modules=1, position=1)
    cohort = make_cohort(tutored, seats=50)
    season = make_season()
    urls = [report_url(season), f"{report_url(season)}.csv"]
    db.session.commit()
    login_as(Role.ADMIN, locale="en")

    def add_learners(start, stop):
        for n in range(start, stop):
            person = learner(
                make_user,
                f"Learner {n}",
                ["AR", "MX", "ES", "PE", "CL"][n % 5],
                institution=institutions[n % 3] if n % 2 else None,
                other=None if n % 2 else f"Escuela {n}",
            )
            place = enroll(person, tutored, cohort)
            if n % 3:
                did_an_item(place)
            if n % 4 == 0:
                place.completed_at = utcnow()
            enroll(person, paced)
        db.session.commit()

    def count():
        counts = []
        for url in urls:
            with counting_queries() as statements:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(len(statements))
        return counts

    add_learners(0, 3)
    count()  # warm up anything loaded once per process
    few = count()
    add_learners(3, 40)
    many = count()
    assert few == many, (few, many)
    html = main_of(client.get(urls[0]).get_data(as_text=True))
    assert "40 participants" in html  # guards the count: the extra learners are there


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TUTOR])
def test_only_administrators_see_the_report(client, login_as, role):
    season = make_season()
    db.session.commit()
    login_as(role)
    assert client.get(report_url(season)).status_code == 403
    assert client.get(f"{report_url(season)}.csv").status_code == 403


def test_an_unknown_season_is_not_found(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/seasons/999999/report").status_code == 404
    assert client.get("/admin/seasons/999999/report.csv").status_code == 404


def test_a_revoked_certificate_is_not_counted_as_certified(client, login_as, season_data):
    from app.certificates.models import Certificate

    certificate = db.session.scalar(select(Certificate))
    revoke(certificate, "Issued by mistake", PLATFORM)
    db.session.commit()
    login_as(Role.ADMIN, locale="en")
    html = main_of(client.get(report_url(season_data["season"])).get_data(as_text=True))
    assert table_after(html, "By course")[1] == ["At your pace", "3", "3", "2", "1", "0"]
