"""Chat with a Coze bot: its answer streams in word by word, and every failure is shown.

Run with ``streamlit run streamlit_app.py``. Settings (``COZE_PAT``, ``COZE_BOT_ID``, optional
``COZE_API_BASE_URL``) come from Streamlit secrets or the environment; without them the page
explains the set-up and offers demo mode, which answers from the built-in Coze simulator.

The page reads top to bottom: settings, sidebar, the history, the box, the new answer. It only
maps things onto Streamlit elements: :mod:`coze_stream` talks to Coze,
:class:`coze_answer.AnswerStream` decides what to show of an answer, and :mod:`answer_bubble`
draws it.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from datetime import tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from answer_bubble import (
    PAGE_STYLE,
    log_unexpected,
    render_turn,
    show_trouble,
    stream_answer,
)
from copy_button import copy_button
from coze_answer import (
    DEFAULT_IMAGE_HOSTS,
    LANGUAGES,
    MAX_FORMULAS,
    MAX_MESSAGE_CHARS,
    Language,
    Turn,
    Words,
    chat_json,
    chat_markdown,
    clean_message,
    context_budget,
    explain,
    language_of,
    local_time,
    pick_context,
    plain_markdown,
    words,
)
from coze_stream import (
    CozeConfig,
    CozeConfigError,
    CozeError,
    CozeHTTPClient,
    load_config,
    send_feedback,
)
from fair_share import (
    DEFAULT_MAX_CHATS,
    DEFAULT_PER_MINUTE,
    FairShare,
    Refusal,
    limits_from,
    refusal_sentence,
)

SETTING_NAMES = (
    "COZE_PAT",
    "COZE_BOT_ID",
    "COZE_API_BASE_URL",
    "COZE_READ_TIMEOUT",
    "COZE_DEMO",
    "COZE_CONTEXT",
    "COZE_MAX_CHATS",
    "COZE_MESSAGES_PER_MINUTE",
    "COZE_IMAGE_HOSTS",
    "COZE_MAX_FORMULAS",
)
PROMPT_KEY = "prompt"
# st.feedback's thumbs (1 up, 0 down) as Coze's feedback_type.
FEEDBACK: dict[int | None, Literal["like", "unlike"]] = {1: "like", 0: "unlike"}
logger = logging.getLogger("coze_chat")


# -- the page --


def main() -> None:
    said = words(page_language())
    st.set_page_config(page_title=said.page_title, page_icon=":material/forum:")
    st.html(f"<style>{PAGE_STYLE}</style>")  # long answers in pieces; people's words wrap
    history: list[Turn] = st.session_state.setdefault("history", [])
    settings = read_settings(said)
    demo_allowed = settings.get("COZE_DEMO", "").lower() not in ("off", "0", "no", "false")
    choose_demo(settings, demo_allowed=demo_allowed)
    chats = limits_from(settings, "COZE_MAX_CHATS", DEFAULT_MAX_CHATS)
    rate = limits_from(settings, "COZE_MESSAGES_PER_MINUTE", DEFAULT_PER_MINUTE)
    st.session_state.gate = fair_share(chats, rate)  # for the callbacks
    config, config_error = connect(settings)
    memory = memory_budget(settings)
    downloads = sidebar(config, history, said, demo_allowed=demo_allowed, memory=memory)
    if config is not None:
        send_rating(config, st.session_state.pop("rated", None))

    st.title(said.title)
    if st.session_state.demo:
        st.caption(said.demo_caption)
    if config_error is not None:
        show_trouble(config_error, said)
    if config is None:
        setup_guide(said, demo_allowed=demo_allowed)
    else:
        remembers = memory is not None and st.session_state.get("memory", True)
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
                answer_actions(actions, turn, said, last=last and not question)
                if last:
                    follow_up_buttons(turn, index, hidden=bool(question))

    held_back = st.session_state.pop("held_back", None)  # why the last message was not sent
    if held_back:
        st.warning(held_back, icon=":material/pause_circle:")

    if question and config is not None:
        remembered = []
        if memory is not None and st.session_state.get("memory", True):
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
                answer_actions(render_turn(turn, said), turn, said, last=True)
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
            answer_actions(view.actions_slot, turn, said, last=True)
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


def page_language() -> Language:
    """The visitor's language: their choice in the sidebar, else their browser's."""
    chosen = st.session_state.get("language")
    return chosen if chosen in LANGUAGES else language_of(st.context.locale)


def read_settings(said: Words, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The COZE_* settings: Streamlit secrets first, then the environment.

    A missing secrets file is normal (settings may come from the environment); an unreadable one
    is reported on the page, not raised.
    """
    environ = os.environ if environ is None else environ
    settings = {name: environ[name] for name in SETTING_NAMES if environ.get(name)}
    try:
        secrets = {name: str(st.secrets[name]) for name in SETTING_NAMES if name in st.secrets}
    except Exception as error:  # a malformed secrets.toml must not take the page down
        secrets = {}
        if secrets_unreadable(error):
            logger.warning("the secrets file could not be read: %s", type(error).__name__)
            st.warning(said.secrets_unreadable, icon=":material/warning:")
    return settings | {name: value.strip() for name, value in secrets.items() if value.strip()}


