"""Files and voice in a real browser: a file picked through the box's own file input, a voice
turn from Chromium's fake microphone, and an answer read aloud that plays. The token is checked
in every frame and the page by the fixtures."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import harness
import pytest
from playwright.sync_api import expect
from support import BOT_ID, CANARY, AppPage

from coze_answer import words
from coze_stream.simulator import CozeSimulator
from coze_stream.simulator.voice import TRANSCRIPTS

EN = words("en")
BOX = '[data-testid="stChatInput"]'


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def speech_like_wav(path: Path, seconds: float = 3.0, rate: int = 16_000) -> Path:
    """A loud warbling tone: Chromium's fake microphone plays it in a loop."""
    frames = bytearray()
    for n in range(int(seconds * rate)):
        t = n / rate
        value = 0.6 * math.sin(2 * math.pi * (300 + 80 * math.sin(2 * math.pi * 3 * t)) * t)
        frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(bytes(frames))
    return path


@pytest.fixture(scope="module")
def voice_server(
    server_factory: Callable[[dict[str, str]], harness.StreamlitServer], sim: CozeSimulator
) -> harness.StreamlitServer:
    return server_factory(
        {
            "COZE_PAT": CANARY,
            "COZE_BOT_ID": BOT_ID,
            "COZE_API_BASE_URL": sim.base_url,
            "COZE_VOICE": "on",
        }
    )


@pytest.fixture(scope="module")
def microphone_browser(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A second Chromium (of the session's Playwright) with a fake microphone that plays a
    recording, and audio that may play without a click (Listen's click reaches the page through
    a rerun)."""
    recording = speech_like_wav(tmp_path_factory.mktemp("mic") / "voice.wav")
    chromium = browser.browser_type.launch(
        executable_path=harness.chromium_path(),
        headless=True,
        args=[
            *harness.CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={recording}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def open_voice_app(
    open_app: Callable[..., AppPage], microphone_browser: Any
) -> Callable[[str], AppPage]:
    """Open a page at a URL in the microphone's browser (checked for the token like any)."""
    return lambda url: open_app(
        url, in_browser=microphone_browser, permissions=["microphone"], locale="en-US"
    )


@pytest.fixture
def voice_app(
    open_voice_app: Callable[[str], AppPage], voice_server: harness.StreamlitServer
) -> AppPage:
    return open_voice_app(voice_server.url)


def record(app: AppPage) -> None:
    """A second and a half of the fake microphone, sent."""
    app.page.locator('[data-testid="stChatInputMicButton"]').click()
    app.page.wait_for_timeout(1500)
    app.page.locator('[data-testid="stChatInputApproveButton"]').click()


def test_a_file_picked_in_the_box_reaches_the_bot_and_shows_in_the_bubble(
    app: AppPage, fast_sim: CozeSimulator, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(png_bytes())
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n3,4\n")
    uploaded = len(fast_sim.uploads)
    app.page.locator(f'{BOX} input[type="file"]').set_input_files([str(chart), str(notes)])
    # The box lists both files before anything is sent.
    expect(app.page.locator(BOX)).to_contain_text("chart.png")
    expect(app.page.locator(BOX)).to_contain_text("notes.csv")
    answer = app.ask("what did I send?", once_sendable=True)
    question = app.bubbles.nth(app.bubbles.count() - 2)
    expect(question).to_contain_text("what did I send?")
    expect(question).to_contain_text("chart.png")
    expect(question).to_contain_text("notes.csv")
    expect(question.locator("img")).to_have_count(1)  # the picture of the image
    width = question.locator("img").evaluate("img => img.naturalWidth")
    assert 0 < width <= 160  # the thumbnail, not the file
    expect(answer).to_contain_text("chart.png")
    assert [u.name for u in fast_sim.uploads[uploaded:]] == ["chart.png", "notes.csv"]
    assert [f.name for _, f in fast_sim.streams[-1].files] == ["chart.png", "notes.csv"]
    app.assert_healthy()
    # Kept in this browser: after a reload the question shows its picture and files again.
    app.page.reload()
    app.wait_idle()
    restored = app.page.locator(
        '[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarUser"])'
    ).filter(has_text="what did I send?")
    expect(restored).to_contain_text("notes.csv", timeout=15_000)
    expect(restored.locator("img")).to_have_count(1)


def test_a_voice_turn_is_heard_shown_sent_and_its_answer_read_aloud(
    voice_app: AppPage, sim: CozeSimulator
) -> None:
    page = voice_app.page
    before = voice_app.bubbles.count()
    record(voice_app)
    expect(voice_app.bubbles).to_have_count(before + 2, timeout=30_000)
    voice_app.wait_idle(60)
    question = voice_app.bubbles.nth(before)
    # A live page names no language to Coze: the simulator hears Chinese then.
    heard = TRANSCRIPTS["zh"]
    expect(question).to_contain_text(heard)
    transcriptions = [u for u in sim.uploads if "transcriptions" in u.path]
    assert transcriptions and transcriptions[-1].size > 16_000  # a real recording went
    assert sim.streams[-1].message == heard

    answer = voice_app.last_assistant()
    answer.get_by_role("button", name=EN.listen).click()
    audio = answer.locator("audio")
    expect(audio).to_have_count(1, timeout=30_000)
    voice_app.wait_idle(60)
    page.wait_for_function(
        "el => el.readyState >= 2 && el.duration > 0", arg=audio.element_handle(), timeout=20_000
    )
    audio.evaluate("el => el.play()")
    page.wait_for_function(
        "el => !el.paused && el.currentTime > 0", arg=audio.element_handle(), timeout=20_000
    )
    voice_app.assert_healthy()


def test_a_recording_coze_cannot_take_says_so_and_sends_nothing(
    open_voice_app: Callable[[str], AppPage],
    server_factory: Callable[[dict[str, str]], harness.StreamlitServer],
    sim: CozeSimulator,
) -> None:
    # A token the simulator does not know: Coze refuses the transcription (4100).
    refused = server_factory(
        {
            "COZE_PAT": CANARY[:-4] + "0000",
            "COZE_BOT_ID": BOT_ID,
            "COZE_API_BASE_URL": sim.base_url,
            "COZE_VOICE": "on",
        }
    )
    app = open_voice_app(refused.url)
    streams = len(sim.streams)
    record(app)
    alert = app.page.get_by_role("alert").filter(has_text=EN.transcription_failed)
    expect(alert).to_be_visible(timeout=30_000)
    app.wait_idle()
    expect(app.bubbles).to_have_count(0)
    assert len(sim.streams) == streams
    app.page.get_by_text(EN.details).first.click()
    expect(app.main).to_contain_text("4100")
    expect(app.main).to_contain_text("createTranscription")
    app.assert_healthy()
