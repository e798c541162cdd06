"""Drawing what a thermal printer would have printed, from decoded elements, as a PNG.

One pixel per printer dot. Font A is 12x24 dots (a Chinese character 24x24), scaled by the
GS ! multipliers; a line advances by its height plus the default 6-dot spacing. The QR is
drawn by the `qrcode` package from the data and module size sent (as the printer would
compute it); a raster image is drawn dot for dot; an NV logo is a framed box naming its key
(the picture itself lives in the printer's memory); the cut is a dashed line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from edge_agent.devices.printer.escpos_decoder import Cut, Element, Feed, NvLogo, QrCode, RasterImage, TextLine
from lobby.fonts import cjk_font_path

BASE_DOTS = 24
LINE_GAP = 6
PAPER_MARGIN = 20  # paper beyond the printable width, on each side
_QR_EC = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


@lru_cache(maxsize=16)
def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


def _text_image(line: TextLine) -> Image.Image:
    height = BASE_DOTS * line.height
    font = cjk_font(height)
    text = line.text or " "
    image = Image.new("L", (max(1, int(font.getlength(text))) + 4, height + LINE_GAP), 255)
    draw = ImageDraw.Draw(image)
    # Bold is double-strike on a printer: the same glyphs again, shifted a dot to the right.
    for shift in range(1 + (max(1, line.height // 2) if line.bold else 0)):
        draw.text((1 + shift, 0), text, font=font, fill=0)
    if line.width != line.height:  # the printer stretches glyphs independently in each direction
        image = image.resize((max(1, image.width * line.width // line.height), image.height))
    return image


def _qr_image(code: QrCode) -> Image.Image:
    qr = qrcode.QRCode(box_size=code.module_size, border=2, error_correction=_QR_EC.get(code.error_correction, _QR_EC["L"]))
    qr.add_data(code.data)
    return qr.make_image().get_image().convert("L")


def _raster_image(raster: RasterImage) -> Image.Image:
    image = Image.new("L", (raster.width_bytes * 8, raster.height), 255)
    pixels = image.load()
    assert pixels is not None  # an image made in memory always has pixels
    for y in range(raster.height):
        for x in range(raster.width_bytes * 8):
            if raster.pixel(x, y):
                pixels[x, y] = 0
    return image


def _logo_image(logo: NvLogo, paper_dots: int) -> Image.Image:
    image = Image.new("L", (min(360, paper_dots), 72), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, image.width - 1, 71), outline=0, width=3)
    draw.text((image.width // 2, 36), f"LOGO (NV memory, key {logo.key})", font=cjk_font(20), fill=0, anchor="mm")
    return image


def render_ticket(elements: list[Element], path: Path, paper_dots: int = 576) -> Path:
    pieces: list[tuple[Image.Image, str]] = []
    for element in elements:
        if isinstance(element, TextLine):
            pieces.append((_text_image(element), element.align))
        elif isinstance(element, QrCode):
            pieces.append((_qr_image(element), "center"))
        elif isinstance(element, RasterImage):
            pieces.append((_raster_image(element), element.align))
        elif isinstance(element, NvLogo):
            pieces.append((_logo_image(element, paper_dots), "center"))
        elif isinstance(element, Feed):
            pieces.append((Image.new("L", (1, (BASE_DOTS + LINE_GAP) * element.lines), 255), "left"))
    cut = any(isinstance(e, Cut) for e in elements)
    width = paper_dots + 2 * PAPER_MARGIN
    height = sum(p.height for p, _ in pieces) + 2 * PAPER_MARGIN + (30 if cut else 0)
    page = Image.new("L", (width, height), 255)
    y = PAPER_MARGIN
    for piece, align in pieces:
        if piece.width > paper_dots:  # the printer would wrap or clip; we squeeze to stay visible
            piece = piece.resize((paper_dots, piece.height))
        offset = {"left": 0, "center": (paper_dots - piece.width) // 2, "right": paper_dots - piece.width}[align]
        page.paste(piece, (PAPER_MARGIN + offset, y))
        y += piece.height
    if cut:
        draw = ImageDraw.Draw(page)
        for x in range(0, width, 14):
            draw.line((x, height - 12, x + 7, height - 12), fill=0, width=2)
        draw.text((width - 8, height - 16), "cut", font=cjk_font(14), fill=0, anchor="rb")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.save(path)
    return path
