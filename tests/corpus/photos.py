"""Pictures of the printed 様式1, one per page, as banks e-mail them: phone photos (the sheet on a desk, in
perspective, a shadow and a window's light across it; JPEG, sometimes stored sideways with an EXIF
orientation) and a scanner's images (the page itself, slightly askew; PNG or JPEG).

Made from fill.py's printed form rendered at 200 dpi (PDFium) and Pillow/NumPy/OpenCV for the camera:
a perspective warp onto a background, a lighting gradient and a soft shadow multiplied in, defocus,
sensor noise, JPEG compression. The pages of one form travel together (``carrier.pack_pages``) until a
mail builder attaches them one file each.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from forms.extract.carrier import pack_pages

DPI = 200
PHONE = (2400, 3200)  # (width, height) of a phone picture, 7.7 Mpx
LOGO_SIDE = 180  # a bank's logo in a mail signature: a small PNG


def page_images(form_pdf: bytes) -> list[np.ndarray]:
    """The printed form's pages as grayscale images at DPI."""
    doc = pdfium.PdfDocument(form_pdf)
    try:
        return [
            np.asarray(doc[i].render(scale=DPI / 72, grayscale=True).to_pil().convert("L"))
            for i in range(len(doc))
        ]
    finally:
        doc.close()


def _desk(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A wooden desk: brown, grain along one axis, uneven."""
    width, height = size
    grain = cv2.GaussianBlur(rng.normal(0, 1, (height, 1)).astype(np.float32), (0, 0), 3)
    base = np.array([70, 95, 130], dtype=np.float32)  # BGR brown
    return base + np.broadcast_to(grain[..., None] * 12, (height, width, 1))


def phone_photo(page: np.ndarray, seed: int) -> np.ndarray:
    """``page`` photographed on a desk: perspective, light gradient, shadow, defocus, noise (BGR)."""
    rng, pyrng = np.random.default_rng(seed), random.Random(seed)
    width, height = PHONE
    paper = np.dstack([page * 0.97, page * 0.98, page]).astype(np.float32)  # warm paper
    h, w = page.shape
    cx, cy, scale = width / 2, height / 2, pyrng.uniform(0.72, 0.84) * height / h
    angle = np.radians(pyrng.uniform(-7, 7))
    corners = []
    for x, y in ((0, 0), (w, 0), (w, h), (0, h)):
        dx, dy = (x - w / 2) * scale, (y - h / 2) * scale
        rx, ry = dx * np.cos(angle) - dy * np.sin(angle), dx * np.sin(angle) + dy * np.cos(angle)
        corners.append(
            (cx + rx + pyrng.uniform(-0.04, 0.04) * width, cy + ry + pyrng.uniform(-0.03, 0.03) * height)
        )
    source = np.array([(0, 0), (w, 0), (w, h), (0, h)], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, np.array(corners, dtype=np.float32))
    warped = cv2.warpPerspective(
        paper, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(-1, -1, -1)
    )
    picture = np.where(warped < 0, _desk(rng, PHONE), warped)
    picture *= _lighting(pyrng, width, height)[..., None]
    picture = cv2.GaussianBlur(picture, (0, 0), pyrng.uniform(0.8, 1.3))
    picture += rng.normal(0, 3.0, (height, width, 1)).astype(np.float32)
    return np.clip(picture, 0, 255).astype(np.uint8)


def _lighting(rng: random.Random, width: int, height: int) -> np.ndarray:
    """A window's light falling off across the picture, and the soft shadow of the phone or a hand
    (made at an eighth of the size: both are smooth)."""
    w, h = width // 8, height // 8
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * xx / w + np.sin(direction) * yy / h + 1) / 2
    shadow = np.zeros((h, w), np.float32)
    centre = (int(rng.uniform(0.2, 0.8) * w), int(rng.uniform(0.6, 1.0) * h))
    cv2.ellipse(shadow, centre, (int(0.35 * w), int(0.18 * h)), rng.uniform(0, 180), 0, 360, 1.0, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 8)
    return cv2.resize(
        (0.72 + 0.28 * ramp) * (1 - 0.3 * shadow), (width, height), interpolation=cv2.INTER_LINEAR
    )


def scanner_image(page: np.ndarray, seed: int) -> np.ndarray:
    """``page`` as a flatbed scanner sends it: the page itself, askew by a fraction of a degree, noisy."""
    rng = random.Random(seed)
    h, w = page.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-0.6, 0.6), 1.0)
    turned = cv2.warpAffine(page, matrix, (w, h), borderValue=245)
    noisy = turned.astype(np.float32) * 0.95 + 8 + np.random.default_rng(seed).normal(0, 2.5, turned.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _jpeg(picture: np.ndarray, quality: int, *, sideways: bool = False) -> bytes:
    image = Image.fromarray(cv2.cvtColor(picture, cv2.COLOR_BGR2RGB) if picture.ndim == 3 else picture)
    out = io.BytesIO()
    if sideways:  # stored turned a quarter, EXIF orientation 6 says "turn 90° clockwise to show"
        exif = Image.Exif()
        exif[0x0112] = 6
        image.rotate(90, expand=True).save(out, format="JPEG", quality=quality, exif=exif.tobytes())
    else:
        image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _png(picture: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def logo() -> bytes:
    """A bank's small logo, as a mail signature carries it."""
    mark = np.full((LOGO_SIDE // 3, LOGO_SIDE), 255, np.uint8)
    cv2.putText(mark, "MIHON", (8, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    return _png(mark)


KINDS: dict[str, Callable[[np.ndarray, int], bytes]] = {
    "phone": lambda page, seed: _jpeg(phone_photo(page, seed), 88),
    "phone_sideways": lambda page, seed: _jpeg(phone_photo(page, seed), 88, sideways=True),
    "scanner_png": lambda page, seed: _png(scanner_image(page, seed)),
    "scanner_jpeg": lambda page, seed: _jpeg(scanner_image(page, seed), 80),
}


def build(kind: str, form_pdf: bytes, seed: int) -> bytes:
    """The form's pages as pictures of ``kind`` (``phone``, ``phone_sideways``, ``scanner_png``,
    ``scanner_jpeg``; ``+logo`` adds a signature's logo after them), packed together
    (``carrier.pack_pages``)."""
    name, _, extra = kind.partition("+")
    suffix = ".png" if name.endswith("png") else ".jpg"
    files = [
        (f"IMG_{1201 + k}{suffix}", KINDS[name](page, seed * 10 + k))
        for k, page in enumerate(page_images(form_pdf))
    ]
    if extra == "logo":
        files.append(("logo.png", logo()))  # the signature's logo, after the pages
    return pack_pages(files)
