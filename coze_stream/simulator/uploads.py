"""Files sent to the simulator: a multipart body read with a parser of its own (it shares nothing
with the client's httpx), Coze's checks on an upload, and the failures a file's name asks for.

Coze's upload (``POST /v1/files/upload``) refuses: no file or an empty one (4300), more than one
part named ``file`` (4301), a file over its size limit (4302), a type it does not take (4303),
and content that does not match the extension (4000). The simulator checks the same, with its
own size limit (``max_upload_bytes``, 20 MB unless set) and the magic bytes of PNG, JPEG, GIF,
WebP and PDF files. A file named ``fail-NNNN`` (any extension), NNNN one of ``FAIL_CODES``, gets
that code instead, so that demo mode reaches every failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "FAIL_CODES",
    "IMAGE_EXTENSIONS",
    "MAX_TRANSCRIPTION_BYTES",
    "UPLOAD_EXTENSIONS",
    "Part",
    "asked_failure",
    "content_mismatch",
    "extension",
    "failure_help",
    "parse_multipart",
]

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TRANSCRIPTION_BYTES = 10 * 1024 * 1024  # Coze's limit for a recording

# Coze's upload page, every category (documents, text files, images, audio, video, archives).
IMAGE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpg2", "png", "gif", "webp", "heic", "heif", "bmp", "pcd", "tiff"}
)
UPLOAD_EXTENSIONS = IMAGE_EXTENSIONS | {
    *("doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf", "numbers", "csv"),
    *("cpp", "py", "java", "c"),
    *("wav", "mp3", "flac", "m4a", "aac", "ogg", "wma", "midi"),
    *("mp4", "avi", "mov", "3gp", "3gpp", "flv", "webm", "wmv", "rmvb", "m4v", "mkv"),
    *("rar", "zip", "7z", "gz", "gzip", "bz2"),
}

# The codes a file named fail-NNNN asks for, and the msg Coze sends with each.
FAIL_CODES: dict[int, str] = {
    4000: "invalid parameter: the file's content does not match its extension",
    4100: "authentication is invalid",
    4101: "the token has no permission for this API",
    4300: "file is empty",
    4301: "more than one file",
    4302: "file size exceeds the limit",
    4303: "file type is not supported",
    4304: "file is invalid",
    5000: "internal server error",
}
_FAIL_NAME = re.compile(r"fail-(\d{4})(?:\.[^.]*)?", re.IGNORECASE)

_MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "pdf": (b"%PDF-",),
}


@dataclass(frozen=True)
class Part:
    """One part of a multipart body: its field name, file name (None: not a file), type, bytes."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


def failure_help() -> str:
    """What ``/help`` says about the failures a file's name asks for."""
    codes = ", ".join(str(code) for code in FAIL_CODES)
    return (
        f"Uploads: a file named `fail-NNNN` (any extension, such as `fail-4302.txt`) is refused "
        f"with that Coze code ({codes}); so is a recording for transcription, and a text to "
        f"speak that contains `fail-NNNN`."
    )


def asked_failure(text: str) -> int | None:
    """The code a file name ``fail-NNNN[.ext]`` asks for (None for any other name)."""
    match = _FAIL_NAME.fullmatch(text.strip())
    code = int(match.group(1)) if match else None
    return code if code in FAIL_CODES else None


def extension(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def content_mismatch(filename: str, data: bytes) -> bool:
    """True when the bytes are not what the extension says (for the types checked here)."""
    ext = extension(filename)
    if ext == "webp":
        return not (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    signatures = _MAGIC.get(ext)
    return signatures is not None and not data.startswith(signatures)


_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _params(header: str) -> dict[str, str]:
    """A header's ``; name=value`` parameters, quotes and the HTML form escapes undone."""
    found = {}
    for key, raw in _PARAM.findall(header):
        value = raw.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        for escaped, char in (("%22", '"'), ("%0D", "\r"), ("%0A", "\n")):
            value = value.replace(escaped, char)
        found[key.lower()] = value
    return found


def parse_multipart(content_type: str, body: bytes) -> list[Part] | None:
    """The parts of a ``multipart/form-data`` body, or None when it is not one (no boundary,
    or no closing delimiter)."""
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        return None
    boundary = _params(content_type).get("boundary", "")
    if not boundary or len(boundary) > 200:
        return None
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    pieces = body.split(delimiter)
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        return None
    parts = []
    for piece in pieces[1:-1]:
        piece = piece.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, separator, data = piece.partition(b"\r\n\r\n")
        if not separator:
            return None
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        if not disposition.lower().startswith("form-data"):
            return None
        params = _params(disposition)
        parts.append(
            Part(
                params.get("name", ""),
                params.get("filename"),
                headers.get("content-type", "text/plain"),
                data,
            )
        )
    return parts
