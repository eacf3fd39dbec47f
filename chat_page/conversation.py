"""The chat on the page: the history drawn again on every run, and a new question answered.

Both draw into Streamlit's chat bubbles: :mod:`chat_page.answer_bubble` fills an assistant's
bubble, :mod:`chat_page.controls` the row under it and the suggested follow-ups.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from coze_answer import Turn, Words, pick_context
from coze_stream import ContextMessage, CozeConfig

from .answer_bubble import AnswerView, render_turn, stream_answer
from .attachments import read_aloud, voice_on
from .controls import answer_actions, download_buttons, follow_up_buttons
from .fair_share import Refusal
from .settings import PageSettings, chat_client, session_id, visitor

__all__ = ["FOLD_STEP", "SHOWN_TURNS", "answer", "remembered", "show_history"]

# The newest turns drawn (at least SHOWN_TURNS, fewer than SHOWN_TURNS + FOLD_STEP); earlier
# ones wait behind "Earlier messages". Every run re-sends a small delta for every element on the
# page and the browser lays them all out before the new answer's first words: drawing a bounded
# number keeps a message's cost the same at any length of chat. The fold moves in steps, so
# between steps every turn stays at its place and is not drawn again; a step redraws them all
# once (docs/performance.md has the figures).
SHOWN_TURNS = 8
FOLD_STEP = 8


def show_history(
    history: list[Turn],
    said: Words,
    config: CozeConfig | None,
    settings: PageSettings,
    *,
    asking: bool,
) -> None:
    """Every turn so far; the last answer's row and follow-ups wait when ``asking`` (a new
    question is on its way, so they would be stale at once)."""
    folded = max(0, len(history) - SHOWN_TURNS) // FOLD_STEP * FOLD_STEP
    first = 0 if st.session_state.get("show_earlier") else folded
    if first:
        st.button(
            said.earlier_messages.format(count=first),
            key="earlier-messages",
            icon=":material/expand_less:",
            type="tertiary",
            on_click=_show_earlier,
        )
    elif not history:
        st.session_state.pop("show_earlier", None)  # a new chat starts folded again
    for index, turn in enumerate(history[first:], start=first):
        with st.chat_message(turn.role):
            actions = render_turn(turn, said)
            if turn.role == "assistant":
                last = index == len(history) - 1
                if config is not None:
                    answer_actions(actions, turn, said, config, last=last and not asking)
                    if voice_on(settings):
                        read_aloud(turn, said, config, settings)
                if last:
                    follow_up_buttons(turn, hidden=asking)


def _show_earlier() -> None:
    st.session_state.show_earlier = True


def remembered(history: list[Turn], settings: PageSettings, said: Words) -> list[ContextMessage]:
    """The earlier turns that go along with the next message: none when the owner turned
    memory off (COZE_CONTEXT) or the visitor did (the sidebar's switch)."""
    if settings.memory is None or not st.session_state.get("memory", True):
        return []
    messages, chars = settings.memory
    return pick_context(
        history, max_messages=messages, max_chars=chars, files_only_text=said.files_only_question
    )


def answer(
    question: Turn,
    history: list[Turn],
    said: Words,
    config: CozeConfig,
    settings: PageSettings,
    *,
    context: list[ContextMessage],
    downloads: DeltaGenerator | None,
) -> None:
    """Stream the bot's answer to ``question`` (the person's turn) into a new assistant bubble,
    when the fair share admits it now; otherwise the bubble says why not. ``downloads``: their
    slot, when they are not on the page yet (see :func:`chat_page.controls.sidebar`)."""
    turn = Turn(
        "assistant", question=question.content, files=question.files, remembered=len(context)
    )
    history.append(turn)
    with st.chat_message("assistant"):
        demo = bool(st.session_state.demo)
        ticket = st.session_state.gate.admit(visitor(), session_id(), demo=demo)
        if isinstance(ticket, Refusal):  # taken by others since the box was checked
            turn.refusal = ticket
            answer_actions(render_turn(turn, said), turn, said, config, last=True)
            download_buttons(downloads, history, said)
            return

        def finish(view: AnswerView) -> None:
            answer_actions(view.actions_slot, turn, said, config, last=True)
            follow_up_buttons(turn, slot=view.follow_ups_slot)
            download_buttons(downloads, history, said)

        with ticket:
            stream_answer(
                config,
                turn,
                chat_client(said.code),
                said,
                context=context,
                image_hosts=settings.image_hosts(demo=demo),
                formulas=settings.max_formulas,
                finish=finish,
                keep_alive=ticket.renew,
            )
