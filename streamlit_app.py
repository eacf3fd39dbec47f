"""Chat with a Coze bot: its answer streams in word by word, and every failure is shown.

Run with ``streamlit run streamlit_app.py``. Settings (``COZE_PAT``, ``COZE_BOT_ID``, optional
``COZE_API_BASE_URL``) come from Streamlit secrets or the environment; without them the page
explains the set-up and offers demo mode, which answers from the built-in Coze simulator.

The page only maps things onto Streamlit elements: :mod:`coze_stream` talks to Coze, and
:class:`coze_answer.AnswerStream` decides what to show of an answer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import httpx
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

# The one Streamlit internal used: see show_after_interruption. requirements.txt pins the
# Streamlit version the test suite passed with, and a browser test fails if this stops working.
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from coze_answer import (
    MAX_MESSAGE_CHARS,
    STOPPED_CAPTION,
    AnswerStream,
    AppendReasoning,
    AppendText,
    Change,
    EndBlock,
    EndReasoningBlock,
    Replace,
    Status,
    StatusKind,
    ThinkingDone,
    Turn,
    clean_message,
    status_caption,
    thought_label,
    too_long_warning,
)
from coze_stream import BackgroundChat, CozeConfig, CozeConfigError, CozeError, load_config, redact

logger = logging.getLogger("coze_chat")

SETTING_NAMES = ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_READ_TIMEOUT", "COZE_DEMO")
PROMPT_KEY = "prompt"
# How often the page checks in with Streamlit while Coze is silent: a Stop takes effect at the
# next check, so this bounds how long Stop can take.
HEARTBEAT_SECONDS = 0.2


# -- the page --


def main() -> None:
    st.set_page_config(page_title="Coze chat", page_icon=":material/forum:")
    history: list[Turn] = st.session_state.setdefault("history", [])
    settings = read_settings()
    if "demo" not in st.session_state:
        st.session_state.demo = settings.get("COZE_DEMO", "") in ("1", "true", "yes")
    config, config_error = connect(settings)
    sidebar(config, history)

    st.title("Chat with your Coze bot")
    if st.session_state.demo:
        st.caption(
            ":orange-badge[:material/science: Demo mode] Answers come from the built-in "
            "simulator, not a real bot. Send `/help` to see what it can do."
        )
    if config_error:
        st.error(config_error, icon=":material/settings:")
    if config is None:
        setup_guide()
    else:
        st.caption("Each message starts a new conversation: the bot does not see earlier ones.")

    # The box has no max_chars: given one, Streamlit silently drops a paste that would pass it.
    typed = st.chat_input(
        "Message the bot",
        key=PROMPT_KEY,
        submit_mode="stop",
        on_submit=hold_if_too_long,
        disabled=config is None,
    )
    asked = st.session_state.pop("asked", None)  # a suggested question that was clicked
    prompt = clean_message(asked or typed) if config is not None else ""

    for index, turn in enumerate(history):
        with st.chat_message(turn.role):
            render_turn(turn)
            if index == len(history) - 1 and turn.role == "assistant":
                follow_up_buttons(turn, index, hidden=bool(prompt))

    too_long = st.session_state.pop("too_long", None)
    if too_long:
        st.warning(too_long_warning(too_long), icon=":material/short_text:")

    if prompt and config is not None:
        history.append(Turn("user", [prompt]))
        with st.chat_message("user"):
            st.markdown(prompt)
        turn = Turn("assistant")
        history.append(turn)
        with st.chat_message("assistant"):
            stream_answer(config, prompt, turn, http_client())
            follow_up_buttons(turn, len(history) - 1)


def run_page() -> None:
    """The page, with any unforeseen failure shown as a short message (logged, token hidden)."""
    try:
        main()
    except Exception as error:  # Streamlit's stop and rerun signals are not Exceptions
        st.error(unexpected_error(error, None), icon=":material/error:")


# -- settings and connections --


def read_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The COZE_* settings: Streamlit secrets first, then the environment.

    A missing secrets file is normal (settings may come from the environment); an unreadable one
    is reported on the page, not raised.
    """
    environ = os.environ if environ is None else environ
    settings = {name: environ[name] for name in SETTING_NAMES if environ.get(name)}
    try:
        secrets = {name: str(st.secrets[name]) for name in SETTING_NAMES if name in st.secrets}
    except FileNotFoundError:
        secrets = {}
    except Exception as error:  # a malformed secrets.toml must not take the page down
        st.warning(f"`.streamlit/secrets.toml` could not be read ({type(error).__name__}).")
        secrets = {}
    return settings | {name: value.strip() for name, value in secrets.items() if value.strip()}


