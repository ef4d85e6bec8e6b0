#!/usr/bin/env python3
"""Shrink a dave-sim chart to 2/3 of its size for the README gallery: `png_shrink.py IN OUT`.

dave-sim draws every chart at 1200 x 800 pixels, which reads well on a screen but weighs
50-250 KB; the gallery shows them at 800 x 532. Each 3 x 3 block of pixels becomes 2 x 2 by
area averaging (exact for a 3:2 ratio, so lines and text stay crisp), and the result is written
with maximal zlib compression. Pure standard library, so the gallery needs nothing beyond Python 3:
it reads the 8-bit RGB or RGBA, non-interlaced PNGs that plotters writes, and writes 8-bit RGB.
"""

import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(path):
    """Width, height and rows of RGB bytes of an 8-bit RGB/RGBA non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(SIGNATURE):
        sys.exit(f"{path}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        sys.exit(f"{path}: no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        sys.exit(f"{path}: only 8-bit RGB or RGBA non-interlaced PNGs are supported")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        unfilter(kind, line, previous, channels)
        rows.append(line)
        previous = line
    if channels == 4:
        rows = [rgba_on_white(r) for r in rows]
    return width, height, rows


def unfilter(kind, line, previous, bpp):
    """Undoes one PNG row filter in place (PNG specification, section 9)."""
    if kind == 0:
        return
    n = len(line)
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        for i in range(n):
            line[i] = (line[i] + previous[i]) & 255
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 255
    else:
        sys.exit(f"unknown PNG filter type {kind}")


def rgba_on_white(line):
    """RGB bytes of an RGBA row composited over white."""
    out = bytearray()
    for i in range(0, len(line), 4):
        r, g, b, a = line[i : i + 4]
        out += bytes(((v * a + 255 * (255 - a)) // 255) for v in (r, g, b))
    return out


def shrink_pair(a, b):
    """Two rows (or columns) out of three: (2a + b) / 3 and (b + 2c) / 3, by area."""
    return [(2 * x + y + 1) // 3 for x, y in zip(a, b)]


def shrink_row(line, width):
    """A row of RGB bytes, 3 pixels to 2."""
    out = bytearray()
    for x in range(0, width - width % 3, 3):
        p0, p1, p2 = line[3 * x : 3 * x + 3], line[3 * x + 3 : 3 * x + 6], line[3 * x + 6 : 3 * x + 9]
        out += bytes(shrink_pair(p0, p1)) + bytes(shrink_pair(p2, p1))
    return out


def shrink(width, height, rows):
    """The image at 2/3 size (a remainder of 1 or 2 pixels at the right or bottom is dropped)."""
    narrow = [shrink_row(r, width) for r in rows]
    out = []
    for y in range(0, height - height % 3, 3):
        r0, r1, r2 = narrow[y], narrow[y + 1], narrow[y + 2]
        out.append(bytearray(shrink_pair(r0, r1)))
        out.append(bytearray(shrink_pair(r2, r1)))
    return (width // 3) * 2, (height // 3) * 2, out


def write_png(path, width, height, rows):
    """Writes 8-bit RGB rows, each with the Sub filter (long runs of one colour become zeros)."""
    raw = bytearray()
    for line in rows:
        raw.append(1)
        raw += line[:3]
        raw += bytes((line[i] - line[i - 3]) & 255 for i in range(3, len(line)))

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(SIGNATURE)
        f.write(chunk(b"IHDR", header))
        f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 9)))
        f.write(chunk(b"IEND", b""))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: png_shrink.py IN.png OUT.png")
    write_png(sys.argv[2], *shrink(*read_png(sys.argv[1])))


if __name__ == "__main__":
    main()