def secrets_unreadable(error: Exception) -> bool:
    """Whether Streamlit's error reading the secrets means a broken file, not "there are none"
    (normal: settings may come from the environment). Both come as the same class."""
    return getattr(error, "error_id", None) != "no-secrets-found"


def connect(settings: Mapping[str, str]) -> tuple[CozeConfig | None, CozeConfigError | None]:
    """The configuration to chat with (demo, live, or none yet) and what is wrong with it."""
    try:
        if st.session_state.demo:
            return demo_config(settings), None
        if settings.get("COZE_PAT") or settings.get("COZE_BOT_ID"):
            return load_config(settings), None
    except CozeConfigError as error:
        return None, error
    return None, None


def choose_demo(settings: Mapping[str, str], *, demo_allowed: bool) -> None:
    """Demo mode: on when COZE_DEMO says so or the link has ``?demo=1``; the link follows the
    switch, so a reload (or a shared link) keeps the demo."""
    if "demo" not in st.session_state or not demo_allowed:
        asked = settings.get("COZE_DEMO", "") in ("1", "true", "yes")
        st.session_state.demo = demo_allowed and (asked or st.query_params.get("demo") == "1")
    wanted = "1" if st.session_state.demo else None
    if st.query_params.get("demo") != wanted:
        if wanted:
            st.query_params["demo"] = wanted
        else:
            del st.query_params["demo"]


def memory_budget(settings: Mapping[str, str]) -> tuple[int, int] | None:
    """How much of the chat goes along with a message (messages, characters), from
    COZE_CONTEXT; None when the owner turned memory off. A malformed value keeps the default
    (and is logged for the owner)."""
    try:
        return context_budget(settings.get("COZE_CONTEXT"))
    except ValueError as error:
        logger.warning("%s; the default is used", error)
        return context_budget("on")


@st.cache_resource(show_spinner=False)
def http_client(kind: str) -> CozeHTTPClient:
    """One pooled HTTP client per process and kind ("live", "demo"): a second message reuses
    the connection, and demo chats never take a connection a live chat needs."""
    return CozeHTTPClient()


@st.cache_resource(show_spinner=False)
def fair_share(max_chats: int, per_minute: int) -> FairShare:
    """The process's one gate: chats at once, and messages a minute per visitor."""
    return FairShare(max_chats, per_minute)


def visitor() -> str:
    """This browser session's id for the fair share (a visitor is a session)."""
    return str(st.session_state.setdefault("visitor", uuid.uuid4().hex))


