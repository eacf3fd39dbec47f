"""Voice: a recording to text, text to speech, and the voices Coze speaks with.

- ``POST {base}/v1/audio/transcriptions``: the recording as the multipart part ``file`` (at most
  10 MB, under 30 minutes; wav, mp3, ogg, m4a and more), answers ``{"code": 0, "data": {"text"}}``.
  Needs the token's ``createTranscription`` permission.
- ``POST {base}/v1/audio/speech``: JSON ``{"input", "voice_id", "response_format", "speed"}``,
  ``input`` at most 1024 bytes of UTF-8; answers the audio's raw bytes, or JSON ``{code, msg}``.
  Needs ``createSpeech``.
- ``GET {base}/v1/audio/voices?page_num=&page_size=``: ``{"code": 0, "data": {"voice_list": [...],
  "has_more"}}``. Needs ``listVoice``.

(Coze's *语音识别*, *语音合成* and *查看音色列表* pages; cozepy's ``audio.transcriptions``,
``audio.speech`` and ``audio.voices``.) Each transcription and speech costs the owner money, so a
failed one is sent again only when Coze cannot have done it: no connection was made, or Coze
said it was rate-limited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import httpx

from . import _request
from . import _sentences as owner
from ._config import CozeConfig
from ._errors import log_id
from ._exceptions import CozeAPIError, CozeAuthError, CozeError
from ._files import about_call, check_data, check_file_name, content_type_of
from ._request import Reply
from ._unicode import valid_text

__all__ = [
    "AUDIO_FORMATS",
    "MAX_SPEECH_BYTES",
    "MAX_SPEECH_INPUT_BYTES",
    "MAX_TRANSCRIPTION_BYTES",
    "Voice",
    "list_voices",
    "synthesize_speech",
    "transcribe_audio",
]

MAX_TRANSCRIPTION_BYTES: Final = 10 * 1024 * 1024
"""The largest recording Coze transcribes (10 MB)."""
MAX_SPEECH_INPUT_BYTES: Final = 1024
"""The most UTF-8 bytes of text one speech request takes."""
MAX_SPEECH_BYTES: Final = 20 * 1024 * 1024
"""The most audio one speech reply may be: 1024 bytes of text make a minute or so, far less."""
AUDIO_FORMATS: Final[tuple[str, ...]] = ("wav", "pcm", "ogg_opus", "mp3")
"""The ``response_format`` values Coze's speech takes."""

_SPEEDS = (0.2, 3.0)  # Coze's widest range (small-model voices; big-model ones take 0.5 to 2)
_MAX_ID_CHARS = 256
_MAX_VOICE_NAME_CHARS = 200
_MAX_LANGUAGE_CHARS = 16
_VOICE_PAGES = 3  # pages of voices read at most
_VOICE_PAGE_SIZE = 100  # Coze's largest page
_VOICES_REPLY_BYTES = 1024 * 1024  # a page of 100 voices, each with a preview address, fits

_TRANSCRIPTION_CODES: Final[dict[int, tuple[type[CozeError], str]]] = {
    4100: (CozeAuthError, owner.TOKEN_REJECTED_FOR),
    4101: (CozeAuthError, owner.NO_PERMISSION_FOR),
}
# Replies that say Coze did not do the work: sent again, as no money was spent.
_RATE_LIMITED_STATUS = 429
_RATE_LIMITED_CODES = frozenset({4009, 4020})


def _paid_retry(cause: CozeError | httpx.HTTPError) -> bool:
    """Whether a paid call may be sent again: no connection was made, or Coze said it was
    rate-limited (a 502 or a connection closed unanswered may come after the work was done)."""
    if isinstance(cause, httpx.HTTPError):
        return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)
    if cause.code is not None:
        return cause.code in _RATE_LIMITED_CODES
    return cause.http_status == _RATE_LIMITED_STATUS


