"""Draw the web app's icons (frontend/web/public/icons/) from the one shape of icon.svg: a white speech
bubble on Parley blue. Run after changing the shape: `.venv/bin/python scripts/make_icons.py`.

- icon-192.png, icon-512.png: the rounded square, transparent corners ("any" purpose);
- maskable-512.png: full bleed, the bubble inside the 80 % safe circle that launchers may crop to;
- apple-touch-icon.png (180): full bleed, iOS rounds the corners itself.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "frontend" / "web" / "public" / "icons"
BLUE = (31, 78, 121, 255)
WHITE = (255, 255, 255, 255)
# icon.svg's geometry, in its 32-unit box: the corner radius and the bubble (M8 10h16v10H14l-6 5z).
RADIUS = 8
BUBBLE = [(8, 10), (24, 10), (24, 20), (14, 20), (8, 25)]
SUPERSAMPLE = 4  # draw large, then shrink: smooth edges without an antialiasing rasteriser


def draw(size: int, *, full_bleed: bool, bubble_scale: float = 1.0) -> Image.Image:
    big = size * SUPERSAMPLE
    unit = big / 32
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    canvas = ImageDraw.Draw(image)
    if full_bleed:
        canvas.rectangle((0, 0, big, big), fill=BLUE)
    else:
        canvas.rounded_rectangle((0, 0, big - 1, big - 1), radius=RADIUS * unit, fill=BLUE)
    cx, cy = 16, 17.5  # the middle of the bubble's box (x 8-24, y 10-25): scaled about it
    scale = bubble_scale
    points = [((cx + (x - cx) * scale) * unit, (cy + (y - cy) * scale) * unit) for x, y in BUBBLE]
    canvas.polygon(points, fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, full_bleed=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, full_bleed=False).save(OUT / "icon-512.png", optimize=True)
    # The bubble spans 16 x 15 units of 32; at 0.8 its far corner stays within the 40 % safe radius.
    draw(512, full_bleed=True, bubble_scale=0.8).save(OUT / "maskable-512.png", optimize=True)
    draw(180, full_bleed=True).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
