"""The page's settings and connections, and who the visitor is.

Settings (``COZE_*``) come from Streamlit secrets or the environment and are parsed here, once
per run, into :class:`PageSettings` (the connection's own, ``COZE_PAT``, ``COZE_BOT_ID``,
``COZE_API_BASE_URL`` and ``COZE_READ_TIMEOUT``, by :func:`coze_stream.load_config`); the clients,
the simulator and the fair share are one per process (``st.cache_resource``; the fair share's
limits shared through Redis with ``COZE_REDIS_URL``); the visitor is a session, or the client's
address from trusted proxies, with their language and time zone as their browser says.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

import streamlit as st

from coze_answer import (
    DEFAULT_IMAGE_HOSTS,
    LANGUAGES,
    MAX_FORMULAS,
    Language,
    Turn,
    Words,
    context_budget,
    language_of,
)
from coze_stream import CozeConfig, CozeConfigError, CozeHTTPClient, load_config

from .fair_share import FairShare
from .shared_limits import TIMEOUT_SECONDS as REDIS_TIMEOUT_SECONDS
from .shared_limits import SharedFairShare

__all__ = [
    "DEFAULT_MAX_CHATS",
    "DEFAULT_MAX_DEMO_CHATS",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_FILE_MB",
    "DEFAULT_PER_MINUTE",
    "DEMO_CHAT_SECONDS",
    "SETTING_NAMES",
    "PageSettings",
    "chat_client",
    "choose_demo",
    "client_address",
    "connect",
    "fair_share",
    "http_client",
    "page_language",
    "parse_settings",
    "read_settings",
    "secrets_unreadable",
    "session_id",
    "visitor",
    "visitor_zone",
]

SETTING_NAMES = (
    "COZE_PAT",
    "COZE_BOT_ID",
    "COZE_API_BASE_URL",
    "COZE_READ_TIMEOUT",
    "COZE_DEMO",
    "COZE_CONTEXT",
    "COZE_MAX_CHATS",
    "COZE_MAX_DEMO_CHATS",
    "COZE_MESSAGES_PER_MINUTE",
    "COZE_IMAGE_HOSTS",
    "COZE_MAX_FORMULAS",
    "COZE_REDIS_URL",
    "COZE_TRUSTED_PROXIES",
    "COZE_REDIS_TIMEOUT",
    "COZE_KEEP_CHATS",
    "COZE_ATTACHMENTS",
    "COZE_MAX_FILES",
    "COZE_MAX_FILE_MB",
    "COZE_VOICE",
    "COZE_VOICE_ID",
)
DEFAULT_MAX_CHATS = 20
DEFAULT_MAX_DEMO_CHATS = 3
DEFAULT_PER_MINUTE = 20
DEFAULT_MAX_FILES = 4
DEFAULT_MAX_FILE_MB = 20
# A demo answer ends after this long, whatever /long, /slow, /stall or /late asked for: a demo
# chat holds its place among the demo's for no longer.
DEMO_CHAT_SECONDS = 60.0
# COZE_DEMO: "1" starts the page in demo mode; "on" offers it; "off" removes it. Unset (or
# anything else), demo mode is offered only while no live bot is set: it is a newcomer's way in,
# and a live deployment offers it only when its owner says so.
_OFF = ("off", "0", "no", "false")
_ALLOW = ("on", "yes", "true")
_START = ("1",)
logger = logging.getLogger("coze_chat")


@dataclass(frozen=True)
class PageSettings:
    """What the owner set, parsed: a malformed value falls back to its default (a malformed
    ``COZE_CONTEXT`` is logged for the owner), never an error a visitor sees. ``raw`` keeps the
    values as given, for :func:`coze_stream.load_config`."""

    raw: Mapping[str, str]
    demo_allowed: bool  # COZE_DEMO=on or 1, or unset without a live bot: demo mode offered
    demo_asked: bool  # COZE_DEMO=1 starts in demo mode
    max_chats: int  # COZE_MAX_CHATS: live answers streaming at once in this process
    max_demo_chats: int  # COZE_MAX_DEMO_CHATS: demo answers at once, apart from the live ones
    per_minute: int  # COZE_MESSAGES_PER_MINUTE: messages one visitor may send a minute
    memory: tuple[int, int] | None  # COZE_CONTEXT as (messages, characters); None: off
    configured_image_hosts: tuple[str, ...]  # COZE_IMAGE_HOSTS, or Coze's own
    max_formulas: int  # COZE_MAX_FORMULAS: formulas typeset per answer
    # COZE_REDIS_URL: the limits above hold across every replica sharing this Redis
    redis_url: str | None = None
    # COZE_TRUSTED_PROXIES: the proxies in front that add to X-Forwarded-For; 0: a visitor is a
    # browser session, N: a visitor is the address the N-th proxy from here saw
    trusted_proxies: int = 0
    # COZE_REDIS_TIMEOUT: the longest wait on Redis per call, in seconds, before per-process
    # limits stand in
    redis_timeout: float = REDIS_TIMEOUT_SECONDS
    keep_chats: bool = True  # COZE_KEEP_CHATS=off: nothing kept in the visitor's browser
    attachments: bool = True  # COZE_ATTACHMENTS=off: the box takes text only
    max_files: int = DEFAULT_MAX_FILES  # COZE_MAX_FILES: files one message may carry
    max_file_mb: int = DEFAULT_MAX_FILE_MB  # COZE_MAX_FILE_MB: the largest file, in MB
    # COZE_VOICE=on: the box records speech and answers can be read aloud (each costs the owner)
    voice: bool = False
    voice_id: str = ""  # COZE_VOICE_ID: the voice answers are read in; else one by language

    def image_hosts(self, *, demo: bool) -> tuple[str, ...]:
        """Hosts answers may show images from; in demo mode also the simulator on this
        machine."""
        hosts = self.configured_image_hosts
        return (*hosts, "127.0.0.1") if demo else hosts


def parse_settings(raw: Mapping[str, str]) -> PageSettings:
    """The page's settings from their raw ``COZE_*`` values."""
    demo = raw.get("COZE_DEMO", "").strip().lower()
    live_bot = bool(raw.get("COZE_PAT", "").strip() and raw.get("COZE_BOT_ID", "").strip())
    hosts = [h.strip() for h in raw.get("COZE_IMAGE_HOSTS", "").split(",") if h.strip()]
    return PageSettings(
        raw=dict(raw),
        demo_allowed=demo in _ALLOW + _START or (demo not in _OFF and not live_bot),
        demo_asked=demo in _START,
        max_chats=_whole(raw.get("COZE_MAX_CHATS"), DEFAULT_MAX_CHATS),
        max_demo_chats=_whole(raw.get("COZE_MAX_DEMO_CHATS"), DEFAULT_MAX_DEMO_CHATS),
        per_minute=_whole(raw.get("COZE_MESSAGES_PER_MINUTE"), DEFAULT_PER_MINUTE),
        memory=_memory_budget(raw.get("COZE_CONTEXT")),
        configured_image_hosts=tuple(hosts) or DEFAULT_IMAGE_HOSTS,
        max_formulas=_whole(raw.get("COZE_MAX_FORMULAS"), MAX_FORMULAS),
        redis_url=raw.get("COZE_REDIS_URL", "").strip() or None,
        trusted_proxies=_whole(raw.get("COZE_TRUSTED_PROXIES"), 0),
        redis_timeout=_seconds(raw.get("COZE_REDIS_TIMEOUT"), REDIS_TIMEOUT_SECONDS),
        keep_chats=raw.get("COZE_KEEP_CHATS", "").strip().lower() not in _OFF,
        attachments=raw.get("COZE_ATTACHMENTS", "").strip().lower() not in _OFF,
        max_files=_whole(raw.get("COZE_MAX_FILES"), DEFAULT_MAX_FILES),
        max_file_mb=_whole(raw.get("COZE_MAX_FILE_MB"), DEFAULT_MAX_FILE_MB),
        voice=raw.get("COZE_VOICE", "").strip().lower() in _ALLOW + _START,
        voice_id=raw.get("COZE_VOICE_ID", "").strip()[:128],
    )


