"""An answer made of items (Coze's ``object_string``) written as Markdown, links kept safe.

Text items stay text; images become Markdown images and files Markdown links, but only for
``http`` and ``https`` addresses: anything else (``javascript:``, ``data:``, a bare path) is shown
as its name, never as a link. Raw JSON is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from ._models import AnswerPart

__all__ = ["parts_markdown", "web_address"]

# Characters a URL may keep as they are; everything else (spaces, "<", ">", non-ASCII) is
# percent-encoded, so the address cannot end the Markdown link it sits in.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
_LABEL_SPECIAL = re.compile(r"([\\`*_\[\]<>!])")


def web_address(url: str) -> str | None:
    """``url`` made safe for a Markdown link, or None when it is not an http(s) address."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


def _label(text: str) -> str:
    return _LABEL_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def parts_markdown(parts: Iterable[AnswerPart]) -> str:
    """The items as Markdown, one paragraph each, in Coze's order."""
    pieces = []
    for part in parts:
        if part.kind == "text":
            pieces.append(part.text)
            continue
        label = _label(part.name) or ("image" if part.kind == "image" else "file")
        address = web_address(part.url)
        if address is None:
            pieces.append(label)
        elif part.kind == "image":
            pieces.append(f"![{label}](<{address}>)")
        else:
            pieces.append(f"[{label}](<{address}>)")
    return "\n\n".join(piece for piece in pieces if piece.strip())
