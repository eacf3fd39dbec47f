"""Where the client's settings come from: a frozen CozeConfig, read by load_config."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import _sentences as owner
from ._exceptions import CozeConfigError

__all__ = ["DEFAULT_BASE_URL", "SHORTEST_TOKEN", "CozeConfig", "load_config"]

DEFAULT_BASE_URL = "https://api.coze.cn"
SHORTEST_TOKEN = 16

_BOT_ID = re.compile(r"[0-9]+")
_BASE_URL = re.compile(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", re.IGNORECASE)
_LOCAL = re.compile(r"http://(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?(?:/|$)", re.I)


class _Token(str):
    """The token: a string whose ``repr`` hides it, so that a traceback printed with its
    locals (as error reporters do) or a debugger's view never shows it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'[token hidden]'"


@dataclass(frozen=True)
class CozeConfig:
    """Everything needed to talk to one Coze bot. ``repr`` and ``str`` never show the token."""

    pat: str = field(repr=False)
    bot_id: str
    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = 10.0
    # The longest silence tolerated mid-stream: reasoning bots can think quietly for a while.
    read_timeout: float = 60.0
    max_retries: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        object.__setattr__(self, "pat", _Token(self.pat))
        # HTTP headers are ASCII: httpx would fail deep inside a request with an error that
        # is not a CozeError.
        if not self.pat.isascii():
            raise CozeConfigError(owner.PAT_NOT_ASCII)

    @property
    def region_host(self) -> str:
        """The host part of ``base_url``, e.g. ``api.coze.cn``, for showing where we talk to."""
        return self.base_url.split("://", 1)[-1].split("/", 1)[0]


def load_config(env: Mapping[str, str] | None = None) -> CozeConfig:
    """Read ``COZE_PAT``, ``COZE_BOT_ID`` and ``COZE_API_BASE_URL`` (optional) from ``env``.

    ``env`` defaults to ``os.environ``. ``COZE_READ_TIMEOUT`` (seconds, optional) overrides how
    long a silent stream is tolerated. Raises :class:`CozeConfigError` naming the variable and
    the fix when a value is missing or malformed.
    """
    env = os.environ if env is None else env
    pat = (env.get("COZE_PAT") or "").strip()
    bot_id = (env.get("COZE_BOT_ID") or "").strip()
    base_url = (env.get("COZE_API_BASE_URL") or "").strip() or DEFAULT_BASE_URL
    read_timeout = (env.get("COZE_READ_TIMEOUT") or "").strip()

    if not pat:
        raise CozeConfigError(owner.PAT_MISSING)
    if any(ch.isspace() for ch in pat) or not pat.isprintable():
        raise CozeConfigError(owner.PAT_MALFORMED)
    if not pat.isascii():
        raise CozeConfigError(owner.PAT_NOT_ASCII)
    if len(pat) < SHORTEST_TOKEN:
        raise CozeConfigError(owner.PAT_TOO_SHORT, values={"shortest": SHORTEST_TOKEN})
    if not bot_id:
        raise CozeConfigError(owner.BOT_ID_MISSING)
    # The values themselves are not repeated: a token pasted into the wrong setting would be.
    if not _BOT_ID.fullmatch(bot_id):
        raise CozeConfigError(owner.BOT_ID_NOT_DIGITS, values={"length": len(bot_id)})
    if "@" in base_url:
        # Never repeated: the part before the @ is a user name and password.
        raise CozeConfigError(owner.BASE_URL_WITH_CREDENTIALS)
    if not _BASE_URL.fullmatch(base_url):
        raise CozeConfigError(owner.BASE_URL_NOT_HTTP)
    if base_url.lower().startswith("http://") and not _LOCAL.match(base_url):
        raise CozeConfigError(owner.BASE_URL_NOT_HTTPS)
    config = CozeConfig(pat=pat, bot_id=bot_id, base_url=base_url)
    if read_timeout:
        try:
            seconds = float(read_timeout)
        except ValueError:
            seconds = -1.0
        if not 0 < seconds <= 3600:
            raise CozeConfigError(owner.READ_TIMEOUT_INVALID)
        config = dataclasses.replace(config, read_timeout=seconds)
    return config
