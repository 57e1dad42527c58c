"""A video for Chromium's fake camera: barcodes rendered by python-barcode, printed on a label,
each held in front of the camera for a while, written as a YUV4MPEG2 file (the format
`--use-file-for-fake-video-capture` plays, looping at its end)."""

from pathlib import Path

import barcode
from barcode.writer import ImageWriter
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 480, 360  # small frames keep the file small; 4:2:0 needs even sides
FPS = 5
BACKGROUND = (118, 124, 130)  # a grey shelf behind the label


def barcode_label(kind: str, code: str) -> Image.Image:
    """`code` as a printed barcode of `kind` ("ean13", "code128"), with the digits below and a
    white label around it, ready to put in a frame."""
    symbol = barcode.get(kind, code, writer=ImageWriter())
    image = symbol.render(
        {
            "module_width": 0.3,  # mm per bar module: 3 px at `dpi`, whole pixels, sharp edges
            "module_height": 12.0,
            "quiet_zone": 4.0,
            "font_size": 8,
            "text_distance": 3.0,
            "dpi": 254,  # 10 px a mm
        }
    )
    return image.convert("RGB")


def frame_with(label: Image.Image | None) -> Image.Image:
    """A frame of the camera: the shelf, and the label in its middle scaled to most of the width
    (whole-number scaling, so every bar keeps the same width)."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    if label is None:
        ImageDraw.Draw(frame).rectangle((40, 60, 200, 140), fill=(150, 150, 140))  # a box
        return frame
    scale = max(1, min((WIDTH - 40) // label.width, (HEIGHT - 40) // label.height))
    label = label.resize((label.width * scale, label.height * scale), Image.Resampling.NEAREST)
    if label.width > WIDTH - 20:
        label = label.resize(
            (WIDTH - 20, label.height * (WIDTH - 20) // label.width), Image.Resampling.LANCZOS
        )
    frame.paste(label, ((WIDTH - label.width) // 2, (HEIGHT - label.height) // 2))
    return frame


def yuv420(frame: Image.Image) -> bytes:
    """One frame's planes: Y at full size, then Cb and Cr at half width and height (full-range
    BT.601, the "420jpeg" colour space)."""
    y, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return (
        y.tobytes()
        + cb.resize(half, Image.Resampling.BOX).tobytes()
        + cr.resize(half, Image.Resampling.BOX).tobytes()
    )


def write_video(path: Path, scenes: list[tuple[Image.Image | None, float]]) -> Path:
    """Write `scenes` (a label, or None for nothing readable, and how many seconds it is in view)
    to `path` as a YUV4MPEG2 video."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for label, seconds in scenes:
            planes = yuv420(frame_with(label))
            for _ in range(round(seconds * FPS)):
                out.write(b"FRAME\n")
                out.write(planes)
    return path
