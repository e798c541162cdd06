"""The demo branch's promotions, as a technician would drop them in `[promotions] folder`:
one for everyone (the hall display and the kiosk's home screen), one for Premier customers
(the kiosk's greeting screen after a VIP swipe). Pictures drawn here, so no binary lives in
the repository."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from lobby.fonts import FontMissing, cjk_font_path

# (file name, title, text, tiers, picture colour, the character on the picture)
PROMOTIONS: tuple[tuple[str, str, str, list[str], tuple[int, int, int], str], ...] = (
    ("cd-rate", "大额存单 年利率3.1%", "20万元起存，三年期，详询理财经理", [], (200, 16, 46), "存"),
    ("premier-gold", "贵宾专享 积存金", "每月定投，金价随行，贵宾理财室为您办理", ["vip"], (11, 37, 69), "金"),
)


def _picture(path: Path, colour: tuple[int, int, int], glyph: str) -> None:
    picture = Image.new("RGB", (480, 320), colour)
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((24, 24, 456, 296), radius=28, outline=(233, 196, 106), width=10)
    try:
        from PIL import ImageFont

        font = ImageFont.truetype(str(cjk_font_path()), 170)
        draw.text((240, 160), glyph, fill=(233, 196, 106), font=font, anchor="mm")
    except (FontMissing, OSError):
        draw.ellipse((170, 90, 310, 230), fill=(233, 196, 106))
    picture.save(path, "PNG")


def write_demo_promotions(folder: Path, today: date | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    today = today or date.today()
    written = []
    for name, title, text, tiers, colour, glyph in PROMOTIONS:
        _picture(folder / f"{name}.png", colour, glyph)
        toml = folder / f"{name}.toml"
        tier_list = ", ".join(f'"{t}"' for t in tiers)
        toml.write_text(
            f'title = "{title}"\ntext = "{text}"\nimage = "{name}.png"\n'
            f"starts_on = {today - timedelta(days=1)}\nends_on = {today + timedelta(days=60)}\ntiers = [{tier_list}]\n",
            encoding="utf-8",
        )
        written.append(toml)
    return written
