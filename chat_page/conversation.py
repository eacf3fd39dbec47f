"""The chat on the page: the history drawn again on every run, and a new question answered.

Both draw into Streamlit's chat bubbles: :mod:`chat_page.answer_bubble` fills an assistant's
bubble, :mod:`chat_page.controls` the row under it and the suggested follow-ups.
"""

from __future__ import annotations

import streamlit as st

from coze_answer import Turn, Words, pick_context, plain_markdown
from coze_stream import ContextMessage, CozeConfig

from .answer_bubble import render_turn, stream_answer
from .controls import answer_actions, follow_up_buttons
from .fair_share import Refusal
from .settings import PageSettings, http_client, session_id, visitor

__all__ = ["answer", "remembered", "show_history", "show_question"]


def show_history(
    history: list[Turn], said: Words, config: CozeConfig | None, *, asking: bool
) -> None:
    """Every turn so far; the last answer's row and follow-ups wait when ``asking`` (a new
    question is on its way, so they would be stale at once)."""
    for index, turn in enumerate(history):
        with st.chat_message(turn.role):
            actions = render_turn(turn, said)
            if turn.role == "assistant":
                last = index == len(history) - 1
                if config is not None:
                    answer_actions(actions, turn, said, config, last=last and not asking)
                if last:
                    follow_up_buttons(turn, index, hidden=asking)


def remembered(history: list[Turn], settings: PageSettings) -> list[ContextMessage]:
    """The earlier turns that go along with the next message: none when the owner turned
    memory off (COZE_CONTEXT) or the visitor did (the sidebar's switch)."""
    if settings.memory is None or not st.session_state.get("memory", True):
        return []
    messages, chars = settings.memory
    return pick_context(history, max_messages=messages, max_chars=chars)


def show_question(question: str, history: list[Turn]) -> None:
    """The visitor's words, as typed, into the chat."""
    history.append(Turn("user", [question]))
    with st.chat_message("user"):
        st.markdown(plain_markdown(question))


def answer(
    question: str,
    history: list[Turn],
    said: Words,
    config: CozeConfig,
    settings: PageSettings,
    *,
    context: list[ContextMessage],
) -> None:
    """Stream the bot's answer to ``question`` into a new assistant bubble, when the fair share
    admits it now; otherwise the bubble says why not."""
    turn = Turn("assistant", question=question, remembered=len(context))
    history.append(turn)
    with st.chat_message("assistant"):
        ticket = st.session_state.gate.admit(visitor(), session_id())
        if isinstance(ticket, Refusal):  # taken by others since the box was checked
            turn.refusal = ticket
            answer_actions(render_turn(turn, said), turn, said, config, last=True)
            return
        demo = bool(st.session_state.demo)
        with ticket:
            view = stream_answer(
                config,
                turn,
                http_client("demo" if demo else "live"),
                said,
                context=context,
                image_hosts=settings.image_hosts(demo=demo),
                formulas=settings.max_formulas,
                keep_alive=ticket.renew,
            )
        answer_actions(view.actions_slot, turn, said, config, last=True)
        follow_up_buttons(turn, len(history) - 1)
