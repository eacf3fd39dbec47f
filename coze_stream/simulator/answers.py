"""The simulator's answer texts: deterministic, quoting the question verbatim.

Tests compare what a client shows with these texts, so the same question always gets the same
answer (and the same deltas for the same delta size).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .commands import ParsedMessage, commands_markdown
from .deltas import split_deltas
from .heavy import heavy_answer
from .records import RecordedMessage, StoredFile
from .shapes import DEFAULT_SHAPE_DELTAS, SHAPES
from .uploads import failure_help
from .wire import dumps


def answer_language(accept_language: str | None) -> str | None:
    """The language a chat request asks answers in, from its ``Accept-Language`` header:
    ``"zh"``, ``"en"``, or None (no header, or another language: answers are in both)."""
    first = (accept_language or "").split(",")[0].split(";")[0].strip().lower()
    return first[:2] if first[:2] in ("zh", "en") else None


def _header(question: str, language: str | None = None) -> str:
    if language == "en":
        return f'## About "{question}"\n\nYou asked: "{question}"\n\n'
    if language == "zh":
        return f"## 关于「{question}」\n\n你问的是：「{question}」\n\n"
    return f'## 关于「{question}」\n\nYou asked: "{question}"\n\n'


def build_answer(question: str, language: str | None = None) -> str:
    """The normal answer: deterministic Markdown quoting ``question`` verbatim, in ``language``
    (``"en"``, ``"zh"``; None: both)."""
    words = len(question.split())
    if language == "en":
        return (
            _header(question, language) + "This is a *simulated* answer streamed by the Coze "
            "simulator. 🚀\n\n"
            "### Key points\n\n"
            f"- Characters in the question: {len(question)}\n"
            f"- Words in the question: {words}\n"
            "- Markdown works: lists, code blocks, links and `inline code`\n\n"
            "```python\n"
            "def greet(name: str) -> str:\n"
            '    return f"Hello, {name}!"\n'
            "```\n\n"
            "Reference: [Coze API docs](https://www.coze.cn/open/docs/developer_guides/chat_v3)\n"
        )
    if language == "zh":
        return (
            _header(question, language)
            + "这是 **Coze 模拟器** 生成的示例回答，用来测试流式输出。🚀\n\n"
            "### 要点\n\n"
            f"- 问题长度：{len(question)} 个字符\n"
            f"- 问题中的词数：{words}\n"
            "- 支持 Markdown：列表、代码块、链接和 `行内代码`\n\n"
            "```python\n"
            "def greet(name: str) -> str:\n"
            '    return f"你好, {name}!"\n'
            "```\n\n"
            "参考文档：[Coze API 文档](https://www.coze.cn/open/docs/developer_guides/chat_v3)\n"
        )
    return (
        _header(question) + "这是 **Coze 模拟器** 生成的示例回答，用来测试流式输出。"
        "This is a *simulated* answer streamed by the Coze simulator. 🚀\n\n"
        "### 要点 Key points\n\n"
        f"- 问题长度：{len(question)} 个字符 (characters)\n"
        f"- Words in the question: {words}\n"
        "- 支持 Markdown：列表、代码块、链接 and `inline code`\n\n"
        "```python\n"
        "def greet(name: str) -> str:\n"
        '    return f"你好, {name}!"\n'
        "```\n\n"
        "参考文档 / Reference: [Coze API 文档](https://www.coze.cn/open/docs/developer_guides/chat_v3)\n"
    )


def help_answer(language: str | None = None, time_limit: float | None = None) -> str:
    """``/help``'s answer: the command table (its rows in English: they are a protocol's
    names), and the limit on an answer's time when the simulator has one."""
    title = {"en": "Simulator commands", "zh": "Coze 模拟器命令"}.get(
        language or "", "Coze 模拟器命令 / Simulator commands"
    )
    combine = {
        "en": "Commands can go anywhere in the message and combine, e.g. `/think /long 300 hello`.",
        "zh": "命令可放在消息中任意位置并组合使用，例如 `/think /long 300 hello`。",
    }.get(
        language or "",
        "命令可放在消息中任意位置并组合使用，例如 `/think /long 300 hello`。"
        "Commands can go anywhere in the message and combine.",
    )
    text = f"## {title}\n\n{commands_markdown()}\n\n{combine}\n\n{failure_help()}\n"
    if time_limit is not None:
        limit = {
            "en": f"Here an answer lasts at most {time_limit:g} s: "
            "`/long`, `/slow`, `/stall` and `/late` end there.",
            "zh": f"这里每个回答最长 {time_limit:g} 秒：`/long`、`/slow`、`/stall` 和 `/late` "
            "到时就结束。",
        }
        text += "\n" + limit.get(language or "", limit["zh"] + " " + limit["en"]) + "\n"
    return text


