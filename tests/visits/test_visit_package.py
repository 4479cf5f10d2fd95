"""Study visits in course packages: an embed only over https from an allow-listed host, and
panoramas that are real equirectangular pictures; each refusal reported at file:line, by
`flask content check` and by `flask content import`, which then imports nothing."""

import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.catalog.models import Course, Item
from app.extensions import db
from app.visits import services
from tests.catalog.helpers import copy_example, edit
from tests.catalog.test_content_check import PROBLEM_LINE, assert_reported, line_of, same_file

EMBED = "url: https://www.youtube-nocookie.com/embed/aula-example"


def run_import(app, path):
    result = app.test_cli_runner().invoke(args=["content", "import", str(path)])
    db.session.expire_all()
    return result


def assert_import_refused(app, package, file, line, fragment):
    result = run_import(app, package)
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert "nothing imported" in result.output.lower()
    printed = [
        m
        for m in PROBLEM_LINE.finditer(result.output)
        if same_file(m["file"], file) and fragment.lower() in m["message"].lower()
    ]
    assert [int(m["line"]) for m in printed] == [line], result.output
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0


def test_the_example_visits_import_with_their_tours(app, tmp_path):
    package = copy_example(tmp_path)
    assert run_import(app, package).exit_code == 0
    hosted = db.session.scalar(select(Item).where(Item.slug == "visit-hosted")).content["tour"]
    assert [s["id"] for s in hosted["scenes"]] == ["hall", "workshop"]
    assert hosted["scenes"][0]["hotspots"][1] == {
        "kind": "scene",
        "pitch": -5.0,
        "yaw": 90.0,
        "text": {"es": "Al taller.", "en": "To the workshop."},
        "scene": "workshop",
    }
    assert hosted["size"] == sum(s["panorama"]["size"] for s in hosted["scenes"]) > 0
    embed = db.session.scalar(select(Item).where(Item.slug == "visit-embed")).content["tour"]
    assert embed == {
        "kind": "embed",
        "url": "https://www.youtube-nocookie.com/embed/aula-example",
        "host": "www.youtube-nocookie.com",
        "size": 25 * 1024 * 1024,
    }


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://evil.example.org/embed/tour", "not on the allow-list"),
        ("https://www.youtube.com/embed/aula-example", "not on the allow-list"),
        ("javascript:alert(document.cookie)", "javascript: URLs are not allowed"),
        ("JavaScript:alert(1)", "javascript: URLs are not allowed"),
        (
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "data: URLs are not allowed",
        ),
        ("http://www.youtube-nocookie.com/embed/aula-example", "must start with https://"),
        ("https://user:pw@www.youtube-nocookie.com/embed/x", "user name or password"),
        ("https://www.youtube-nocookie.com:8443/embed/x", "port"),
        ("https://www.youtube-nocookie.com/embed/x y", "spaces"),
        ("//www.youtube-nocookie.com/embed/x", "must start with https://"),
    ],
)
def test_an_embed_that_is_not_allowed_is_refused_at_file_and_line(app, tmp_path, url, fragment):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    edit(yaml_file, EMBED, f'url: "{url}"')
    line = line_of(yaml_file, "url: ")
    assert_reported(app, package, yaml_file, line, fragment)
    assert_import_refused(app, package, yaml_file, line, fragment)


def test_the_import_follows_the_administrators_list(app, tmp_path):
    """A host an administrator took off the list is refused; one they added is accepted."""
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    services.save_allowed_hosts(["kuula.co"], None)
    db.session.commit()
    assert_import_refused(
        app, package, yaml_file, line_of(yaml_file, "url: "), "'www.youtube-nocookie.com'"
    )
    edit(yaml_file, EMBED, "url: https://tours.example.org/senai")
    services.save_allowed_hosts(["kuula.co", "tours.example.org"], None)
    db.session.commit()
    result = run_import(app, package)
    assert result.exit_code == 0, result.output
    embed = db.session.scalar(select(Item).where(Item.slug == "visit-embed"))
    assert embed.content["tour"]["host"] == "tours.example.org"