def transcribe_audio(
    config: CozeConfig,
    data: bytes,
    name: str = "voice.wav",
    mime: str = "audio/wav",
    *,
    client: httpx.Client | None = None,
) -> str:
    """The text Coze hears in the recording ``data`` ("" when it hears none).

    Raises ``ValueError``/``TypeError`` before any request for an empty recording, one of more
    than :data:`MAX_TRANSCRIPTION_BYTES`, or a name or content type a request cannot carry; a
    :class:`CozeError` for any failure, a :class:`CozeAuthError` naming the
    ``createTranscription`` permission for 4100 and 4101.
    """
    name = check_file_name(name)
    file: _request.FileField = (
        name,
        check_data(data, MAX_TRANSCRIPTION_BYTES, "the recording"),
        content_type_of(name, mime),
    )
    return _request.exchange(
        config,
        "POST",
        f"{config.base_url}/v1/audio/transcriptions",
        None,
        lambda reply: _transcript(reply, config.pat),
        client=client,
        retries=config.max_retries,
        silence=owner.AUDIO_TIMEOUT,
        file=file,
        wait=config.read_timeout,
        retry_if=_paid_retry,
    )


def _refused(reply: Reply, pat: str, permission: str) -> CozeError | None:
    error = reply.error(pat, otherwise=owner.AUDIO_UNEXPECTED)
    if error is None:
        return None
    return about_call(error, _TRANSCRIPTION_CODES, permission, owner.NO_AUDIO_SERVICE)


def _unexpected(reply: Reply, pat: str) -> CozeAPIError:
    return CozeAPIError(
        owner.AUDIO_UNEXPECTED, logid=log_id(reply.logid, pat), http_status=reply.status
    )


def _transcript(reply: Reply, pat: str) -> str:
    error = _refused(reply, pat, "createTranscription")
    if error is not None:
        raise error
    data: Any = reply.payload.get("data") if isinstance(reply.payload, dict) else None
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str):
        raise _unexpected(reply, pat)
    return valid_text(text).strip()


def synthesize_speech(
    config: CozeConfig,
    text: str,
    voice_id: str,
    *,
    audio_format: str = "wav",
    speed: float = 1.0,
    client: httpx.Client | None = None,
) -> bytes:
    """``text`` spoken by the voice ``voice_id``, as the audio's bytes (``audio_format``: one of
    :data:`AUDIO_FORMATS`; ``speed`` from 0.2 to 3, 1 the voice's own).

    Raises ``ValueError``/``TypeError`` before any request for an empty text or one of more than
    :data:`MAX_SPEECH_INPUT_BYTES` UTF-8 bytes (split it: ``coze_answer`` does), an id that is
    not a printable string, another format or speed; a :class:`CozeError` for any failure (Coze
    answers one as JSON), also for audio larger than :data:`MAX_SPEECH_BYTES`, and a
    :class:`CozeAuthError` naming the ``createSpeech`` permission for 4100 and 4101.
    """
    if not isinstance(text, str) or not isinstance(voice_id, str):
        raise TypeError("text and voice_id are strings")
    if not text.strip():
        raise ValueError("text must not be empty")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEECH_INPUT_BYTES:
        raise ValueError(f"text holds more than {MAX_SPEECH_INPUT_BYTES} bytes of UTF-8")
    if not voice_id.strip() or len(voice_id) > _MAX_ID_CHARS or not voice_id.isprintable():
        raise ValueError("voice_id is not an id Coze gives")
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio_format is one of {', '.join(AUDIO_FORMATS)}")
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise TypeError("speed is a number")
    if not (math.isfinite(speed) and _SPEEDS[0] <= speed <= _SPEEDS[1]):
        raise ValueError(f"speed is from {_SPEEDS[0]:g} to {_SPEEDS[1]:g}")
    body = {
        "input": valid_text(text),
        "voice_id": voice_id,
        "response_format": audio_format,
        "speed": speed,
    }
    return _request.exchange(
        config,
        "POST",
        f"{config.base_url}/v1/audio/speech",
        body,
        lambda reply: _audio(reply, config.pat),
        client=client,
        retries=config.max_retries,
        silence=owner.AUDIO_TIMEOUT,
        accept="*/*",
        limit=MAX_SPEECH_BYTES + 1,  # one byte more: audio that fills the limit is too large
        wait=config.read_timeout,
        retry_if=_paid_retry,
    )


