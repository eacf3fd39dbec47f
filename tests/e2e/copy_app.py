"""A tiny page for tests/e2e/test_copy.py: two Markdown answers, each with its copy button.

Served by ``streamlit run`` from the project folder (its ``.streamlit/config.toml`` applies);
the test imports it for the texts (Streamlit runs it as ``__main__``).
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Everything a bot's Markdown can hold that must come out of the clipboard as it went in: CJK,
# a code fence, HTML that would run if it were ever put into the page, quotes of every kind,
# backslashes, template-literal syntax, an emoji, tabs, indentation and a blank line.
FIRST = (
    "# 回答：复制测试\n"
    "\n"
    "你好，世界！这是一段中文。\n"
    "\n"
    "```python\n"
    "print(\"hello\")  # a 'quote' and a \\n\n"
    "\tindented = `${not_a_template}`\n"
    "```\n"
    "\n"
    '<script>window.__copyXss = 1</script> <img src=x onerror="window.__copyXss = 2">\n'
    "\"double\" 'single' `back` </div> ]]> -->  emoji 🙂\n"
    "- item\n"
    "    - nested"
)
SECOND = "The **second** answer: 第二个回答。"
LABEL = "Copy answer"
COPIED = "Copied"
HELP = "Copy the whole answer as Markdown"
FAILED = "Copy failed"


def main() -> None:
    import streamlit as st

    from chat_page.copy_button import copy_button

    st.button("Rerun", key="rerun")
    for index, text in enumerate((FIRST, SECOND)):
        with st.chat_message("assistant"):
            st.markdown(text)
            copy_button(
                text,
                key=f"copy-{index}",
                label=LABEL,
                copied_label=COPIED,
                help=HELP,
                failed_label=FAILED,
            )


if __name__ == "__main__":
    main()
