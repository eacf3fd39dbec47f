"""Chats kept in the visitor's browser: the open chat survives a reload, a restart, another
server; the sidebar lists past chats.

Nothing is stored on the server. The browser keeps each chat in ``localStorage`` (readable by
anyone using that browser), through an ``st.components.v2`` component drawn in the sidebar:

- ``coze-chat:<id>``: the chat, as :func:`coze_answer.turn_record` makes each turn;
- ``coze-meta:<id>``: what the list shows (first question, date, demo or not, size);
- ``sessionStorage["coze-open"]``: the chat this tab has open, so two tabs each keep their own
  (a shared index would be overwritten by whichever tab wrote last: there is none, the list is
  read from the keys);
- ``coze-owner:<id>``: the page load that has the chat open now; a tab that finds its chat open
  in another (a duplicated tab, or one opened from the list) goes on with a copy of it.

The store holds at most :data:`STORE_CHATS` chats and :data:`STORE_CHARS` characters of JSON;
past either, the oldest chats (by their last message) go first, never the one this tab has open.
When the browser refuses to store (quota, storage off), the chat works as before and the
component shows one calm note.

The exchange: on a page's first run the component reads this tab's open chat and sends its
text with a fresh ``nonce`` (``found``: a trigger, as a state value would go back to the
server with every later run, the whole chat with every message); the page restores it when
its chat is still empty (checked by :func:`coze_answer.read_chat`, its Markdown guarded again
like an answer from Coze) and answers with ``ready`` = that nonce. Only then does the
component write. Each run sends only the turns that changed since the last one (``base``, the
first changed turn, and the turns from there): a long chat costs its new turns, not its length.
Clicks in the list come back as triggers too (``open``, ``deleted``, ``forgot``, ``resend``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any, Final

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from coze_answer import (
    MAX_STORED_CHARS,
    KeptRefusal,
    Turn,
    Words,
    chat_title,
    guarded,
    new_chat_id,
    read_chat,
    turn_record,
)

from .attachments import Message
from .controls import FEEDBACK, thumbs_key
from .copy_button import _squeeze
from .fair_share import Refusal
from .settings import PageSettings

__all__ = [
    "KEY",
    "STORE_CHARS",
    "STORE_CHATS",
    "answer_the_queued",
    "keep_in_browser",
    "park_until_browser_reports",
    "take_from_browser",
]

NAME: Final = "coze_keep"
KEY: Final = "coze_keep"
STORE_CHATS: Final = 50
# Characters of JSON, as JavaScript counts them (UTF-16 units, at least as many as Python's
# code points): about 4 MB as browsers store text; one chat may fill it, and is read back whole.
STORE_CHARS: Final = MAX_STORED_CHARS
_INBOX = "keep_inbox"
_PARKED = "keep_parked"

_HTML: Final = """
<div class="cz-keep"><p class="head"></p><ul></ul><p class="empty"></p>
<button type="button" class="forget"></button><p class="note" role="status"></p></div>
"""

_CSS: Final = """
.cz-keep { font: 0.875rem/1.4 var(--st-font, sans-serif); color: var(--st-text-color, inherit); }
.cz-keep[hidden], .cz-keep .empty:empty, .cz-keep .note:empty { display: none; }
.head { font-weight: 600; margin: 0.5rem 0 0.25rem; }
ul { list-style: none; margin: 0; padding: 0; max-height: 40vh; overflow-y: auto; }
li { display: flex; align-items: center; gap: 0.25rem; }
button { font: inherit; color: inherit; background: none; border: none; cursor: pointer;
  border-radius: var(--st-button-radius, 0.5rem); padding: 0.25rem 0.375rem; }
