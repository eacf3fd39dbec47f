"""The controls around the chat: the sidebar, the row under each answer, follow-up buttons and
what the box does with a message it should not send yet.

Callbacks note what was asked in the session state (a question to send, a message held back)
for the page's run; a rating is sent to Coze from its callback at once. :func:`introduction`
draws what stands under the title.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from coze_answer import (
    LANGUAGES,
    MAX_MESSAGE_CHARS,
    Turn,
    Words,
    chat_json,
    chat_markdown,
    clean_message,
    explain,
    local_time,
    plain_markdown,
    words,
)
from coze_stream import CozeConfig, CozeError, send_feedback, valid_text

from .answer_bubble import STOP_KEY, show_trouble
from .attachments import listen_button
from .copy_button import copy_button
from .fair_share import Refusal
from .settings import (
    PageSettings,
    chat_client,
    page_language,
    session_id,
    visitor,
    visitor_zone,
)

__all__ = [
    "PROMPT_KEY",
    "answer_actions",
    "box_placeholder",
    "download_buttons",
    "follow_up_buttons",
    "hold_back",
    "introduction",
    "sidebar",
    "thumbs_key",
]

PROMPT_KEY = "prompt"
# st.feedback's thumbs (1 up, 0 down) as Coze's feedback_type.
FEEDBACK: dict[int | None, Literal["like", "unlike"]] = {1: "like", 0: "unlike"}


def thumbs_key(turn: Turn) -> str:
    """The session state key of an answer's 👍/👎 (1 up, 0 down, None)."""
    return f"feedback-{turn.id}"


def sidebar(
    config: CozeConfig | None, history: list[Turn], said: Words, settings: PageSettings
) -> DeltaGenerator | None:
    """The sidebar; returns the slot for the downloads when the chat is empty so far (the run's
    answer fills it at the end), None when they are drawn already."""
    with st.sidebar:
        st.session_state.setdefault("language", page_language())
        st.radio(
            said.language,
            LANGUAGES,
            key="language",
            format_func=lambda code: words(code).language_name,
            horizontal=True,
        )
        st.header(said.connection)
        if config is not None:
            mode = said.mode_demo if st.session_state.demo else said.mode_live
            st.markdown(
                f"**{said.mode}:** {mode}  \n**{said.host}:** `{config.region_host}`  \n"
                f"**{said.bot}:** `{config.bot_id}`"
            )
        else:
            st.markdown(f"**{said.not_connected}**")
        if settings.demo_allowed:  # COZE_DEMO=off hides it on a live deployment
            # Demo mode is the session's own state, which the page changes too (Try demo mode,
            # a restored chat), and the switch's key names the mode it shows. A rerun the
            # browser sent before it saw a change carries the old switch's value, which is then
            # no widget's: a switch keyed "demo" would set the mode back to it.
            demo = bool(st.session_state.demo)
            st.toggle(
                said.demo_toggle,
                value=demo,
                key=f"demo-{'on' if demo else 'off'}",
                help=said.demo_help,
                on_change=_set_demo,
                args=(not demo,),
            )
        if settings.memory is not None:  # COZE_CONTEXT=off: the owner chose no memory
            st.session_state.setdefault("memory", True)
            help_text = said.memory_help_text(*settings.memory)
            st.toggle(said.memory_toggle, key="memory", help=help_text)
        if st.button(said.new_chat, icon=":material/add_comment:", width="stretch"):
            history.clear()
            st.rerun()
        downloads = st.empty()
        if not history:
            return downloads
        download_buttons(downloads, history, said)  # each file is made from the chat as it is
        return None


