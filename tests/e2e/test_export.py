"""A download while an answer streams: the file has the answer as far as it got, marked so."""

from __future__ import annotations

import pathlib

import pytest
from playwright.sync_api import expect
from support import AppPage

from coze_answer import words
from coze_stream.simulator import CozeSimulator

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SIDEBAR = '[data-testid="stSidebar"]'
DOWNLOAD = '[data-testid="stDownloadButton"] button'
STOP = ".st-key-stop-answer button"


def test_a_download_while_an_answer_streams_has_it_as_far_as_it_got(
    app: AppPage, sim: CozeSimulator, fast_sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.ask("first")  # the downloads stand in the sidebar once the chat has a message
    # A second between deltas at any rate; deltas of 40 characters bring the first line in the
    # first.
    monkeypatch.setattr(sim, "delta_chars", 40)
    app.send("/slow streaming")
    bubble = app.last_assistant()
    expect(bubble).to_contain_text("streaming」", timeout=30_000)  # its first line has come
    with app.page.expect_download() as markdown:
        app.page.locator(SIDEBAR).locator(DOWNLOAD, has_text="Download as Markdown").click()
    text = pathlib.Path(markdown.value.path()).read_text(encoding="utf-8")
    last = text.rsplit("**Bot** · ", 1)[1]
    assert "> ## 关于「streaming」" in last
    assert last.rstrip().endswith(f"*{words('en').export_unfinished}*")
    app.page.locator(STOP).click()
    app.wait_idle()
    app.assert_healthy()