button:hover, button:focus-visible { background: var(--st-secondary-background-color, #eee); }
button:focus-visible { outline: 2px solid var(--st-primary-color, Highlight); }
.open { flex: 1; min-width: 0; text-align: left; display: flex; flex-direction: column; }
.open .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.open .date { opacity: 0.6; font-size: 0.75rem; }
li[aria-current="true"] .open { font-weight: 600; }
.del { opacity: 0.6; }
.forget { margin-top: 0.25rem; opacity: 0.8; text-decoration: underline; }
.empty, .note { opacity: 0.8; margin: 0.25rem 0; }
.note { color: var(--st-yellow-text-color, inherit); }
"""

# Everything read from storage is a stranger's: only shown as text (textContent, attributes),
# ids checked by pattern, sizes and counts re-checked here and again by the page.
_JS: Final = """
const CHAT = "coze-chat:", META = "coze-meta:", OPEN = "coze-open", OWNER = "coze-owner:";
// This page load: the chat it has open is marked as its own while it is shown, so that a
// duplicated tab (which copies sessionStorage) or a chat opened in a second tab goes on with a
// copy instead of writing over the first tab's turns.
const PAGE = Math.random().toString(16).slice(2) + Date.now().toString(16);
const ID = /^[0-9a-f]{8,32}$/;
const S = { data: null, nonce: null, session: null, applied: null, refused: false,
  root: null, trigger: null, listening: false };
function store() {
  try { return window.localStorage; } catch (e) { return null; }
}
function openId() {
  try { return sessionStorage.getItem(OPEN); } catch (e) { return S.memoryOpen || null; }
}
function setOpen(id) {
  if (S.memoryOpen !== id) release();
  S.memoryOpen = id;
  try { sessionStorage.setItem(OPEN, id); } catch (e) { /* kept in memory for this page */ }
  try { store().setItem(OWNER + id, PAGE); } catch (e) { /* then nothing is marked */ }
}
function release() {
  const id = S.memoryOpen;
  try {
    if (id && store().getItem(OWNER + id) === PAGE) store().removeItem(OWNER + id);
  } catch (e) { /* nothing to do */ }
}
function elsewhere(id) {
  try {
    const owner = store().getItem(OWNER + id);
    return owner !== null && owner !== PAGE;
  } catch (e) { return false; }
}
function newId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)),
    (b) => b.toString(16).padStart(2, "0")).join("");
}
function ownCopy(id, raw) {
  // The chat is open in another tab: this one goes on with a copy of it, under a new id.
  if (typeof raw !== "string" || !elsewhere(id)) return raw;
  try {
    const chat = JSON.parse(raw);
    const copy = newId();
    chat.id = copy;
    const text = JSON.stringify(chat);
    store().setItem(CHAT + copy, text);
    store().setItem(META + copy, store().getItem(META + id) || "{}");
    return text;
  } catch (e) { return null; }
}
function metas() {
  const ls = store(), found = [];
  if (!ls) return found;
  let keys = [];
  try { keys = Object.keys(ls); } catch (e) { return found; }
  for (const key of keys) {
    if (!key.startsWith(META)) continue;
    const id = key.slice(META.length);
    if (!ID.test(id)) continue;
    let m = null;
    try { m = JSON.parse(ls.getItem(key)); } catch (e) { m = null; }
    if (!m || typeof m !== "object") m = {};
    const at = Number.isFinite(m.at) ? m.at : 0;
    const title = typeof m.title === "string" ? m.title.slice(0, 80) : "";
    const size = Number.isFinite(m.size) && m.size > 0 ? m.size : 0;
    found.push({ id, at, title, demo: m.demo === true, size });
  }
  return found.sort((a, b) => b.at - a.at);
}
function drop(id) {
  const ls = store();
  if (!ls) return;
  try {
    ls.removeItem(CHAT + id); ls.removeItem(META + id); ls.removeItem(OWNER + id);
  } catch (e) { /* nothing to do */ }
}
function forgetAll() {
  const ls = store();
  if (!ls) return;
  let keys = [];
  try { keys = Object.keys(ls); } catch (e) { return; }
  for (const key of keys) {
    if (key.startsWith(CHAT) || key.startsWith(META) || key.startsWith(OWNER)) {
      try { ls.removeItem(key); } catch (e) { /* nothing to do */ }
    }
  }
}
function oldestBut(keep) {
  const all = metas().filter((m) => m.id !== keep);
  return all.length ? all[all.length - 1].id : null;
}
function withinBudget(keep, chats, chars) {
  for (;;) {
    const all = metas();
    const total = all.reduce((sum, m) => sum + m.size, 0);
    if (all.length <= chats && total <= chars) return;
    const oldest = oldestBut(keep);
    if (oldest === null) return;
    drop(oldest);
  }
}
function write(chat) {
  const ls = store();
  if (!ls) return false;
  let stored = null;
  try { stored = JSON.parse(ls.getItem(CHAT + chat.id)); } catch (e) { stored = null; }
  if (!stored || stored.v !== 1 || !Array.isArray(stored.turns)) {
    stored = { v: 1, id: chat.id, demo: chat.demo, turns: [] };
  }
  if (stored.turns.length < chat.base) return "behind";
  stored.turns = stored.turns.slice(0, chat.base).concat(chat.turns);
  stored.id = chat.id;
  stored.demo = chat.demo;
  if (!stored.turns.length) { drop(chat.id); return true; }
  const text = JSON.stringify(stored);
  // Longer than the page reads back: not written (the note says so), rather than kept unread.
  if (text.length > S.data.chars) return false;
  const meta = JSON.stringify({ title: chat.title, at: chat.at, demo: chat.demo,
    size: text.length });
  for (;;) {
    try {
      ls.setItem(CHAT + chat.id, text);
      ls.setItem(META + chat.id, meta);
      break;
    } catch (e) {
      const oldest = oldestBut(chat.id);
      if (oldest === null) { drop(chat.id); return false; }
      drop(oldest);
    }
  }
  withinBudget(chat.id, S.data.chats, S.data.chars);
  return true;
}
function date(at) {
  try { return new Date(at * 1000).toLocaleDateString(S.data.locale || undefined); }
  catch (e) { return ""; }
}
function render() {
  const d = S.data, root = S.root;
  if (!d || !root) return;
  const box = root.querySelector(".cz-keep");
  box.hidden = !d.keep;
  const labels = d.labels;
  box.querySelector(".head").textContent = labels.past;
  box.querySelector(".forget").textContent = labels.forget;
  const list = box.querySelector("ul");
  list.replaceChildren();
  const current = openId();
  const shown = d.keep ? metas().filter((m) => d.demo_allowed || !m.demo) : [];
  for (const m of shown) {
    const item = document.createElement("li");
    item.setAttribute("aria-current", String(m.id === current));
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = (m.demo ? labels.demo + " · " : "") + (m.title || "…");
    const when = document.createElement("span");
    when.className = "date";
    when.textContent = date(m.at);
    open.append(title, when);
    open.onclick = () => {
      let raw = null;
      try { raw = store().getItem(CHAT + m.id); } catch (e) { raw = null; }
      S.trigger("open", { raw: ownCopy(m.id, raw) });
    };
    const del = document.createElement("button");
    del.type = "button";
    del.className = "del";
    del.textContent = "✕";
    del.title = labels.delete;
    del.setAttribute("aria-label", labels.delete + ": " + (m.title || "…"));
    del.onclick = () => {
      drop(m.id);
      render();
      if (m.id === openId()) S.trigger("deleted", m.id);
    };
    item.append(open, del);
    list.append(item);
  }
  box.querySelector(".empty").textContent = d.keep && !shown.length ? labels.empty : "";
  box.querySelector(".forget").hidden = !d.keep || !shown.length;
  box.querySelector(".note").textContent = d.keep && S.refused ? labels.refused : "";
}
function announce() {
  S.nonce = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const id = openId();
  let raw = null;
  const ls = store();
  if (ls && id && ID.test(id)) {
    try { raw = ownCopy(id, ls.getItem(CHAT + id)); } catch (e) { raw = null; }
  }
  S.trigger("found", { nonce: S.nonce, raw: typeof raw === "string" ? raw : null });
}
export default function ({ data: bytes, parentElement, setTriggerValue }) {
  const data = JSON.parse(new TextDecoder().decode(bytes));
  S.data = data;
  S.root = parentElement;
  S.trigger = setTriggerValue;
  if (!S.listening) {
    S.listening = true;
    window.addEventListener("storage", () => render());
    window.addEventListener("pagehide", release);
    window.addEventListener("pageshow", (event) => {
      if (event.persisted && S.memoryOpen) setOpen(S.memoryOpen);
    });
    parentElement.querySelector(".forget").onclick = () => {
      forgetAll();
      try { sessionStorage.removeItem(OPEN); } catch (e) { /* nothing to do */ }
      S.refused = false;
      render();
      S.trigger("forgot", true);
    };
  }
  if (!data.keep) {
    forgetAll();
    render();
    return;
  }
  if (S.nonce === null || (S.session !== null && data.session !== S.session)) {
    // A new page, or a new server session (a restart): tell the page what this tab had open.
    S.session = data.session;
    announce();
    render();
    return;
  }
  S.session = data.session;
  if (data.ready !== S.nonce || !data.chat || !ID.test(data.chat.id)) { render(); return; }
  const chat = data.chat;
  setOpen(chat.id);
  const revision = chat.id + ":" + chat.rev;
  // The first chat this page load is given, unchanged: the one it read from the store itself
  // (restored); writing it back would parse and write the whole chat (600 KB for 100 turns)
  // for nothing. Later, an unchanged chat of a new revision is written (the store may lack it).
  if (S.applied === null && !chat.changed) S.applied = revision;
  if (S.applied !== revision) {
    S.applied = revision;
    if (!store()) {
      S.refused = chat.turns.length > 0 || chat.base > 0;
    } else {
      const done = write(chat);
      if (done === "behind") S.trigger("resend", true);
      else S.refused = done === false;
    }
  }
  render();
}
"""

_mount = st.components.v2.component(
    NAME, html=_squeeze(_HTML), css=_squeeze(_CSS), js=_squeeze(_JS), isolate_styles=True
)


def _queue(name: str) -> None:
    """A message from the browser, kept for the run that follows (see take_from_browser)."""
    state = st.session_state.get(KEY)
    value = state.get(name) if isinstance(state, Mapping) else getattr(state, name, None)
    if value is not None:
        st.session_state.setdefault(_INBOX, []).append((name, value))


def _fingerprint(turn: Turn) -> str:
    record = json.dumps(turn_record(turn), ensure_ascii=False, sort_keys=True)
    return hashlib.blake2b(record.encode(), digest_size=8).hexdigest()


def _state() -> dict[str, Any]:
    """What this session knows of the browser's copy: the open chat's id, the fingerprints of
    the turns it has, the nonce answered, a revision counter and this session's own id."""
    keep: dict[str, Any] = st.session_state.setdefault(
        "keep",
        {
            "chat": new_chat_id(),
            "sent": [],
            "ready": None,
            "rev": 0,
            "session": uuid.uuid4().hex[:12],
            "restored": None,
            "drawn": False,
        },
    )
    return keep


