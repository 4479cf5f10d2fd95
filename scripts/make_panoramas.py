"""Draw the demo panoramas and stills of the study visits in course_content/ (Pillow).

The pictures are drawn, not photographed: equirectangular scenes (2048x1024, twice as wide as
high, as a 360° viewer expects) of a room with walls, windows and labelled work stations, and
one still per scene cut from the middle of its panorama. Run again after changing a scene:

    .venv/bin/python scripts/make_panoramas.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 2048, 1024
HORIZON = HEIGHT // 2
# Folders whose panoramas are made smaller: the test package needs only something to show.
SMALL = {"tests/catalog/packages/small-example": 512}

# course folder -> visit folder -> scenes: (file, ceiling, wall, floor, [(yaw, label, colour)])
VISITS = {
    "tests/catalog/packages/small-example": {
        "demo": [
            ("hall", "#e6eef5", "#f1f4f8", "#55606b", [(0, "HALL", "#2d4f86")]),
            ("workshop", "#f3ece0", "#fbf6ee", "#6b5444", [(0, "TALLER", "#b23b2e")]),
        ],
    },
    "course_content/digitalization": {
        "senac": [
            (
                "entrance",
                "#dfe9f3",
                "#f4efe6",
                "#8a7a66",
                [
                    (-120, "RECEPÇÃO", "#1d5c96"),
                    (0, "360 SENAC", "#e07b00"),
                    (90, "SALAS", "#1d5c96"),
                ],
            ),
            (
                "hospitality-lab",
                "#f3ece0",
                "#fbf6ee",
                "#6b5444",
                [
                    (-90, "COZINHA", "#b23b2e"),
                    (30, "RESTAURANTE", "#2e7d4f"),
                    (150, "ENTRADA", "#1d5c96"),
                ],
            ),
            (
                "it-lab",
                "#e3e8ef",
                "#eef2f7",
                "#4d5866",
                [
                    (-60, "LABORATÓRIO TI", "#29558c"),
                    (60, "ESTÚDIO EAD", "#7a3e9d"),
                    (170, "ENTRADA", "#1d5c96"),
                ],
            ),
        ],
        "senai": [
            (
                "innovation-hall",
                "#e6eef5",
                "#f1f4f8",
                "#55606b",
                [
                    (-100, "INOVAÇÃO", "#c8102e"),
                    (0, "SENAI", "#c8102e"),
                    (110, "PROTÓTIPOS", "#2d4f86"),
                ],
            ),
            (
                "industry-lab",
                "#e9ecef",
                "#f5f5f2",
                "#5c5f61",
                [
                    (-45, "INDÚSTRIA 4.0", "#2d4f86"),
                    (80, "ROBÔS", "#e07b00"),
                    (-170, "HALL", "#c8102e"),
                ],
            ),
        ],
    },
    "course_content/green-jobs": {
        "senar": [
            (
                "field-classroom",
                "#cfe6f5",
                "#e9f1e4",
                "#6d8b3a",
                [
                    (-90, "SALA DE AULA", "#2e6b2f"),
                    (20, "SENAR", "#2e6b2f"),
                    (140, "CAMPO", "#8a5a2b"),
                ],
            ),
            (
                "greenhouse",
                "#dcefe0",
                "#eef6ea",
                "#5b7a34",
                [
                    (-30, "ESTUFA", "#2e6b2f"),
                    (90, "IRRIGAÇÃO", "#1d6c96"),
                    (-150, "SALA", "#8a5a2b"),
                ],
            ),
        ],
    },
}


# The tutor-led NQF course carries the SENAI visit too: a package holds its own files.
VISITS["course_content/national-qualifications-frameworks"] = {
    "senai": VISITS["course_content/digitalization"]["senai"]
}

# A font with every letter of the labels (Ã, Ç, Ó, Ú, Ê ...): Pillow's built-in default draws
# a missing-glyph box for them. Debian's fonts-dejavu-core installs this one.
FONT = "DejaVuSans-Bold.ttf"
FONT_FOLDERS = ("/usr/share/fonts/truetype/dejavu", "/usr/local/share/fonts", "/Library/Fonts")


def font(size):
    """The labels' font; stops with the package to install rather than draw boxes."""
    for candidate in (FONT, *(str(Path(folder) / FONT) for folder in FONT_FOLDERS)):
        try:
            return ImageFont.truetype(candidate, size)  # a bare name is looked up by Pillow
        except OSError:
            continue
    raise SystemExit(f"{FONT} not found: install it (Debian: apt-get install fonts-dejavu-core)")