def download_buttons(slot: DeltaGenerator | None, history: list[Turn], said: Words) -> None:
    """Download the chat as Markdown or JSON; each file is made when its button is clicked.
    ``slot`` None: they are on the page already."""
    if slot is None or not history:
        return
    zone = visitor_zone()
    with slot.container():
        st.download_button(
            said.download_markdown,
            data=lambda: chat_markdown(list(history), said, zone),
            file_name="coze-chat.md",
            mime="text/markdown",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
        st.download_button(
            said.download_json,
            data=lambda: chat_json(list(history)),
            file_name="coze-chat.json",
            mime="application/json",
            on_click="ignore",
            icon=":material/data_object:",
            width="stretch",
        )


def introduction(
    said: Words,
    config: CozeConfig | None,
    config_error: BaseException | None,
    settings: PageSettings,
) -> None:
    """What stands under the title: demo mode, a setting that is wrong, the setup guide (with
    demo mode to try) when nothing is set, else whether the chat is remembered."""
    if st.session_state.demo:
        st.caption(said.demo_caption)
    if config_error is not None:
        show_trouble(config_error, said)
    if config is None:
        st.info(said.setup_guide, icon=":material/key:")
        if settings.demo_allowed:
            st.button(
                said.try_demo,
                type="primary",
                icon=":material/science:",
                on_click=_set_demo,
                args=(True,),
            )
    elif settings.memory is not None and st.session_state.get("memory", True):
        st.caption(said.memory_on_caption)
    else:
        st.caption(said.memory_off_caption)


def box_placeholder(said: Words, config: CozeConfig | None, settings: PageSettings) -> str:
    """What the chat box says before anything is typed: without a bot (the box is disabled),
    what to set, and demo mode where it is offered."""
    if config is not None:
        return said.placeholder
    return said.placeholder_unset_demo if settings.demo_allowed else said.placeholder_unset


def _set_demo(on: bool) -> None:
    st.session_state.demo = on


def hold_back() -> None:
    """Put a message back in the box instead of sending it, with the reason, when it is over
    the length limit or the fair share would refuse it now: no text is lost."""
    value = st.session_state.get(PROMPT_KEY)
    # With files or a recording, the box's value holds them beside its text.
    typed = value if isinstance(value, str) else getattr(value, "text", None)
    typed = typed if isinstance(typed, str) else ""
    length = len(clean_message(typed))
    more = bool(getattr(value, "files", None) or getattr(value, "audio", None))
    refusal = _refusal() if length or more else None
    if length > MAX_MESSAGE_CHARS:
        reason = words(page_language()).too_long_warning(length, MAX_MESSAGE_CHARS)
    elif refusal is not None:
        reason = words(page_language()).refusal(refusal.reason, refusal.retry_after, in_box=True)
    else:
        return
    if more:  # files and a recording cannot go back in the box: the note says so
        reason = f"{reason} {words(page_language()).files_not_kept}"
    # Shown in the box again, not returned as sent; as valid Unicode, which is all a box can
    # hold.
    st.session_state[PROMPT_KEY] = valid_text(typed)
    st.session_state.held_back = reason


# -- the history --


def answer_actions(
    slot: DeltaGenerator, turn: Turn, said: Words, config: CozeConfig, *, last: bool
) -> None:
    """The row under an answer: copy its Markdown, 👍/👎 (sent to Coze), on the last answer
    Retry (it was stopped, or failed in a way that trying again may mend) or Regenerate, and its
    time."""
    with slot.container(horizontal=True, vertical_alignment="center"):
        if turn.content.strip():
            copy_button(
                turn.content,
                key=f"copy-{turn.id}",
                label=said.copy,
                copied_label=said.copied,
                help=said.copy_help,
                failed_label=said.copy_failed,
            )
        if turn.conversation_id and turn.message_id and not (turn.failed or turn.stopped):
            _thumbs(turn, said, config)
        if st.session_state.get("voice") and turn.content.strip() and not turn.streaming:
            listen_button(turn, said)
        if last and (turn.stopped or not turn.failed or _retry_may_help(turn)):
            st.button(
                said.retry if turn.failed or turn.stopped else said.regenerate,
                key=f"redo-{turn.id}",
                icon=":material/refresh:",
                type="tertiary",
                on_click=_redo,
                args=(turn.id,),
            )
        else:
            # Holds the button's place: the time stays the row's same element when the answer
            # is no longer the last, instead of a new one drawn while the old one still shows.
            st.empty()
        st.caption(local_time(turn.at, visitor_zone()).strftime("%H:%M"), width="content")


def _retry_may_help(turn: Turn) -> bool:
    """A refusal passes; of failures, those Coze or the network may not repeat (not a missing
    setting, a blocked question or a message too long)."""
    return turn.error is None or explain(turn.error, "en").retry


def _thumbs(turn: Turn, said: Words, config: CozeConfig) -> None:
    """👍/👎, sent to Coze's feedback API as soon as clicked (in the click's callback).

    Not a fragment, though a click while another answer streams then ends that answer, like any
    other click: in Chromium under load, a thumb's fragment rerun followed by Regenerate's full
    run left the page's title drawn inside a chat bubble (Streamlit 1.67)."""
    key = thumbs_key(turn)
    st.feedback("thumbs", key=key, on_change=_rate, args=(turn, key, config))
    if turn.feedback_problem is not None:
        reason = explain(turn.feedback_problem, said.code).headline
        st.toast(said.feedback_not_sent.format(reason=reason), icon=":material/error:")
        turn.feedback_problem = None  # said once


def _rate(turn: Turn, key: str, config: CozeConfig) -> None:
    """Send a thumb to Coze; when Coze refuses, it goes back to what Coze has, and a toast says
    why (see :func:`_thumbs`). Each rating sent counts against the visitor's messages a minute:
    clicking thumbs cannot send Coze requests faster than messages; past the limit the thumb
    goes back and a note says when to try again."""
    feedback = FEEDBACK.get(st.session_state.get(key))
    if feedback == turn.feedback:
        return  # Coze has it already
    refusal = st.session_state.gate.spend(visitor())
    if refusal is not None:
        said = words(page_language())
        st.session_state.held_back = said.refusal(refusal.reason, refusal.retry_after, in_box=False)
        st.session_state[key] = {"like": 1, "unlike": 0}.get(turn.feedback or "")
        return
    client = chat_client(page_language())
    try:
        send_feedback(config, turn.conversation_id, turn.message_id, feedback, client=client)
    except CozeError as error:
        turn.feedback_problem = error
        st.session_state[key] = {"like": 1, "unlike": 0}.get(turn.feedback or "")
        return
    turn.feedback, turn.feedback_problem = feedback, None


def _last_answer(turn_id: str) -> Turn | None:
    """The chat's last turn when it is the answer ``turn_id``; None when a click's answer is no
    longer the last (it is being redone, or a new question came since): such a click does
    nothing (see :func:`_ask_again`)."""
    history: list[Turn] = st.session_state.history
    if history and history[-1].id == turn_id and not st.session_state.get("asked"):
        return history[-1]
    _ask_again()
    return None


def _ask_again() -> None:
    """A click that does nothing still ended the run going on (every click ends it): when that
    run was answering (a second click of a double click, on a button already gone), its
    question is asked again, as if the click had not been. The run may have ended before its
    answer began, with the question shown alone: it is asked again too."""
    history: list[Turn] = st.session_state.history
    if not history or st.session_state.get("asked"):
        return
    if st.session_state.get(STOP_KEY):  # the page's Stop came in the same moment: it stays
        return
    last = history[-1]
    if last.role == "user":
        del history[-1]
        _keep_typed()
        st.session_state.asked = last.content or " "  # a question of files alone: asked too
        st.session_state.asked_files = last.files
    elif last.id == st.session_state.get("interrupted"):
        _ask_in_place_of_last(history)


def _ask_in_place_of_last(history: list[Turn]) -> None:
    """The last answer and its question leave the chat, and the question is sent again."""
    question, files = history[-1].question, history[-1].files
    if len(history) > 1 and history[-2].role == "user":
        files = history[-2].files  # with their pictures (an answer keeps its files without)
    del history[len(history) - (2 if len(history) > 1 and history[-2].role == "user" else 1) :]
    _keep_typed()
    st.session_state.asked = question or " "  # a question of files alone: asked too
    st.session_state.asked_files = files


def _refusal() -> Refusal | None:
    return st.session_state.gate.check(
        visitor(), session_id(), demo=bool(st.session_state.get("demo"))
    )


def _redo(turn_id: str) -> None:
    """Retry or Regenerate: the answer (and its question) leave the chat, and the question is
    sent again, with the same memory as before. A second click (the answer is gone already)
    does nothing."""
    turn = _last_answer(turn_id)
    if turn is None:
        return
    refusal = _refusal()
    if refusal is not None:
        said = words(page_language())
        st.session_state.held_back = said.refusal(refusal.reason, refusal.retry_after, in_box=False)
        return
    _ask_in_place_of_last(st.session_state.history)


def follow_up_buttons(
    turn: Turn, *, hidden: bool = False, slot: DeltaGenerator | None = None
) -> None:
    """Buttons for the suggested next questions, in one slot under the last answer.

    A click is kept in the session state, so it is sent even when it interrupts an answer (and
    the buttons are not drawn again). ``hidden`` empties the slot at once when a new question
    is on its way, instead of leaving stale buttons on the page until the run ends. ``slot``:
    the bubble's place for them, else the next element of the bubble.
    """
    # A suggestion longer than a message may be is not offered: it could not be sent.
    offered = [q for q in turn.follow_ups if 0 < len(clean_message(q)) <= MAX_MESSAGE_CHARS]
    if hidden or not offered:
        (slot or st).empty()
        return
    with (slot or st).container():
        for number, question in enumerate(offered):
            st.button(
                plain_markdown(question),  # a label: the bot's words, never an image or link
                key=f"follow-up-{turn.id}-{number}",
                icon=":material/reply:",
                on_click=_ask,
                args=(question, turn.id),
            )


def _ask(question: str, turn_id: str) -> None:
    """A suggestion clicked: sent, unless its answer is no longer the last (a second click
    while it is redone, or a stale button): then nothing happens."""
    if _last_answer(turn_id) is None:
        return
    refusal = _refusal()
    if refusal is None:
        _keep_typed()
        st.session_state.asked = question
        st.session_state.pop("asked_files", None)  # a suggestion goes without files
    else:
        # A click on a suggestion: nothing was typed, so nothing goes back in the box.
        said = words(page_language())
        st.session_state.held_back = said.refusal(refusal.reason, refusal.retry_after, in_box=False)


def _keep_typed() -> None:
    """A click sends its question; a message sent in the same moment goes back in the box."""
    value = st.session_state.get(PROMPT_KEY)
    typed = value if isinstance(value, str) else getattr(value, "text", None)
    if isinstance(typed, str) and typed.strip():
        st.session_state[PROMPT_KEY] = typed
