"""The shapes ``/shape KIND`` gives the long answer: one long Markdown block of one kind, or more.

``/long N /shape KIND`` answers with exactly N deltas (of the simulator's ``delta_chars``) of a
document of that shape; ``bench/ui.py`` streams each shape to measure how a page copes with it.
Every text quotes the question inside its block (a client still shows which question it answers;
a question holding Markdown syntax of the block, such as ``|`` in a table, can break it) and is
deterministic: the same question and size always give the same deltas.

Each builder returns at least ``chars`` characters (the answer is cut from it). The English and
Chinese words come from a fixed pseudo-random walk through a vocabulary, so a run of a few words
rarely repeats and a benchmark can find a short unique piece of text anywhere in a paragraph.
The texts avoid what Streamlit's Markdown would render as something else (``$`` for formulas,
``:name:`` emoji codes, ``*`` and ``_`` emphasis).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

DEFAULT_SHAPE_DELTAS = 100  # /shape KIND without /long N

_WORDS = (
    "stream", "render", "quietly", "answer", "browser", "window", "paper", "river", "signal",
    "careful", "simple", "letter", "orange", "marble", "garden", "silver", "planet", "measure",
    "steady", "bright", "harbor", "engine", "pocket", "winter", "yellow", "thunder", "copper",
    "little", "moment", "shadow", "velvet", "cotton", "forest", "button", "canvas", "dinner",
    "fabric", "gentle", "hollow", "island", "jacket", "kettle", "ladder", "meadow", "needle",
    "oyster", "pepper", "quartz", "ribbon", "saddle", "tunnel", "useful", "vessel", "wonder",
)  # fmt: skip
_CJK_WORDS = (
    "流式", "输出", "界面", "渲染", "文本", "段落", "浏览器", "服务器", "增量", "消息", "模型",
    "回答", "问题", "速度", "延迟", "字节", "网络", "页面", "元素", "滚动", "光标", "表格",
    "代码", "列表", "标题", "用户", "机器人", "测试", "性能", "稳定", "顺畅", "及时", "完整",
    "长度", "结构", "内容", "显示", "等待", "变化", "结果", "清楚", "简单", "细节", "方法",
)  # fmt: skip
_CJK_BREAKS = "，，，、；"  # inside a sentence (weighted towards the comma)
_CJK_ENDS = "。。。！？"


def _walk(vocabulary: tuple[str, ...], seed: int) -> Iterator[str]:
    """Words of ``vocabulary`` in a fixed pseudo-random order (a 64-bit LCG, no ``random``)."""
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        yield vocabulary[(state >> 33) % len(vocabulary)]


def _take(words: Iterator[str], count: int) -> list[str]:
    return [next(words) for _ in range(count)]


def paragraph(question: str, chars: int) -> str:
    """One paragraph (a single line) of English sentences."""
    parts = [f'You asked "{question}", and this one paragraph answers it at length.']
    length, words, k = len(parts[0]), _walk(_WORDS, 1), 0
    while length < chars:
        k += 1
        sentence = " " + " ".join(_take(words, 6 + k % 7)).capitalize() + "."
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)


def _code_line(k: int) -> str:
    # Every line holds its number k, so each line's text is unique in the block; a function
    # every five lines, from the first.
    divisor = k % 11 + 2
    return (
        f"def step_{k}(value: int) -> int:",
        f"    scaled = value * {k} + {k % 7}",
        f"    if scaled % {divisor} == 0:  # line {k}",
        f"        return scaled // {divisor} + {k}",
        f"    return scaled - {k}",
    )[(k - 1) % 5]


def _lines(first: list[str], line: Callable[[int], str], chars: int, last: str = "") -> str:
    """``first``, then ``line(k)`` for k = 1, 2, ... until ``chars``, then ``last``, a line each."""
    lines = list(first)
    length, k = sum(len(text) + 1 for text in lines), 0
    while length < chars:
        k += 1
        lines.append(line(k))
        length += len(lines[-1]) + 1
    return "\n".join([*lines, last]) if last else "\n".join(lines) + "\n"


def code(question: str, chars: int) -> str:
    """One fenced Python code block, its first line a comment quoting the question."""
    return _lines(["```python", f"# {question}"], _code_line, chars, "```\n")


def bullets(question: str, chars: int) -> str:
    """One bullet list, one item per line."""
    words = _walk(_WORDS, 2)
    return _lines(
        [f'- You asked "{question}"'],
        lambda k: f"- Item {k} " + " ".join(_take(words, 3 + k % 4)),
        chars,
    )


def numbered(question: str, chars: int) -> str:
    """One numbered list: ``1.``, ``2.``, ``3.``, ..."""
    words = _walk(_WORDS, 3)
    return _lines(
        [f'1. You asked "{question}"'],
        lambda k: f"{k + 1}. Step {k + 1} " + " ".join(_take(words, 3 + k % 4)),
        chars,
    )


def table(question: str, chars: int) -> str:
    """One table: a header (quoting the question), its delimiter row and rows of 4 columns."""
    words = _walk(_WORDS, 4)
    return _lines(
        [f"| Row | {question} | Value | 说明 |", "|---:|---|---:|---|"],
        lambda k: f"| {k} | {' '.join(_take(words, 2 + k % 3))} | {k * 37 % 1009} | 第 {k} 行 |",
        chars,
    )


def cjk(question: str, chars: int) -> str:
    """Chinese run-on text: Chinese punctuation, no spaces or newlines (outside the question)."""
    parts = [f"你问的是「{question}」。"]
    length, words, k = len(parts[0]), _walk(_CJK_WORDS, 5), 0
    while length < chars:
        k += 1
        clauses = ["".join(_take(words, 2 + (k + c) % 3)) for c in range(1 + k % 3)]
        sentence = "".join(
            clause + _CJK_BREAKS[(k + c) % len(_CJK_BREAKS)] for c, clause in enumerate(clauses)
        )
        sentence = sentence[:-1] + _CJK_ENDS[k % len(_CJK_ENDS)]
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)


def mixed_long(question: str, chars: int) -> str:
    """A few long sections: a heading, then a paragraph, a code block, a list and a table of
    about a quarter of the text each (the table last, as long as the rest allows)."""
    head = f"## 关于「{question}」\n\n"
    quarter = (chars + 3) // 4
    return (
        head
        + paragraph(question, quarter)
        + "\n\n"
        + code(question, quarter)
        + "\n"
        + bullets(question, quarter)
        + "\n"
        + table(question, max(1, chars - 3 * quarter))
    )


@dataclass(frozen=True)
class Shape:
    """One ``/shape`` kind: ``text(question, chars)`` builds at least ``chars`` characters of it;
    None for ``mixed``, the ``/long`` document itself (``answers.long_deltas``)."""

    kind: str
    help: str
    text: Callable[[str, int], str] | None


SHAPES: tuple[Shape, ...] = (
    Shape("paragraph", "the long answer is one paragraph of English words", paragraph),
    Shape("code", "the long answer is one fenced python code block", code),
    Shape("list", "the long answer is one bullet list, an item a line", bullets),
    Shape("numbered", "the long answer is one numbered list (1. 2. 3. ...)", numbered),
    Shape("table", "the long answer is one table of 4 columns, a row a line", table),
    Shape("cjk", "the long answer is Chinese run-on text, no spaces or newlines", cjk),
    Shape("mixed", "the long answer is /long's document of short sections (the default)", None),
    Shape(
        "mixed-long",
        "the long answer is a heading, then one long paragraph, code block, list and table",
        mixed_long,
    ),
)
SHAPE_KINDS = tuple(shape.kind for shape in SHAPES)
