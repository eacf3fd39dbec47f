"""What the simulator says and hears: a fixed transcript, a short tone as WAV, and its voices.

- A recording (``POST /v1/audio/transcriptions``) is heard as a fixed sentence in the language
  the request's ``Accept-Language`` names (Chinese without one), whatever it holds.
- Speech (``POST /v1/audio/speech``) is a 440 Hz tone, 16 kHz mono 16-bit WAV, 0.3 s plus 0.01 s
  for each character of the text, at most 2 s: small, and longer for a longer text. The
  simulator speaks ``wav`` only: another ``response_format`` is refused with 4000.
- Voices (``GET /v1/audio/voices``) are ``VOICES``, in Coze's shape, on one page.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any

__all__ = ["SAMPLE_RATE", "TRANSCRIPTS", "VOICES", "tone_wav", "transcript", "voice_items"]

SAMPLE_RATE = 16_000
TRANSCRIPTS = {"zh": "你好，这是一段语音。", "en": "Hello, this is a recording."}

VOICES: tuple[tuple[str, str, str, str], ...] = (
    # voice_id, name, language_code, language_name
    ("7426720361733046281", "模拟器女声", "zh", "中文"),
    ("7426720361733062665", "Simulator Voice", "en", "English"),
    ("7426720361733079049", "模拟器男声", "zh", "中文"),
)


def transcript(language: str | None) -> str:
    return TRANSCRIPTS.get(language or "zh", TRANSCRIPTS["zh"])


def tone_wav(text: str, speed: float = 1.0) -> bytes:
    """A 440 Hz tone as a WAV file, as long as ``text`` asks (see the module's docstring)."""
    seconds = min(2.0, 0.3 + 0.01 * len(text)) / max(speed, 0.2)
    frames = int(SAMPLE_RATE * min(seconds, 2.0))
    fade = SAMPLE_RATE // 100  # 10 ms in and out: no click
    samples = bytearray()
    for n in range(frames):
        level = min(1.0, n / fade, (frames - n) / fade)
        value = int(12_000 * level * math.sin(2 * math.pi * 440 * n / SAMPLE_RATE))
        samples += struct.pack("<h", value)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(bytes(samples))
    return out.getvalue()


def voice_items() -> list[dict[str, Any]]:
    """``VOICES`` as Coze lists them (``data.voice_list``)."""
    return [
        {
            "voice_id": voice_id,
            "name": name,
            "language_code": code,
            "language_name": language,
            "is_system_voice": True,
            "preview_text": "你好" if code == "zh" else "Hello",
            "preview_audio": "",
            "available_training_times": 0,
            "create_time": 1729686510,
            "update_time": 1729686510,
            "model_type": "big",
            "state": "cloned",
        }
        for voice_id, name, code, language in VOICES
    ]
