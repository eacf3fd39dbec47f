"""Errors raised by coze_stream, each one a sentence the person at the screen can act on.

The tree::

    CozeError                 anything that went wrong talking to Coze (code, logid, http_status)
    ├── CozeConfigError       a setting is missing or malformed (COZE_PAT, COZE_BOT_ID, ...)
    ├── CozeAuthError         the token is wrong, expired, of the other region, or lacks permission
    ├── CozeBotError          the bot id is wrong, the bot is not published as an API, or no access
    ├── CozeRateLimitError    too many requests, daily limit, busy: try again later
    ├── CozeTimeoutError      Coze was silent for longer than the configured timeout
    ├── CozeConnectionError   Coze could not be reached at all
    ├── CozeStreamError       the answer broke off with no cause Coze named: a stream cut or
    │                         ended before its end, an event that cannot be read,
    │                         requires_action, an error event or chat.failed without a code
    └── CozeAPIError          any other error Coze (or a proxy in front of it) reported

The class means the cause, whenever it happened: Coze's code decides it, the same before the
answer (an error reply) and during it (an ``error`` event, ``conversation.chat.failed``), so a
4020 is a CozeRateLimitError either way. A failure during the answer comes after the text that
was streamed before it.

``error.sentence`` is written from a template (``error.template``, one of
:mod:`coze_stream._sentences`) filled with ``error.values``: a translation looks the template up
and fills in the same values.

``str(error)`` is the user-facing sentence followed by Coze's own code, message and log id when
known, e.g. ``Coze rejected the access token ... (Coze code 4100: authentication is invalid;
log id 2025...)``. The log id is what Coze support asks for.

No message carries the token: the client passes every text that came from Coze through
:func:`redact` before it is stored here, because Coze sometimes echoes the token back.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, TypeAlias
from urllib.parse import quote

__all__ = [
    "CozeAPIError",
    "CozeAuthError",
    "CozeBotError",
    "CozeConfigError",
    "CozeConnectionError",
    "CozeError",
    "CozeRateLimitError",
    "CozeStreamError",
    "CozeTimeoutError",
    "redact",
]

# Coze personal and service access tokens look like `pat_<64 chars>` / `sat_<64 chars>`. Anything of
# that shape is hidden, as well as the configured token itself (which may have any shape).
_TOKEN_SHAPE = re.compile(r"\b(?:pat|sat|czs|cztei)_[A-Za-z0-9_\-]{8,}")
_HIDDEN = "[token hidden]"

# What fills a template's placeholder: text, or a number for a format such as ``{seconds:g}``.
Value: TypeAlias = str | int | float
_SHORTEST_SECRET = 8


def redact(text: str, *secrets: str) -> str:
    """Return ``text`` with every given secret, and anything shaped like a Coze token, hidden.

    A secret is also found upper- or lower-cased, URL-encoded and base64-encoded (at any
    alignment, as inside an encoded ``Bearer`` header). Secrets shorter than 8 characters are
    not looked for: hiding them would garble ordinary words (the config refuses such tokens).
    """
    for secret in secrets:
        if secret and len(secret) >= _SHORTEST_SECRET:
            for form in _forms(str(secret)):
                text = re.sub(re.escape(form), _HIDDEN, text, flags=re.IGNORECASE)
    return _TOKEN_SHAPE.sub(_HIDDEN, text)


def _forms(secret: str) -> list[str]:
    """The ways a secret may appear in text Coze or a proxy sends back."""
    forms = {secret, quote(secret, safe="")}
    raw = secret.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            # Encoded after ``offset`` other bytes: the characters that depend on the secret
            # alone are the same wherever it sits, once the edges are cut.
            encoded = encode(b"\0" * offset + raw).decode().rstrip("=")
            middle = encoded[4 if offset else 0 : -4]
            if len(middle) >= _SHORTEST_SECRET:
                forms.add(middle)
    return sorted(forms, key=len, reverse=True)


class CozeError(Exception):
    """Base class: ``sentence`` for people, plus Coze's ``code``, ``coze_message`` and ``logid``.

    ``template`` is the sentence before its values were filled in (``{seconds:g}``, ``{host}``)
    and ``values`` are those values, so a translation can be looked up by the template and
    filled with the same values. A plain sentence is its own template, with no values.
    """

    def __init__(
        self,
        template: str,
        *,
        values: Mapping[str, Value] | None = None,
        code: int | None = None,
        coze_message: str | None = None,
        logid: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.template = template
        # Text values may come from outside (a host, a plugin's name): hidden like the sentence.
        self.values: dict[str, Value] = {
            name: redact(value) if isinstance(value, str) else value
            for name, value in (values or {}).items()
        }
        self.sentence = redact(template.format(**self.values) if self.values else template)
        self.code = code
        self.coze_message = redact(coze_message) if coze_message else coze_message
        # Coze's log id, as the client read it (the token hidden, printable, short).
        self.logid = redact(logid)[:128] if logid else logid
        self.http_status = http_status
        # Seconds Coze asked to wait before a retry (its Retry-After header), when it said.
        self.retry_after = retry_after
        super().__init__(self.sentence)

    @property
    def details(self) -> str:
        """Coze's code, message and log id, or HTTP status, as one parenthesis-free phrase."""
        parts = []
        if self.code is not None:
            parts.append(
                f"Coze code {self.code}: {self.coze_message}"
                if self.coze_message
                else f"Coze code {self.code}"
            )
        elif self.coze_message:
            parts.append(f"Coze said: {self.coze_message}")
        if self.http_status is not None and self.code is None:
            parts.append(f"HTTP {self.http_status}")
        if self.logid:
            parts.append(f"log id {self.logid}")
        return "; ".join(parts)

    def __str__(self) -> str:
        details = self.details
        return f"{self.sentence} ({details})" if details else self.sentence

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the keyword attributes when pickled (across processes, say): Exception's own
        # pickling would call __init__ with the sentence alone.
        fields = {
            "values": dict(self.values),
            "code": self.code,
            "coze_message": self.coze_message,
            "logid": self.logid,
            "http_status": self.http_status,
            "retry_after": self.retry_after,
        }
        return (_rebuild, (type(self), self.template, fields))


def _rebuild(cls: type[CozeError], template: str, fields: dict[str, Any]) -> CozeError:
    return cls(template, **fields)


class CozeConfigError(CozeError):
    """A setting is missing or malformed; the sentence names the variable and the fix."""


class CozeAuthError(CozeError):
    """HTTP 401 or Coze code 4100, 4101, 700012006."""


class CozeBotError(CozeError):
    """Coze code 4006, 4015 or 4200: wrong bot id, bot not published as an API, no access."""


class CozeRateLimitError(CozeError):
    """HTTP 429 or Coze code 4008, 4009, 4013, 4020, 4028."""


class CozeTimeoutError(CozeError):
    """Coze did not connect, or stayed silent mid-answer, for longer than the timeout."""


class CozeConnectionError(CozeError):
    """Coze could not be reached: no network, a wrong host name, a refused connection."""


class CozeStreamError(CozeError):
    """The answer broke off: an error event, chat.failed, requires_action, cut off, unreadable."""


class CozeAPIError(CozeError):
    """Any other error reply, including non-JSON pages from a proxy and unexpected replies."""
