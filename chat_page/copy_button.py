"""A small icon button that copies a text (an answer's whole Markdown source) to the clipboard.

Streamlit has no such element, so this is an ``st.components.v2`` component, registered once when
this module is imported. It runs in the app page (not an iframe), in a shadow root of its own so
its CSS neither leaks out nor takes the page's, and it is drawn with the theme's CSS variables
(``--st-text-color``, ``--st-primary-color``, ...) that Streamlit sets on every v2 component, so
it follows the light and the dark theme.

The text reaches the browser as data at mount time (JSON in the element's message) and is only
ever handed to the clipboard: it is never put into HTML or JavaScript source, so an answer holding
``<script>`` or quotes is copied as it is and runs nothing. The labels are set as text and
attributes, never as markup.

In the browser: ``navigator.clipboard.writeText``; where that is missing (a plain-http page that
is not localhost has no ``navigator.clipboard``) or refused, a hidden textarea and
``document.execCommand("copy")``. The button then shows a check mark and ``copied_label`` for
about two seconds, or, if both ways failed, a cross and ``failed_label``; nothing is thrown.

Cost: the element's message holds the text, the labels and the component's HTML, CSS and
JavaScript (about 3.8 KB besides the text), sent once; a rerun that draws the same button with the
same text sends a reference of about 75 bytes instead (``[global] minCachedMessageSize`` in
``.streamlit/config.toml``), measured by ``tests/e2e/test_copy.py``.
"""

from __future__ import annotations

import json
from typing import Final

import streamlit as st

__all__ = ["copy_button"]

NAME: Final = "coze_copy_button"

# How long the "copied" (or "failed") state stays, as Streamlit's own copy buttons do.
FEEDBACK_MS: Final = 2000

# Icons: Feather's copy, check and x (stroke in the text colour), 16 px like Streamlit's own
# copy button. The note after the button is a live region, so "Copied" is also announced.
_HTML: Final = """
<span class="cz-copy" data-state="idle">
<button type="button"><svg class="idle" viewBox="0 0 24 24" aria-hidden="true"><rect x="9" y="9"
width="13" height="13" rx="2"/><path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/>
</svg><svg class="copied" viewBox="0 0 24 24" aria-hidden="true"><path d="M20 6 9 17l-5-5"/></svg>
<svg class="failed" viewBox="0 0 24 24" aria-hidden="true"><path d="M18 6 6 18M6 6l12 12"/></svg>
</button><span class="note" role="status" aria-live="polite"></span>
</span>
"""

# Streamlit's icon button (its code and version copy buttons): no border, transparent, the icon
# in the text colour at 60% that turns full on hover over a faint tint of the text colour (drawn
# by ::before, so no color-mix() is needed), and a focus ring in the primary colour.
_CSS: Final = """
.cz-copy {
  display: inline-flex;
  align-items: center;
  gap: 0.25rem;
  font: 0.875rem/1.75rem var(--st-font, sans-serif);
  color: var(--st-text-color, inherit);
  white-space: nowrap;
}
button {
  position: relative;
  display: inline-flex;
  align-items: center;
  justify-content: center;
  width: 1.75rem;
  height: 1.75rem;
  margin: 0;
  padding: 0;
  border: none;
  border-radius: var(--st-button-radius, 0.5rem);
  background: none;
  color: inherit;
  cursor: pointer;
}
button::before {
  content: "";
  position: absolute;
  inset: 0;
  border-radius: inherit;
  background: currentColor;
  opacity: 0;
  transition: opacity 100ms ease;
}
button:hover::before, button:focus-visible::before {
  opacity: 0.1;
}
button:active::before {
  opacity: 0.2;
}
button:focus-visible {
  outline: 2px solid var(--st-primary-color, Highlight);
  outline-offset: 1px;
}
svg {
  width: 1.25rem;
  height: 1.25rem;
  fill: none;
  stroke: currentColor;
  stroke-width: 1.75;
  stroke-linecap: round;
  stroke-linejoin: round;
  opacity: 0.75;
}
button:hover svg, button:focus-visible svg, [data-state="copied"] svg, [data-state="failed"] svg {
  opacity: 1;
}
.cz-copy:not([data-state="idle"]) .idle, .cz-copy:not([data-state="copied"]) .copied,
.cz-copy:not([data-state="failed"]) .failed, .note:empty {
  display: none;
}
[data-state="copied"] {
  color: var(--st-green-text-color, inherit);
}
[data-state="failed"] {
  color: var(--st-red-text-color, inherit);
}
"""