def connect(settings: Mapping[str, str]) -> tuple[CozeConfig | None, str]:
    """The configuration to chat with (demo, live, or none yet) and a config error's sentence."""
    try:
        if st.session_state.demo:
            return demo_config(settings), ""
        if settings.get("COZE_PAT") or settings.get("COZE_BOT_ID"):
            return load_config(settings), ""
    except CozeConfigError as error:
        return None, str(error)
    return None, ""


@st.cache_resource(show_spinner=False)
def http_client() -> httpx.Client:
    """One pooled HTTP client per process: a second message reuses the connection."""
    return httpx.Client()


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


def sidebar(config: CozeConfig | None, history: list[Turn]) -> None:
    with st.sidebar:
        st.header("Connection")
        if config is not None:
            mode = "Demo (built-in simulator)" if st.session_state.demo else "Live"
            st.markdown(
                f"**Mode:** {mode}  \n**Host:** `{config.region_host}`  \n"
                f"**Bot:** `{config.bot_id}`"
            )
        else:
            st.markdown("**Not connected**")
        st.toggle("Demo mode", key="demo", help="Answer from the built-in Coze simulator.")
        if st.button("New chat", icon=":material/add_comment:", width="stretch"):
            history.clear()
            st.rerun()


def setup_guide() -> None:
    st.info(
        "**Connect your Coze bot.** Set `COZE_PAT` (a personal access token with the chat "
        "permission) and `COZE_BOT_ID` (the digits after `/bot/` in the bot's address). Tokens "
        'from coze.com also need `COZE_API_BASE_URL = "https://api.coze.com"`.\n\n'
        "- **Locally**: copy `.streamlit/secrets.toml.example` to `.streamlit/secrets.toml` and "
        "fill it in, or export the variables before `streamlit run streamlit_app.py`.\n"
        "- **On Streamlit Community Cloud**: paste the same lines into the app's *Settings → "
        "Secrets* box.\n\n"
        "Or try the page right now with the built-in simulator:",
        icon=":material/key:",
    )
    st.button("Try demo mode", type="primary", icon=":material/science:", on_click=use_demo)


def use_demo() -> None:
    st.session_state.demo = True


def hold_if_too_long() -> None:
    """Put a message over the limit back in the box instead of sending it, so no text is lost."""
    typed = st.session_state.get(PROMPT_KEY)
    length = len(clean_message(typed)) if isinstance(typed, str) else 0
    if length > MAX_MESSAGE_CHARS:
        st.session_state[PROMPT_KEY] = typed  # shown in the box again, not returned as sent
        st.session_state.too_long = length


# -- one answer --


class AnswerView:
    """The parts of the assistant bubble that change while an answer streams."""

    def __init__(self) -> None:
        self.thinking_slot = st.empty()
        self.answer_slot = st.empty()
        self.status_slot = st.empty()
        # st.status's container: its class lives in a private Streamlit module.
        self._thinking: Any = None
        self._reasoning_block: DeltaGenerator | None = None
        self._reasoning_text = ""

    def show(self, changes: Iterable[Change]) -> Iterator[str | Callable[[], None]]:
        """Apply ``changes``; what belongs to the answer text is yielded to ``st.write_stream``
        (a callable there starts a new element: the finished block is no longer re-sent)."""
        for change in changes:
            match change:
                case AppendText(text):
                    yield text
                case EndBlock():
                    yield _close_block
                case Replace(text):
                    yield self._replace(text)
                case AppendReasoning(text):
                    self.reasoning(text)
                case EndReasoningBlock():
                    self._reasoning_block = None
                case ThinkingDone(seconds):
                    if self._thinking is not None:
                        self._thinking.update(
                            label=thought_label(seconds), state="complete", expanded=False
                        )
                case Status(kind, seconds):
                    self.status(kind, seconds)

    def status(self, kind: StatusKind | None, seconds: float) -> None:
        # Also the heartbeat: every Streamlit call is where a Stop or rerun takes effect.
        if kind is None:
            self.status_slot.empty()
        else:
            self.status_slot.caption(status_caption(kind, seconds))

    def reasoning(self, text: str) -> None:
        """Add ``text`` to the open block of the collapsed "Thinking" status."""
        if self._thinking is None:
            self._thinking = self.thinking_slot.status(
                ":shimmer[Thinking…]", type="compact", expanded=False
            )
        if self._reasoning_block is None:
            self._reasoning_block = self._thinking.empty()
            self._reasoning_text = ""
        self._reasoning_text += text
        self._reasoning_block.markdown(self._reasoning_text)

    def _replace(self, text: str) -> Callable[[], None]:
        def replace() -> None:
            with self.answer_slot.container():
                st.markdown(text)

        return replace