def _open(
    raw: object,
    history: list[Turn],
    settings: PageSettings,
    said: Words,
    *,
    demo: bool | None = None,
) -> bool:
    """Put the chat in ``raw`` (a stranger's text) on the page, checked and guarded; False when
    it is not a chat to open here (unreadable, a demo chat where demo mode is off, or not of
    the mode ``demo`` when given)."""
    chat = read_chat(raw)
    if chat is None or (chat.demo and not settings.demo_allowed):
        return False
    if demo is not None and chat.demo != demo:
        return False
    hosts = settings.image_hosts(demo=chat.demo)
    for turn in chat.turns:
        if turn.role == "assistant":
            turn.max_formulas = min(turn.max_formulas, settings.max_formulas)
            turn.blocks = [guarded(block, hosts, settings.max_formulas) for block in turn.blocks]
            turn.reasoning = guarded(turn.reasoning, hosts, settings.max_formulas)
        if isinstance(turn.refusal, KeptRefusal):
            turn.refusal = Refusal(turn.refusal.reason, turn.refusal.retry_after)
        if turn.feedback is not None:  # the thumb shows as it was given
            thumb = next(key for key, kind in FEEDBACK.items() if kind == turn.feedback)
            st.session_state[thumbs_key(turn)] = thumb
    # Demo and live chats stay apart: the page takes the chat's mode (demo answers never go to
    # the live bot as memory, nor its ratings to live Coze).
    st.session_state.demo = chat.demo
    st.session_state.chat_is_demo = chat.demo
    history[:] = chat.turns
    st.session_state.pop("show_earlier", None)  # opened folded, as every chat starts
    keep = _state()
    keep["chat"] = chat.id
    # A turn left out means the stored chat no longer lines up: it is written again whole.
    keep["sent"] = [] if chat.dropped else [_fingerprint(turn) for turn in history]
    keep["restored"] = [_fingerprint(turn) for turn in history]
    if chat.dropped:
        st.session_state.keep_note = said.keep_dropped
    return True