# Called on mount and again, with the same button, whenever a rerun brings new data: the click
# listener is added once and reads the latest data from `current`. Streamlit keeps the cleanup of
# the last call, so every call returns one.
_JS: Final = (
    """
const current = new WeakMap();

function copyWithTextarea(text, root, button) {
  const area = document.createElement("textarea");
  area.value = text;
  area.readOnly = true;
  area.setAttribute("aria-hidden", "true");
  area.style.cssText = "position:fixed;top:0;left:0;width:1px;height:1px;opacity:0;";
  root.appendChild(area);
  let copied = false;
  try {
    area.focus();
    area.select();
    copied = document.execCommand("copy");
  } catch (error) {
    copied = false;
  } finally {
    area.remove();
    button.focus();
  }
  return copied;
}

async function copy(text, root, button) {
  if (navigator.clipboard && navigator.clipboard.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (error) {
      // Refused (no permission, page not focused): the old way may still work.
    }
  }
  return copyWithTextarea(text, root, button);
}

export default function ({ data: bytes, parentElement }) {
  const data = JSON.parse(new TextDecoder().decode(bytes));
  const box = parentElement.querySelector(".cz-copy");
  const button = box.querySelector("button");
  const note = box.querySelector(".note");
  const state = current.get(button) || { timer: undefined };
  state.data = data;
  button.setAttribute("aria-label", data.label);
  button.title = data.help;
  if (!current.has(button)) {
    current.set(button, state);
    button.addEventListener("click", async () => {
      const copied = await copy(String(state.data.text), parentElement, button);
      box.dataset.state = copied ? "copied" : "failed";
      note.textContent = copied ? state.data.copied : state.data.failed;
      clearTimeout(state.timer);
      state.timer = setTimeout(() => {
        box.dataset.state = "idle";
        note.textContent = "";
      }, FEEDBACK_MS);
    });
  }
  return () => clearTimeout(state.timer);
}
"""
).replace("FEEDBACK_MS", str(FEEDBACK_MS))


def _squeeze(code: str) -> str:
    """``code`` without indentation, blank lines and whole-line ``//`` comments.

    Every button's first message carries the component's HTML, CSS and JavaScript, so they go
    out without the bytes that are only there to be read here. The line breaks stay: they end
    statements that have no semicolon, and Streamlit takes a one-line string for a file path.
    """
    lines = (line.strip() for line in code.strip().splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


_mount = st.components.v2.component(
    NAME, html=_squeeze(_HTML), css=_squeeze(_CSS), js=_squeeze(_JS), isolate_styles=True
)


def copy_button(
    text: str,
    *,
    key: str,
    label: str,
    copied_label: str,
    help: str,  # the tooltip, named as Streamlit's own widgets name it
    failed_label: str = "Copy failed",
) -> None:
    """Show a small icon button that copies ``text`` to the clipboard, exactly as given.

    ``key`` must be unique on the page (the button is a Streamlit element with a key; its
    container gets the CSS class ``st-key-<key>``). ``label`` is the button's accessible name,
    ``help`` its tooltip; ``copied_label`` shows beside it for about two seconds after a copy,
    ``failed_label`` when the browser refused both ways of copying. Drawing the same button with
    the same text again costs a reference of about 75 bytes, not the text.
    """
    data = {
        "text": text,
        "label": label,
        "help": help,
        "copied": copied_label,
        "failed": failed_label,
    }
    # As UTF-8 bytes: Streamlit's own JSON would escape every Chinese character as \uXXXX, six
    # bytes for three.
    _mount(
        key=key,
        data=json.dumps(data, ensure_ascii=False).encode(),
        width="content",
        height="content",
    )
