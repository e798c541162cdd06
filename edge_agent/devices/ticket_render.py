"""Drawing what a thermal printer would have printed, from decoded elements, as a PNG.

80 mm paper at 203 dpi is 576 dots; font A is 12x24 dots (Chinese 24x24) scaled by the
GS ! multipliers. The QR is drawn from the stored data at the module size sent; an NV logo
is drawn as a framed box with its key (the image itself lives in the printer).
"""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from edge_agent.devices.escpos_decoder import Cut, Element, Feed, NvLogo, QrCode, TextLine

PAPER_DOTS = 576
BASE_DOTS = 24
MARGIN = 16
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def _font(size: int) -> ImageFont.FreeTypeFont:
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    raise FileNotFoundError("no CJK font found: install the Debian package fonts-wqy-microhei")


def _text_image(line: TextLine) -> Image.Image:
    font = _font(BASE_DOTS * line.height)
    left, top, right, bottom = font.getbbox(line.text or " ")
    image = Image.new("L", (max(1, right) + 2, BASE_DOTS * line.height + 4), 255)
    draw = ImageDraw.Draw(image)
    draw.text((0, 0), line.text, font=font, fill=0, stroke_width=1 if line.bold else 0, stroke_fill=0)
    if line.width != line.height:  # the printer stretches glyphs independently in each direction
        image = image.resize((max(1, image.width * line.width // line.height), image.height))
    return image


def render_ticket(elements: list[Element], path: Path) -> Path:
    pieces: list[tuple[Image.Image, str]] = []
    for element in elements:
        if isinstance(element, TextLine):
            pieces.append((_text_image(element), element.align))
        elif isinstance(element, QrCode):
            code = qrcode.QRCode(box_size=element.module_size, border=2)
            code.add_data(element.data)
            pieces.append((code.make_image().get_image().convert("L"), "center"))
        elif isinstance(element, NvLogo):
            logo = Image.new("L", (360, 72), 255)
            draw = ImageDraw.Draw(logo)
            draw.rectangle((0, 0, 359, 71), outline=0, width=3)
            draw.text((20, 20), f"logo from NV memory ({element.key})", font=_font(22), fill=0)
            pieces.append((logo, "center"))
        elif isinstance(element, Feed):
            pieces.append((Image.new("L", (1, BASE_DOTS * element.lines), 255), "left"))
    height = sum(p.height for p, _ in pieces) + 2 * MARGIN + 40
    page = Image.new("L", (PAPER_DOTS, height), 255)
    y = MARGIN
    for piece, align in pieces:
        piece = piece if piece.width <= PAPER_DOTS - 2 * MARGIN else piece.resize((PAPER_DOTS - 2 * MARGIN, piece.height))
        x = {"left": MARGIN, "center": (PAPER_DOTS - piece.width) // 2, "right": PAPER_DOTS - MARGIN - piece.width}[align]
        page.paste(piece, (x, y))
        y += piece.height
    if any(isinstance(e, Cut) for e in elements):
        draw = ImageDraw.Draw(page)
        for x in range(0, PAPER_DOTS, 16):
            draw.line((x, height - 20, x + 8, height - 20), fill=0, width=2)
        draw.text((PAPER_DOTS - 70, height - 40), "cut", font=_font(16), fill=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.save(path)
    return path