def visitor_zone() -> tzinfo | None:
    """The visitor's time zone, as their browser says (None: unknown, times show in UTC)."""
    try:
        return ZoneInfo(str(st.context.timezone))
    except Exception:  # no zone, or one this machine does not know
        return None


def image_hosts(settings: Mapping[str, str], *, demo: bool) -> tuple[str, ...]:
    """Hosts answers may show images from: COZE_IMAGE_HOSTS (comma separated) or Coze's own;
    in demo mode also the simulator on this machine."""
    configured = [h.strip() for h in settings.get("COZE_IMAGE_HOSTS", "").split(",") if h.strip()]
    hosts = tuple(configured) or DEFAULT_IMAGE_HOSTS
    return (*hosts, "127.0.0.1") if demo else hosts


@st.cache_resource(show_spinner=False)
def demo_base_url() -> str:
    """Start the built-in Coze simulator once per process; demo mode talks to it over HTTP."""
    from coze_stream.simulator import DEMO_BOT_ID, DEMO_PAT, CozeSimulator

    simulator = CozeSimulator(pat=DEMO_PAT, bot_id=DEMO_BOT_ID, deltas_per_second=40)
    simulator.start()
    return simulator.base_url


def demo_config(settings: Mapping[str, str]) -> CozeConfig:
    from coze_stream.simulator import DEMO_BOT_ID, DEMO_PAT

    env = {"COZE_PAT": DEMO_PAT, "COZE_BOT_ID": DEMO_BOT_ID, "COZE_API_BASE_URL": demo_base_url()}
    if settings.get("COZE_READ_TIMEOUT"):
        env["COZE_READ_TIMEOUT"] = settings["COZE_READ_TIMEOUT"]
    return load_config(env)


def sidebar(
    config: CozeConfig | None,
    history: list[Turn],
    said: Words,
    *,
    demo_allowed: bool,
    memory: tuple[int, int] | None,
) -> DeltaGenerator:
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
        if demo_allowed:  # COZE_DEMO=off hides it on a live deployment
            st.toggle(said.demo_toggle, key="demo", help=said.demo_help)
        if memory is not None:  # COZE_CONTEXT=off: the owner chose no memory
            st.session_state.setdefault("memory", True)
            st.toggle(said.memory_toggle, key="memory", help=said.memory_help_text(*memory))
        if st.button(said.new_chat, icon=":material/add_comment:", width="stretch"):
            history.clear()
            st.rerun()
        return st.empty()  # the downloads: filled once the run's answer is in the history


def download_buttons(slot: DeltaGenerator, history: list[Turn], said: Words) -> None:
    """Download the chat as Markdown or JSON; each file is made when its button is clicked."""
    if not history:
        slot.empty()
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


def setup_guide(said: Words, *, demo_allowed: bool) -> None:
    st.info(said.setup_guide, icon=":material/key:")
    if demo_allowed:
        st.button(said.try_demo, type="primary", icon=":material/science:", on_click=use_demo)


def use_demo() -> None:
    st.session_state.demo = True


def hold_back() -> None:
    """Put a message back in the box instead of sending it, with the reason, when it is over
    the length limit or the fair share would refuse it now: no text is lost."""
    typed = st.session_state.get(PROMPT_KEY)
    length = len(clean_message(typed)) if isinstance(typed, str) else 0
    refusal = st.session_state.gate.check(visitor()) if length else None
    if length > MAX_MESSAGE_CHARS:
        reason = words(page_language()).too_long_warning(length, MAX_MESSAGE_CHARS)
    elif refusal is not None:
        reason = refusal_sentence(refusal, chinese=page_language() == "zh")
    else:
        return
    st.session_state[PROMPT_KEY] = typed  # shown in the box again, not returned as sent
    st.session_state.held_back = reason


# -- the history --


