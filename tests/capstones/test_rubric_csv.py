"""Rubrics as CSV: the file format (round trip, hostile and broken files), the administrators'
pages that download and upload it, and `flask capstones rubric-export|rubric-import`."""

import copy
import csv
import io

import pytest

from app.accounts.models import Role
from app.capstones import services
from app.capstones.rubric_csv import (
    RubricCsvError,
    columns,
    export_rubric,
    import_rubric,
    languages_of,
)
from app.catalog.models import Item
from app.extensions import db
from tests.capstones.helpers import OSH, osh_course
from tests.conftest import csrf_token
from tests.learning.helpers import flashes, main_of

LANGS = ["es", "pt"]


def small_rubric():
    return {
        "pass_threshold": 3,
        "criteria": [
            {
                "title": {"es": "Claridad", "pt": "Clareza"},
                "description": {"es": "¿Se entiende?"},
                "levels": [
                    {"points": 0, "title": {}, "description": {"es": "No", "pt": "Não"}},
                    {"points": 2, "title": {"es": "Bien"}, "description": {"es": "Sí"}},
                ],
            },
            {
                "title": {"es": "Datos"},
                "description": {},
                "levels": [
                    {"points": 0, "title": {}, "description": {"es": "Ninguno"}},
                    {"points": 1, "title": {}, "description": {"es": "Algunos"}},
                    {"points": 3, "title": {}, "description": {"es": "Todos"}},
                ],
            },
        ],
    }


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def to_csv(rows, delimiter=",", bom=True) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


HEADER = columns(LANGS)


def row(criterion="", points="", level_description="", description="", level=""):
    """A data row in the es/pt layout, texts in Spanish only."""
    return [criterion, "", description, "", str(points), level, "", level_description, ""]


def refusal(data: bytes, languages=LANGS) -> list[str]:
    with pytest.raises(RubricCsvError) as caught:
        import_rubric(data, languages)
    return [str(p) for p in caught.value.problems]


# The format --------------------------------------------------------------------------------


def file_languages(course) -> list[str]:
    """The languages of the course's rubric file, as the pages and commands choose them."""
    return languages_of(services.rubric(services.capstone_item(course)), course.languages)


def test_the_osh_rubric_goes_out_and_comes_back_the_same(app):
    course = osh_course()
    item = services.capstone_item(course)
    original = copy.deepcopy(services.rubric(item))
    languages = file_languages(course)

    text = export_rubric(original, languages)

    assert text.startswith("\ufeff")
    rows = rows_of(text)
    assert rows[0] == columns(languages)
    assert len(rows) == 1 + 16 + 1  # header, 4 criteria x 4 levels, pass threshold
    assert rows[1][0] == "Diagnóstico y evaluación de riesgos"
    assert rows[2][: 2 * len(languages)] == [""] * 2 * len(languages)
    assert rows[-1][0] == "pass_threshold" and "12" in rows[-1]
    assert import_rubric(text.encode(), languages) == original


def test_the_file_carries_every_language_the_rubric_is_written_in():
    """A course lists only its lessons' languages; its rubric may have more. The file keeps
    them, course languages first, then the others in the platform's order."""
    rubric = small_rubric()  # texts in es and pt
    assert languages_of(rubric, ["es"]) == ["es", "pt"]
    assert languages_of(rubric, ["pt", "es"]) == ["pt", "es"]
    assert languages_of(rubric, ["es", "pt", "en"]) == ["es", "pt", "en"]
    rubric["criteria"][1]["levels"][2]["title"] = {"en": "All"}
    assert languages_of(rubric, ["es"]) == ["es", "pt", "en"]
    assert languages_of({"criteria": []}, ["es"]) == ["es"]
    languages = languages_of(rubric, ["es"])
    assert import_rubric(export_rubric(rubric, languages).encode(), languages) == rubric


def test_round_trip_keeps_missing_translations_missing(app):
    rubric = small_rubric()
    assert import_rubric(export_rubric(rubric, LANGS).encode(), LANGS) == rubric


