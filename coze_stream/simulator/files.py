"""The files ``/rich`` links to, served by the simulator as Coze serves a bot's images and files.

Made here, with the standard library, so that nothing is fetched from outside this machine.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["FILES"]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bar_chart_png(width: int = 96, height: int = 48) -> bytes:
    """A small bar chart: three coloured bars on white, as an 8-bit RGB PNG."""
    bars = [(8, 30, (66, 133, 244)), (38, 18, (52, 168, 83)), (68, 6, (234, 67, 53))]
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0 for each scanline
        for x in range(width):
            colour = (255, 255, 255)
            for left, top, bar_colour in bars:
                if left <= x < left + 20 and top <= y < height - 4:
                    colour = bar_colour
            row += bytes(colour)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _png_chunk(b"IEND", b"")
    )


_REPORT = b"%PDF-1.4\n% Coze simulator: a placeholder report.\n%%EOF\n"

FILES: dict[str, tuple[str, bytes]] = {
    "/files/chart.png": ("image/png", _bar_chart_png()),
    "/files/report.pdf": ("application/pdf", _REPORT),
}
