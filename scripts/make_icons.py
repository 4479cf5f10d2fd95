"""Draw the installable app's PNG icons (192 and 512 px) from the favicon's design.

The favicon (app/static/favicon.svg) is a white "A" on a blue rounded square; Pillow draws the
same shapes at each size (no SVG renderer needed). Run: python scripts/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "app" / "static" / "offline"
BLUE, WHITE = (11, 92, 173), (255, 255, 255)


def draw(size: int, maskable: bool = False) -> Image.Image:
    scale = size / 32
    image = Image.new(
        "RGB" if maskable else "RGBA", (size, size), BLUE if maskable else (0, 0, 0, 0)
    )
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=round(6 * scale), fill=BLUE)
    # A maskable icon keeps its drawing inside the central 80% safe zone.
    inner = 0.7 if maskable else 1.0
    offset = size * (1 - inner) / 2

    def at(x, y):
        return (offset + x * scale * inner, offset + y * scale * inner)

    width = max(2, round(3 * scale * inner))
    pen.line([at(8, 25), at(16, 7), at(24, 25)], fill=WHITE, width=width, joint="curve")
    pen.line([at(11.3, 18.5), at(20.7, 18.5)], fill=WHITE, width=width)
    for x, y in ((8, 25), (24, 25), (11.3, 18.5), (20.7, 18.5), (16, 7)):
        cx, cy = at(x, y)
        pen.ellipse((cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2), fill=WHITE)
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
