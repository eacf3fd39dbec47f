"""Files a visitor sends with a question, and an answer made ready to be read aloud.

The rules the page follows before anything reaches Coze, kept apart so a unit test reaches
them without Streamlit:

- :func:`choose_files`: which of the files in the box are sent. The box's own checks run in the
  browser and a script can skip them, so the type, the size and the count are checked again
  here; every file left out is named (:class:`Dropped`), none is lost silently.
- :func:`thumbnail`: the small picture a turn keeps of an image (on the page, and in the
  browser's store): made from the visitor's bytes by Pillow, with a bound on the pixels it will
  decode, so a hostile image gives no picture rather than a stalled server.
- :func:`speech_inputs`: an answer's Markdown as plain sentences in pieces Coze's speech
  endpoint takes (at most 1,024 bytes of UTF-8 each).
- :func:`pick_voice`: the owner's voice, or the first one in the answer's language.
"""

from __future__ import annotations

import io
import re
import warnings
import wave
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from coze_stream import MAX_SPEECH_INPUT_BYTES, Attachment, Voice, valid_text

__all__ = [
    "MAX_THUMBNAIL_BYTES",
    "MAX_THUMBNAIL_SIDE",
    "Attached",
    "Dropped",
    "choose_files",
    "file_size",
    "join_wav",
    "pick_voice",
    "sendable_name",
    "shown_name",
    "speech_inputs",
    "speech_text",
    "stored_thumbnail",
    "thumbnail",
]

MAX_THUMBNAIL_SIDE: Final = 160
"""The longest side of a kept thumbnail, in pixels."""
MAX_THUMBNAIL_BYTES: Final = 24_000
"""The most bytes a kept thumbnail takes (a JPEG of 160 pixels is a few KB)."""
# The most pixels decoded for a thumbnail: a JPEG is decoded at an eighth of its size (draft),
# any other image whole, so the bounds differ (a 16 Mpx PNG takes about 64 MB while decoded).
_MAX_JPEG_PIXELS: Final = 64_000_000
_MAX_DECODED_PIXELS: Final = 16_000_000
MAX_NAME_CHARS: Final = 255  # as Coze (and most file systems) take a file name


@dataclass(frozen=True, slots=True)
class Attached:
    """A file sent with a question: Coze's id for it and what the page shows of it (its name,
    kind and size, and for an image a small picture, ``b""`` when none could be made)."""

    file: Attachment
    thumbnail: bytes = b""


DropReason = Literal["type", "size", "count", "empty"]


@dataclass(frozen=True, slots=True)
class Dropped:
    """A file left out of a question, and why: a type Coze does not take, over the size limit,
    past the number of files a message may carry, or empty."""

    name: str
    reason: DropReason


def choose_files(
    files: Sequence[tuple[str, int]],
    *,
    max_files: int,
    max_bytes: int,
    types: Collection[str],
) -> tuple[list[int], list[Dropped]]:
    """Which of ``files`` (each a name and a size in bytes, in the box's order) are sent, by
    their indexes, and the ones left out with the reason. A file's type is its extension, which
    must be one of ``types`` (lower case, no dot). The first ``max_files`` good files are sent.
    """
    chosen: list[int] = []
    dropped: list[Dropped] = []
    for index, (name, size) in enumerate(files):
        reason: DropReason | None = None
        if _extension(name) not in types:
            reason = "type"
        elif size <= 0:
            reason = "empty"
        elif size > max_bytes:
            reason = "size"
        elif len(chosen) >= max_files:
            reason = "count"
        if reason is None:
            chosen.append(index)
        else:
            dropped.append(Dropped(shown_name(name), reason))
    return chosen, dropped


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def shown_name(name: str, limit: int = 120) -> str:
    """A file name as the page shows it: valid Unicode, on one line, shortened in the middle."""
    line = "".join(ch if ch.isprintable() else " " for ch in valid_text(name)).strip()
    if len(line) <= limit:
        return line or "?"
    half = (limit - 1) // 2
    return f"{line[:half]}…{line[-half:]}"