def _close_block() -> None:
    """Yielded to ``st.write_stream`` between blocks: the finished block stops being re-sent."""


def answer_pieces(
    chat: BackgroundChat, answer: AnswerStream, view: AnswerView
) -> Iterator[str | Callable[[], None]]:
    """What ``st.write_stream`` shows of ``chat``'s answer, as ``answer`` decides it."""
    while not answer.done:
        try:
            events = chat.take(answer.next_wait(HEARTBEAT_SECONDS))
        except CozeError:
            yield from view.show(answer.fail())  # everything that came before the failure
            raise
        yield from view.show(answer.update(events, ended=chat.finished))
    yield from view.show(answer.finish())


def new_answer() -> AnswerStream:
    """The model that decides what to show of one answer (bench/baseline_app.py swaps it)."""
    return AnswerStream()


def stream_answer(config: CozeConfig, prompt: str, turn: Turn, client: httpx.Client) -> None:
    """Stream the answer to ``prompt`` into the current bubble, keeping ``turn`` up to date.

    If the run is interrupted (Stop, or a new message), the stream is closed, Coze is asked to
    cancel the chat, and the turn keeps what was shown, marked stopped.
    """
    view = AnswerView()
    answer = new_answer()
    chat = BackgroundChat(config, prompt, client=client)
    finished = False
    try:
        with view.answer_slot.container():
            st.write_stream(answer_pieces(chat, answer, view))
        finished = True
    except CozeError as error:
        finished = True
        turn.error = str(error)
    except Exception as error:
        finished = True
        turn.error = unexpected_error(error, config)
    finally:
        turn.keep(answer)
        if not finished:  # interrupted: Stop was pressed, or a new message arrived
            turn.stopped = True
            chat.stop()
            show_after_interruption(lambda: show_status(view.status_slot, turn))
    show_status(view.status_slot, turn)


def show_after_interruption(update: Callable[[], None]) -> None:
    """Make one last change to the page after Streamlit interrupted the run.

    Once a run is stopped, every Streamlit call on the script's thread raises again, so the
    change is sent from a short-lived thread attached to the run's context instead (Streamlit
    has no public API for this). Without it, the "stopped" mark would only appear on the next
    run; if Streamlit refuses, it still does.
    """

    def run() -> None:
        with contextlib.suppress(BaseException):
            update()

    thread = threading.Thread(target=run, name="show-stopped", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())
    thread.start()
    thread.join(timeout=1.0)


def unexpected_error(error: BaseException, config: CozeConfig | None) -> str:
    """Log an unforeseen failure (token hidden) and return a short message for the page."""
    secrets = [config.pat] if config is not None else []
    secrets += [value.strip() for name, value in os.environ.items() if name == "COZE_PAT"]
    with contextlib.suppress(Exception):  # the secrets file may be what failed
        secrets.append(str(st.secrets["COZE_PAT"]).strip())
    logger.error("unexpected error: %s", redact(traceback.format_exc(), *secrets))
    return (
        f"Something went wrong in this app ({type(error).__name__}). The details were logged; "
        "please try again."
    )


# -- the history --


def render_turn(turn: Turn) -> None:
    """Show a turn from the history, as it was when it ended.

    An assistant turn uses the same slots as :class:`AnswerView`, element for element.
    """
    if turn.role == "user":
        st.markdown(turn.content)
        return
    thinking, answer, status = st.empty(), st.empty(), st.empty()
    if turn.reasoning:
        label = thought_label(turn.thought_seconds) if turn.thought_seconds else "Thinking"
        with thinking.expander(label, type="compact"):
            st.markdown(turn.reasoning)
    with answer.container():
        for block in turn.blocks:
            if block:  # a trailing empty block was never shown
                st.markdown(block)
    show_status(status, turn)


def show_status(slot: DeltaGenerator, turn: Turn) -> None:
    """The line under an answer: its error, the stopped mark, a notice, or the usage caption."""
    if turn.error:
        slot.error(turn.error, icon=":material/error:")
    elif turn.stopped:
        slot.caption(STOPPED_CAPTION)
    elif turn.notice:
        slot.warning(turn.notice, icon=":material/info:")
    elif turn.caption:
        slot.caption(turn.caption)
    else:
        slot.empty()


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
                question,
                key=f"follow-up-{index}-{number}",
                icon=":material/reply:",
                on_click=ask,
                args=(question,),
            )


def ask(question: str) -> None:
    st.session_state.asked = question


if __name__ == "__main__":
    run_page()
