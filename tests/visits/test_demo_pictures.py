"""The study visits' demo panoramas and stills (scripts/make_panoramas.py) show their labels'
accented letters (Ã, Ç, Ó, Ú, Ô), not missing-glyph boxes."""

import importlib.util
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFont, ImageStat

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "make_panoramas", ROOT / "scripts" / "make_panoramas.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing_glyphs(font, texts) -> set[str]:
    """The characters the font draws as its missing-glyph shape (that of a private-use one)."""

    def shape(character):
        mask = font.getmask(character)
        return mask.size, list(mask)

    box = shape("\ue000")
    return {c for text in texts for c in text if not c.isspace() and shape(c) == box}


def distance(one, other) -> float:
    """How far apart two pictures of the same size are (mean difference of the channels)."""
    return sum(ImageStat.Stat(ImageChops.difference(one, other)).mean)


def test_the_labels_font_has_every_letter_they_use(script):
    accented = {c for text in script.labels() for c in text if not c.isascii()}
    assert accented >= {"Ã", "Ç", "Ó", "Ú", "Ô"}
    assert missing_glyphs(script.font(54), script.labels()) == set()
    # Pillow's built-in font, which drew the pictures before, lacks them: the check sees it.
    assert missing_glyphs(ImageFont.load_default(size=54), script.labels()) >= {"Ã", "Ç", "Ó"}


def test_the_committed_pictures_are_drawn_with_that_font(script, monkeypatch):
    """Each labelled panorama of the season looks like the script draws it now, not like the
    boxes of the built-in font (compared where its accented labels are)."""
    compared = 0
    for course, visits in script.VISITS.items():
        if course in script.SMALL:
            continue
        for visit, scenes in visits.items():
            for name, ceiling, wall, floor, stations in scenes:
                accented = [(yaw, text) for yaw, text, _ in stations if not text.isascii()]
                if not accented:
                    continue
                committed = Image.open(ROOT / course / "visits" / visit / f"{name}.jpg")
                now = script.panorama(ceiling, wall, floor, stations)
                with monkeypatch.context() as patch:
                    patch.setattr(script, "font", lambda size: ImageFont.load_default(size=size))
                    boxes = script.panorama(ceiling, wall, floor, stations)
                for yaw, text in accented:
                    x = script.x_of(yaw)
                    area = (max(0, x - 220), script.HORIZON - 160, x + 220, script.HORIZON - 60)
                    drawn = committed.convert("RGB").crop(area)
                    assert (
                        distance(drawn, now.crop(area)) < distance(drawn, boxes.crop(area)) / 2
                    ), (
                        course,
                        name,
                        text,
                    )
                    compared += 1
    assert compared >= 8
