"""Chat with a Coze bot: its answer streams in word by word, and every failure is shown.

Run with ``streamlit run streamlit_app.py``. Settings (``COZE_PAT``, ``COZE_BOT_ID``, optional
``COZE_API_BASE_URL``) come from Streamlit secrets or the environment; without them the page
explains the set-up and offers demo mode, which answers from the built-in Coze simulator.

This file is the page's outline, top to bottom: settings, sidebar, the box, the history, the
new answer. What each step draws lives in :mod:`chat_page`; :mod:`coze_stream` talks to Coze and
:class:`coze_answer.AnswerStream` decides what to show of an answer.
"""

from __future__ import annotations

import streamlit as st

from chat_page.answer_bubble import PAGE_STYLE, log_unexpected, show_trouble
from chat_page.attachments import (
    REFILL_KEY,
    box_options,
    read_box,
    show_box_notes,
    show_question,
    voice_on,
)
from chat_page.controls import (
    PROMPT_KEY,
    box_placeholder,
    download_buttons,
    hold_back,
    introduction,
    sidebar,
)
from chat_page.conversation import answer, remembered, show_history
from chat_page.keep import (
    answer_the_queued,
    keep_in_browser,
    park_until_browser_reports,
    take_from_browser,
)
from chat_page.settings import choose_demo, connect, fair_share, page_language, read_settings
from chat_page.well_formed import keep_typing_well_formed
from coze_answer import Turn, words


def main() -> None:
    said = words(page_language())
    # An emoji: Streamlit draws it on the page itself. A Material icon would be fetched from
    # Google's font host by every visitor's browser.
    st.set_page_config(page_title=said.page_title, page_icon="💬")
    st.html(f"<style>{PAGE_STYLE}</style>")  # long answers in pieces; people's words wrap
    history: list[Turn] = st.session_state.setdefault("history", [])
    # The answer the previous run left when a click interrupted it: only this run's callbacks
    # (which ran already) may ask it again.
    st.session_state.pop("interrupted", None)
    settings = read_settings(said)
    take_from_browser(history, settings, said)  # this tab's chat after a reload, a past chat
    choose_demo(settings, history)
    # For callbacks too, which run before the page: the gate, and who counts as the visitor.
    st.session_state.gate = fair_share(
        settings.max_chats,
        settings.per_minute,
        settings.max_demo_chats,
        settings.redis_url,
        settings.redis_timeout,
    )
    st.session_state.trusted_proxies = settings.trusted_proxies
    st.session_state.voice = voice_on(settings)  # the rows' Listen buttons
    config, config_error = connect(settings)
    downloads = sidebar(config, history, said, settings)
    with st.sidebar:  # not drawn: it makes the chat box's text valid Unicode in the browser
        keep_typing_well_formed()
        kept = st.empty()  # the list of past chats: filled at the end, when the chat is kept
    keep_in_browser(kept, history, said, settings, first=True)  # a new session's: at once

    st.title(said.title)
    introduction(said, config, config_error, settings)

    # Typing goes on while an answer streams: sending stops that answer and starts the next.
    # (submit_mode="stop" would disable the box.) The box has no max_chars: given one,
    # Streamlit silently drops a paste that would pass it.
    # Disabled without a bot to talk to, and then its placeholder says why.
    # Files and a recording too, when the owner allows them (COZE_ATTACHMENTS, COZE_VOICE).
    if (refill := st.session_state.pop(REFILL_KEY, None)) is not None:
        st.session_state[PROMPT_KEY] = refill  # a message that was not sent goes back
    typed = st.chat_input(
        box_placeholder(said, config, settings),
        key=PROMPT_KEY,
        on_submit=hold_back,
        disabled=config is None,
        **box_options(settings),
    )
    asked = st.session_state.pop("asked", None)  # a suggestion, Retry or Regenerate clicked
    message = read_box(typed, asked, settings) if config is not None else None
    # After a restart or failover, this session's chat is still in the browser: wait for it.
    question = park_until_browser_reports(message, settings)

    show_history(history, said, config, settings, asking=bool(question))
    if held_back := st.session_state.pop("held_back", None):  # why a message was not sent
        st.warning(held_back, icon=":material/pause_circle:")
    show_box_notes(message, said, settings)  # files left out; a failed upload or recording

    if question and config is not None:
        context = remembered(history, settings, said)
        asking = show_question(question, history, said, config)  # uploads the files first
        answer(asking, history, said, config, settings, context=context, downloads=downloads)
    else:
        download_buttons(downloads, history, said)
    keep_in_browser(kept, history, said, settings)
    answer_the_queued(answered=bool(question) and config is not None)  # one waited behind it


def run_page() -> None:
    """The page, with any unforeseen failure shown as a short message (logged, token hidden)."""
    try:
        main()
    except Exception as error:  # Streamlit's stop and rerun signals are not Exceptions
        log_unexpected(error, None)
        show_trouble(error, words(page_language()))


if __name__ == "__main__":
    run_page()