def _whole(value: str | None, default: int) -> int:
    """A positive whole number setting; ``default`` when it is missing or anything else."""
    try:
        number = int((value or "").strip())
    except ValueError:
        return default
    return number if number > 0 else default


def _seconds(value: str | None, default: float) -> float:
    """A positive number of seconds, up to a minute; ``default`` when missing or anything else."""
    try:
        number = float((value or "").strip())
    except ValueError:
        return default
    return number if 0 < number <= 60 else default


def _memory_budget(value: str | None) -> tuple[int, int] | None:
    try:
        return context_budget(value)
    except ValueError as error:
        logger.warning("%s; the default is used", error)
        return context_budget("on")


def page_language() -> Language:
    """The visitor's language: their choice in the sidebar, else their browser's."""
    chosen = st.session_state.get("language")
    return chosen if chosen in LANGUAGES else language_of(st.context.locale)


def read_settings(said: Words, environ: Mapping[str, str] | None = None) -> PageSettings:
    """The COZE_* settings: Streamlit secrets first, then the environment.

    A missing secrets file is normal (settings may come from the environment); an unreadable one
    is reported on the page, not raised.
    """
    environ = os.environ if environ is None else environ
    settings = {name: environ[name] for name in SETTING_NAMES if environ.get(name)}
    try:
        secrets = {name: str(st.secrets[name]) for name in SETTING_NAMES if name in st.secrets}
    except Exception as error:  # a malformed secrets.toml must not take the page down
        secrets = {}
        if secrets_unreadable(error):
            logger.warning("the secrets file could not be read: %s", type(error).__name__)
            st.warning(said.secrets_unreadable, icon=":material/warning:")
    return parse_settings(
        settings | {name: value.strip() for name, value in secrets.items() if value.strip()}
    )