def recall_answer(question: str, earlier: Sequence[RecordedMessage]) -> str:
    """``/recall``'s answer: the earlier messages the chat request carried, one list item each
    (``role: text``, the text's whitespace runs shown as single spaces), oldest first."""
    lines = ["## 我记得的对话 / What I was told\n\n"]
    if question:
        lines.append(f'You asked: "{question}"\n\n')
    if not earlier:
        lines.append("没有更早的消息。I was sent no earlier messages: I remember nothing.\n")
        return "".join(lines)
    lines.append(f"I was sent {len(earlier)} earlier messages / 更早的消息：\n\n")
    for m in earlier:
        files = "".join(f" [{kind}: {file.name}]" for kind, file in m.files)
        lines.append(f"- {m.role}: {' '.join(m.content.split())}{files}\n")
    return "".join(lines)


def _file_line(kind: str, file: StoredFile, language: str | None) -> str:
    size = f"{file.size:,}"
    if language == "en":
        return f"- {file.name}: {kind}, {size} bytes\n"
    if language == "zh":
        return f"- {file.name}：{'图片' if kind == 'image' else '文件'}，{size} 字节\n"
    return f"- {file.name}：{'图片' if kind == 'image' else '文件'} ({kind})，{size} 字节 (bytes)\n"


def files_answer(
    question: str,
    files: Sequence[tuple[str, StoredFile]],
    earlier: Sequence[RecordedMessage] = (),
    language: str | None = None,
) -> str:
    """The answer to a question with files: what was received (name, kind as sent, size), and
    how many files the earlier turns carried (they are memory, as text is)."""
    count = len(files)
    before = sum(len(m.files) for m in earlier)
    if language == "en":
        lines = [_header(question, language), f"I received {count} file(s):\n\n"]
        tail = f"\nThe earlier messages carried {before} file(s).\n" if before else ""
    elif language == "zh":
        lines = [_header(question, language), f"我收到了 {count} 个文件：\n\n"]
        tail = f"\n更早的消息里有 {before} 个文件。\n" if before else ""
    else:
        lines = [_header(question), f"我收到了 {count} 个文件 / I received {count} file(s):\n\n"]
        tail = (
            f"\n更早的消息里有 {before} 个文件 / The earlier messages carried {before} file(s).\n"
            if before
            else ""
        )
    lines.extend(_file_line(kind, file, language) for kind, file in files)
    return "".join(lines) + tail


def _xss_lines() -> str:
    return (
        "\nHTML below must be shown as text / 以下 HTML 必须被转义：\n\n"
        '<script>alert("xss")</script>\n\n'
        "<img src=x onerror=\"alert('xss')\">\n\n"
        "<b>bold?</b>\n"
    )


def _second_answer(question: str) -> str:
    return (
        "### 补充 / Second message\n\n"
        f'这是第二条回答消息。This is a second answer message about "{question}".\n'
    )


def reasoning(question: str, language: str | None = None) -> str:
    """``/think``'s reasoning, streamed before the answer."""
    if language == "en":
        return (
            f'The user asks about "{question}". Let me think about it step by step: understand '
            "the question, then plan an answer with a heading, a list, a code block and a link, "
            "then check the format."
        )
    if language == "zh":
        return (
            f"用户问的是「{question}」。我一步一步想：首先理解问题，然后规划一个带标题、列表、"
            "代码块和链接的回答，最后检查格式是否正确。"
        )
    return (
        f'用户问的是「{question}」。Let me think about "{question}" step by step: '
        "首先理解问题，then plan an answer with a heading, a list, a code block and a link. "
        "最后检查格式是否正确。"
    )


def follow_ups(question: str, language: str | None = None) -> list[str]:
    """The three suggested follow-up questions sent after every answer."""
    q = question if len(question) <= 30 else question[:30] + "…"
    if language == "en":
        q = q or "this topic"
        return [
            f'Can you explain "{q}" in more detail?',
            f'What are common pitfalls with "{q}"?',
            f'Where can I read more about "{q}"?',
        ]
    if not q:
        q = "这个话题"
    if language == "zh":
        return [
            f"能详细解释一下「{q}」吗？",
            f"「{q}」有哪些常见的坑？",
            f"关于「{q}」有哪些参考资料？",
        ]
    return [
        f"能详细解释一下「{q}」吗？",
        f'What are common pitfalls with "{q}"?',
        f"关于「{q}」有哪些参考资料？",
    ]