def answer_actions(slot: DeltaGenerator, turn: Turn, said: Words, *, last: bool) -> None:
    """The row under an answer: copy its Markdown, 👍/👎 (sent to Coze), on the last answer
    Retry (it failed or was stopped) or Regenerate, and its time."""
    box = slot.container()
    with box.container(horizontal=True, vertical_alignment="center"):
        if turn.content.strip():
            copy_button(
                turn.content,
                key=f"copy-{turn.id}",
                label=said.copy,
                copied_label=said.copied,
                help=said.copy_help,
                failed_label=said.copy_failed,
            )
        if turn.conversation_id and turn.message_id and not turn.failed:
            key = f"feedback-{turn.id}"
            st.feedback("thumbs", key=key, on_change=rate, args=(turn, key))
        if last:
            retry = turn.failed or turn.stopped
            st.button(
                said.retry if retry else said.regenerate,
                key=f"redo-{turn.id}",
                icon=":material/refresh:",
                type="tertiary",
                on_click=redo,
                args=(turn,),
            )
        st.caption(local_time(turn.at, visitor_zone()).strftime("%H:%M"), width="content")
    if turn.feedback_problem is not None:
        box.warning(said.feedback_not_sent.format(reason=feedback_reason(turn, said)))


def feedback_reason(turn: Turn, said: Words) -> str:
    problem = turn.feedback_problem
    return explain(problem, said.code).headline if problem is not None else ""


def rate(turn: Turn, key: str) -> None:
    """A thumb was clicked: sent to Coze once the run knows the configuration."""
    st.session_state.rated = (turn, key, FEEDBACK.get(st.session_state.get(key)))


def send_rating(
    config: CozeConfig, rated: tuple[Turn, str, Literal["like", "unlike"] | None] | None
) -> None:
    """Send a rating to Coze's message feedback API; when it fails, the thumb goes back to what
    Coze has, and the answer says why."""
    if rated is None:
        return
    turn, key, feedback = rated
    client = http_client("demo" if st.session_state.demo else "live")
    try:
        send_feedback(config, turn.conversation_id, turn.message_id, feedback, client=client)
    except CozeError as error:
        turn.feedback_problem = error
        st.session_state[key] = {"like": 1, "unlike": 0}.get(turn.feedback or "")
        return
    turn.feedback, turn.feedback_problem = feedback, None


def redo(turn: Turn) -> None:
    """Retry or Regenerate: the answer (and its question) leave the chat, and the question is
    sent again, with the same memory as before."""
    refusal = st.session_state.gate.check(visitor())
    if refusal is not None:
        chinese = page_language() == "zh"
        st.session_state.held_back = refusal_sentence(refusal, chinese=chinese, in_box=False)
        return
    history: list[Turn] = st.session_state.history
    if turn in history:
        del history[max(0, history.index(turn) - 1) :]
    st.session_state.asked = turn.question


def follow_up_buttons(turn: Turn, index: int, *, hidden: bool = False) -> None:
    """Buttons for the suggested next questions, in one slot under the last answer.

    A click is kept in the session state, so it is sent even when it interrupts an answer (and
    the buttons are not drawn again). ``hidden`` empties the slot at once when a new question
    is on its way, instead of leaving stale buttons on the page until the run ends.
    """
    if hidden or not turn.follow_ups:
        st.empty()
        return
    with st.container():
        for number, question in enumerate(turn.follow_ups):
            st.button(
                plain_markdown(question),  # a label: the bot's words, never an image or link
                key=f"follow-up-{index}-{number}",
                icon=":material/reply:",
                on_click=ask,
                args=(question,),
            )


def ask(question: str) -> None:
    refusal = st.session_state.gate.check(visitor())
    if refusal is None:
        st.session_state.asked = question
    else:
        # A click on a suggestion: nothing was typed, so nothing goes back in the box.
        st.session_state.held_back = refusal_sentence(
            refusal, chinese=page_language() == "zh", in_box=False
        )


if __name__ == "__main__":
    run_page()