def labels() -> set[str]:
    """Every label drawn on a panorama."""
    return {
        text
        for visits in VISITS.values()
        for scenes in visits.values()
        for *_, stations in scenes
        for _, text, _ in stations
    }


def x_of(yaw: float) -> int:
    """The column of a direction: yaw 0 is the middle, ±180 the edges."""
    return int((yaw + 180) / 360 * WIDTH) % WIDTH


def gradient(draw, top, bottom, start, stop):
    a, b = (
        Image.new("RGB", (1, 1), top).getpixel((0, 0)),
        Image.new("RGB", (1, 1), bottom).getpixel((0, 0)),
    )
    for y in range(start, stop):
        t = (y - start) / max(1, stop - start - 1)
        draw.line(
            [(0, y), (WIDTH, y)], fill=tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))
        )


def panorama(ceiling, wall, floor, stations) -> Image.Image:
    picture = Image.new("RGB", (WIDTH, HEIGHT), wall)
    draw = ImageDraw.Draw(picture)
    gradient(draw, ceiling, wall, 0, HORIZON - 180)
    gradient(draw, floor, "#2b2b2b", HORIZON + 140, HEIGHT)
    draw.rectangle([0, HORIZON + 130, WIDTH, HORIZON + 140], fill="#9a9a9a")  # skirting
    for yaw in range(-180, 180, 45):  # windows and pillars all round the room
        x = x_of(yaw + 22)
        draw.rectangle(
            [x - 40, HORIZON - 150, x + 40, HORIZON - 20],
            fill="#bcd7ec",
            outline="#7a8a99",
            width=4,
        )
        draw.rectangle([x_of(yaw) - 6, HORIZON - 200, x_of(yaw) + 6, HORIZON + 130], fill="#c9c3b8")
    label = font(54)
    for yaw, text, colour in stations:
        x = x_of(yaw)
        draw.rectangle([x - 150, HORIZON - 30, x + 150, HORIZON + 120], fill=colour)  # a station
        draw.rectangle(
            [x - 120, HORIZON + 120, x + 120, HORIZON + 200], fill="#3a3a3a"
        )  # its bench
        draw.text((x, HORIZON - 110), text, fill=colour, font=label, anchor="mm")
    return picture


def main() -> None:
    for course, visits in VISITS.items():
        for visit, scenes in visits.items():
            folder = ROOT / course / "visits" / visit
            folder.mkdir(parents=True, exist_ok=True)
            for name, ceiling, wall, floor, stations in scenes:
                picture = panorama(ceiling, wall, floor, stations)
                if course in SMALL:
                    width = SMALL[course]
                    picture = picture.resize((width, width // 2))
                    picture.save(folder / f"{name}.jpg", quality=60, optimize=True)
                    continue
                picture.save(folder / f"{name}.jpg", quality=60, optimize=True, progressive=True)
                yaw = stations[0][0]
                left = max(0, min(WIDTH - 640, x_of(yaw) - 320))
                still = picture.crop((left, HORIZON - 220, left + 640, HORIZON + 140)).resize(
                    (480, 270)
                )
                still.save(
                    folder / f"{name}-still.jpg", quality=65, optimize=True, progressive=True
                )
                print(folder / f"{name}.jpg", (folder / f"{name}.jpg").stat().st_size // 1024, "KB")


if __name__ == "__main__":
    main()
