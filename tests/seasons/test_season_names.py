"""A season's name in Spanish, Portuguese and English: set on the administrators' pages and
on the command line, shown to each reader in their language (`Season.name_in`), the
reference name kept for administrators and the command line."""

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.extensions import db
from app.seasons import services
from app.seasons.models import Season, SeasonState
from tests.learning.helpers import build_course, main_of
from tests.seasons.factories import enroll, make_cohort, make_season
from tests.seasons.test_admin_pages import html_of, send
from tests.seasons.test_cli import run, season_named

NAMES = {"es": "Temporada 2026", "pt": "Temporada 2026 (pt)", "en": "Season 2026"}


def test_name_in_gives_each_language_and_the_reference_name_otherwise(app):
    season = services.create_season("S-2026", date(2026, 3, 1), date(2026, 12, 1), NAMES)
    assert [season.name_in(language) for language in ("es", "pt", "en")] == list(NAMES.values())
    assert season.name_in("fr") == "S-2026" and season.name_in(None) == "S-2026"
    assert season.names == NAMES


def test_names_left_blank_are_the_reference_name(app):
    season = services.create_season(
        "Season 2027", date(2027, 3, 1), date(2027, 12, 1), {"es": "  Temporada 2027 ", "pt": ""}
    )
    assert season.names == {"es": "Temporada 2027", "pt": "Season 2027", "en": "Season 2027"}
    plain = services.create_season("Season 2028", date(2028, 3, 1), date(2028, 12, 1))
    assert set(plain.names.values()) == {"Season 2028"}


@pytest.mark.parametrize(
    "names",
    [{"es": "x" * 121}, {"pt": "bad\x00name"}, {"fr": "Saison"}],
    ids=["too-long", "control-character", "unknown-language"],
)
def test_bad_names_are_refused(app, names):
    with pytest.raises(services.InvalidSeason):
        services.create_season("Season 2029", date(2029, 3, 1), date(2029, 12, 1), names)
    db.session.rollback()
    assert db.session.scalar(select(Season).where(Season.name == "Season 2029")) is None


def test_an_administrator_names_a_season_in_three_languages(client, login_as):
    login_as(Role.ADMIN, locale="en")
    response = send(
        client,
        "/admin/seasons",
        {
            "name": "S-2026", "name_es": NAMES["es"], "name_pt": NAMES["pt"], "name_en": "",
            "starts_on": "2026-03-01", "ends_on": "2026-12-15",
        },
        prefix="new",
    )  # fmt: skip
    assert response.status_code == 302
    season = db.session.scalar(select(Season).where(Season.name == "S-2026"))
    assert season.names == {"es": NAMES["es"], "pt": NAMES["pt"], "en": "S-2026"}

    page = f"/admin/seasons/{season.id}"
    html = html_of(client.get(page))
    assert f'value="{NAMES["pt"]}"' in html  # the form shows what is saved
    response = send(
        client,
        page,
        {
            "name": "S-2026", "name_es": "Temporada veintiséis", "name_pt": NAMES["pt"],
            "name_en": "Season 2026", "starts_on": "2026-03-01", "ends_on": "2026-12-15",
        },
        prefix="season",
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert season.names == {"es": "Temporada veintiséis", "pt": NAMES["pt"], "en": "Season 2026"}


def test_a_too_long_shown_name_is_refused_on_the_page(client, login_as):
    login_as(Role.ADMIN, locale="en")
    response = send(
        client,
        "/admin/seasons",
        {
            "name": "S-2030",
            "name_es": "x" * 200,
            "starts_on": "2030-03-01",
            "ends_on": "2030-12-15",
        },
        prefix="new",
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Use at most 120 characters." in html_of(response)
    assert db.session.scalar(select(Season).where(Season.name == "S-2030")) is None


def test_a_copy_takes_its_own_names(client, login_as):
    source = make_season("Season 2026", state=SeasonState.OPEN)
    db.session.commit()
    login_as(Role.ADMIN, locale="en")
    response = send(
        client,
        "/admin/seasons/copy",
        {"source": str(source.id), "name": "Season 2027", "name_es": "Temporada 2027",
         "name_pt": "Temporada 2027", "shift_days": "364", "keep_tutors": "y"},
        prefix="copy",
    )  # fmt: skip
    assert response.status_code == 302
    copy = db.session.scalar(select(Season).where(Season.name == "Season 2027"))
    assert copy.names == {"es": "Temporada 2027", "pt": "Temporada 2027", "en": "Season 2027"}


@pytest.mark.parametrize(
    ("locale", "shown"), [("es", NAMES["es"]), ("pt", NAMES["pt"]), ("en", NAMES["en"])]
)
def test_learners_and_tutors_see_the_name_in_their_language(
    client, login_as, make_user, locale, shown
):
    course = build_course("tutored", kind=CourseKind.TUTOR_LED, languages=["es"], modules=1)
    season = make_season("S-2026")
    services.rename_season(season, NAMES)
    cohort = make_cohort(course, season=season, name="A")
    learner = make_user(locale=locale)
    enroll(learner, course, cohort)
    tutor = login_as(Role.TUTOR, locale=locale)
    cohort.tutors.append(tutor)
    db.session.commit()
    html = main_of(client.get(f"/tutor/cohorts/{cohort.id}").get_data(as_text=True))
    assert shown in html
    others = {name for language, name in NAMES.items() if language != locale} - {shown}
    assert not any(f">{name}<" in html for name in others)


def test_the_command_line_names_a_season_in_three_languages(app):
    build_course("paced", modules=1)
    db.session.commit()
    result = run(
        app, "open", "S-2026", "--starts", "2026-03-01", "--ends", "2026-12-01",
        "--course", "paced", "--name-es", NAMES["es"], "--name-pt", NAMES["pt"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"pt: “{NAMES['pt']}”" in result.output
    assert season_named("S-2026").names == {"es": NAMES["es"], "pt": NAMES["pt"], "en": "S-2026"}
    # Opening it again may give a name it lacks; the others stay.
    result = run(app, "open", "S-2026", "--name-en", NAMES["en"])
    assert result.exit_code == 0, result.output
    assert season_named("S-2026").names == NAMES
    result = run(app, "copy", "S-2026", "S-2027", "--shift-days", "364", "--name-es", "T-2027")
    assert result.exit_code == 0, result.output
    assert season_named("S-2027").names == {"es": "T-2027", "pt": "S-2027", "en": "S-2027"}
