"""Participation by what people represent, the network view across seasons, and the reports as
.xlsx workbooks (one sheet per table) and CSV in the reader's language, formulas neutralised,
in a fixed number of queries."""

# ruff: noqa: S314  (the XML parsed here is the workbook our own server just wrote)

import codecs
import csv
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest

from app.accounts.models import Represents, Role
from app.catalog.models import CourseKind
from app.extensions import db
from app.seasons import services
from tests.learning.helpers import build_course, counting_queries, main_of
from tests.reports.test_season_report import did_an_item, learner, report_url, table_after
from tests.seasons.factories import days, enroll, make_cohort, make_season, offering_for

NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_xlsx(data: bytes) -> dict[str, list[list]]:
    """The workbook's sheets by name, each a list of rows of cell values (text or number),
    read from the file's XML. Fails on any formula cell."""
    book = zipfile.ZipFile(io.BytesIO(data))
    assert book.testzip() is None
    shared = [
        "".join(t.text or "" for t in si.iter(f"{{{NS['x']}}}t"))
        for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", NS)
    ] if "xl/sharedStrings.xml" in book.namelist() else []  # fmt: skip
    rels = {
        r.get("Id"): r.get("Target")
        for r in ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    }
    sheets = {}
    for sheet in ElementTree.fromstring(book.read("xl/workbook.xml")).iter(f"{{{NS['x']}}}sheet"):
        xml = ElementTree.fromstring(book.read("xl/" + rels[sheet.get(REL)]))
        rows = []
        for row in xml.iter(f"{{{NS['x']}}}row"):
            cells = []
            for cell in row.findall("x:c", NS):
                column = sum(
                    (ord(c) - 64) * 26**k
                    for k, c in enumerate(reversed(cell.get("r").rstrip("0123456789")))
                )
                cells += [None] * (column - 1 - len(cells))  # empty cells are not written
                assert cell.find("x:f", NS) is None, "a formula in an exported workbook"
                value = cell.find("x:v", NS)
                if cell.get("t") == "s":
                    cells.append(shared[int(value.text)])
                elif value is not None:
                    number = float(value.text)
                    cells.append(int(number) if number.is_integer() else number)
                else:
                    cells.append(None)
            rows.append(cells)
        sheets[sheet.get("name")] = rows
    return sheets


def quote_prefixed_styles(data: bytes) -> set[int]:
    """The indexes of cell styles that carry Excel's quote prefix (text shown, never run)."""
    styles = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml"))
    xfs = styles.find("x:cellXfs", NS).findall("x:xf", NS)
    return {n for n, xf in enumerate(xfs) if xf.get("quotePrefix") == "1"}


def read_csv(response):
    data = response.get_data()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def represent(user, kind):
    user.represents = kind
    db.session.flush()
    return user


@pytest.fixture
def two_seasons(make_user, institutions):
    """Season 2025 (3 people) and Season 2026 (4 people); Ana and Beto are in both.

    2026: Ana (AR, listed, VTI), Beto (AR, listed, ministry), Carla (MX, "Instituto Sol",
    employers), Darío (MX, " instituto  SOL ", workers); 2025: Ana, Beto and Eva (ES, listed
    other institution, VTI)."""
    paced = build_course("paced", modules=1, title={"es": "A tu ritmo", "en": "At your pace"})
    old = make_season("Season 2025")
    services.rename_season(old, {"es": "Temporada 2025", "pt": "Temporada 2025 (pt)"})
    new = make_season("Season 2026")
    services.rename_season(new, {"es": "Temporada 2026", "pt": "Temporada 2026 (pt)"})
    ana = represent(learner(make_user, "Ana", "AR", institution=institutions[0]), Represents.VTI)
    beto = represent(
        learner(make_user, "Beto", "AR", institution=institutions[0]), Represents.GOVERNMENT
    )
    carla = represent(
        learner(make_user, "Carla", "MX", other="Instituto Sol"), Represents.EMPLOYERS
    )
    dario = represent(
        learner(make_user, "Darío", "MX", other=" instituto  SOL "), Represents.WORKERS
    )
    eva = represent(learner(make_user, "Eva", "ES", institution=institutions[1]), Represents.VTI)
    for person in (ana, beto, carla, dario):
        did_an_item(services.enroll(person, offering_for(paced, new)))
    for person in (ana, beto, eva):
        services.enroll(person, offering_for(paced, old))
    old.starts_on, old.ends_on = days(-400), days(-100)  # last year's, once enrolled
    db.session.commit()
    return {"old": old, "new": new, "institutions": institutions}