def _start_new(history: list[Turn]) -> None:
    history.clear()
    keep = _state()
    keep["chat"], keep["sent"], keep["restored"] = new_chat_id(), [], None


def take_from_browser(history: list[Turn], settings: PageSettings, said: Words) -> None:
    """Act on what the browser sent since the last run: this tab's open chat after a reload
    (restored when the page's chat is empty, or still as it was restored), a past chat opened,
    the open chat deleted, the store forgotten. Runs before the page draws anything."""
    inbox: list[tuple[str, Any]] = st.session_state.pop(_INBOX, [])
    _state().pop("first_run", None)  # the store drawn early by a run that did not end
    if not settings.keep_chats:
        return
    keep = _state()
    for name, value in inbox:
        if name == "found" and isinstance(value, Mapping):
            nonce = value.get("nonce")
            if not isinstance(nonce, str) or len(nonce) > 64 or nonce == keep["ready"]:
                continue
            # A second report comes after a server restart (a new session) or from a tab whose
            # page went on meanwhile: the stored chat, then this session's turns after what it
            # restored itself (none are lost, none doubled), when both are of one mode. A
            # restored turn changed here (rated, redone) keeps the page as it is.
            restored: list[str] = keep["restored"] or []
            newer = list(history[len(restored) :])
            mode = bool(st.session_state.get("demo")) if newer else None
            unchanged = [_fingerprint(turn) for turn in history[: len(restored)]] == restored
            if unchanged and _open(value.get("raw"), history, settings, said, demo=mode):
                history.extend(newer)
            keep["ready"] = nonce
        elif name == "open" and isinstance(value, Mapping):
            _open(value.get("raw"), history, settings, said)
        elif name in ("deleted", "forgot"):
            _start_new(history)
        elif name == "resend":
            keep["sent"] = []


