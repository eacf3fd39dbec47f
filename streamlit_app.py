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

import streamlit as st

from answer_bubble import PIECE_STYLE, render_turn, stream_answer, unexpected_error
from coze_answer import (
    DEFAULT_IMAGE_HOSTS,
    MAX_FORMULAS,
    MAX_MESSAGE_CHARS,
    Turn,
    clean_message,
    plain_markdown,
    too_long_warning,
)
from coze_stream import CozeConfig, CozeConfigError, CozeHTTPClient, load_config
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
    "COZE_MAX_CHATS",
    "COZE_MESSAGES_PER_MINUTE",
    "COZE_IMAGE_HOSTS",
    "COZE_MAX_FORMULAS",
)
PROMPT_KEY = "prompt"
logger = logging.getLogger("coze_chat")


# -- the page --


def main() -> None:
    st.set_page_config(page_title="Coze chat", page_icon=":material/forum:")
    st.html(f"<style>{PIECE_STYLE}</style>")  # a long block streams in pieces that read as one
    history: list[Turn] = st.session_state.setdefault("history", [])
    settings = read_settings()
    demo_allowed = settings.get("COZE_DEMO", "").lower() not in ("off", "0", "no", "false")
    if "demo" not in st.session_state or not demo_allowed:
        st.session_state.demo = settings.get("COZE_DEMO", "") in ("1", "true", "yes")
    chats = limits_from(settings, "COZE_MAX_CHATS", DEFAULT_MAX_CHATS)
    rate = limits_from(settings, "COZE_MESSAGES_PER_MINUTE", DEFAULT_PER_MINUTE)
    st.session_state.gate = fair_share(chats, rate)  # for the callbacks
    config, config_error = connect(settings)
    sidebar(config, history, demo_allowed=demo_allowed)

    st.title("Chat with your Coze bot")
    if st.session_state.demo:
        st.caption(
            ":orange-badge[:material/science: Demo mode] Answers come from the built-in "
            "simulator, not a real bot. Send `/help` to see what it can do."
        )
    if config_error:
        st.error(config_error, icon=":material/settings:")
    if config is None:
        setup_guide(demo_allowed=demo_allowed)
    else:
        st.caption("Each message starts a new conversation: the bot does not see earlier ones.")

    # The box has no max_chars: given one, Streamlit silently drops a paste that would pass it.
    typed = st.chat_input(
        "Message the bot",
        key=PROMPT_KEY,
        submit_mode="stop",
        on_submit=hold_back,
        disabled=config is None,
    )
    asked = st.session_state.pop("asked", None)  # a suggested question that was clicked
    prompt = clean_message(asked or typed) if config is not None else ""

    for index, turn in enumerate(history):
        with st.chat_message(turn.role):
            render_turn(turn)
            if index == len(history) - 1 and turn.role == "assistant":
                follow_up_buttons(turn, index, hidden=bool(prompt))

    held_back = st.session_state.pop("held_back", None)  # why the last message was not sent
    if held_back:
        st.warning(held_back, icon=":material/pause_circle:")

    if prompt and config is not None:
        history.append(Turn("user", [prompt]))
        with st.chat_message("user"):
            st.markdown(plain_markdown(prompt))
        turn = Turn("assistant")
        history.append(turn)
        with st.chat_message("assistant"):
            ticket = st.session_state.gate.admit(visitor())
            if isinstance(ticket, Refusal):  # taken by others since the box was checked
                turn.error = refusal_sentence(ticket, chinese=reads_chinese(), in_box=False)
                render_turn(turn)
                return
            with ticket:
                hosts = image_hosts(settings, demo=bool(st.session_state.demo))
                client = http_client("demo" if st.session_state.demo else "live")
                formulas = limits_from(settings, "COZE_MAX_FORMULAS", MAX_FORMULAS)
                stream_answer(config, prompt, turn, client, image_hosts=hosts, formulas=formulas)
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
    except Exception as error:  # a malformed secrets.toml must not take the page down
        secrets = {}
        problem = secrets_problem(error)
        if problem:
            logger.warning("the secrets file could not be read: %s", type(error).__name__)
            st.warning(problem, icon=":material/warning:")
    return settings | {name: value.strip() for name, value in secrets.items() if value.strip()}


def secrets_problem(error: Exception) -> str:
    """What to say about Streamlit's error reading the secrets, or "" for "there are none"
    (normal: settings may come from the environment). Both come as the same class."""
    if getattr(error, "error_id", None) == "no-secrets-found":
        return ""
    return (
        "`.streamlit/secrets.toml` could not be read (it is not valid TOML), so its settings "
        'are ignored: fix the file, one `NAME = "value"` per line.'
    )


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


def reads_chinese() -> bool:
    return str(st.context.locale or "").lower().startswith("zh")


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


def sidebar(config: CozeConfig | None, history: list[Turn], *, demo_allowed: bool) -> None:
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
        if demo_allowed:  # COZE_DEMO=off hides it on a live deployment
            st.toggle("Demo mode", key="demo", help="Answer from the built-in Coze simulator.")
        if st.button("New chat", icon=":material/add_comment:", width="stretch"):
            history.clear()
            st.rerun()


def setup_guide(*, demo_allowed: bool) -> None:
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
    if demo_allowed:
        st.button("Try demo mode", type="primary", icon=":material/science:", on_click=use_demo)


def use_demo() -> None:
    st.session_state.demo = True


def hold_back() -> None:
    """Put a message back in the box instead of sending it, with the reason, when it is over
    the length limit or the fair share would refuse it now: no text is lost."""
    typed = st.session_state.get(PROMPT_KEY)
    length = len(clean_message(typed)) if isinstance(typed, str) else 0
    refusal = st.session_state.gate.check(visitor()) if length else None
    if length > MAX_MESSAGE_CHARS:
        reason = too_long_warning(length)
    elif refusal is not None:
        reason = refusal_sentence(refusal, chinese=reads_chinese())
    else:
        return
    st.session_state[PROMPT_KEY] = typed  # shown in the box again, not returned as sent
    st.session_state.held_back = reason


# -- the history --


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
            refusal, chinese=reads_chinese(), in_box=False
        )


if __name__ == "__main__":
    run_page()
