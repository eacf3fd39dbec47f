"""Chat with a Coze bot: its answer streams in word by word, and every failure is shown.

Run with ``streamlit run streamlit_app.py``. Settings (``COZE_PAT``, ``COZE_BOT_ID``, optional
``COZE_API_BASE_URL``) come from Streamlit secrets or the environment; without them the page
explains the set-up and offers demo mode, which answers from the built-in Coze simulator.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import httpx
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.mutable_status_container import StatusContainer
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from coze_stream import (
    BLOCK_END,
    AnswerCompleted,
    AnswerDelta,
    BackgroundChat,
    BlockSplitter,
    ChatCompleted,
    CozeConfig,
    CozeConfigError,
    CozeError,
    FollowUp,
    ReasoningDelta,
    Usage,
    load_config,
    needs_whole_render,
    redact,
)

logger = logging.getLogger("coze_chat")

SETTING_NAMES = ("COZE_PAT", "COZE_BOT_ID", "COZE_API_BASE_URL", "COZE_READ_TIMEOUT", "COZE_DEMO")
# Longer messages are put back in the box with a note instead of being sent. The box itself has
# no limit: given one, Streamlit silently drops a paste that would pass it. Coze refuses what its
# model cannot take (code 4010), and that is shown.
MAX_MESSAGE_CHARS = 16000
PROMPT_KEY = "prompt"
# How often the page checks in with Streamlit while Coze is silent: a Stop takes effect at the
# next check, so this bounds how long Stop can take.
HEARTBEAT_SECONDS = 0.2
STOPPED_CAPTION = ":material/stop_circle: Stopped before the answer was complete."
NO_TEXT_NOTICE = (
    "The bot finished without any text this page can show: it may have answered with a card, "
    "an image or another kind of message that only Coze's own apps display."
)
# Text arriving within one frame of the last update is sent together: fewer, larger updates for
# the browser, and no piece of text waits longer than this.
FRAME_SECONDS = 0.04


# -- settings --


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


def is_configured(settings: Mapping[str, str]) -> bool:
    return bool(settings.get("COZE_PAT") or settings.get("COZE_BOT_ID"))


# -- one answer --


@dataclass
class Turn:
    """One message in the history. Assistant turns keep whatever was shown, even when cut short."""

    role: str
    # The text as shown: one Markdown element per frozen block, so that a replayed bubble has the
    # same elements as the streamed one and replaces it in place (no stale copies while the
    # next answer streams).
    blocks: list[str] = field(default_factory=list)
    reasoning: str = ""
    thought_seconds: float | None = None
    caption: str = ""
    follow_ups: list[str] = field(default_factory=list)
    error: str = ""
    stopped: bool = False
    notice: str = ""  # the chat ended well but left nothing to read

    @property
    def content(self) -> str:
        return "".join(self.blocks)


def clean_message(text: str | None) -> str:
    """The message to send: control characters removed (newlines and tabs kept), trimmed."""
    if not text:
        return ""
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return "".join(kept).strip()


def thought_label(seconds: float) -> str:
    return f"Thought for {seconds:.1f} s" if seconds < 10 else f"Thought for {seconds:.0f} s"


def usage_caption(usage: Usage | None, first_text: float | None, total: float) -> str:
    parts = []
    if usage is not None:
        parts.append(
            f"{usage.token_count:,} tokens ({usage.input_count:,} in, {usage.output_count:,} out)"
        )
    if first_text is not None:
        parts.append(f"first text after {first_text:.1f} s")
    parts.append(f"total {total:.1f} s")
    return " · ".join(parts)


class AnswerView:
    """The parts of the assistant bubble that change while an answer streams."""

    def __init__(self) -> None:
        self.thinking_slot = st.empty()
        self.answer_slot = st.empty()
        self.status_slot = st.empty()
        self._thinking: StatusContainer | None = None
        # Reasoning is frozen block by block too: it can be as long as the answer.
        self._reasoning_splitter = BlockSplitter()
        self._reasoning_block: DeltaGenerator | None = None
        self._reasoning_text = ""

    def waiting(self, seconds: float, *, has_text: bool) -> None:
        # Also the heartbeat: every Streamlit call is where a Stop or rerun takes effect.
        if not has_text:
            self.status_slot.caption(
                f":material/hourglass_top: The bot is working… {seconds:.0f} s"
            )
        elif seconds >= 2:
            self.status_slot.caption(f":material/hourglass_top: Still answering… {seconds:.0f} s")
        else:
            self.status_slot.empty()

    def reasoning(self, text: str) -> None:
        """Add ``text`` to the collapsed "Thinking" expander."""
        if self._thinking is None:
            self._thinking = self.thinking_slot.status(
                ":shimmer[Thinking…]", type="compact", expanded=False
            )
        for piece in self._reasoning_splitter.feed(text):
            if piece is BLOCK_END:
                self._reasoning_block = None
                continue
            if self._reasoning_block is None:
                self._reasoning_block = self._thinking.empty()
                self._reasoning_text = ""
            self._reasoning_text += piece
            self._reasoning_block.markdown(self._reasoning_text)

    def thought(self, seconds: float) -> None:
        if self._thinking is not None:
            self._thinking.update(label=thought_label(seconds), state="complete", expanded=False)


def answer_pieces(chat: BackgroundChat, turn: Turn, view: AnswerView) -> Iterator[str | Callable]:
    """What ``st.write_stream`` shows: the answer text as it arrives, in frozen blocks.

    Text that arrives together, or within one frame, goes out as one update; a finished
    Markdown block is closed off (a callable makes ``st.write_stream`` start a new element), so
    only the open block is re-sent as the answer grows. The answer ends at ``chat.completed``
    (events after it, such as audio, are not waited for).
    """
    splitter = BlockSplitter()

    def show(text: str) -> Iterator[str | Callable]:
        for piece in splitter.feed(text):
            if piece is BLOCK_END:
                turn.blocks.append("")
                yield _close_block
            else:
                if not turn.blocks:
                    turn.blocks.append("")
                turn.blocks[-1] += piece
                yield piece

    started = time.monotonic()
    last_update = last_news = -1.0
    reasoning_started: float | None = None
    pending: list[str] = []
    pending_reasoning: list[str] = []
    message_id: str | None = None
    completed: dict[str, str] = {}
    streamed: dict[str, list[str]] = {}
    first_text: float | None = None
    usage: Usage | None = None
    over = False  # chat.completed arrived, or the stream ended: nothing more will come

    while not over or pending or pending_reasoning:
        now = time.monotonic()
        if over:
            wait = 0.0
        elif pending or pending_reasoning:
            wait = max(0.0, last_update + FRAME_SECONDS - now)
        else:
            wait = HEARTBEAT_SECONDS
        try:
            events = [] if over else chat.take(wait)
        except CozeError:
            # Show everything that arrived before the failure, then let it be reported.
            if pending_reasoning:
                view.reasoning("".join(pending_reasoning))
            yield from show("".join(pending))
            raise
        for event in events:
            last_news = time.monotonic()
            if isinstance(event, AnswerDelta):
                if message_id is not None and event.message_id != message_id:
                    pending.append("\n\n")
                message_id = event.message_id
                streamed.setdefault(event.message_id, []).append(event.text)
                pending.append(event.text)
            elif isinstance(event, ReasoningDelta):
                reasoning_started = reasoning_started or last_news
                turn.reasoning += event.text
                pending_reasoning.append(event.text)
            elif isinstance(event, AnswerCompleted):
                completed[event.message_id] = event.text
                if event.message_id not in streamed:  # an answer that came whole
                    if message_id is not None:
                        pending.append("\n\n")
                    message_id = event.message_id
                    streamed[event.message_id] = [event.text]
                    pending.append(event.text)
            elif isinstance(event, FollowUp):
                turn.follow_ups.append(event.text)
            elif isinstance(event, ChatCompleted):
                usage = event.usage
                over = True
        over = over or chat.finished
        now = time.monotonic()
        # Once the answer is over nothing more can join the pending text: show it at once.
        if (pending or pending_reasoning) and (over or now >= last_update + FRAME_SECONDS):
            last_update = now
            if pending_reasoning:
                view.reasoning("".join(pending_reasoning))
                pending_reasoning.clear()
            if pending:
                if first_text is None:
                    first_text = now - started
                    if reasoning_started is not None:
                        turn.thought_seconds = now - reasoning_started
                        view.thought(turn.thought_seconds)
                    view.status_slot.empty()
                text = "".join(pending)
                pending.clear()
                yield from show(text)
        elif not (over or pending or pending_reasoning):
            silent_since = last_news if first_text is not None else started
            view.waiting(now - silent_since, has_text=first_text is not None)

    if reasoning_started is not None and turn.thought_seconds is None:
        turn.thought_seconds = time.monotonic() - reasoning_started
        view.thought(turn.thought_seconds)
    # Coze's completed text is authoritative (it may differ from the joined deltas), and an
    # answer with link or footnote definitions must be rendered whole to render right.
    final = "\n\n".join(completed.get(mid, "".join(parts)) for mid, parts in streamed.items())
    if final != turn.content or needs_whole_render(final):
        turn.blocks = [final]
        yield _replace_answer(view, final)
    turn.caption = usage_caption(usage, first_text, time.monotonic() - started)
    if not final.strip():
        turn.notice = NO_TEXT_NOTICE


def _close_block() -> None:
    """Yielded to ``st.write_stream`` between blocks: the finished block stops being re-sent."""


def _replace_answer(view: AnswerView, text: str) -> Callable[[], None]:
    def replace() -> None:
        with view.answer_slot.container():
            st.markdown(text)

    return replace


def stream_answer(config: CozeConfig, prompt: str, turn: Turn, client: httpx.Client) -> None:
    """Stream the answer to ``prompt`` into the current bubble, keeping ``turn`` up to date.

    ``turn`` always holds what the person has seen. If the run is interrupted (Stop, or a new
    message), the stream is closed, Coze is asked to cancel the chat, and the turn is marked
    stopped.
    """
    view = AnswerView()
    chat = BackgroundChat(config, prompt, client=client)
    finished = False
    try:
        with view.answer_slot.container():
            st.write_stream(answer_pieces(chat, turn, view))
        finished = True
    except CozeError as error:
        finished = True
        turn.error = str(error)
    except Exception as error:
        finished = True
        turn.error = unexpected_error(error, config)
    finally:
        if not finished:  # interrupted: Stop was pressed, or a new message arrived
            turn.stopped = True
            chat.stop()
            show_after_interruption(lambda: show_status(view.status_slot, turn))
    show_status(view.status_slot, turn)


def show_after_interruption(update: Callable[[], None]) -> None:
    """Make one last change to the page after Streamlit interrupted the run.

    Once a run is stopped, every Streamlit call on the script's thread raises again, so the
    change is sent from a short-lived thread attached to the run's context instead. Without it,
    the "stopped" mark would only appear on the next run; if Streamlit refuses, it still does.
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


