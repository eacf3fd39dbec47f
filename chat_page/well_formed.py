"""Keeps what the visitor types valid Unicode in the browser, before Streamlit sends it.

A JavaScript string may hold half of a UTF-16 surrogate pair on its own (pasted, or made by an
input method or a script). Streamlit's browser code encodes it into the message it sends as
bytes that are not UTF-8; the server cannot read that message and closes the connection, so the
typed words vanish, and nothing on the server ever sees them to put them back. So the fix is in
the browser: on every ``input`` event, before Streamlit's own handler reads the box, a lone half
in a text box becomes U+FFFD (the caret stays where it was). The server's own rule is
:func:`coze_answer.clean_message`, for whatever arrives some other way.

An ``st.components.v2`` component without a visible part, drawn once per run in the sidebar; its
listener is added to the document once per page.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

__all__ = ["keep_typing_well_formed"]

NAME: Final = "coze_well_formed"

# The native setter, not `box.value = ...`: React tracks assignments through the element's own
# setter, and would then think nothing changed and skip its onChange.
_JS: Final = """
const LONE = /[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]/g;
function wellFormed(text) {
  return text.toWellFormed ? text.toWellFormed() : text.replace(LONE, "\\uFFFD");
}
function mend(event) {
  // Not while an input method composes: the input event that ends the composition mends it.
  if (event.isComposing) return;
  const box = event.target;
  const proto = box instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
    : box instanceof HTMLInputElement ? HTMLInputElement.prototype : null;
  if (proto === null || typeof box.value !== "string") return;
  const mended = wellFormed(box.value);
  if (mended === box.value) return;
  const start = box.selectionStart;
  const end = box.selectionEnd;
  Object.getOwnPropertyDescriptor(proto, "value").set.call(box, mended);
  if (start !== null && end !== null) box.setSelectionRange(start, end);
}
export default function () {
  if (!window.__cozeWellFormed) {
    window.__cozeWellFormed = true;
    document.addEventListener("input", mend, true);
  }
}
"""

_mount = st.components.v2.component(NAME, html="<span hidden></span>", js=_JS)


def keep_typing_well_formed() -> None:
    """Make every text box on the page turn a lone surrogate half into U+FFFD as it is typed."""
    _mount(key=NAME, width="content", height="content")
