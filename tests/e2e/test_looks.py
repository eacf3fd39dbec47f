"""How the page looks in the browser: dark and light themes, and the line under a streaming answer.

The themes: the page follows the OS setting (``prefers-color-scheme``) and the app menu offers
Light, Dark and System; the brand colour of each theme (``.streamlit/config.toml``) is on the
primary button and reads well on that theme's background.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import harness
import pytest
from playwright.sync_api import expect
from support import AppPage

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

# The brand colour of each theme, as .streamlit/config.toml sets it.
BRAND = {"light": "#4D53E8", "dark": "#5F64EA"}
DEMO_BUTTON = re.compile("Try demo mode")
STILL_ANSWERING = "Still answering"


# -- colours --


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def css_rgb(hex_colour: str) -> str:
    """``#4D53E8`` as the browser reports a computed colour: ``rgb(77, 83, 232)``."""
    return "rgb({}, {}, {})".format(*rgb(hex_colour))


def parse_css_rgb(text: str) -> tuple[int, int, int]:
    numbers = re.findall(r"[\d.]+", text)
    assert len(numbers) == 3 or (len(numbers) == 4 and float(numbers[3]) == 1), text
    red, green, blue = (round(float(n)) for n in numbers[:3])
    return red, green, blue


def luminance(colour: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance."""
    channels = [c / 255 for c in colour]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def background(page: Any, selector: str) -> tuple[int, int, int]:
    value = page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")
    return parse_css_rgb(value)


# -- fixtures --


@pytest.fixture(scope="module")
def guide_server(server_factory) -> harness.StreamlitServer:
    """A page without configuration: the setup guide, its primary "Try demo mode" button."""
    return server_factory({})


@pytest.fixture
def open_in(open_app: Callable[..., AppPage]) -> Callable[[str, str], AppPage]:
    """Open the app at a URL in a fresh context whose OS colour scheme is "light" or "dark"."""
    return lambda url, scheme: open_app(url, color_scheme=scheme)


def assert_theme(app: AppPage, scheme: str, timeout: float = 5.0) -> None:
    """The page shows the ``scheme`` theme: a dark or light background, and the theme's brand
    colour on the primary button (both waited for: a theme change is a transition)."""
    page = app.page
    page.mouse.move(0, 0)  # a hovered button is drawn in another shade
    dark = scheme == "dark"
    deadline = time.monotonic() + timeout
    while True:
        shade = luminance(background(page, harness.APP_SELECTOR))
        if (shade < 0.05) if dark else (shade > 0.9):
            break
        assert time.monotonic() < deadline, (
            f"the page should be {scheme}: its background's luminance is {shade:.3f}"
        )
        time.sleep(0.1)
    button = page.get_by_role("button", name=DEMO_BUTTON)
    expect(button).to_have_css("background-color", css_rgb(BRAND[scheme]))


def open_theme_menu(app: AppPage) -> Any:
    app.page.get_by_test_id("stMainMenuButton").click()
    choices = app.page.get_by_role("menuitemradio")
    expect(choices).to_have_text(
        [re.compile(r"System$"), re.compile(r"Light$"), re.compile(r"Dark$")]
    )
    return choices


# -- dark and light --


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_page_follows_the_os_colour_scheme(open_in, guide_server, scheme: str) -> None:
    app = open_in(guide_server.url, scheme)
    assert_theme(app, scheme)
    # The menu offers the choice, with "System" (follow the OS) chosen.
    choices = open_theme_menu(app)
    expect(choices.filter(has_text="System")).to_have_attribute("aria-checked", "true")
    app.page.keyboard.press("Escape")
    # The OS setting changes while the page is open: the page follows it.
    other = "light" if scheme == "dark" else "dark"
    app.page.emulate_media(color_scheme=other)
    assert_theme(app, other)
    app.assert_healthy()


def test_choosing_dark_in_the_menu_turns_a_light_page_dark(open_in, guide_server) -> None:
    app = open_in(guide_server.url, "light")
    assert_theme(app, "light")
    choices = open_theme_menu(app)
    choices.filter(has_text="Dark").click()
    assert_theme(app, "dark")
    expect(choices.filter(has_text="Dark")).to_have_attribute("aria-checked", "true")  # menu open
    app.assert_healthy()


def test_the_dark_brand_colour_reads_well_on_the_dark_page(open_in, guide_server) -> None:
    """WCAG 2 contrast, measured on the page: the brand colour against the dark backgrounds it
    is drawn on (3:1, for controls), and the white label on a primary button (4.5:1, text)."""
    app = open_in(guide_server.url, "dark")
    assert_theme(app, "dark")
    page = app.page
    brand = rgb(BRAND["dark"])
    button = page.get_by_role("button", name=DEMO_BUTTON)
    label = parse_css_rgb(button.evaluate("e => getComputedStyle(e).color"))
    page_background = background(page, harness.APP_SELECTOR)
    sidebar = background(page, '[data-testid="stSidebar"]')
    print(
        f"\ndark brand {BRAND['dark']}: {contrast(brand, page_background):.2f}:1 on the page "
        f"{page_background}, {contrast(brand, sidebar):.2f}:1 on the sidebar {sidebar}, "
        f"label {label} {contrast(label, brand):.2f}:1 on it; light brand {BRAND['light']} "
        f"would be {contrast(rgb(BRAND['light']), page_background):.2f}:1 and "
        f"{contrast(rgb(BRAND['light']), sidebar):.2f}:1"
    )
    assert contrast(brand, page_background) >= 3.0
    assert contrast(brand, sidebar) >= 3.0
    assert contrast(label, brand) >= 4.5


# -- the line under a streaming answer --

# In the page: window.__statusLog, one entry [epochMillis, stillAnswering, answerChars] each time
# the last assistant bubble's "Still answering" line or the length of its answer text changes.
_STATUS_LOG_JS = r"""
(() => {
  window.__statusLog = [];
  const check = () => {
    const bubbles = document.querySelectorAll(
      '[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarAssistant"])');
    const bubble = bubbles[bubbles.length - 1];
    if (!bubble) return;
    const captions = [...bubble.querySelectorAll('[data-testid="stCaptionContainer"]')];
    const still = captions.some(c => c.innerText.includes("Still answering"));
    const chars = [...bubble.querySelectorAll('[data-testid="stMarkdownContainer"]')]
      .filter(m => !m.closest('[data-testid="stCaptionContainer"]'))
      .reduce((n, m) => n + m.innerText.length, 0);
    const last = window.__statusLog[window.__statusLog.length - 1];
    if (!last || last[1] !== still || last[2] !== chars)
      window.__statusLog.push([Date.now(), still, chars]);
  };
  new MutationObserver(check).observe(document.body, {
    childList: true, subtree: true, characterData: true,
  });
  const frame = () => { check(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
})();
"""


def test_still_answering_goes_when_the_text_resumes(open_in, guide_server) -> None:
    """The report: in demo mode, ``/stall 4 /long 300`` (silence for 4 s after the first three
    deltas, then a long answer) left "Still answering… 4 s" under the answer after the text
    resumed. The line must go with the first text after the stall (``/long 100`` here: the
    text goes on for seconds after it, at demo mode's pace). The stall is 6 s here: the line
    shows after 2 s of silence, and a busy machine can hold the page's updates for seconds."""
    app = open_in(guide_server.url, "light")
    app.page.get_by_role("button", name=DEMO_BUTTON).click()
    expect(app.page.locator('[data-testid="stChatInputTextArea"]')).to_be_enabled()
    app.wait_idle()
    app.page.evaluate(_STATUS_LOG_JS)
    sent = time.time()
    bubble = app.ask("/stall 6 /long 100")
    expect(bubble).to_contain_text("tokens")  # the answer finished
    log = [
        (at / 1000 - sent, still, chars)
        for at, still, chars in app.page.evaluate("window.__statusLog")
    ]
    shown = [index for index, (_, still, _) in enumerate(log) if still]
    assert shown, f"the stall should show {STILL_ANSWERING!r}: {log[:20]}"
    stalled_at, _, stalled_chars = log[shown[0]]
    resumed_at = next(at for at, _, chars in log[shown[0] :] if chars > stalled_chars)
    gone_at = next((at for at, still, _ in log[shown[-1] :] if not still), None)
    print(
        f"\nafter sending: {STILL_ANSWERING!r} shown at {stalled_at:.2f} s "
        f"({stalled_chars} characters), text resumed at {resumed_at:.2f} s, "
        f"the line gone at {gone_at if gone_at is None else round(gone_at, 2)} s, "
        f"answer over at {log[-1][0]:.2f} s"
    )
    assert gone_at is not None, "the line is still there after the answer"
    # The line goes in the frame of the first text after the stall, before that text (the
    # browser may draw each element's update on its own), so it is never seen beside text that
    # came after the pause: judged by the order of what the page showed, not by the machine's
    # speed.
    grown_while_still = sorted(
        {chars for _, still, chars in log[shown[0] :] if still and chars > stalled_chars}
    )
    assert not grown_while_still, (
        f"{STILL_ANSWERING!r} stayed while the text grew to {grown_while_still}"
    )
    expect(bubble).not_to_contain_text(STILL_ANSWERING)
    app.assert_healthy()
