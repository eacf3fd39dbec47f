"""Files and voice in the chat box, and answers read aloud.

The box takes images and documents of Coze's types (``COZE_ATTACHMENTS=off`` removes them) and,
with ``COZE_VOICE=on``, a recording. What the person sent is a :class:`Message`; before its
question goes to Coze, :func:`show_question` turns the recording into words and uploads the
files, a status line each, in the person's bubble. Any failure sends nothing: the text goes back
in the box with a note, and the owner's details stay one click away.

The box's own checks run in the browser; a script can skip them, so :func:`read_box` checks the
type, the size and the count again (:func:`coze_answer.choose_files`) and names every file it
leaves out. The files themselves are never kept on the server: once Coze has one, the page
holds its id, name, size and a small picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from coze_answer import (
    Attached,
    Dropped,
    Turn,
    Words,
    choose_files,
    clean_message,
    file_size,
    join_wav,
    pick_voice,
    plain_markdown,
    sendable_name,
    shown_name,
    speech_inputs,
    thumbnail,
)
from coze_stream import (
    FILE_TYPES,
    MAX_TRANSCRIPTION_BYTES,
    Attachment,
    CozeConfig,
    CozeError,
    Voice,
    attachment_kind,
    list_voices,
    synthesize_speech,
    transcribe_audio,
    upload_file,
)

from .answer_bubble import log_unexpected, show_files, show_trouble
from .fair_share import Refusal
from .settings import PageSettings, chat_client, visitor

__all__ = [
    "MAX_SPEECH_PIECES",
    "REFILL_KEY",
    "Message",
    "box_options",
    "listen_button",
    "read_aloud",
    "read_box",
    "show_box_notes",
    "show_question",
    "upload_cost",
    "voice_on",
]

# An upload counts against the visitor's messages a minute: one, and one more for every 10 MB.
UPLOAD_BYTES_PER_MESSAGE: Final = 10 * 1024 * 1024
# The most speech requests one Listen makes (each is a request Coze charges the owner for).
MAX_SPEECH_PIECES: Final = 6
MB: Final = 1024 * 1024  # as Streamlit counts its upload limit
REFILL_KEY = "refill"  # the text to put back in the box at the next run
_TROUBLE_KEY = "box_trouble"  # why the last message was not sent, shown once
_SPOKEN_KEY = "spoken"  # the last answer read aloud: its id and audio


@dataclass
class Message:
    """What the person sent: their text, and the files and recording still to send to Coze; or,
    for Retry and Regenerate, the files Coze has already (``files``)."""

    text: str
    uploads: list[UploadedFile] = field(default_factory=list)
    recording: UploadedFile | None = None
    files: tuple[Attached, ...] = ()
    dropped: list[Dropped] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.text or self.uploads or self.recording or self.files)


def box_options(settings: PageSettings) -> dict[str, Any]:
    """``st.chat_input``'s arguments for files and voice, as the owner set them. The types are
    extensions only: then Streamlit's server checks them too, not only the browser."""
    options: dict[str, Any] = {}
    if settings.attachments:
        options |= {
            "accept_file": "multiple",
            "file_type": list(FILE_TYPES),
            "max_upload_size": _max_file_mb(settings),
        }
    if voice_on(settings):
        options["accept_audio"] = True
    return options


def voice_on(settings: PageSettings) -> bool:
    """Voice in the box and Listen under answers: where the owner turned them on
    (``COZE_VOICE``), and in demo mode, whose simulator charges nobody."""
    return settings.voice or bool(st.session_state.get("demo"))


def _max_file_mb(settings: PageSettings) -> int:
    """The largest file taken, in MB: ``COZE_MAX_FILE_MB``, within what Streamlit's server
    takes (``server.maxUploadSize``, which it enforces whatever a widget says)."""
    server_mb = int(st.get_option("server.maxUploadSize"))
    return max(1, min(settings.max_file_mb, server_mb))


def read_box(value: object, asked: object, settings: PageSettings) -> Message | None:
    """What was sent: a click's question (``asked``, with the files of the question it asks
    again), else the box's text, files and recording, with the files left out (the message is
    empty when all of them were); None when nothing was."""
    if isinstance(asked, str) and asked:
        files = st.session_state.pop("asked_files", ())
        return Message(clean_message(asked), files=tuple(files))
    st.session_state.pop("asked_files", None)
    if value is None:
        return None
    if isinstance(value, str):
        return Message(clean_message(value))
    text = clean_message(getattr(value, "text", "") or "")
    uploads = [f for f in getattr(value, "files", None) or [] if isinstance(f, UploadedFile)]
    recording = getattr(value, "audio", None)
    if not voice_on(settings) or not isinstance(recording, UploadedFile):
        recording = None
    if not settings.attachments:
        uploads = []
    sizes = [(upload.name, upload.size) for upload in uploads]
    chosen, dropped = choose_files(
        sizes,
        max_files=settings.max_files,
        max_bytes=_max_file_mb(settings) * MB,
        types=FILE_TYPES,
    )
    return Message(text, [uploads[i] for i in chosen], recording, dropped=dropped)