QUESTION_NODE_TEXT = "请问你想预订哪一天？ Which day would you like to book?"
PLUGIN_NAME = "get_weather"
RICH_IMAGE_PATH = "/files/chart.png"


def rich_items(question: str, base_url: str) -> str:
    """``/rich``'s answer: an object_string, a JSON array of items in a string."""
    return dumps(
        [
            {"type": "text", "text": f"图表与报告 / Chart and report for “{question}”:"},
            {"type": "image", "file_url": base_url + RICH_IMAGE_PATH, "name": "chart.png"},
            {"type": "file", "file_url": base_url + "/files/report.pdf", "name": "report.pdf"},
            {"type": "file", "file_url": "javascript:alert(1)", "name": "not-a-web-link.txt"},
        ]
    )


def latex_answer(question: str, formulas: int) -> str:
    """``/latex N``'s answer: N formulas, every tenth a display formula, ten to a paragraph."""
    lines = [_header(question)]
    for n in range(formulas):
        if n % 10 == 9:
            lines.append(f"\n\n$$\\sum_{{k=1}}^{{{n}}} \\frac{{k^2}}{{\\sqrt{{k+{n}}}}}$$\n\n")
        else:
            lines.append(f"$x_{{{n}}} = \\alpha^{{{n}}} + \\beta_{{{n}}}$ ")
    return "".join(lines) + "\n"


def card(question: str) -> str:
    """``/card``'s answer: a card comes whole, as a JSON document in a string."""
    return dumps({"card_type": 2, "title": question, "content": "card body"})


def _long_section(i: int, language: str | None = None) -> str:
    if language == "en":
        return _long_section_en(i)
    parts = [
        f"### 第 {i} 节 Section {i}\n\n"
        f"这是长文档的第 {i} 段，用于测试大量增量的流式渲染性能。界面需要在持续收到新文本的同时"
        "保持滚动顺畅、输入框可用，并且每一次增量都只重新渲染最后一个段落，而不是整篇文档。"
        f"Paragraph {i} keeps the renderer busy with mixed 中文 and English text.\n\n"
        f"- 要点 {i}.1：保持界面流畅\n"
        f"- 要点 {i}.2：Markdown 增量渲染\n"
        f"- Point {i}.3: never block the event loop\n\n"
        "```python\n"
        f"def section_{i}(x: int) -> int:\n"
        f"    return x * {i}  # 乘以 {i}\n"
        "```\n\n"
    ]
    if i % 3 == 0:
        parts.append(
            f"| 列 A | 列 B | Column C |\n|---|---|---|\n| {i} | {i * i} | 第 {i} 行 |\n\n"
        )
    return "".join(parts)


def _long_section_en(i: int) -> str:
    text = (
        f"### Section {i}\n\n"
        f"This is paragraph {i} of a long document, to test streaming many deltas. The page "
        "must stay smooth while new text keeps arriving, keep the box usable, and redraw only "
        "the last block with each delta, never the whole document. "
        f"Paragraph {i} keeps the renderer busy.\n\n"
        f"- Point {i}.1: keep the page smooth\n"
        f"- Point {i}.2: incremental Markdown\n"
        f"- Point {i}.3: never block the event loop\n\n"
        "```python\n"
        f"def section_{i}(x: int) -> int:\n"
        f"    return x * {i}  # times {i}\n"
        "```\n\n"
    )
    if i % 3 == 0:
        text += (
            f"| Column A | Column B | Column C |\n|---|---|---|\n| {i} | {i * i} | row {i} |\n\n"
        )
    return text


def long_deltas(question: str, n: int, size: int, language: str | None = None) -> list[str]:
    """``/long n``'s answer as its exactly ``n`` deltas of about ``size`` characters.

    A long Markdown document (sections with lists, code blocks and tables) quoting ``question``;
    a code fence still open after the last delta is closed in it. The simulator sends exactly
    these deltas when its ``delta_chars`` is ``size``.
    """
    size = max(1, size)
    head = _header(question, language)
    sections: list[str] = [head]
    length, i = len(head), 0
    while True:
        while length < n * size + size:
            i += 1
            sec = _long_section(i, language)
            sections.append(sec)
            length += len(sec)
        deltas = split_deltas("".join(sections), size, limit=n)
        if len(deltas) >= n:
            break
        length += n * size  # graphemes made the pieces longer: generate more text
    text = "".join(deltas)
    if text.count("```") % 2:
        deltas[-1] += "\n```\n"
    return deltas