def secrets_unreadable(error: Exception) -> bool:
    """Whether Streamlit's error reading the secrets means a broken file, not "there are none"
    (normal: settings may come from the environment). Both come as the same class."""
    return getattr(error, "error_id", None) != "no-secrets-found"


def connect(settings: PageSettings) -> tuple[CozeConfig | None, CozeConfigError | None]:
    """The configuration to chat with (demo, live, or none yet) and what is wrong with it."""
    try:
        if st.session_state.demo:
            return _demo_config(settings.raw), None
        if settings.raw.get("COZE_PAT") or settings.raw.get("COZE_BOT_ID"):
            return load_config(settings.raw), None
    except CozeConfigError as error:
        return None, error
    return None, None


def choose_demo(settings: PageSettings, history: list[Turn]) -> None:
    """Demo mode: on when COZE_DEMO says so or the link has ``?demo=1``; the link follows the
    switch, so a reload (or a shared link) keeps the demo. Switching starts a new chat: demo
    answers must not go to the live bot as memory, nor their ratings to live Coze."""
    if "demo" not in st.session_state or not settings.demo_allowed:
        asked = settings.demo_asked or st.query_params.get("demo") == "1"
        st.session_state.demo = settings.demo_allowed and asked
    demo = bool(st.session_state.demo)
    if st.session_state.setdefault("chat_is_demo", demo) != demo:
        history.clear()
        st.session_state.chat_is_demo = demo
    wanted = "1" if demo else None
    if st.query_params.get("demo") != wanted:
        if wanted:
            st.query_params["demo"] = wanted
        else:
            del st.query_params["demo"]


@st.cache_resource(show_spinner=False)
def http_client(kind: str, language: Language | None = None) -> CozeHTTPClient:
    """One pooled HTTP client per process and kind ("live", "demo"): a second message reuses
    the connection, and demo chats never take a connection a live chat needs. A demo client
    names the page's language (Accept-Language), which the simulator answers in."""
    return CozeHTTPClient(headers={"Accept-Language": language} if language else None)


