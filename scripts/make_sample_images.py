#!/usr/bin/env python3
"""Draws the small sample images the ready workflows in graphs/ use. Standard library only.

The masks follow ComfyUI's mask editor: painted pixels are transparent (alpha 0), and LoadImage's MASK is
1 − alpha, so the garment and the place it goes are the masked regions.
"""
import math
import struct
import zlib
from pathlib import Path


def write_png(path, width, height, pixel):
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend(pixel(x, y))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    Path(path).write_bytes(png)


def garment(x, y):
    """A red dress on a pale grey background; the dress is the masked (transparent) region."""
    cx = 48
    top, bottom = 14, 112
    inside = False
    if top <= y <= bottom:
        t = (y - top) / (bottom - top)
        half = 12 + 30 * t * t if t > 0.25 else 14 - 4 * math.sin(t * 12)
        inside = abs(x - cx) <= half
    stripe = 30 if (x + y) % 16 < 8 else 0
    if inside:
        return (200 - stripe, 30, 40 + stripe, 0)
    return (228, 228, 224, 255)


def person(x, y):
    """A figure against a blue gradient; the torso, where the dress goes, is the masked region."""
    sky = (120 + y // 3, 150 + y // 4, 210, 255)
    head = (x - 60) ** 2 + (y - 28) ** 2 <= 14 ** 2
    body = 44 <= y <= 150 and abs(x - 60) <= 18 + (y - 44) // 6
    legs = 110 <= y <= 158 and (abs(x - 50) <= 6 or abs(x - 70) <= 6)
    if head:
        return (236, 196, 160, 255)
    if body and y <= 125:
        return (90, 110, 90, 0)
    if body or legs:
        return (60, 60, 80, 255)
    return sky


if __name__ == "__main__":
    folder = Path(__file__).resolve().parent.parent / "graphs" / "input"
    folder.mkdir(parents=True, exist_ok=True)
    write_png(folder / "garment.png", 96, 120, garment)
    write_png(folder / "person.png", 120, 160, person)
