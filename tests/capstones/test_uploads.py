"""Hostile uploads are refused with a clear message and nothing is stored; project files
are served as attachments, only to the learner, the cohort's tutors and administrators."""

import io
import os
import zipfile
from html import unescape
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import Role
from app.capstones import services
from app.capstones.models import CapstoneFile, Submission
from app.extensions import db
from tests.capstones.helpers import (
    ITEM_URL,
    SAVE_URL,
    capstone_cohort,
    count_files,
    enrolled_learner,
    enrollment_of,
    make_person,
    pdf_bytes,
    png_bytes,
    post_project,
    submission_of,
)
from tests.catalog.test_hostile_packages import huge_png
from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(1)</script></svg>\n"
)


def office_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# A ZIP with a web page inside, named as a Word document.
HTML_IN_A_ZIP = office_zip({"index.html": HTML})
REAL_DOCX = office_zip(
    {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/content-types"/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document/>',
    }
)
REAL_ODT = office_zip(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"}
)


# An HTML page that carries a PDF header a few bytes in: libmagic alone calls it a PDF.
HTML_WITH_PDF_HEADER = b"<html><body><script>alert(1)</script>\n%PDF-1.4\n%%EOF\n</body></html>"


@pytest.fixture
def learner(client):
    cohort = capstone_cohort()
    person = enrolled_learner(cohort)
    login(client, person)
    return person


def text_of(response):
    return unescape(response.get_data(as_text=True))


def draft_text(person):
    submission = submission_of(person)
    return submission.draft_text if submission else None


def count_submissions():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Submission))


def files_on_disk(*tops):
    """Every file under the folders (the virtualenv and .git left out)."""
    found = set()
    for top in tops:
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in (".venv", ".git", "node_modules")]
            found.update(os.path.join(folder, name) for name in files)
    return found


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", HTML, "“report.pdf” is not a file type we accept."),
        ("drawing.pdf", SVG, "“drawing.pdf” is not a file type we accept."),
        ("photo.png", pdf_bytes(), "“photo.png” does not contain what its name says."),
        ("empty.pdf", b"", "“empty.pdf” is empty."),
        ("page.pdf", HTML_WITH_PDF_HEADER, "“page.pdf” is not a file type we accept."),
        ("report.docx", HTML_IN_A_ZIP, "“report.docx” does not contain what its name says."),
        ("notes.odt", HTML_IN_A_ZIP, "“notes.odt” does not contain what its name says."),
        ("bomb.png", huge_png(), "“bomb.png” is not a picture we can show"),
    ],
)
@pytest.mark.parametrize("action", ["save_draft", "submit_project"])
def test_a_hostile_file_is_refused_and_nothing_is_kept(
    client, learner, name, content, message, action
):
    response = post_project(
        client, "Lo que escribí con cuidado", [(name, content)], action=action, seen=0
    )
    assert response.status_code == 200
    html = text_of(response)
    assert message in html
    assert "Nothing was saved." in html
    # The text the learner typed comes back in the form.
    assert "Lo que escribí con cuidado</textarea>" in html
    assert count_files() == 0
    assert count_submissions() == 0


def test_one_refused_file_keeps_the_good_ones_out_too(client, learner):
    post_project(client, "Primero", seen=0)
    response = post_project(
        client,
        "Cambiado",
        [("good.pdf", pdf_bytes()), ("bad.pdf", HTML), ("fine.png", png_bytes())],
        seen=0,
    )
    assert response.status_code == 200
    assert "“bad.pdf” is not a file type we accept." in text_of(response)
    assert count_files() == 0
    assert draft_text(learner) == "Primero"  # the earlier draft is untouched


def test_a_file_over_the_limit_is_refused(client, learner, app, monkeypatch):
    monkeypatch.setitem(app.config, "CAPSTONE_MAX_FILE_BYTES", 1024 * 1024)
    big = pdf_bytes() + b"0" * (1024 * 1024 + 10)
    response = post_project(client, "Texto", [("big.pdf", big)], seen=0)
    assert response.status_code == 200
    assert "“big.pdf” is larger than 1 MB." in text_of(response)
    assert count_files() == 0


def test_a_real_21_mb_file_reaches_the_check_and_is_refused(client, learner):
    """The app accepts 2 MB requests; this route raises its limit so the file arrives,
    and the 20 MB file limit answers with a message, not a bare error."""
    big = pdf_bytes() + b"0" * (21 * 1024 * 1024)
    response = post_project(client, "Mi texto", [("huge.pdf", big)], seen=0)
    assert response.status_code == 200
    html = text_of(response)
    assert "“huge.pdf” is larger than 20 MB." in html
    assert "Mi texto</textarea>" in html
    assert count_files() == 0


def test_a_request_over_the_submission_limit_gets_the_413_page(client, learner, app, monkeypatch):
    monkeypatch.setitem(app.config, "CAPSTONE_MAX_SUBMISSION_BYTES", 1024 * 1024)
    body = pdf_bytes() + b"0" * (3 * 1024 * 1024)
    response = post_project(client, "Texto", [("big.pdf", body)], seen=0)
    assert response.status_code == 413
    html = text_of(response)
    assert "all files together at most 1 MB" in html
    assert "Nothing was saved." in html
    assert count_files() == 0 and count_submissions() == 0


