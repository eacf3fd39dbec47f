"""Chat with a Coze bot: its answer streams in word by word, and every failure is shown.

Run with ``streamlit run streamlit_app.py``. Settings (``COZE_PAT``, ``COZE_BOT_ID``, optional
``COZE_API_BASE_URL``) come from Streamlit secrets or the environment; without them the page
explains the set-up and offers demo mode, which answers from the built-in Coze simulator.

The page reads top to bottom: settings, sidebar, the history, the box, the new answer. It only
maps things onto Streamlit elements: :mod:`coze_stream` talks to Coze,
:class:`coze_answer.AnswerStream` decides what to show of an answer, :mod:`answer_bubble` draws
it, :mod:`chat_controls` holds the sidebar and the buttons around answers, and
:mod:`page_settings` the settings, connections and the visitor.
"""

from __future__ import annotations

import streamlit as st

from chat_page.answer_bubble import (
    PAGE_STYLE,
    log_unexpected,
    render_turn,
    show_trouble,
    stream_answer,
)
from chat_page.controls import (
    PROMPT_KEY,
    answer_actions,
    download_buttons,
    follow_up_buttons,
    hold_back,
    setup_guide,
    sidebar,
)
from chat_page.fair_share import (
    DEFAULT_MAX_CHATS,
    DEFAULT_PER_MINUTE,
    Refusal,
    limits_from,
)
from chat_page.settings import (
    choose_demo,
    connect,
    fair_share,
    http_client,
    image_hosts,
    memory_budget,
    page_language,
    read_settings,
    visitor,
)
from coze_answer import (
    MAX_FORMULAS,
    Turn,
    clean_message,
    pick_context,
    plain_markdown,
    words,
)

# -- the page --


def main() -> None:
    said = words(page_language())
    st.set_page_config(page_title=said.page_title, page_icon=":material/forum:")
    st.html(f"<style>{PAGE_STYLE}</style>")  # long answers in pieces; people's words wrap
    history: list[Turn] = st.session_state.setdefault("history", [])
    settings = read_settings(said)
    demo_allowed = settings.get("COZE_DEMO", "").lower() not in ("off", "0", "no", "false")
    choose_demo(settings, history, demo_allowed=demo_allowed)
    chats = limits_from(settings, "COZE_MAX_CHATS", DEFAULT_MAX_CHATS)
    rate = limits_from(settings, "COZE_MESSAGES_PER_MINUTE", DEFAULT_PER_MINUTE)
    st.session_state.gate = fair_share(chats, rate)  # for the callbacks
    config, config_error = connect(settings)
    memory = memory_budget(settings)  # None: the owner turned memory off
    downloads = sidebar(config, history, said, demo_allowed=demo_allowed, memory=memory)

    st.title(said.title)
    if st.session_state.demo:
        st.caption(said.demo_caption)
    if config_error is not None:
        show_trouble(config_error, said)
    remembers = memory is not None and bool(st.session_state.get("memory", True))
    if config is None:
        setup_guide(said, demo_allowed=demo_allowed)
    else:
        st.caption(said.memory_on_caption if remembers else said.memory_off_caption)

    # Typing goes on while an answer streams: sending stops that answer and starts the next.
    # (submit_mode="stop" would disable the box.) The box has no max_chars: given one,
    # Streamlit silently drops a paste that would pass it.
    typed = st.chat_input(
        said.placeholder, key=PROMPT_KEY, on_submit=hold_back, disabled=config is None
    )
    asked = st.session_state.pop("asked", None)  # a suggestion, Retry or Regenerate clicked
    question = clean_message(asked or typed) if config is not None else ""

    for index, turn in enumerate(history):
        with st.chat_message(turn.role):
            actions = render_turn(turn, said)
            if turn.role == "assistant":
                last = index == len(history) - 1
                if config is not None:
                    answer_actions(actions, turn, said, config, last=last and not question)
                if last:
                    follow_up_buttons(turn, index, hidden=bool(question))

    held_back = st.session_state.pop("held_back", None)  # why the last message was not sent
    if held_back:
        st.warning(held_back, icon=":material/pause_circle:")

    if question and config is not None:
        remembered = []
        if remembers and memory is not None:
            remembered = pick_context(history, max_messages=memory[0], max_chars=memory[1])
        history.append(Turn("user", [question]))
        with st.chat_message("user"):
            st.markdown(plain_markdown(question))
        turn = Turn("assistant", question=question, remembered=len(remembered))
        history.append(turn)
        with st.chat_message("assistant"):
            ticket = st.session_state.gate.admit(visitor())
            if isinstance(ticket, Refusal):  # taken by others since the box was checked
                turn.refusal = ticket
                answer_actions(render_turn(turn, said), turn, said, config, last=True)
                download_buttons(downloads, history, said)
                return
            with ticket:
                hosts = image_hosts(settings, demo=bool(st.session_state.demo))
                client = http_client("demo" if st.session_state.demo else "live")
                formulas = limits_from(settings, "COZE_MAX_FORMULAS", MAX_FORMULAS)
                view = stream_answer(
                    config,
                    turn,
                    client,
                    said,
                    context=remembered,
                    image_hosts=hosts,
                    formulas=formulas,
                )
            answer_actions(view.actions_slot, turn, said, config, last=True)
            follow_up_buttons(turn, len(history) - 1)
    download_buttons(downloads, history, said)


def run_page() -> None:
    """The page, with any unforeseen failure shown as a short message (logged, token hidden)."""
    try:
        main()
    except Exception as error:  # Streamlit's stop and rerun signals are not Exceptions
        log_unexpected(error, None)
        show_trouble(error, words(page_language()))


# -- settings and connections --


if __name__ == "__main__":
    run_page()
