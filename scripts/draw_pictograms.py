"""Draw the priority-group pictograms of the queue-ticket screen.

White figures on a transparent background in the manner of the ISO 7001 / AIGA
public-information symbols, so that someone who cannot read well still finds their
group. Re-run after changing a drawing (the output is the same on every run):

    .venv/bin/python scripts/draw_pictograms.py

It writes kiosk/assets/images/priority/<group>.png, one per group of
kiosk.domain.queue.PRIORITY_GROUPS.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
SCALE = 4  # drawn large and shrunk, since ImageDraw does not antialias
OUT = Path(__file__).resolve().parent.parent / "kiosk" / "assets" / "images" / "priority"

# One head size and two stroke widths for every figure, so that they look like a set.
HEAD = 21
BODY = 36
LIMB = 23
GAP = 5
ON, OFF = 255, 0


def _xy(points):
    return [(x * SCALE, y * SCALE) for x, y in points]


def disc(d, x, y, r, fill=ON):
    d.ellipse(_xy([(x - r, y - r), (x + r, y + r)]), fill=fill)


def head(d, x, y, r=HEAD):
    disc(d, x, y, r)


def limb(d, *points, width=LIMB, fill=ON):
    """A stroke through the points with round ends and joints, like a pictogram's limbs."""
    d.line(_xy(points), fill=fill, width=width * SCALE, joint="curve")
    for x, y in points:
        disc(d, x, y, width / 2, fill)


def arm_in_front(d, torso, *points):
    """An arm across the body, outlined by a gap so that it stays visible; the torso is
    drawn again over the gap, so that the outline shows only where the arm leaves it."""
    limb(d, *points, width=LIMB + 2 * GAP, fill=OFF)
    limb(d, *torso, width=BODY)
    limb(d, *points)


def elderly(d):
    # Bent forward and leaning on the stick: the posture, not the face, says "old".
    head(d, 150, 52)
    limb(d, (98, 150), (114, 108), (134, 86), width=BODY)
    limb(d, (132, 92), (160, 128), (176, 124))
    # Thinner than a limb, so that the stick reads as a thing held, not a third leg.
    limb(d, (180, 118), (178, 234), width=13)
    limb(d, (170, 112), (180, 116), width=13)
    limb(d, (100, 150), (118, 192), (120, 232))
    limb(d, (94, 152), (82, 194), (70, 232))


def disability(d):
    # The International Symbol of Access, which people know already, facing right like
    # the standard one.
    head(d, 98, 38)
    limb(d, (96, 76), (92, 146), width=BODY - 6)
    limb(d, (98, 96), (142, 100))
    limb(d, (92, 148), (158, 148), (178, 212), (204, 212))
    # The wheel is left open where the seat is, or it would swallow the body.
    d.arc(_xy([(44, 116), (164, 236)]), start=-60, end=250, fill=ON, width=17 * SCALE)


def pregnant(d):
    # Seen from the side, the only view that shows the belly; the hand holding it
    # up and the dress make it a pregnant woman rather than a stout man.
    torso = (114, 70), (110, 136)
    head(d, 116, 32)
    limb(d, *torso, width=BODY)
    disc(d, 140, 116, 34)
    d.polygon(_xy([(93, 124), (152, 128), (158, 196), (84, 196)]), fill=ON)
    limb(d, (102, 194), (100, 234))
    limb(d, (136, 194), (140, 234))
    arm_in_front(d, torso, (112, 90), (116, 132), (150, 146))


def small_child(d):
    # Holding a walking child's hand: at 96 px two people of different sizes read better
    # than a baby in arms, which blurs into the adult's body.
    torso = (82, 70), (80, 146)
    head(d, 84, 32)
    limb(d, *torso, width=BODY)
    limb(d, (76, 146), (66, 232))
    limb(d, (86, 146), (100, 232))
    arm_in_front(d, torso, (88, 90), (136, 150))
    head(d, 176, 118, r=16)
    limb(d, (174, 146), (172, 190), width=26)
    limb(d, (168, 190), (160, 234), width=18)
    limb(d, (176, 190), (186, 234), width=18)
    limb(d, (170, 154), (140, 152), width=16)


def _star(cx, cy, outer, inner):
    points = []
    for i in range(10):  # tips and notches in turn, the first tip straight up
        r = outer if i % 2 == 0 else inner
        a = i * math.pi / 5
        points.append((cx + r * math.sin(a), cy - r * math.cos(a)))
    return points


def merit(d):
    # A star medal on a ribbon, the shape of the Vietnamese orders and medals.
    d.polygon(_xy([(84, 18), (172, 18), (172, 70), (128, 96), (84, 70)]), fill=ON)
    for x in (106, 150):  # the ribbon's stripes, so that it reads as cloth
        limb(d, (x, 18), (x, 78), width=7, fill=OFF)
    d.ellipse(_xy([(117, 90), (139, 112)]), outline=ON, width=7 * SCALE)
    d.polygon(_xy(_star(128, 184, 72, 29)), fill=ON)


GROUPS = {
    "elderly": elderly,
    "disability": disability,
    "pregnant": pregnant,
    "small_child": small_child,
    "merit": merit,
}


def render(draw):
    mask = Image.new("L", (SIZE * SCALE, SIZE * SCALE), OFF)
    draw(ImageDraw.Draw(mask))
    alpha = mask.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    image.putalpha(alpha)
    return image


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for group, draw in GROUPS.items():
        render(draw).save(OUT / f"{group}.png", optimize=True)


if __name__ == "__main__":
    main()
