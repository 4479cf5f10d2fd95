"""Administrators enrol people one by one and from a CSV file: every bad row is reported and
nothing changes while any is bad (unless bad rows are skipped); new people get an account
and an invitation, existing accounts are enrolled as they are; seats are never exceeded."""

import io

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import Institution, Role, User
from app.catalog.models import CourseKind
from app.core.models import OutboxMessage
from app.extensions import db
from app.seasons import roster_import
from app.seasons.models import Cohort, Enrollment, SeasonState
from app.seasons.roster_import import PersonRow, import_roster, read_roster
from tests.conftest import csrf_token, outbox
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort, make_season, offering_for

HEADER = "email,name,institution,country"
ANA = "ana.perez@example.org,Ana Pérez,SENA,CO"
JOAO = "joao.silva@example.org,João da Silva,SENAI,Brasil"
MARIA = "maria.lopez@example.org,María López,Escuela Técnica Norte,Uruguay"
SCRIPT = "<script>alert(1)</script>"


def csv_bytes(*lines, sep="\n") -> bytes:
    return sep.join(lines).encode("utf-8")


@pytest.fixture
def tutored(app, institutions):
    course = build_course(
        "roster-course", kind=CourseKind.TUTOR_LED, languages=["es", "en"], modules=1
    )
    db.session.commit()
    return course


@pytest.fixture
def cohort(tutored):
    made = make_cohort(tutored, name="Mañana", seats=10, language="en")
    db.session.commit()
    return made


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN, full_name="Admin Istrator", locale="en")


def counts() -> tuple[int, int, int]:
    """Users, enrolments and mails: what an import may change."""
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Enrollment, OutboxMessage)
    )


def seats_taken(cohort) -> int:
    db.session.expire_all()
    return db.session.get(Cohort, cohort.id).seats_taken


def page_url(cohort):
    return f"/admin/cohorts/{cohort.id}/enrol"