# By what people represent ---------------------------------------------------------------


def test_the_season_report_counts_what_people_represent(client, login_as, two_seasons):
    login_as(Role.ADMIN, locale="en")
    html = main_of(client.get(report_url(two_seasons["new"])).get_data(as_text=True))
    assert table_after(html, "By what people represent") == [
        ["Vocational training institutions", "1", "1", "1", "0", "0"],
        ["Ministries and government bodies", "1", "1", "1", "0", "0"],
        ["Employers' organisations", "1", "1", "1", "0", "0"],
        ["Workers' organisations", "1", "1", "1", "0", "0"],
        ["Other organisations", "0", "0", "0", "0", "0"],  # listed, with zeros
    ]


def test_the_season_report_is_in_the_readers_language(client, login_as, two_seasons):
    login_as(Role.ADMIN, locale="pt")
    html = main_of(client.get(report_url(two_seasons["new"])).get_data(as_text=True))
    assert "Temporada 2026 (pt)" in html and "Season 2026" not in html
    assert "Segundo o que representam" in html
    assert "Organizações de empregadores" in html


# Workbooks -----------------------------------------------------------------------------


def test_the_season_workbook_has_one_sheet_per_table_in_the_readers_language(
    client, login_as, two_seasons
):
    login_as(Role.ADMIN, locale="es")
    response = client.get(f"{report_url(two_seasons['new'])}.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Participaci_n-Temporada-2026.xlsx"; '
        "filename*=UTF-8''Participaci%C3%B3n-Temporada-2026.xlsx"
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    sheets = read_xlsx(response.get_data())
    assert list(sheets) == [
        "Por curso", "Por cohorte", "Por país", "Por institución", "Según lo que representan",
    ]  # fmt: skip
    assert sheets["Por curso"] == [
        ["Curso", "Participantes", "Inscritos", "Activos", "Completados", "Certificados"],
        ["A tu ritmo", 4, 4, 4, 0, 0],
        ["Toda la temporada", 4, 4, 4, 0, 0],
    ]
    assert sheets["Por país"][1:] == [
        ["AR", "Argentina", 2, 2, 2, 0, 0],
        ["MX", "México", 2, 2, 2, 0, 0],
    ]
    assert sheets["Por institución"][2] == [
        "Instituto Sol", "Escrita por los participantes", 2, 2, 2, 0, 0,
    ]  # fmt: skip
    assert sheets["Según lo que representan"][1] == [
        "Instituciones de formación profesional", 1, 1, 1, 0, 0,
    ]  # fmt: skip


def test_the_workbook_keeps_formulas_as_text(client, login_as, make_user):
    season = make_season("Season =1+1")
    course = build_course("tricky", kind=CourseKind.TUTOR_LED, title={"es": "+Curso"})
    cohort = make_cohort(course, season=season, name="Cohorte")
    cohort.name = '=HYPERLINK("http://evil.example","x")'
    services.enroll(learner(make_user, "Ñandú", "PE", other="@SUM(1+1)"), cohort.offering, cohort)
    services.enroll(
        learner(make_user, "O", "PE", other="-Escuela Técnica"), cohort.offering, cohort
    )
    db.session.commit()
    login_as(Role.ADMIN, locale="es")
    data = client.get(f"/admin/seasons/{season.id}/report.xlsx").get_data()
    sheets = read_xlsx(data)  # fails on any formula cell
    texts = {cell for rows in sheets.values() for row in rows for cell in row}
    assert {"+Curso", '=HYPERLINK("http://evil.example","x")', "@SUM(1+1)"} <= texts
    assert "-Escuela Técnica" in texts and "Perú" in texts
    # Each of those cells carries the quote prefix: Excel shows it as text and never runs it.
    quoted = quote_prefixed_styles(data)
    assert quoted
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet2.xml").decode()
    cohort_cell = re.search(r'<c r="B2" s="(\d+)" t="s"', xml)
    assert cohort_cell and int(cohort_cell.group(1)) in quoted
    # The file name holds no formula characters either.
    disposition = client.get(f"/admin/seasons/{season.id}/report.xlsx").headers[
        "Content-Disposition"
    ]
    assert disposition.endswith("filename*=UTF-8''Participaci%C3%B3n-Season-1-1.xlsx")


# The network view ----------------------------------------------------------------------


def test_the_network_view_counts_each_season_and_repeat_learners(client, login_as, two_seasons):
    login_as(Role.ADMIN, locale="en")
    response = client.get("/admin/reports/seasons")
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    lines = [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    # season, dates, people, enrolled, institutions, countries, repeat learners
    assert [line[:1] + line[2:] for line in lines] == [
        ["Season 2025", "3", "3", "2", "2", "2"],
        ["Season 2026", "4", "4", "2", "2", "2"],
    ]
    foot = html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert re.findall(r"<td>([^<]*)</td>", foot) == ["", "5", "7", "3", "3", "2"]
    assert "5 people in the whole network; 2 took part in more than one season (40%)." in html


def test_the_network_view_in_spanish_with_csv_and_workbook(client, login_as, two_seasons):
    login_as(Role.ADMIN, locale="es")
    html = main_of(client.get("/admin/reports/seasons").get_data(as_text=True))
    assert "Temporada 2025" in html and "Season 2025" not in html
    response = client.get("/admin/reports/seasons.csv")
    assert response.headers["Content-Disposition"].endswith(
        "filename*=UTF-8''Participaci%C3%B3n-por-temporada.csv"
    )
    rows = read_csv(response)
    assert rows[0] == [
        "Temporada", "Primer día", "Último día", "Personas", "Inscritos", "Instituciones",
        "Países", "Participantes que repiten",
    ]  # fmt: skip
    assert rows[1][0] == "Temporada 2025" and rows[1][3:] == ["3", "3", "2", "2", "2"]
    assert rows[-1] == ["Toda la red (cada persona una vez)", "", "", "5", "7", "3", "3", "2"]
    sheets = read_xlsx(client.get("/admin/reports/seasons.xlsx").get_data())
    assert list(sheets) == ["Temporadas"]
    assert sheets["Temporadas"][1:] == [
        [row[0], row[1], row[2], *map(int, row[3:])] for row in rows[1:-1]
    ] + [["Toda la red (cada persona una vez)", None, None, 5, 7, 3, 3, 2]]


def test_the_network_view_with_no_seasons(client, login_as):
    login_as(Role.ADMIN, locale="en")
    html = main_of(client.get("/admin/reports/seasons").get_data(as_text=True))
    assert "No seasons yet." in html
    assert "0 people in the whole network" in html
    assert read_csv(client.get("/admin/reports/seasons.csv"))[1][3:] == ["0"] * 5


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/seasons",
        "/admin/reports/seasons.csv",
        "/admin/reports/seasons.xlsx",
    ],
)
@pytest.mark.parametrize("role", [Role.LEARNER, Role.TUTOR])
def test_only_administrators_see_the_network_view(client, login_as, role, url):
    login_as(role)
    assert client.get(url).status_code == 403


