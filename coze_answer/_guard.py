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


def host_allowed(url: str, hosts: Iterable[str]) -> bool:
    """True for an http(s) address whose host is one of ``hosts`` or a subdomain of one."""
    try:
        parts = urlsplit(url.strip().strip("<>"))
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


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
        self._line = ""  # the current line's first characters (fences open at a line's start)
        self._fence = ""  # the open code fence, if any
        self._line_ticks = 0  # backticks in the current line
        self._slashes = 0  # backslashes just before this character

    def feed(self, text: str) -> str:
        """What of ``text`` can be shown now (a possible image's start is held back)."""
        return "".join(self._take(char) for char in text)

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
        # "!" stays (an allowed image, or no image), goes (a link now), or is escaped (text).
        head = {"image": "!", "text": "!", "link": "", "escape": "\\!"}[decision]
        return head + "".join(self._take(rest) for rest in held[1:])

    def _pass(self, char: str) -> str:
        """One character outside a held image; returns what goes out for it.

        Inline code is not told apart: a code span that never closes is no code span, so
        trusting one would let an image through. Inside real inline code an image's ``!`` may
        go too, which changes how the code reads, never what the browser fetches.
        """
        escaped = self._slashes % 2 == 1
        self._slashes = self._slashes + 1 if char == "\\" else 0
        if char == "\n":
            self._end_line()
            return char
        if char == "`":
            self._line_ticks += 1
        if len(self._line) < 8:
            self._line += char
        if char == "!" and not (escaped or self._fence):
            self._held = "!"
            return ""
        if char == "$" and not (escaped or self._fence):
            if self._dollars_left <= 0:
                self.math_capped = True
                return "\\$"
            self._dollars_left -= 1
        return char

    def _end_line(self) -> None:
        """A fence opens or closes only on a line of its own (as CommonMark says; in doubt,
        it is not a fence, so its lines stay guarded)."""
        stripped = self._line.lstrip(" ")
        indent = len(self._line) - len(stripped)
        marker = stripped[:3]
        if indent <= 3 and marker in ("```", "~~~"):
            run = len(stripped) - len(stripped.lstrip(marker[0]))
            if not self._fence:
                # A backtick fence's info string has no backtick: "```a`b" is inline code.
                if marker == "~~~" or self._line_ticks == run:
                    self._fence = marker
            elif marker == self._fence:
                self._fence = ""
        self._line = ""
        self._line_ticks = 0

    def _decision(self) -> str | None:
        """What the held text is, once that can be told: None while it cannot."""
        held = self._held
        if held[1] != "[":
            return "text"
        gave_up = "\n\n" in held or len(held) > _MAX_HELD
        close = _closing_bracket(held, 1)
        if close is None:
            return "escape" if gave_up else None
        if close + 1 >= len(held):
            return None
        if held[close + 1] != "(":  # ![alt][ref] or ![alt]: judged only at the end, so text
            return "escape"
        address = _address(held, close + 2)
        if address is None:
            return "escape" if gave_up else None
        url, well_formed = address
        if not well_formed:
            return "escape"
        return "image" if host_allowed(url, self._hosts) else "link"


def _closing_bracket(text: str, start: int) -> int | None:
    """The index of the "]" that closes the "[" at ``start``, or None if not there yet."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _address(text: str, start: int) -> tuple[str, bool] | None:
    """The link destination starting at ``start`` (after "("): (url, well formed), or None
    while more text is needed to know where it ends."""
    index = start
    while index < len(text) and text[index] in " \t":
        index += 1
    if index < len(text) and text[index] == "\n":
        index += 1
        while index < len(text) and text[index] in " \t":
            index += 1
    if index >= len(text):
        return None
    if text[index] == "<":
        end = text.find(">", index + 1)
        if end < 0:
            return ("", False) if "\n" in text[index:] else None
        return text[index + 1 : end], True
    depth = 0
    for position in range(index, len(text)):
        char = text[position]
        if char in " \t\n":
            return text[index:position], True
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return text[index:position], True
            depth -= 1
    return None


def guarded(
    text: str, hosts: Iterable[str] = DEFAULT_IMAGE_HOSTS, max_formulas: int = MAX_FORMULAS
) -> str:
    """The whole of ``text`` through a :class:`MarkdownGuard`."""
    guard = MarkdownGuard(hosts, max_formulas)
    return guard.feed(text) + guard.flush()
