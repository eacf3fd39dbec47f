"""What a bot's Markdown may make a reader's browser do: fetch images only from hosts the owner
allows, and typeset only so many formulas.

**Images.**
A browser fetches every image a page shows. Anyone who can steer a bot's output (a web page its
plugin reads, say) could otherwise make every reader's browser call their server: a tracking
pixel. So an inline image ``![alt](url)`` keeps being an image only when ``url`` is an
``http(s)`` address on an allowed host; otherwise its ``!`` goes and it shows as a link.
Reference-style images (``![alt][ref]``, ``![alt]``) cannot be judged until the whole answer
is read, so their ``!`` is escaped: they show as text or links, never as images.

**Formulas.** Each ``$`` of the answer's math costs the reader's browser typesetting, again on
every rerun of the page: a few thousand formulas froze a tab for seconds and slowed every later
message. Past ``max_formulas`` formulas (counted as ``$`` signs: two per inline formula, four per
display formula), further ``$`` are escaped and show as text; :attr:`MarkdownGuard.math_capped`
says so.

:class:`MarkdownGuard` works on streamed text: it holds back only what follows a ``!`` that may
open an image, until the address is known (at most ``_MAX_HELD`` characters), and gives the
same result however the text is split. Fenced code blocks and inline code are left alone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_IMAGE_HOSTS",
    "MAX_FORMULAS",
    "MarkdownGuard",
    "guarded",
    "host_allowed",
]

DEFAULT_IMAGE_HOSTS: tuple[str, ...] = ("byteimg.com", "byteintlimg.com", "coze.cn", "coze.com")
"""Where Coze serves a bot's images and files from (coze.cn and coze.com), and their subdomains."""

MAX_FORMULAS = 200
"""Formulas typeset in one answer; the rest show as their TeX source."""
_MAX_HELD = 2048  # past this, what looked like an image is let go as text


_HOST = re.compile(r"[a-z0-9.-]+")


def host_allowed(url: str, hosts: Iterable[str]) -> bool:
    """True for an http(s) address whose host is one of ``hosts`` or a subdomain of one.

    The address is read as a browser gets it from Markdown: character references decoded
    (``&sol;`` is ``/``); a backslash (a ``/`` to browsers), a percent sign or anything else
    unusual in the host makes it not allowed.
    """
    url = html.unescape(url.strip().removeprefix("<").removesuffix(">"))
    if "\\" in url or any(ch.isspace() or not ch.isprintable() for ch in url):
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(host):
        return False
    if "%" in parts.netloc:
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


_ACTS_ON = re.compile(r"[!$\\]")  # an image's start, a formula's "$", an escape


class MarkdownGuard:
    """Feeds Markdown through, turning images from hosts not in ``hosts`` into links and
    formulas past ``max_formulas`` into text."""

    def __init__(
        self, hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS, max_formulas: int = MAX_FORMULAS
    ) -> None:
        self._hosts = tuple(host.lower().strip().strip(".") for host in hosts if host.strip())
        self._dollars_left = 2 * max_formulas
        self.math_capped = False
        self._held = ""  # from a "!" that may open an image
        self._slashes = 0  # backslashes just before this character

    def feed(self, text: str) -> str:
        """What of ``text`` can be shown now (a possible image's start is held back)."""
        out: list[str] = []
        position, end = 0, len(text)
        while position < end:
            if not self._held:
                # Up to the next character the guard acts on, the text goes out as it is (a
                # restored chat of 100 answers is guarded whole, on the page's thread).
                found = _ACTS_ON.search(text, position)
                stop = found.start() if found else end
                if stop > position:
                    out.append(text[position:stop])
                    self._slashes = 0
                    position = stop
                    continue
            out.append(self._take(text[position]))
            position += 1
        return "".join(out)

    def flush(self) -> str:
        """The end of the text: whatever is still held was no image, and is shown as text."""
        out = []
        while self._held:
            held, self._held = self._held, ""
            # A last "!" opens nothing; an image left unfinished is shown as the text it is.
            head = "!" if held == "!" else "\\!"
            out.append(head + "".join(self._take(char) for char in held[1:]))
        return "".join(out)

    def _take(self, char: str) -> str:
        if not self._held:
            return self._pass(char)
        self._held += char
        decision = self._decision()
        if decision is None:
            return ""
        held, self._held = self._held, ""
        # An allowed image keeps its "!"; anything else that could be one has it escaped
        # (dropping it could make a "!" before it the start of an image).
        head = "\\!" if decision == "escape" else "!"
        return head + "".join(self._take(rest) for rest in held[1:])

    def _pass(self, char: str) -> str:
        """One character outside a held image; returns what goes out for it."""
        escaped = self._slashes % 2 == 1
        self._slashes = self._slashes + 1 if char == "\\" else 0
        if char == "!" and not escaped:
            self._held = "!"
            return ""
        if char == "$" and not escaped:
            if self._dollars_left <= 0:
                self.math_capped = True
                return "\\$"
            self._dollars_left -= 1
        return char

    def _decision(self) -> str | None:
        """ "text" (no image after all), "image" (allowed), "escape", or None: not known yet."""
        held = self._held
        if held[1] != "[":
            return "text"
        scanned = _scan(held)
        if scanned is _MORE:
            return "escape" if len(held) > _MAX_HELD else None
        if scanned is _BAD:
            return "escape"
        assert isinstance(scanned, str)
        return "image" if host_allowed(scanned, self._hosts) else "escape"


_MORE = object()  # the text so far may still become a plain image
_BAD = object()  # it cannot: not an image in the plainest form
_ALT_STOP = frozenset("[]`<>\\\n\r")
_DEST_STOP = frozenset(" \t\n\r()<>\\\"'")


def _scan(text: str) -> str | object:
    """Read ``![alt](url)`` or ``![alt](url "title")`` from the start of ``text``: the address
    once the closing ")" is read, ``_MORE`` while it may still come, ``_BAD`` if it cannot."""
    end = len(text)
    index = 2
    while index < end and text[index] not in _ALT_STOP:
        index += 1
    if index == end:
        return _MORE
    if text[index] != "]":
        return _BAD
    index += 1
    if index == end:
        return _MORE
    if text[index] != "(":
        return _BAD  # ![alt][ref] or ![alt]: a reference, judged only with the whole text
    index += 1
    if index == end:
        return _MORE
    if text[index] == "<":
        close = index + 1
        while close < end and text[close] not in "<>\n\r\\":
            close += 1
        if close == end:
            return _MORE
        if text[close] != ">":
            return _BAD
        address = text[index + 1 : close]
        index = close + 1
    else:
        start = index
        while index < end and text[index] not in _DEST_STOP:
            index += 1
        if index == end:
            return _MORE
        address = text[start:index]
    while index < end and text[index] == " ":
        index += 1
    if index == end:
        return _MORE
    if text[index] == '"':
        index += 1
        while index < end and text[index] not in '"\n\r\\':
            index += 1
        if index == end:
            return _MORE
        if text[index] != '"':
            return _BAD
        index += 1
        while index < end and text[index] == " ":
            index += 1
        if index == end:
            return _MORE
    if text[index] != ")" or not address:
        return _BAD
    return address


def guarded(
    text: str, hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS, max_formulas: int = MAX_FORMULAS
) -> str:
    """The whole of ``text`` through a :class:`MarkdownGuard`."""
    guard = MarkdownGuard(hosts, max_formulas)
    return guard.feed(text) + guard.flush()