def upload_cost(size: int) -> int:
    """What uploading ``size`` bytes counts against the visitor's messages a minute."""
    return 1 + size // UPLOAD_BYTES_PER_MESSAGE


def show_question(message: Message, history: list[Turn], said: Words, config: CozeConfig) -> Turn:
    """The person's words and files into the chat, once Coze has the files and the recording's
    words: the turn added to ``history``. When something fails, nothing is sent: the run
    ends, and the next one puts the text back in the box and says why. (Streamlit drops the
    box's files from its memory once the run has read them: the server keeps none.)"""
    with st.chat_message("user"):
        words_slot, files_slot = st.empty(), st.empty()
        text = message.text
        if text:
            words_slot.markdown(plain_markdown(text))
        if message.recording is not None:
            heard = _transcribe(message.recording, text, files_slot, said, config)
            text = f"{text}\n{heard}".strip() if text else heard
            words_slot.markdown(plain_markdown(text))
        files = message.files + _upload_all(message.uploads, text, files_slot, said, config)
        show_files(files_slot, files)
    turn = Turn("user", [text], files=files)
    history.append(turn)
    return turn


def _show_dropped(dropped: list[Dropped], said: Words, settings: PageSettings) -> None:
    """A note for each file the box held that is not sent."""
    for file in dropped:
        sentence = said.dropped_file(
            file.name, file.reason, max_files=settings.max_files, max_mb=_max_file_mb(settings)
        )
        st.warning(plain_markdown(sentence), icon=":material/attach_file_off:")


def _transcribe(
    recording: UploadedFile, text: str, slot: Any, said: Words, config: CozeConfig
) -> str:
    """The recording's words, by Coze; on failure the run ends with why (see _trouble)."""
    if recording.size > MAX_TRANSCRIPTION_BYTES:
        _trouble(said.recording_too_long, None, text)
    refusal = _spend(1, room=1)
    if refusal is not None:
        _give_back(text, said.refusal(refusal.reason, refusal.retry_after, in_box=True))
    slot.caption(said.transcribing)
    try:
        heard = transcribe_audio(
            config, recording.getvalue(), "voice.wav", "audio/wav", client=_client(said)
        )
    except CozeError as error:
        _trouble(said.transcription_failed, error, text)
    except Exception as error:
        log_unexpected(error, config)
        _trouble(said.transcription_failed, error, text)
    heard = clean_message(heard)
    if not heard:
        _trouble(said.transcription_empty, None, text)
    slot.empty()
    return heard


def _upload_all(
    uploads: list[UploadedFile], text: str, slot: Any, said: Words, config: CozeConfig
) -> tuple[Attached, ...]:
    """Every file to Coze, a status line each; on the first failure the run ends with it."""
    if not uploads:
        return ()
    # Room is left for the question itself: files are not uploaded for a message then refused.
    refusal = _spend(sum(upload_cost(upload.size) for upload in uploads), room=1)
    if refusal is not None:
        _give_back(text, said.refusal(refusal.reason, refusal.retry_after, in_box=True))
    sent: list[Attached] = []
    with slot.container():
        lines = [st.empty() for _ in uploads]
        for line, upload in zip(lines, uploads, strict=True):
            name, size = shown_name(upload.name), upload.size
            line.caption(
                plain_markdown(said.uploading.format(name=name, size=file_size(size))),
            )
            data = upload.getvalue()
            sent_name = sendable_name(upload.name)  # a macOS screenshot's name has U+202F
            try:
                file_id = upload_file(config, sent_name, data, upload.type, client=_client(said))
            except CozeError as error:
                _trouble(said.upload_failed.format(name=name), error, text)
            except Exception as error:
                log_unexpected(error, config)
                _trouble(said.upload_failed.format(name=name), error, text)
            kind = attachment_kind(upload.name, upload.type)
            picture = thumbnail(data) if kind == "image" else b""
            sent.append(Attached(Attachment(file_id, sent_name, kind, size), picture))
            line.caption(
                plain_markdown(said.uploaded.format(name=name, size=file_size(size))),
                help=None,
            )
    return tuple(sent)