# -- the page --


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


def hold_if_too_long() -> None:
    """Put a message over the limit back in the box instead of sending it, so no text is lost."""
    typed = st.session_state.get(PROMPT_KEY)
    length = len(clean_message(typed)) if isinstance(typed, str) else 0
    if length > MAX_MESSAGE_CHARS:
        st.session_state[PROMPT_KEY] = typed  # shown in the box again, not returned as sent
        st.session_state.too_long = length


def too_long_warning(length: int) -> str:
    return (
        f"This message is {length:,} characters long; the bot takes at most "
        f"{MAX_MESSAGE_CHARS:,} at a time. Nothing was sent: it is back in the box, so you can "
        "shorten it and send it again."
    )


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


def use_demo() -> None:
    st.session_state.demo = True


def main() -> None:
    st.set_page_config(page_title="Coze chat", page_icon=":material/forum:")
    if "history" not in st.session_state:
        st.session_state.history = []
    history: list[Turn] = st.session_state.history

    settings = read_settings()
    if "demo" not in st.session_state:
        st.session_state.demo = settings.get("COZE_DEMO", "") in ("1", "true", "yes")

    config: CozeConfig | None = None
    config_error = ""
    try:
        if st.session_state.demo:
            config = demo_config(settings)
        elif is_configured(settings):
            config = load_config(settings)
    except CozeConfigError as error:
        config_error = str(error)

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
        if st.button("New chat", icon=":material/add_comment:", use_container_width=True):
            history.clear()
            st.rerun()

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
        st.button("Try demo mode", type="primary", icon=":material/science:", on_click=use_demo)
    if config is not None:
        st.caption("Each message starts a new conversation: the bot does not see earlier ones.")

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


if __name__ == "__main__":
    run_page()