def test_a_request_of_1000_parts_is_refused(client, learner):
    data = {"csrf_token": csrf_token(client, "/"), "text": "x", "save_draft": "1"}
    data["files"] = [(io.BytesIO(pdf_bytes()), f"f{i}.pdf") for i in range(1000)]
    response = client.post(SAVE_URL, data=data, content_type="multipart/form-data")
    assert response.status_code in (400, 413)
    assert "Too large" in text_of(response) or "too many parts" in text_of(response)
    assert count_files() == 0 and count_submissions() == 0


def test_more_files_than_allowed_are_refused(client, learner):
    files = [(f"f{i}.pdf", pdf_bytes()) for i in range(services.FILES_MAX + 1)]
    response = post_project(client, "x", files, seen=0)
    assert response.status_code == 200
    assert f"At most {services.FILES_MAX} files per submission." in text_of(response)
    assert count_files() == 0


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        # the multipart parser reads a backslash as an escape: no separator arrives
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("in\x00forme.pdf", "informe.pdf"),
        ("a" * 296 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_hostile_names_are_made_safe_and_never_touch_the_disk(client, learner, sent, stored):
    instance = Path(current_app.instance_path)
    before = files_on_disk(ROOT, instance)
    response = post_project(client, "x", [(sent, pdf_bytes())], seen=0)
    assert response.status_code == 302
    kept = db.session.scalar(select(CapstoneFile))
    assert kept.filename.endswith(stored) and not kept.filename.startswith(".")
    assert len(kept.filename) <= 120
    assert not {"/", "\\", "\x00"} & set(kept.filename)
    # Nothing was written: no new file in the instance folder, and none under the project
    # (other work may change the project's files meanwhile: look for this upload's name).
    after = files_on_disk(ROOT, instance)
    assert files_on_disk(instance) == {p for p in before if p.startswith(str(instance))}
    assert not [p for p in after - before if stored[:20] in p or p.endswith(stored)]
    assert not Path("/etc/passwd.pdf").exists()
    page = client.get(ITEM_URL).get_data(as_text=True)
    assert f"/capstones/files/{kept.token}" in page
    download = client.get(f"/capstones/files/{kept.token}")
    assert download.status_code == 200
    assert download.data == pdf_bytes()
    assert f'filename="{kept.filename}"' in download.headers["Content-Disposition"]


# Downloads ---------------------------------------------------------------------------


@pytest.fixture
def project():
    """A submitted project with one file, in a cohort with one tutor; nobody signed in."""
    cohort = capstone_cohort()
    owner = enrolled_learner(cohort)
    submission = services.start_submission(
        enrollment_of(owner),
        services.capstone_item(cohort.offering.course),
    )
    services.submit(submission, "Texto", [("Informe ñandú.pdf", pdf_bytes())], seen_versions=0)
    db.session.commit()
    stored = db.session.scalar(select(CapstoneFile))
    return {
        "cohort": cohort,
        "owner": owner,
        "file": stored,
        "url": f"/capstones/files/{stored.token}",
    }


def test_the_owner_downloads_an_attachment_with_safe_headers(client, project):
    login(client, project["owner"])
    response = client.get(project["url"])
    assert response.status_code == 200
    assert response.data == pdf_bytes()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Informe _and_.pdf\"; filename*=UTF-8''Informe%20%C3%B1and%C3%BA.pdf"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_another_learner_gets_403(client, project):
    other = enrolled_learner(project["cohort"])
    login(client, other)
    assert client.get(project["url"]).status_code == 403


def test_a_tutor_of_another_cohort_gets_403(client, project):
    other_tutor = make_person(Role.TUTOR)
    capstone_cohort(tutors=[other_tutor])
    login(client, other_tutor)
    assert client.get(project["url"]).status_code == 403


def test_the_cohorts_tutor_downloads(client, project):
    login(client, project["cohort"].tutors[0])
    response = client.get(project["url"])
    assert response.status_code == 200
    assert response.data == pdf_bytes()


def test_an_administrator_downloads(client, project):
    login(client, make_person(Role.ADMIN))
    assert client.get(project["url"]).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(client, project):
    response = client.get(project["url"])
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert b"%PDF" not in response.data


def test_an_unknown_token_is_404(client, project):
    login(client, project["owner"])
    assert client.get("/capstones/files/not-a-file-token").status_code == 404
    assert client.get(f"/capstones/files/{project['file'].token[:-1]}x").status_code == 404


@pytest.mark.parametrize(("name", "content"), [("report.docx", REAL_DOCX), ("notes.odt", REAL_ODT)])
def test_real_office_documents_are_accepted(client, learner, name, content):
    response = post_project(client, "Con documento", [(name, content)], seen=0)
    assert response.status_code == 302, text_of(response)
    assert count_files() == 1