def test_formula_looking_cells_are_escaped_on_export_and_restored_on_import(app):
    rubric = small_rubric()
    rubric["criteria"][0]["title"]["es"] = '=HYPERLINK("http://evil")'
    rubric["criteria"][0]["levels"][0]["description"]["es"] = "-5 puntos si falta"
    rubric["criteria"][1]["levels"][2]["description"]["es"] = "@SUM(A1)"
    rubric["criteria"][1]["levels"][1]["description"]["es"] = "'comillas' normales"

    text = export_rubric(rubric, LANGS)

    cells = [cell for r in rows_of(text) for cell in r]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'-5 puntos si falta" in cells and "'@SUM(A1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'comillas' normales" in cells  # not a formula: left as it is
    assert import_rubric(text.encode(), LANGS) == rubric


def test_semicolons_no_bom_filled_down_criteria_and_blank_rows_are_accepted(app):
    data = to_csv(
        [
            HEADER,
            row("Claridad", 0, "No"),
            row("Claridad", 2, "Sí"),  # filled down: same criterion
            [],
            row("Datos", 0, "Ninguno"),
            row("", 4, "Todos"),
            row("pass_threshold", 5),
            ["", "", ""],
        ],
        delimiter=";",
        bom=False,
    )

    rubric = import_rubric(data, LANGS)

    assert [c["title"] for c in rubric["criteria"]] == [{"es": "Claridad"}, {"es": "Datos"}]
    assert [len(c["levels"]) for c in rubric["criteria"]] == [2, 2]
    assert rubric["pass_threshold"] == 5


def test_columns_may_come_in_any_order(app):
    order = list(reversed(HEADER))
    data = [order] + [
        list(reversed(r))
        for r in (
            row("Claridad", 0, "No"),
            row("", 2, "Sí"),
            row("pass_threshold", 1),
        )
    ]
    assert import_rubric(to_csv(data), LANGS)["pass_threshold"] == 1


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf \r\n\r\n", "The file is empty."),
        ("criterion_es,points\nClaridad,1\n".encode("utf-16"), "not UTF-8"),
        ("criterion_es;points\nAcción;1\n".encode("latin-1"), "not UTF-8"),
        (b"criterion_es,\x00points\n", "not a CSV text file"),
    ],
)
def test_unreadable_files_are_refused(app, data, expected):
    problems = refusal(data)
    assert len(problems) == 1 and expected in problems[0]


def test_missing_and_unknown_columns_are_named(app):
    header = [c for c in HEADER if c not in ("points", "level_description_pt")] + ["pionts"]
    problems = refusal(to_csv([header, ["x"] * len(header)]))
    assert any("Line 1: Missing columns: points, level_description_pt." in p for p in problems)
    assert any("Unknown columns: pionts." in p for p in problems)


def test_every_problem_is_reported_with_its_line(app):
    data = to_csv(
        [
            HEADER,
            row("", 1, "Huérfano"),  # line 2: no criterion yet
            row("Claridad", "tres", "No"),  # line 3
            row("", -1, "Sí"),  # line 4
            row("Solo", 1, "Uno"),  # line 5: one level only
            row("Vacío", 2, ""),  # line 6: no description, one level
            row(description="Sin título", points=1, level_description="a"),  # line 7
            row("", 2, "b"),
            row("pass_threshold", "doce"),  # line 9
        ]
    )

    problems = refusal(data)

    assert "Line 2: A level comes before any criterion: give its title." in problems
    assert "Line 3: “tres” is not a whole number of points." in problems
    assert "Line 4: Points cannot be negative." in problems
    assert "Line 6: The level has no description." in problems
    assert "Line 6: A criterion needs at least two levels." in problems
    assert "Line 7: The criterion has no title." in problems
    assert "Line 9: “doce” is not a whole number of points." in problems
    assert [p for p in problems if p.startswith("Line 5")] == [
        "Line 5: A criterion needs at least two levels."
    ]


def test_an_unreachable_or_missing_pass_threshold_is_refused(app):
    rows = [HEADER, row("Claridad", 0, "No"), row("", 2, "Sí")]
    assert (
        "Line 4: The pass threshold 3 cannot be reached: the best levels add up to 2 points."
        in (refusal(to_csv([*rows, row("pass_threshold", 3)])))
    )
    assert any("The pass mark is missing" in p for p in refusal(to_csv(rows)))
    twice = refusal(to_csv([*rows, row("pass_threshold", 1), row("pass_threshold", 2)]))
    assert "Line 5: The pass threshold is given twice (also on line 4)." in twice


def test_a_file_with_no_criterion_is_refused(app):
    problems = refusal(to_csv([HEADER, row("pass_threshold", 0)]))
    assert "The rubric has no criterion." in problems


def test_a_row_longer_than_the_header_is_refused(app):
    rows = [
        HEADER,
        row("Claridad", 0, "No") + ["extra"],
        row("", 2, "Sí"),
        row("pass_threshold", 1),
    ]
    assert refusal(to_csv(rows)) == ["Line 2: This row has more cells than the header."]


def test_a_huge_file_is_refused_without_reading_it(app):
    problems = refusal(b"criterion_es," + b"x" * (2 * 1024 * 1024))
    assert problems == ["The file is larger than 1024 KB."]


# The administrators' pages ------------------------------------------------------------------


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN, locale="en")


def capstone():
    return services.capstone_item(osh_course())


def upload(client, item_id, data: bytes, filename="rubric.csv"):
    url = f"/admin/capstones/{item_id}/rubric"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_the_list_links_each_capstone_to_its_csv_and_upload_page(client, admin):
    item = capstone()
    html = main_of(client.get("/admin/capstones").get_data(as_text=True))
    assert f"/admin/capstones/{item.id}/rubric.csv" in html
    assert f"/admin/capstones/{item.id}/rubric" in html
    assert "4" in html and "12" in html  # criteria, pass threshold