def test_an_unknown_seasons_workbook_is_not_found(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/seasons/999999/report.xlsx").status_code == 404


def test_the_network_view_and_workbooks_run_the_same_queries_for_few_and_many(
    client, login_as, make_user, institutions
):
    paced = build_course("paced", modules=1)
    tutored = build_course("tutored", kind=CourseKind.TUTOR_LED, modules=1, position=1)
    seasons = [make_season(f"Season {n}") for n in range(3)]
    cohorts = [make_cohort(tutored, season=season, seats=100) for season in seasons]
    db.session.commit()
    login_as(Role.ADMIN, locale="en")
    urls = [
        "/admin/reports/seasons",
        "/admin/reports/seasons.csv",
        "/admin/reports/seasons.xlsx",
        f"{report_url(seasons[0])}.xlsx",
    ]

    def add_learners(start, stop):
        for n in range(start, stop):
            person = learner(
                make_user,
                f"Learner {n}",
                ["AR", "MX", "ES", "PE", "CL"][n % 5],
                institution=institutions[n % 3] if n % 2 else None,
                other=None if n % 2 else f"Escuela {n % 7}",
            )
            represent(person, list(Represents)[n % 5])
            for k, season in enumerate(seasons):
                if n % (k + 1) == 0:
                    enroll(person, tutored, cohorts[k])
                    services.enroll(person, offering_for(paced, season))
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
    count()
    few = count()
    add_learners(3, 40)
    many = count()
    assert few == many, (few, many)
    html = main_of(client.get(urls[0]).get_data(as_text=True))
    assert "40 people in the whole network" in html