def upload(client, url, data: bytes, *, skip_bad=False, filename="people.csv"):
    form = {
        "roster-csrf_token": csrf_token(client, url),
        "roster-file": (io.BytesIO(data), filename),
        "roster-submit": "Enrol",
    }
    if skip_bad:
        form["roster-skip_bad"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


def enroll_one(client, url, **fields):
    form = {"person-csrf_token": csrf_token(client, url), "person-submit": "Enrol"}
    form.update({f"person-{name}": value for name, value in fields.items()})
    return client.post(url, data=form)


def read_en(data: bytes):
    with force_locale("en"):
        return read_roster(data)


# Reading the file ---------------------------------------------------------------------


def test_a_file_is_read_whatever_the_separator_header_language_order_and_bom(app):
    data = (
        "\ufeff  País ; Correo ;NOMBRE; Institución \r\n"
        "co;Ana@Example.org ;Ana Pérez;SENA\r\n"
        "\r\n"
        'Brasil;joao@example.org;"Silva; João";SENAI\r\n'
    ).encode()
    rows, problems = read_en(data)
    assert problems == []
    assert [(r.line, r.email, r.name, r.institution, r.country) for r in rows] == [
        (2, "Ana@Example.org", "Ana Pérez", "SENA", "co"),
        (4, "joao@example.org", "Silva; João", "SENAI", "Brasil"),
    ]
    rows, problems = read_en(csv_bytes("E-mail,Nome,Instituição,País", ANA))
    assert problems == [] and rows[0].email == "ana.perez@example.org"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            f"{HEADER}\nana@example.org,Peña,SENA,CO".encode("latin-1"), "UTF-8", id="latin1"
        ),
        pytest.param(f"{HEADER}\n{ANA}".encode("utf-16"), "UTF-8", id="utf16"),
        pytest.param(f"{HEADER}\n{ANA}".encode("utf-16-le"), "UTF-8", id="utf16-no-bom"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00binary xlsx", "UTF-8", id="binary"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\r\n  \n", "empty", id="blank"),
        pytest.param(HEADER.encode(), "nobody", id="header-only"),
        pytest.param(csv_bytes("email,name,country", ANA), "“institution”", id="missing"),
        pytest.param(
            csv_bytes("mail,nombre,school,pais,phone", ANA), "“school”, “phone”", id="unknown"
        ),
        pytest.param(csv_bytes("ana@example.org,Ana,SENA,CO", ANA), "Missing", id="no-header"),
        pytest.param(csv_bytes("email,name,institution,country,email", ANA), "twice", id="twice"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_problem(app, data, expected):
    rows, problems = read_en(data)
    assert rows == []
    assert len(problems) >= 1
    assert expected in " ".join(problems)


def test_a_latin1_file_names_the_line_and_says_to_save_as_utf8(app):
    data = csv_bytes(HEADER, ANA) + "\nbea@example.org,Beñat,SENA,ES".encode("latin-1")
    _, problems = read_en(data)
    assert "line 3" in problems[0] and "CSV UTF-8" in problems[0]


def test_more_than_five_thousand_people_is_refused(app):
    lines = [HEADER] + [f"p{n}@example.org,Person {n},SENA,CO" for n in range(5_001)]
    rows, problems = read_en(csv_bytes(*lines))
    assert rows == [] and "5,000" in problems[0]
    rows, problems = read_en(csv_bytes(*lines[:-1]))
    assert problems == [] and len(rows) == 5_000


def test_countries_by_code_or_name_in_three_languages(app):
    assert roster_import.country_code("uy") == "UY"
    assert roster_import.country_code("Spain") == "ES"
    assert roster_import.country_code("españa") == "ES"
    assert roster_import.country_code("Espanha") == "ES"
    assert roster_import.country_code("Brasil") == "BR"
    assert roster_import.country_code("  méxico ") == "MX"
    assert roster_import.country_code("Narnia") is None
    assert roster_import.country_code("EU") is None  # a grouping, not a country


# The import, through the page ---------------------------------------------------------


def test_the_page_shows_both_forms_with_labels_and_the_expected_columns(client, admin, cohort):
    html = client.get(page_url(cohort)).get_data(as_text=True)
    for name in ("person-email", "person-full_name", "person-institution", "person-country"):
        assert f'for="{name}"' in html and f'id="{name}"' in html
    assert 'for="roster-file"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="roster-skip_bad"' in html
    assert "email;name;institution;country" in html
    assert "at most 5,000 people and 2 MB" in html


def test_a_good_file_enrolls_new_and_existing_people_and_mails_each(client, admin, cohort):
    existing = accounts.create_user(
        "Maria.Lopez@example.org",
        "María López Original",
        Role.LEARNER,
        "x" * 12,
        country_code="UY",
        institution_other="Her Own School",
        check_strength=False,
    )
    db.session.commit()
    response = upload(client, page_url(cohort), csv_bytes(HEADER, ANA, JOAO, MARIA))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 new accounts created and invited" in html
    assert "1 existing account enrolled" in html

    db.session.expire_all()
    ana = accounts.find_user_by_email("ana.perez@example.org")
    sena = db.session.scalar(select(Institution).where(Institution.acronym == "SENA"))
    assert (ana.full_name, ana.country_code, ana.institution_id) == ("Ana Pérez", "CO", sena.id)
    # The language of the person's country, never the cohort's (English here).
    assert ana.institution_other is None and ana.locale == "es"
    assert ana.timezone == "America/Bogota" and ana.email_confirmed_at is None
    joao = accounts.find_user_by_email("joao.silva@example.org")
    assert joao.country_code == "BR" and joao.institution.acronym == "SENAI"
    assert joao.locale == "pt"
    assert "Seats taken now: 3 of 10 (7 left)" in html
    # The existing account is enrolled as it is: the file's name and institution are not used.
    maria = db.session.get(User, existing.id)
    assert maria.full_name == "María López Original" and maria.institution_other == "Her Own School"

    assert seats_taken(cohort) == 3
    for person in (ana, joao, maria):
        place = db.session.scalar(select(Enrollment).where(Enrollment.user_id == person.id))
        assert place.cohort_id == cohort.id
    invitation = outbox("ana.perez@example.org")
    assert len(invitation) == 1 and "/invitation/" in invitation[0].body
    assert "Admin Istrator" in invitation[0].body and "Mañana" in invitation[0].body
    told = outbox("maria.lopez@example.org")
    assert len(told) == 1 and "/invitation/" not in told[0].body
    assert "/learn/roster-course" in told[0].body and "Mañana" in told[0].body


def test_one_bad_row_changes_nothing_and_every_problem_is_listed(client, admin, cohort):
    rows = [
        HEADER,
        ANA,  # 2: good
        "not-an-email,Bad Email,SENA,CO",  # 3
        "ANA.PEREZ@example.org,Ana Again,SENA,CO",  # 4: same as line 2
        "zoe@example.org,Zoe,SENA,Narnia",  # 5
        "yan@example.org,,SENA,CO",  # 6: no name
        "xia@example.org,Xia,,CO",  # 7: no institution
        ",Nobody,SENA,CO",  # 8: no email
        "wu@example.org,Wu,SENA,CO,extra",  # 9: a comma too many
        JOAO,  # 10: good
    ]
    before = counts()
    response = upload(client, page_url(cohort), csv_bytes(*rows))
    assert response.status_code == 200
    assert counts() == before and seats_taken(cohort) == 0

    with force_locale("en"):
        report = import_roster(
            cohort.offering, cohort, csv_bytes(*rows), skip_bad=False, actor=admin
        )
    assert not report.applied and report.file_problems == []
    assert [p.line for p in report.row_problems] == [3, 4, 5, 6, 7, 8, 9]
    assert "Same email as line 2" in report.row_problems[1].message
    assert "Narnia" in report.row_problems[2].message
    assert report.invited == report.enrolled == []
    assert counts() == before

    html = response.get_data(as_text=True)
    assert "Nothing was changed" in html
    assert "Same email as line 2" in html and "<td>9</td>" in html


@pytest.mark.parametrize(
    "name",
    [
        "=cmd|' /C calc'!A0",
        '+HYPERLINK("http://evil.example")',
        "@SUM(1+1)*cmd",
        SCRIPT,
        "<b>Ana</b>",
        "Ana\x07Bell",
        "12345",
        "A" * 121,
    ],
)
def test_hostile_or_impossible_names_are_refused(client, admin, cohort, name):
    before = counts()
    data = csv_bytes(HEADER, "hostile@example.org,ok,SENA,CO").replace(
        b",ok,", b',"' + name.replace('"', '""').encode() + b'",'
    )
    with force_locale("en"):
        report = import_roster(cohort.offering, cohort, data, skip_bad=False, actor=admin)
    assert [(p.line, p.column) for p in report.row_problems] == [(2, "name")]
    assert counts() == before


def test_hostile_values_are_shown_escaped(client, admin, cohort):
    data = csv_bytes(HEADER, f"evil@example.org,Eve,{SCRIPT},{SCRIPT}")
    response = upload(client, page_url(cohort), data)
    html = response.get_data(as_text=True)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the unknown country, quoted back
    assert accounts.find_user_by_email("evil@example.org") is None


def test_formula_in_an_institution_is_refused(app, admin, cohort):
    data = csv_bytes(HEADER, "f@example.org,Fer Gómez,=HYPERLINK(1),CO")
    report = import_roster(cohort.offering, cohort, data, skip_bad=False, actor=admin)
    assert [p.column for p in report.row_problems] == ["institution"]


def test_skipping_bad_rows_enrolls_the_good_ones_only(client, admin, cohort):
    data = csv_bytes(HEADER, ANA, "broken,Bad,SENA,CO", MARIA, "z@example.org,Zed,SENA,Atlantis")
    users, enrollments, mails = counts()
    response = upload(client, page_url(cohort), data, skip_bad=True)
    html = response.get_data(as_text=True)
    assert "2 new accounts created and invited" in html and "those rows were skipped" in html
    assert counts() == (users + 2, enrollments + 2, mails + 2)
    assert accounts.find_user_by_email("z@example.org") is None
    assert accounts.find_user_by_email("maria.lopez@example.org").institution_other == (
        "Escuela Técnica Norte"
    )
    assert seats_taken(cohort) == 2


def test_more_people_than_seats_changes_nothing_and_says_how_many_are_left(
    client, admin, tutored, make_user
):
    small = make_cohort(tutored, name="Small", seats=3)
    enroll(make_user(), tutored, small)
    db.session.commit()
    before = counts()
    for skip_bad in (False, True):
        with force_locale("en"):
            report = import_roster(
                small.offering,
                small,
                csv_bytes(HEADER, ANA, JOAO, MARIA),
                skip_bad=skip_bad,
                actor=admin,
            )
        assert not report.applied
        assert "only 2 seats left" in report.file_problems[0]
    db.session.rollback()
    assert counts() == before and seats_taken(small) == 1
    response = upload(client, page_url(small), csv_bytes(HEADER, ANA, JOAO, MARIA))
    assert "only 2 seats left" in response.get_data(as_text=True)
    assert counts() == before


def test_people_already_in_place_are_reported_not_refused(client, admin, cohort, make_user):
    placed = make_user(email="placed@example.org")
    enroll(placed, cohort.offering.course, cohort)
    db.session.commit()
    before = counts()
    with force_locale("en"):
        report = import_roster(
            cohort.offering,
            cohort,
            csv_bytes(HEADER, "PLACED@example.org,,,"),
            skip_bad=False,
            actor=admin,
        )
    assert report.already == ["placed@example.org"] and report.row_problems == []
    assert not report.applied and counts() == before and seats_taken(cohort) == 1


def test_a_place_in_another_cohort_of_the_course_is_a_row_problem(
    client, admin, cohort, tutored, make_user
):
    other = make_cohort(tutored, name="Tarde", seats=5)
    elsewhere = make_user(email="elsewhere@example.org")
    enroll(elsewhere, tutored, other)
    db.session.commit()
    before = counts()
    with force_locale("en"):
        report = import_roster(
            cohort.offering,
            cohort,
            csv_bytes(HEADER, ANA, "elsewhere@example.org,E,SENA,CO"),
            skip_bad=False,
            actor=admin,
        )
    assert [p.line for p in report.row_problems] == [3]
    assert "Tarde" in report.row_problems[0].message
    assert counts() == before


def test_an_invited_person_enrolled_again_gets_a_new_invitation(app, admin, cohort, tutored):
    first = import_roster(
        cohort.offering, cohort, csv_bytes(HEADER, ANA), skip_bad=False, actor=admin
    )
    assert first.invited == ["ana.perez@example.org"]
    later = make_cohort(tutored, season=make_season("Next season"), name="Later")
    second = import_roster(
        later.offering, later, csv_bytes(HEADER, ANA), skip_bad=False, actor=admin
    )
    assert second.enrolled == ["ana.perez@example.org"] and second.invited == []
    mails = outbox("ana.perez@example.org")
    assert len(mails) == 2 and all("/invitation/" in m.body for m in mails)


def test_a_seat_taken_during_the_import_undoes_all_of_it(app, admin, cohort, monkeypatch):
    from app.seasons import services as seasons

    real_enroll, calls = seasons.enroll, []

    def enroll_then_fill(user, offering, cohort=None, **kwargs):
        calls.append(user.email)
        if len(calls) == 3:  # someone else took the last seats meanwhile
            raise seasons.CohortFull("This cohort is full.")
        return real_enroll(user, offering, cohort, **kwargs)

    monkeypatch.setattr(seasons, "enroll", enroll_then_fill)
    before = counts()
    with force_locale("en"):
        report = import_roster(
            cohort.offering, cohort, csv_bytes(HEADER, ANA, JOAO, MARIA), skip_bad=True, actor=admin
        )
    assert len(calls) == 3
    assert not report.applied and "Nothing was changed" in report.file_problems[0]
    assert report.invited == report.enrolled == []
    assert counts() == before and seats_taken(cohort) == 0


def test_a_closed_season_refuses_the_whole_file(app, admin, cohort):
    cohort.offering.season.state = SeasonState.CLOSED
    db.session.commit()
    before = counts()
    report = import_roster(
        cohort.offering, cohort, csv_bytes(HEADER, ANA), skip_bad=True, actor=admin
    )
    assert report.file_problems and not report.applied
    assert counts() == before


def test_an_upload_over_the_size_limit_gets_413_and_changes_nothing(client, admin, cohort):
    big = csv_bytes(HEADER, ANA) + b"\n" + b"x" * (2 * 1024 * 1024)
    before = counts()
    response = upload(client, page_url(cohort), big)
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    assert counts() == before


def test_a_post_without_a_file_asks_for_one(client, admin, cohort):
    url = page_url(cohort)
    response = client.post(
        url,
        data={"roster-csrf_token": csrf_token(client, url), "roster-submit": "Enrol"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert '<p class="error" id="roster-file-error">' in response.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(client, admin, cohort):
    before = counts()
    response = client.post(
        page_url(cohort),
        data={"roster-file": (io.BytesIO(csv_bytes(HEADER, ANA)), "p.csv"), "roster-submit": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and counts() == before


# One person ---------------------------------------------------------------------------


def test_one_new_person_is_invited(client, admin, cohort):
    response = enroll_one(
        client,
        page_url(cohort),
        email="Nina@Example.org",
        full_name="Nina Simón",
        institution="inefop",
        country="UY",
    )
    assert response.status_code == 200
    assert "1 new account created and invited" in response.get_data(as_text=True)
    nina = accounts.find_user_by_email("nina@example.org")
    assert nina.institution.acronym == "INEFOP" and nina.country_code == "UY"
    assert seats_taken(cohort) == 1 and len(outbox("nina@example.org")) == 1


def test_one_existing_person_is_enrolled_without_the_other_fields(client, admin, cohort, make_user):
    known = make_user(email="known@example.org", full_name="Known Person")
    response = enroll_one(client, page_url(cohort), email="known@example.org", country="")
    assert "1 existing account enrolled" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, known.id).full_name == "Known Person"
    assert seats_taken(cohort) == 1
    assert len(outbox("known@example.org")) == 1


def test_one_new_person_without_a_name_is_refused_beside_the_field(client, admin, cohort):
    before = counts()
    response = enroll_one(client, page_url(cohort), email="new@example.org", country="UY")
    html = response.get_data(as_text=True)
    assert '<p class="error" id="person-full_name-error">' in html
    assert '<p class="error" id="person-institution-error">' in html
    assert counts() == before


def test_one_person_with_a_hostile_name_is_refused_by_the_form(client, admin, cohort):
    before = counts()
    response = enroll_one(
        client,
        page_url(cohort),
        email="x@example.org",
        full_name=SCRIPT,
        institution="SENA",
        country="CO",
    )
    html = response.get_data(as_text=True)
    assert '<p class="error" id="person-full_name-error">' in html and SCRIPT not in html
    assert counts() == before


def test_a_self_paced_course_enrolls_without_a_cohort(client, admin, small_course):
    offering = offering_for(small_course)
    db.session.commit()
    url = f"/admin/offerings/{offering.id}/enrol"
    assert "Self-paced" in client.get(url).get_data(as_text=True)
    response = upload(client, url, csv_bytes(HEADER, ANA))
    assert "1 new account created and invited" in response.get_data(as_text=True)
    ana = accounts.find_user_by_email("ana.perez@example.org")
    place = db.session.scalar(select(Enrollment).where(Enrollment.user_id == ana.id))
    assert place.course_id == small_course.id and place.cohort_id is None


def test_a_tutor_led_offering_page_lists_its_cohorts(client, admin, cohort):
    html = client.get(f"/admin/offerings/{cohort.offering_id}/enrol").get_data(as_text=True)
    assert f'href="/admin/cohorts/{cohort.id}/enrol"' in html
    assert 'name="roster-file"' not in html


def test_unknown_cohort_or_offering_is_404(client, admin):
    assert client.get("/admin/cohorts/999999/enrol").status_code == 404
    assert client.get("/admin/offerings/999999/enrol").status_code == 404


def test_the_service_enrolls_one_person(app, admin, cohort):
    row = PersonRow(line=1, email="solo@example.org", name="Solo", institution="UTEC", country="UY")
    report = roster_import.enroll_person(cohort.offering, cohort, row, actor=admin)
    assert report.applied and report.invited == ["solo@example.org"]


# Who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TUTOR])
def test_learners_and_tutors_are_refused(client, login_as, cohort, small_course, role):
    user = login_as(role)
    if role == Role.TUTOR:
        cohort.tutors.append(user)  # even the cohort's own tutor
        db.session.commit()
    offering = offering_for(small_course)
    db.session.commit()
    before = counts()
    token = csrf_token(client, "/")
    for url in (page_url(cohort), f"/admin/offerings/{offering.id}/enrol"):
        assert client.get(url).status_code == 403
        response = client.post(
            url,
            data={
                "roster-csrf_token": token,
                "roster-file": (io.BytesIO(csv_bytes(HEADER, ANA)), "p.csv"),
                "roster-submit": "x",
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 403
    assert counts() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, cohort):
    response = client.get(page_url(cohort))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_language_column_sets_a_new_accounts_language_and_its_invitation_is_in_it(
    client, admin, cohort
):
    data = csv_bytes(
        "email;name;institution;country;idioma",
        "ana.perez@example.org;Ana Pérez;SENA;CO;Português",
        "joao.silva@example.org;João da Silva;SENAI;BR;",
        "jane.doe@example.org;Jane Doe;HEART/NSTA;JM;",
    )
    assert upload(client, page_url(cohort), data).status_code == 200
    db.session.expire_all()
    languages = {
        email: accounts.find_user_by_email(email).locale
        for email in ("ana.perez@example.org", "joao.silva@example.org", "jane.doe@example.org")
    }
    assert languages == {
        "ana.perez@example.org": "pt",  # the column wins over the country
        "joao.silva@example.org": "pt",
        "jane.doe@example.org": "en",
    }
    [invitation] = outbox("ana.perez@example.org")
    with force_locale("pt"):
        from flask_babel import gettext

        assert "Aula" in invitation.subject
        assert gettext("Choose a password") in invitation.body or "senha" in invitation.body


def test_an_unknown_language_is_refused_and_nothing_changes(client, admin, cohort):
    before = counts()
    data = csv_bytes(
        "email,name,institution,country,language",
        "ana.perez@example.org,Ana Pérez,SENA,CO,klingon",
    )
    html = upload(client, page_url(cohort), data).get_data(as_text=True)
    assert "Unknown language “klingon”" in html
    assert counts() == before


def test_the_one_person_form_takes_a_language(client, admin, cohort):
    response = enroll_one(
        client, page_url(cohort), email="nova@example.org", full_name="Nova Reyes",
        institution="INA", country="CR", language="en",
    )  # fmt: skip
    assert response.status_code == 200
    db.session.expire_all()
    assert accounts.find_user_by_email("nova@example.org").locale == "en"