def test_download_is_an_attachment_with_the_rubric(client, admin):
    item = capstone()
    response = client.get(f"/admin/capstones/{item.id}/rubric.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"{OSH}-rubric.csv" in response.headers["Content-Disposition"]
    assert import_rubric(response.data, file_languages(osh_course())) == services.rubric(item)


def test_upload_replaces_the_rubric(client, admin):
    item = capstone()
    item_id = item.id
    languages = file_languages(osh_course())
    rubric = copy.deepcopy(services.rubric(item))
    rubric["pass_threshold"] = 15
    rubric["criteria"][0]["title"]["es"] = "Diagnóstico"

    response = upload(client, item_id, export_rubric(rubric, languages).encode())

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("success", "The rubric was replaced.") in flashes(page)
    db.session.expire_all()
    assert services.rubric(db.session.get(Item, item_id)) == rubric
    stored = db.session.get(Item, item_id).content
    assert stored["brief_html"] and stored["max_attempts"] == 3  # the rest is kept


def test_a_bad_upload_shows_every_problem_and_changes_nothing(client, admin):
    item = capstone()
    item_id, before = item.id, copy.deepcopy(services.rubric(item))
    header = columns(osh_course().languages)  # the course's own layout (es, pt, en)
    data = to_csv(
        [
            header,
            [
                {"criterion_es": "Claridad", "points": "x", "level_description_es": "No"}.get(c, "")
                for c in header
            ],
            [{"criterion_es": "pass_threshold", "points": "99"}.get(c, "") for c in header],
        ]
    )

    response = upload(client, item_id, data)

    html = main_of(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Line 2: “x” is not a whole number of points." in html.replace("&#34;", '"')
    assert "Line 2: A criterion needs at least two levels." in html
    db.session.expire_all()
    assert services.rubric(db.session.get(Item, item_id)) == before


def test_an_upload_without_a_file_is_refused(client, admin):
    item = capstone()
    url = f"/admin/capstones/{item.id}/rubric"
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 400
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_the_upload_page_explains_the_format_and_the_package_import(client, admin):
    item = capstone()
    html = main_of(client.get(f"/admin/capstones/{item.id}/rubric").get_data(as_text=True))
    assert "pass_threshold" in html and "--force" in html
    assert 'type="file"' in html and "<label" in html


def test_not_a_capstone_or_missing_is_404(client, admin):
    course = osh_course()
    lesson = next(
        i
        for i in db.session.scalars(db.select(Item).where(Item.course_id == course.id))
        if i.kind != "capstone"
    )
    for url in (
        f"/admin/capstones/{lesson.id}/rubric.csv",
        f"/admin/capstones/{lesson.id}/rubric",
        "/admin/capstones/999999/rubric.csv",
        "/admin/capstones/999999/rubric",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TUTOR])
def test_only_administrators_reach_these_pages(client, login_as, role):
    item = capstone()
    login_as(role)
    for url in ("/admin/capstones", f"/admin/capstones/{item.id}/rubric.csv"):
        assert client.get(url).status_code == 403, url
    data = to_csv([HEADER, row("A", 0, "a"), row("", 1, "b"), row("pass_threshold", 0)])
    assert upload(client, item.id, data).status_code == 403


# The commands -----------------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=["capstones", *[str(a) for a in args]])


def test_cli_export_to_stdout_and_to_a_file(app, tmp_path):
    course = osh_course()
    rubric = services.rubric(services.capstone_item(course))

    result = run(app, "rubric-export", OSH)
    assert result.exit_code == 0, result.output
    assert import_rubric(result.output.encode(), file_languages(course)) == rubric

    target = tmp_path / "rubric.csv"
    result = run(app, "rubric-export", OSH, "--output", target)
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert import_rubric(target.read_bytes(), file_languages(course)) == rubric


def test_cli_import_replaces_the_rubric(app, tmp_path):
    course = osh_course()
    item_id = services.capstone_item(course).id
    rubric = copy.deepcopy(services.rubric(services.capstone_item(course)))
    rubric["pass_threshold"] = 10
    source = tmp_path / "rubric.csv"
    source.write_text(export_rubric(rubric, file_languages(course)), encoding="utf-8")

    result = run(app, "rubric-import", OSH, source)

    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert services.rubric(db.session.get(Item, item_id)) == rubric


def test_cli_import_refuses_with_every_problem(app, tmp_path):
    course = osh_course()
    item_id = services.capstone_item(course).id
    before = copy.deepcopy(services.rubric(services.capstone_item(course)))
    header = columns(file_languages(course))
    blank = [""] * len(header)
    bad = dict(zip(header, blank, strict=True))
    bad.update(
        {header[0]: "Uno", "points": "mucho", f"level_description_{course.languages[0]}": "a"}
    )
    source = tmp_path / "rubric.csv"
    source.write_bytes(to_csv([header, list(bad.values())]))

    result = run(app, "rubric-import", OSH, source)

    assert result.exit_code != 0
    assert "Line 2: “mucho” is not a whole number of points." in result.output
    assert "The pass mark is missing" in result.output
    db.session.rollback()
    assert services.rubric(db.session.get(Item, item_id)) == before


def test_cli_refuses_an_unknown_course_or_one_without_capstone(app, tmp_path):
    osh_course()
    assert run(app, "rubric-export", "no-such-course").exit_code != 0
    missing = run(app, "rubric-import", OSH, tmp_path / "nope.csv")
    assert missing.exit_code != 0