def file_size(size: int) -> str:
    """A size as people read it: ``812 B``, ``12 KB``, ``3.4 MB`` (KB and MB of 1,024, as
    Streamlit counts its upload limit)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def thumbnail(data: bytes) -> bytes:
    """A JPEG of at most :data:`MAX_THUMBNAIL_SIDE` pixels a side showing the image ``data``,
    or ``b""`` when it is not an image Pillow reads (or is too big to decode). Never raises."""
    from PIL import Image  # imported here: the page loads it only when an image is sent

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                bound = _MAX_JPEG_PIXELS if image.format == "JPEG" else _MAX_DECODED_PIXELS
                if width * height > bound:
                    return b""
                image.draft("RGB", (MAX_THUMBNAIL_SIDE * 2, MAX_THUMBNAIL_SIDE * 2))
                picture = image.convert("RGB")
                picture.thumbnail((MAX_THUMBNAIL_SIDE, MAX_THUMBNAIL_SIDE))
                out = io.BytesIO()
                picture.save(out, "JPEG", quality=70)
    except Exception:  # anything from a hostile file: no picture, the chip stays
        return b""
    made = out.getvalue()
    return made if len(made) <= MAX_THUMBNAIL_BYTES else b""


def stored_thumbnail(data: bytes) -> bytes:
    """``data`` when it is a JPEG of at most :data:`MAX_THUMBNAIL_SIDE` pixels a side that
    decodes whole (a picture read back from the browser's store), else ``b""``. Never raises."""
    from PIL import Image

    if not data.startswith(b"\xff\xd8\xff") or len(data) > MAX_THUMBNAIL_BYTES:
        return b""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG" or max(image.size) > MAX_THUMBNAIL_SIDE:
                return b""
            image.load()
    except Exception:  # anything from a stranger's store: no picture, the file's line stays
        return b""
    return data


def sendable_name(name: str) -> str:
    """A file name as Coze takes it: every character printable (a space for the others, such as
    the narrow no-break space in a macOS screenshot's name), at most :data:`MAX_NAME_CHARS`
    characters, the extension kept."""
    line = (
        " ".join("".join(ch if ch.isprintable() else " " for ch in valid_text(name)).split())
        or "file"
    )
    if len(line) <= MAX_NAME_CHARS:
        return line
    stem, dot, extension = line.rpartition(".")
    if not dot or len(extension) > 16:
        return line[:MAX_NAME_CHARS]
    return stem[: MAX_NAME_CHARS - len(extension) - 1] + "." + extension


# -- read aloud --

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1[`~]*[ \t]*$|\Z)", re.M | re.S)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)[^$\n]+?(?<!\s)\$")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
_LINE_MARK = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d{1,9}[.)]\s+)", re.M)
_RULE = re.compile(
    r"^\s{0,3}(?:[-*_]\s*){3,}$|^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$", re.M
)
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3}|~~|`+)")
_ADDRESS = re.compile(r"https?://\S+")
# A sentence ends at . ! ? (followed by a space), at Chinese full stops, or at a line end.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；…])|\n+")


def speech_text(markdown: str) -> str:
    """What of an answer's Markdown is read aloud: its words, without code blocks, formulas,
    images, addresses and marks (headings, emphasis, list bullets, table rules, HTML tags)."""
    text = _FENCE.sub("\n", markdown)
    text = _DISPLAY_MATH.sub(" ", text)
    text = _INLINE_MATH.sub(" ", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _RULE.sub("", text)
    text = _LINE_MARK.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _ADDRESS.sub("", text)
    text = text.replace("|", " ").replace("\\", "")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def speech_inputs(markdown: str, limit: int = MAX_SPEECH_INPUT_BYTES) -> list[str]:
    """An answer's Markdown as the inputs of Coze's speech endpoint: plain sentences
    (:func:`speech_text`), packed in order into pieces of at most ``limit`` bytes of UTF-8.
    A sentence longer than that is cut at a space where it can be, else between characters."""
    pieces: list[str] = []
    current = ""
    for sentence in _sentences(speech_text(markdown)):
        for part in _cut(sentence, limit):
            joined = f"{current} {part}" if current else part
            if len(joined.encode()) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def _cut(sentence: str, limit: int) -> list[str]:
    """``sentence`` in parts of at most ``limit`` bytes of UTF-8."""
    parts: list[str] = []
    rest = sentence
    while len(rest.encode()) > limit:
        end = len(rest.encode()[:limit].decode(errors="ignore"))
        space = rest.rfind(" ", 0, end)
        end = space if space > end // 2 else end
        parts.append(rest[:end].strip())
        rest = rest[end:].strip()
    if rest:
        parts.append(rest)
    return [part for part in parts if part]


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def pick_voice(voices: Sequence[Voice], text: str, chosen: str | None = None) -> str | None:
    """The voice to read ``text`` with: ``chosen`` (the owner's ``COZE_VOICE_ID``) when set;
    else the first voice in the text's language (Chinese when a fifth of its letters are Han
    characters), else the first voice; None when there is none."""
    if chosen:
        return chosen
    letters = [ch for ch in text if ch.isalpha()]
    han = sum(1 for ch in letters if _HAN.match(ch))
    language = "zh" if letters and han * 5 >= len(letters) else "en"
    for voice in voices:
        if voice.language_code.lower().startswith(language):
            return voice.voice_id
    return voices[0].voice_id if voices else None


def join_wav(parts: Sequence[bytes]) -> bytes:
    """WAV files of one format as one, in order (the pieces of an answer read aloud); from the
    first that is not a WAV or has another format on, the rest is left out. ``b""`` for none;
    the first piece as it is when it is no WAV at all."""
    frames: list[bytes] = []
    params: wave._wave_params | None = None
    for part in parts:
        try:
            with wave.open(io.BytesIO(part)) as reader:
                if params is None:
                    params = reader.getparams()
                elif reader.getparams()[:3] != params[:3]:
                    break
                frames.append(reader.readframes(reader.getnframes()))
        except (wave.Error, EOFError):
            break
    if params is None:
        return parts[0] if parts else b""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setparams(params)
        for chunk in frames:
            writer.writeframes(chunk)
    return out.getvalue()