def test_a_panorama_that_is_not_a_picture_is_refused(app, tmp_path):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    (package / "visits" / "demo" / "fake.jpg").write_text("<svg onload=alert(1)></svg>")
    edit(yaml_file, "panorama: visits/demo/workshop.jpg", "panorama: visits/demo/fake.jpg")
    line = line_of(yaml_file, "panorama: visits/demo/fake.jpg")
    assert_reported(app, package, yaml_file, line, "is not a picture")
    assert_import_refused(app, package, yaml_file, line, "is not a picture")


def test_a_panorama_that_is_a_text_file_is_refused(app, tmp_path):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    edit(yaml_file, "panorama: visits/demo/workshop.jpg", "panorama: files/checklist.txt")
    line = line_of(yaml_file, "panorama: files/checklist.txt")
    assert_reported(app, package, yaml_file, line, "panorama files/checklist.txt is not a picture")


@pytest.mark.parametrize(
    ("size", "fragment"), [((600, 400), "twice as wide"), ((8192, 4096), "at most 4096")]
)
def test_a_panorama_of_the_wrong_shape_or_size_is_refused(app, tmp_path, size, fragment):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    Image.new("RGB", size, "#88aacc").save(package / "visits" / "demo" / "odd.jpg")
    edit(yaml_file, "panorama: visits/demo/workshop.jpg", "panorama: visits/demo/odd.jpg")
    assert_reported(
        app, package, yaml_file, line_of(yaml_file, "panorama: visits/demo/odd.jpg"), fragment
    )


def test_a_missing_panorama_is_refused(app, tmp_path):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    edit(yaml_file, "panorama: visits/demo/workshop.jpg", "panorama: visits/demo/gone.jpg")
    assert_reported(
        app, package, yaml_file, line_of(yaml_file, "visits/demo/gone.jpg"), "missing file"
    )


def test_a_hotspot_to_a_scene_that_does_not_exist_is_refused(app, tmp_path):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    edit(yaml_file, "scene: workshop,", "scene: basement,")
    assert_reported(
        app, package, yaml_file, line_of(yaml_file, "scene: basement"), "no scene with that id"
    )


def test_a_tour_of_unknown_kind_is_refused(app, tmp_path):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    edit(yaml_file, "kind: embed\n", "kind: iframe\n")
    assert_reported(
        app, package, yaml_file, line_of(yaml_file, "tour:", 2), "unknown kind 'iframe'"
    )


def test_a_hosted_tour_without_scenes_is_refused(app, tmp_path):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    start = text.index("          scenes:\n")
    end = text.index("      - kind: study_visit\n        slug: visit-embed")
    yaml_file.write_text(text[:start] + "          scenes: []\n" + text[end:], encoding="utf-8")
    assert_reported(app, package, yaml_file, line_of(yaml_file, "scenes: []"), "at least 1")


def test_duplicate_scene_ids_are_refused(app, tmp_path):
    package = copy_example(tmp_path)
    yaml_file = package / "course.yaml"
    edit(yaml_file, "- id: workshop", "- id: hall")
    assert_reported(
        app, package, yaml_file, line_of(yaml_file, "- id: hall", 2), "duplicate scene id"
    )


def test_the_first_season_checks_clean_with_its_three_visits(app):
    result = app.test_cli_runner().invoke(args=["content", "check", "course_content"])
    assert result.exit_code == 0, result.output
    from app.catalog.content.loader import load_package
    from tests.learning.helpers import SEASON

    courses, problems = load_package(SEASON)
    assert problems == []
    hosts = {
        item.host.split(" ")[0]
        for course in courses
        for module in course.spec.modules
        for item in module.items
        if item.kind == "study_visit"
    }
    assert hosts == {"SENAC", "SENAI", "SENAR"}
    assert re.search(r"digitalization", str([c.root for c in courses]))
    visits = [
        (course.spec, item)
        for course in courses
        for module in course.spec.modules
        for item in module.items
        if item.kind == "study_visit"
    ]
    # A tutor-led course carries one of the three visits too.
    assert any(spec.kind == "tutor_led" for spec, _ in visits)
    # No example or placeholder tour is shown to learners (the season had a made-up video).
    for spec, visit in visits:
        if visit.tour is not None and visit.tour.kind == "embed":
            assert not re.search(r"example|placeholder|video-id", visit.tour.url, re.I), (
                spec.slug,
                visit.slug,
            )