def _audio(reply: Reply, pat: str) -> bytes:
    """The audio of a speech reply; a JSON reply (however it is labelled), an error status or a
    page is an error."""
    looks_json = not reply.content_type.startswith(("audio/", "application/octet-stream")) and (
        "json" in reply.content_type or reply.body.lstrip()[:1] == b"{"
    )
    if looks_json or reply.status >= 400:  # an error status, whatever the body
        error = _refused(reply, pat, "createSpeech")
        raise error if error is not None else _unexpected(reply, pat)
    if reply.content_type.startswith("text/") or not reply.body:
        raise _unexpected(reply, pat)
    if len(reply.body) > MAX_SPEECH_BYTES:
        raise CozeAPIError(
            owner.SPEECH_TOO_LARGE,
            values={"megabytes": MAX_SPEECH_BYTES // (1024 * 1024)},
            logid=log_id(reply.logid, pat),
            http_status=reply.status,
        )
    return reply.body


@dataclass(frozen=True, slots=True)
class Voice:
    """A voice Coze speaks with: its id, its name and its language's code (``zh``, ``en``...)."""

    voice_id: str
    name: str
    language_code: str


def list_voices(config: CozeConfig, *, client: httpx.Client | None = None) -> list[Voice]:
    """The voices the token may use (the system's and the account's), in Coze's order.

    Reads up to three pages of 100. Every field is Coze's, so untrusted: a voice whose id is not
    a printable string of at most 256 characters, whose name is empty or longer than 200
    characters, or whose language code is not a short printable string is left out, as is a
    second voice of the same id. Raises a :class:`CozeError` on failure (a
    :class:`CozeAuthError` naming the ``listVoice`` permission for 4100 and 4101); a failed
    connection or a reply Coze asks to retry is retried, up to ``config.max_retries`` times.
    """
    voices: dict[str, Voice] = {}
    http = _request.new_client(config) if client is None else client
    try:
        for page in range(1, _VOICE_PAGES + 1):
            items, more = _request.exchange(
                config,
                "GET",
                f"{config.base_url}/v1/audio/voices",
                None,
                lambda reply: _voice_page(reply, config.pat),
                client=http,
                retries=config.max_retries,
                silence=owner.AUDIO_TIMEOUT,
                params={"page_num": page, "page_size": _VOICE_PAGE_SIZE},
                limit=_VOICES_REPLY_BYTES,
            )
            for item in items:
                voice = _voice(item)
                if voice is not None:
                    voices.setdefault(voice.voice_id, voice)
            if not more:
                break
    finally:
        if client is None:
            http.close()
    return list(voices.values())


def _voice_page(reply: Reply, pat: str) -> tuple[list[Any], bool]:
    error = _refused(reply, pat, "listVoice")
    if error is not None:
        raise error
    data: Any = reply.payload.get("data") if isinstance(reply.payload, dict) else None
    items = data.get("voice_list") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise _unexpected(reply, pat)
    return items, data.get("has_more") is True


def _voice(item: Any) -> Voice | None:
    """The :class:`Voice` of one item of Coze's list, or None when it is malformed."""
    if not isinstance(item, dict):
        return None
    voice_id, name, language = item.get("voice_id"), item.get("name"), item.get("language_code")
    if not (isinstance(voice_id, str) and isinstance(name, str) and isinstance(language, str)):
        return None
    name = " ".join(valid_text(name).split())
    if not voice_id.strip() or len(voice_id) > _MAX_ID_CHARS or not voice_id.isprintable():
        return None
    if not name or len(name) > _MAX_VOICE_NAME_CHARS or not name.isprintable():
        return None
    if len(language) > _MAX_LANGUAGE_CHARS or not language.isprintable():
        return None
    return Voice(voice_id, name, language.strip().lower())