def park_until_browser_reports(question: Message | None, settings: PageSettings) -> Message | None:
    """The question to answer in this run.

    A question in a session's first run comes from a page another server process drew (the
    server restarted, or its replica died and the proxy sent the tab here): the tab's chat is
    in the browser, not yet in this session. The question is parked for one run: the component
    drawn at this run's end reports the stored chat, and the run that report starts restores it
    and answers the question with it as memory. Parked once per session, so a browser that never
    reports still gets its answer on its next run: the parked question, and a new one after it."""
    parked = st.session_state.pop(_PARKED, None)
    parked = parked if isinstance(parked, Message) else None
    keep = _state()
    unseen = not keep["drawn"] or keep.get("first_run")  # no report can have come yet
    if settings.keep_chats and question and unseen and keep["ready"] is None:
        st.session_state[_PARKED] = question
        return None
    if parked is not None and question is not None:
        # A second question before the report: the first was asked first and goes first; the
        # second waits for the next run (see answer_the_queued), so neither is lost.
        st.session_state[_PARKED] = question
        return parked
    return question or parked


def answer_the_queued(answered: bool) -> None:
    """At the end of a run that ``answered`` a question: when another is parked, it waited
    behind that one (not for the browser's report, which parks it in a run that answers
    nothing), and the run that answers it starts now."""
    if answered and isinstance(st.session_state.get(_PARKED), Message):
        st.rerun()


def keep_in_browser(
    slot: DeltaGenerator,
    history: list[Turn],
    said: Words,
    settings: PageSettings,
    *,
    first: bool = False,
) -> None:
    """Draw the store's component in ``slot`` (the sidebar) with the turns that changed since
    the last run; at the end of a run, so the answer just given is kept. With keeping off
    (COZE_KEEP_CHATS=off) it empties what an earlier setting stored and shows nothing.

    ``first``: called before the page is drawn. Only a session's first run draws it then, and
    not again at its end: the browser reports this tab's chat as soon as it can (that run
    answers no question, see :func:`park_until_browser_reports`, so nothing is left to keep)."""
    keep = _state()
    if first:
        if keep["drawn"]:
            return
        keep["first_run"] = True
    elif keep.pop("first_run", False):
        return
    if not history and keep["sent"]:
        # The chat was emptied (New chat, a mode switch): the next one is another chat; the
        # old one stays in the list.
        keep["chat"], keep["sent"], keep["restored"] = new_chat_id(), [], None
    fingerprints = [_fingerprint(turn) for turn in history]
    sent: list[str] = keep["sent"]
    base = 0
    while base < min(len(sent), len(fingerprints)) and sent[base] == fingerprints[base]:
        base += 1
    changed = base < len(fingerprints) or len(sent) != len(fingerprints)
    if changed:
        keep["rev"] += 1
    keep["sent"] = fingerprints
    chat = {
        "id": keep["chat"],
        "demo": bool(st.session_state.get("demo")),
        "title": chat_title(history),
        "at": max((turn.at for turn in history), default=0.0),
        "rev": keep["rev"],
        "changed": changed,
        "base": base if changed else len(fingerprints),
        "turns": [turn_record(turn) for turn in history[base:]] if changed else [],
    }
    data = {
        "keep": settings.keep_chats,
        "demo_allowed": settings.demo_allowed,
        "session": keep["session"],
        "ready": keep["ready"],
        "chats": STORE_CHATS,
        "chars": STORE_CHARS,
        "locale": said.code,
        "labels": {
            "past": said.past_chats,
            "empty": said.past_chats_empty,
            "delete": said.delete_chat,
            "forget": said.forget_chats,
            "refused": said.keep_refused,
            "demo": said.demo_chat,
        },
        "chat": chat if settings.keep_chats else None,
    }
    keep["drawn"] = True
    if note := st.session_state.pop("keep_note", None):
        st.toast(note, icon=":material/info:")
    with slot:
        _mount(
            key=KEY,
            data=json.dumps(data, ensure_ascii=False).encode(),
            width="stretch",
            height="content",
            on_found_change=lambda: _queue("found"),
            on_open_change=lambda: _queue("open"),
            on_deleted_change=lambda: _queue("deleted"),
            on_forgot_change=lambda: _queue("forgot"),
            on_resend_change=lambda: _queue("resend"),
        )