_SHAPE_TEXT = {shape.kind: shape.text for shape in SHAPES}
# A line of a block that is read line by line: a list item, a table row, a fence.
_LINE_ITEM = re.compile(r"\s*(?:[-*+] |\d{1,9}[.)] |\||`)")


def _finish(sent: str, rest: str) -> str:
    """What the last delta gets so the answer ends on whole structure.

    A cut list item, table row or code line is completed up to its line end (so the last delta
    may be up to a line longer than the others) and an open code fence is closed; a cut
    paragraph stays cut, wherever that is.
    """
    current = sent[sent.rfind("\n") + 1 :]
    tail = ""
    if current and (sent.count("```") % 2 or _LINE_ITEM.match(current)):
        end = rest.find("\n")
        tail = rest if end < 0 else rest[: end + 1]
    if (sent + tail).count("```") % 2:
        tail += ("" if (sent + tail).endswith("\n") else "\n") + "```\n"
    return tail


def shape_deltas(
    kind: str, question: str, n: int, size: int, language: str | None = None
) -> list[str]:
    """``/long n /shape kind``'s answer as its exactly ``n`` deltas of about ``size`` characters.

    ``mixed`` is ``long_deltas``; the other kinds are cut from ``shapes``' texts after ``n``
    deltas, the last delta finishing a cut line of a list, table or code block (see ``_finish``).
    The simulator sends exactly these deltas when its ``delta_chars`` is ``size``.
    """
    build = _SHAPE_TEXT[kind]
    if build is None:
        return long_deltas(question, n, size, language)
    size = max(1, size)
    chars = n * size + size
    while True:
        text = build(question, chars)
        deltas = split_deltas(text, size, limit=n)
        if len(deltas) >= n:
            break
        chars += n * size  # graphemes made the pieces longer: build more text
    sent = "".join(deltas)
    deltas[-1] += _finish(sent, text[len(sent) :])
    return deltas


def answer_messages(
    parsed: ParsedMessage,
    size: int,
    earlier: Sequence[RecordedMessage] = (),
    language: str | None = None,
    time_limit: float | None = None,
    files: Sequence[tuple[str, StoredFile]] = (),
) -> list[tuple[str, list[str]]]:
    """(full text, deltas of about ``size`` characters) of each text answer message.

    ``earlier``: the messages before the question (what ``/recall`` lists); ``language``: the
    language asked for (None: both); ``time_limit``: the simulator's limit on an answer's time,
    which ``/help`` tells; ``files``: the question's files, which a plain question with them is
    answered about (:func:`files_answer`)."""
    if parsed.help:
        # A line a delta: the list is readable at once, not streamed word by word for seconds.
        text = help_answer(language, time_limit)
        return [(text, text.splitlines(keepends=True))]
    if parsed.recall:
        text = recall_answer(parsed.question, earlier)
        return [(text, split_deltas(text, size))]
    if parsed.question_node:
        return [(QUESTION_NODE_TEXT, split_deltas(QUESTION_NODE_TEXT, size))]
    if parsed.card or parsed.rich or parsed.plugin:
        return []
    if parsed.latex is not None:
        text = latex_answer(parsed.question, parsed.latex)
        return [(text, split_deltas(text, size))]
    if parsed.heavy is not None:
        text = heavy_answer(parsed.heavy)
        return [(text, split_deltas(text, size))]
    if parsed.shape is not None:
        n = DEFAULT_SHAPE_DELTAS if parsed.long is None else parsed.long
        deltas = shape_deltas(parsed.shape, parsed.question, n, size, language)
        messages = [("".join(deltas), deltas)]
    elif parsed.long is not None:
        deltas = long_deltas(parsed.question, parsed.long, size, language)
        messages = [("".join(deltas), deltas)]
    elif files:
        text = files_answer(parsed.question, files, earlier, language)
        messages = [(text, split_deltas(text, size))]
    else:
        text = build_answer(parsed.question, language) + (_xss_lines() if parsed.xss else "")
        messages = [(text, split_deltas(text, size))]
    if parsed.multi:
        second = _second_answer(parsed.question)
        messages.append((second, split_deltas(second, size)))
    return messages