def _client(said: Words) -> Any:
    return chat_client(said.code)


def _spend(cost: int, *, room: int = 0) -> Refusal | None:
    result: Refusal | None = st.session_state.gate.spend(visitor(), cost=cost, room=room)
    return result


def _trouble(sentence: str, error: BaseException | None, text: str = "") -> NoReturn:
    """End the run: the next one shows ``sentence`` (and the owner's details of ``error``) and
    puts ``text`` back in the box. Nothing is sent."""
    st.session_state[_TROUBLE_KEY] = (sentence, error, bool(text))
    _give_back(text)


def _give_back(text: str, note: str | None = None) -> NoReturn:
    if text:
        st.session_state[REFILL_KEY] = text
    if note is not None:
        st.session_state.held_back = note
    st.rerun()


def show_box_notes(message: Message | None, said: Words, settings: PageSettings) -> None:
    """What became of the box's last message, over the new question: the files left out of it,
    and why the one before was not sent (a failed upload or recording)."""
    if message is not None:
        _show_dropped(message.dropped, said, settings)
    trouble = st.session_state.pop(_TROUBLE_KEY, None)
    if not isinstance(trouble, tuple):
        return
    sentence, error, had_text = trouble
    if error is None:
        st.warning(plain_markdown(sentence), icon=":material/mic_off:")
    else:
        back = said.upload_nothing_sent if had_text else said.upload_nothing_sent_no_text
        show_trouble(error, said, lead=plain_markdown(f"{sentence} {back}"))


# -- read aloud --


def listen_button(turn: Turn, said: Words) -> None:
    """The row's Listen button (with ``COZE_VOICE=on``)."""
    st.button(
        said.listen,
        key=f"listen-{turn.id}",
        icon=":material/volume_up:",
        type="tertiary",
        help=said.listen_help,
        on_click=_listen,
        args=(turn.id,),
    )


def _listen(turn_id: str) -> None:
    st.session_state.listen = turn_id


def read_aloud(turn: Turn, said: Words, config: CozeConfig, settings: PageSettings) -> None:
    """The answer's audio in its bubble, when Listen was clicked on it: made now (a status
    line while Coze speaks), or as made before. Only the last answer read aloud is held."""
    spoken = st.session_state.get(_SPOKEN_KEY)
    asked = st.session_state.get("listen") == turn.id
    if asked:
        del st.session_state.listen
        spoken = _speak(turn, said, config, settings)
        st.session_state[_SPOKEN_KEY] = spoken
    if isinstance(spoken, tuple) and spoken[0] == turn.id:
        _, audio, note = spoken
        if note:
            st.caption(note)
        if audio:
            st.audio(audio, format="audio/wav", autoplay=asked)


def _speak(
    turn: Turn, said: Words, config: CozeConfig, settings: PageSettings
) -> tuple[str, bytes, str]:
    """The answer read aloud: (its id, one WAV, a note for the reader or "")."""
    pieces = speech_inputs(turn.content)
    note = said.speech_shortened if len(pieces) > MAX_SPEECH_PIECES else ""
    pieces = pieces[:MAX_SPEECH_PIECES]
    client = _client(said)
    status = st.empty()
    status.caption(said.speaking)
    try:
        # The owner's voice is Coze's: the demo's simulator has voices of its own.
        chosen = "" if st.session_state.get("demo") else settings.voice_id
        voices = [] if chosen else _voices(config, client)
        voice = pick_voice(voices, turn.content, chosen)
        if voice is None:
            return turn.id, b"", said.no_voice
        audio: list[bytes] = []
        for piece in pieces:
            refusal = _spend(1)
            if refusal is not None:
                if not audio:  # nothing to play: why
                    return (
                        turn.id,
                        b"",
                        said.refusal(refusal.reason, refusal.retry_after, in_box=False),
                    )
                note = note or said.speech_shortened
                break
            audio.append(synthesize_speech(config, piece, voice, audio_format="wav", client=client))
    except CozeError as error:
        status.empty()
        with st.container():
            show_trouble(error, said, lead=said.speech_failed)
        return turn.id, b"", ""
    except Exception as error:
        log_unexpected(error, config)
        return turn.id, b"", said.speech_failed
    finally:
        status.empty()
    return turn.id, join_wav(audio), note


def _voices(config: CozeConfig, client: Any) -> list[Voice]:
    cache: dict[str, list[Voice]] = st.session_state.setdefault("voices", {})
    key = config.base_url
    if key not in cache:
        cache[key] = list_voices(config, client=client)
    return cache[key]