def chat_client(language: Language) -> CozeHTTPClient:
    """The client for this visitor's chats: the demo's, in the page's language, or the live
    one."""
    return http_client("demo", language) if st.session_state.get("demo") else http_client("live")


@st.cache_resource(show_spinner=False)
def fair_share(
    max_chats: int,
    per_minute: int,
    max_demo_chats: int,
    redis_url: str | None = None,
    redis_timeout: float = REDIS_TIMEOUT_SECONDS,
) -> FairShare | SharedFairShare:
    """The process's one gate: chats at once (live and demo apart), and messages a minute per
    visitor; held across every replica sharing ``redis_url``, else in this process."""
    if redis_url:
        try:
            return SharedFairShare(
                redis_url,
                max_chats,
                per_minute,
                max_demo_chats=max_demo_chats,
                timeout=redis_timeout,
            )
        except Exception as error:  # the URL is not shown: it may carry a password
            logger.warning(
                "COZE_REDIS_URL is not a Redis URL (%s): each replica keeps its own limits",
                type(error).__name__,
            )
    return FairShare(max_chats, per_minute, max_demo_chats=max_demo_chats)


def session_id() -> str:
    """This browser session's id: one answer at a time holds per session."""
    return str(st.session_state.setdefault("visitor", uuid.uuid4().hex))


def visitor() -> str:
    """Who a message counts against for the fair share: the client's address when the owner
    declared the proxies in front (``COZE_TRUSTED_PROXIES``, kept in the session by the page),
    else this browser session. An address is the same visitor on every replica and in every
    tab, so a script opening sessions gets no more messages; a session is all the page can
    vouch for without a proxy (X-Forwarded-For straight from a browser is whatever it says)."""
    proxies = int(st.session_state.get("trusted_proxies") or 0)
    if proxies:
        address = client_address(st.context.headers.get_all("X-Forwarded-For"), proxies)
        if address is not None:
            return f"address {address}"
    return f"session {session_id()}"


def client_address(forwarded_for: list[str], proxies: int) -> str | None:
    """The address the outermost of ``proxies`` trusted proxies saw, from X-Forwarded-For.

    Each proxy adds the address it was reached from at the end, so the ``proxies``-th entry from
    the end is the one the outermost trusted proxy wrote; anything before it came from the
    client and proves nothing. None when there are fewer entries (the page was reached around
    the proxies) or the entry is not an address.
    """
    entries = [entry.strip() for value in forwarded_for for entry in value.split(",")]
    if proxies < 1 or len(entries) < proxies:
        return None
    try:
        return str(ipaddress.ip_address(entries[-proxies]))
    except ValueError:
        return None


def visitor_zone() -> tzinfo | None:
    """The visitor's time zone, as their browser says (None: unknown, times show in UTC)."""
    try:
        return ZoneInfo(str(st.context.timezone))
    except Exception:  # no zone, or one this machine does not know
        return None


@st.cache_resource(show_spinner=False)
def demo_base_url() -> str:
    """Start the built-in Coze simulator once per process; demo mode talks to it over HTTP."""
    from coze_stream.simulator import DEMO_BOT_ID, DEMO_PAT, CozeSimulator

    simulator = CozeSimulator(
        pat=DEMO_PAT,
        bot_id=DEMO_BOT_ID,
        deltas_per_second=40,
        max_chat_seconds=DEMO_CHAT_SECONDS,
    )
    simulator.start()
    return simulator.base_url


def _demo_config(settings: Mapping[str, str]) -> CozeConfig:
    from coze_stream.simulator import DEMO_BOT_ID, DEMO_PAT

    env = {"COZE_PAT": DEMO_PAT, "COZE_BOT_ID": DEMO_BOT_ID, "COZE_API_BASE_URL": demo_base_url()}
    if settings.get("COZE_READ_TIMEOUT"):
        env["COZE_READ_TIMEOUT"] = settings["COZE_READ_TIMEOUT"]
    return load_config(env)
