"""Where the client's settings come from: a frozen CozeConfig, read by load_config."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._exceptions import CozeConfigError

__all__ = ["DEFAULT_BASE_URL", "SHORTEST_TOKEN", "CozeConfig", "load_config"]

DEFAULT_BASE_URL = "https://api.coze.cn"
SHORTEST_TOKEN = 16

_BOT_ID = re.compile(r"[0-9]+")
_BASE_URL = re.compile(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", re.IGNORECASE)
_NOT_ASCII = (
    "COZE_PAT contains characters no token has (such as curly quotes or dashes from a document "
    "or a chat): copy it again from Coze, as plain text."
)
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
            raise CozeConfigError(_NOT_ASCII)

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
        raise CozeConfigError(
            "COZE_PAT is not set: create a personal access token in Coze (API > Personal Access "
            "Tokens, with the chat permission) and set COZE_PAT to it."
        )
    if any(ch.isspace() for ch in pat) or not pat.isprintable():
        raise CozeConfigError(
            "COZE_PAT looks malformed: a token has no spaces or line breaks inside. Copy it again "
            "from Coze, without quotes or a 'Bearer' prefix."
        )
    if not pat.isascii():
        raise CozeConfigError(_NOT_ASCII)
    if len(pat) < SHORTEST_TOKEN:
        raise CozeConfigError(
            f"COZE_PAT is too short to be a Coze token (they are {SHORTEST_TOKEN} characters or "
            "more, such as pat_ and 64 letters and digits): copy the whole token from Coze."
        )
    if not bot_id:
        raise CozeConfigError(
            "COZE_BOT_ID is not set: set it to your bot's id, the digits after /bot/ in the bot's "
            "address in Coze."
        )
    # The values themselves are not repeated: a token pasted into the wrong setting would be.
    if not _BOT_ID.fullmatch(bot_id):
        raise CozeConfigError(
            "COZE_BOT_ID must be all digits (the digits after /bot/ in the bot's address in "
            f"Coze); the value set has {len(bot_id)} characters and is not."
        )
    if "@" in base_url:
        # Never repeated: the part before the @ is a user name and password.
        raise CozeConfigError(
            "COZE_API_BASE_URL must not contain a user name or password (the part before an "
            "@): Coze takes only the token, such as https://api.coze.cn."
        )
    if not _BASE_URL.fullmatch(base_url):
        raise CozeConfigError(
            "COZE_API_BASE_URL must be an http(s) address such as https://api.coze.cn (coze.cn "
            "accounts) or https://api.coze.com (coze.com accounts)."
        )
    if base_url.lower().startswith("http://") and not _LOCAL.match(base_url):
        raise CozeConfigError(
            "COZE_API_BASE_URL must use https:// (plain http:// would send the token unencrypted; "
            "it is accepted only for this machine, such as the simulator on 127.0.0.1)."
        )
    config = CozeConfig(pat=pat, bot_id=bot_id, base_url=base_url)
    if read_timeout:
        try:
            seconds = float(read_timeout)
        except ValueError:
            seconds = -1.0
        if not 0 < seconds <= 3600:
            raise CozeConfigError(
                "COZE_READ_TIMEOUT must be a number of seconds between 0 and 3600, such as 60."
            )
        config = dataclasses.replace(config, read_timeout=seconds)
    return config
