"""Every sentence the page shows around answers, in English and in simplified Chinese.

The page picks a :class:`Words` by the visitor's language (``zh*`` browsers read Chinese) and
never holds a sentence of its own, so a test can walk both catalogues and find every string in
both. Turns keep facts (seconds, usage, a stop), not sentences: a turn reads in whichever
language is chosen when it is drawn.

Coze's own words (its error messages, the bot's answers) are never translated. What a visitor
is told about a failed answer is here too; the sentences for the bot's owner about it (the
"Fix" row of its details) are translated in :mod:`coze_answer._trouble`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coze_stream import Usage

from ._display import Cap

__all__ = ["LANGUAGES", "Language", "Words", "language_of", "words"]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")


def language_of(locale: str | None) -> Language:
    """The page's language for a browser locale (``zh``, ``zh-CN``, ``zh-Hant-TW`` → Chinese)."""
    return "zh" if str(locale or "").strip().lower().startswith("zh") else "en"


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"


@dataclass(frozen=True)
class Words:
    """One language's sentences. Fields with ``{names}`` are templates for the methods below."""

    code: Language
    language_name: str
    page_title: str
    title: str
    demo_caption: str
    memory_on_caption: str
    memory_off_caption: str
    placeholder: str
    # The chat box without a bot to talk to (it is disabled): why, and what to do.
    placeholder_unset: str
    placeholder_unset_demo: str
    connection: str
    mode: str
    mode_demo: str
    mode_live: str
    host: str
    bot: str
    not_connected: str
    demo_toggle: str
    demo_help: str
    memory_toggle: str
    memory_help: str
    language: str
    new_chat: str
    earlier_messages: str  # a button over the newest turns: {count} earlier ones
    # -- Chats kept in this browser (chat_page.keep): the list of past chats and its notes.
    past_chats: str
    past_chats_empty: str
    delete_chat: str
    demo_chat: str  # the mark on a demo chat in the list
    forget_chats: str
    keep_refused: str
    keep_dropped: str
    # -- Files and voice (chat_page.attachments): what is said around a question's files.
    files_only_question: str  # the text sent with files alone: Coze wants one beside them
    file_dropped_type: str
    file_dropped_size: str
    file_dropped_count: str
    file_dropped_empty: str
    uploading: str
    uploaded: str
    upload_failed: str
    upload_nothing_sent: str
    upload_nothing_sent_no_text: str
    files_not_kept: str
    recording_too_long: str
    transcribing: str
    transcription_failed: str
    transcription_empty: str
    listen: str
    listen_help: str
    speaking: str
    speech_failed: str
    speech_shortened: str
    no_voice: str
    download_markdown: str
    download_json: str
    setup_guide: str
    try_demo: str
    secrets_unreadable: str
    thinking: str
    thinking_done: str
    thought_for: str
    working: str
    still_answering: str
    stopped: str
    awaiting_reply: str
    formulas_capped: str
    table_as_grid: str
    markup_as_text: str
    nesting_flattened: str
    plain_text: str
    no_text: str
    usage_tokens: str
    first_text_after: str
    total: str
    too_long: str
    # Why a message was not sent now (refused by the page's fair share): back in the box, or
    # (a click) not sent.
    refused_streaming_in_box: str
    refused_streaming: str
    refused_rate_in_box: str
    refused_rate: str
    refused_busy_in_box: str
    refused_too_much: str  # files worth more than a minute's messages: they never fit
    refused_busy: str
    retry: str
    regenerate: str
    copy: str
    copy_help: str
    copied: str
    copy_failed: str
    details: str
    stop: str
    feedback_not_sent: str
    you: str
    bot_name: str
    exported_at: str
    export_unfinished: str
    not_sent: str
    # -- Why an answer failed (coze_answer._trouble): a headline for the visitor, saying what
    # they can do, and the labels of the "Details" rows. A ``_wait`` headline says how long to
    # wait, "{seconds} {unit}" with ``wait_second`` or ``wait_seconds`` as the unit.
    trouble_setup: str
    trouble_busy: str
    trouble_busy_wait: str
    trouble_too_many: str
    trouble_too_many_wait: str
    wait_second: str
    wait_seconds: str
    trouble_daily_limit: str
    trouble_quota: str
    trouble_timeout: str
    trouble_app_busy: str
    trouble_unreachable: str
    trouble_broke_off: str
    trouble_answer_too_long: str
    trouble_blocked: str
    trouble_cannot_answer: str
    trouble_message_too_long: str
    trouble_file_refused: str
    trouble_still_answering: str
    trouble_coze_failed: str
    trouble_app_failed: str
    detail_code: str
    detail_message: str
    detail_network: str
    detail_logid: str
    detail_status: str
    detail_fix: str
    detail_original: str
    detail_type: str
    # -- end of why an answer failed.

    def thought_label(self, seconds: float) -> str:
        return self.thought_for.format(seconds=_seconds(seconds))

    def status(self, working: bool, seconds: float) -> str:
        """The line under an answer while Coze is silent: before any text, or after some."""
        template = self.working if working else self.still_answering
        return template.format(seconds=f"{seconds:.0f}")

    def usage_caption(self, usage: Usage | None, first_text: float | None, total: float) -> str:
        parts = []
        if usage is not None and usage.token_count:  # 0: Coze did not count (a question node)
            parts.append(
                self.usage_tokens.format(
                    tokens=f"{usage.token_count:,}",
                    input=f"{usage.input_count:,}",
                    output=f"{usage.output_count:,}",
                )
            )
        if first_text is not None:
            parts.append(self.first_text_after.format(seconds=f"{first_text:.1f}"))
        parts.append(self.total.format(seconds=f"{total:.1f}"))
        return " · ".join(parts)

    def refusal(self, reason: str, retry_after: float, *, in_box: bool) -> str:
        """Why a message is not sent now: ``reason`` is "streaming" (this visitor's previous
        answer still runs), "rate" (their messages a minute), "too_much" (files worth more
        than a minute's messages) or "busy" (chats at once);
        ``in_box``: the message went back in the box, else it was a click and is not sent."""
        sentences = {
            "streaming": (self.refused_streaming_in_box, self.refused_streaming),
            "rate": (self.refused_rate_in_box, self.refused_rate),
            "too_much": (self.refused_too_much, self.refused_too_much),
        }.get(reason, (self.refused_busy_in_box, self.refused_busy))
        return sentences[0 if in_box else 1].format(seconds=max(1, round(retry_after)))

    def display_note(self, cap: Cap) -> str:
        """What the reader is told about a part of an answer shown differently (see ``Cap``)."""
        return {
            Cap.TABLE_AS_GRID: self.table_as_grid,
            Cap.MARKUP_AS_TEXT: self.markup_as_text,
            Cap.NESTING_FLATTENED: self.nesting_flattened,
            Cap.PLAIN_TEXT: self.plain_text,
        }[cap]

    def dropped_file(self, name: str, reason: str, *, max_files: int, max_mb: int) -> str:
        """Why a file in the box was not sent (``reason`` as :class:`Dropped` has it)."""
        template = {
            "type": self.file_dropped_type,
            "size": self.file_dropped_size,
            "count": self.file_dropped_count,
        }.get(reason, self.file_dropped_empty)
        return template.format(name=name, max_files=max_files, max_mb=max_mb)

    def too_long_warning(self, length: int, limit: int) -> str:
        return self.too_long.format(length=f"{length:,}", limit=f"{limit:,}")

    def memory_help_text(self, messages: int, chars: int) -> str:
        return self.memory_help.format(messages=messages, chars=f"{chars:,}")


ENGLISH = Words(
    code="en",
    language_name="English",
    page_title="Coze chat",
    title="Chat with your Coze bot",
    demo_caption=(
        ":orange-badge[:material/science: Demo mode] Answers come from the built-in simulator, "
        "not a real bot. Send `/help` to see what it can do."
    ),
    memory_on_caption=(
        "The bot remembers this chat: your earlier messages and its answers go along with each "
        "new message. Nothing is stored on the server."
    ),
    memory_off_caption=(
        "Memory is off: each message starts a new conversation, and the bot does not see "
        "earlier ones."
    ),
    placeholder="Message the bot",
    placeholder_unset="To chat, set COZE_PAT and COZE_BOT_ID (see above)",
    placeholder_unset_demo="To chat, set COZE_PAT and COZE_BOT_ID, or try demo mode (above)",
    connection="Connection",
    mode="Mode",
    mode_demo="Demo (built-in simulator)",
    mode_live="Live",
    host="Host",
    bot="Bot",
    not_connected="Not connected",
    demo_toggle="Demo mode",
    demo_help="Answer from the built-in Coze simulator.",
    memory_toggle="Remember this chat",
    memory_help=(
        "Send the earlier messages shown here along with each new one, so the bot can follow "
        "up (the newest {messages} messages, up to {chars} characters). Failed answers are left "
        "out. Turn it off to ask each question on its own."
    ),
    language="Language",
    new_chat="New chat",
    earlier_messages="Earlier messages ({count})",
    past_chats="Past chats",
    past_chats_empty="No chats kept on this browser yet.",
    delete_chat="Delete this chat",
    demo_chat="Demo",
    forget_chats="Forget chats on this browser",
    keep_refused=(
        "This browser does not let the page store chats, so this chat will not be kept after "
        "the page is closed or reloaded. The chat itself works as before."
    ),
    keep_dropped="Part of this chat, as stored in this browser, could not be read and is left out.",
    files_only_question="Please look at the attached files.",
    file_dropped_type="{name} was not sent: this bot does not take files of that type.",
    file_dropped_size="{name} was not sent: files may be at most {max_mb} MB.",
    file_dropped_count="{name} was not sent: a message may carry at most {max_files} files.",
    file_dropped_empty="{name} was not sent: the file is empty.",
    uploading="Uploading {name} ({size})…",
    uploaded="Uploaded {name} ({size})",
    upload_failed="{name} could not be uploaded. Nothing was sent.",
    upload_nothing_sent=(
        "Your text is back in the box. Add the files again to send them, or send the text alone."
    ),
    upload_nothing_sent_no_text="Add the files again to send them.",
    files_not_kept="The files were not kept: add them again to send them.",
    recording_too_long="Your recording is too long to turn into text. Please record a shorter one.",
    transcribing="Turning your recording into text…",
    transcription_failed="Your recording could not be turned into text. Nothing was sent.",
    transcription_empty="No words were heard in your recording. Nothing was sent.",
    listen="Listen",
    listen_help="Read this answer aloud",
    speaking="Making the audio…",
    speech_failed="This answer could not be read aloud.",
    speech_shortened="Only the first part of this long answer is read aloud.",
    no_voice="No voice is available to read this answer aloud.",
    download_markdown="Download as Markdown",
    download_json="Download as JSON",
    setup_guide=(
        "**Connect your Coze bot.** Set `COZE_PAT` (a personal access token with the chat "
        "permission) and `COZE_BOT_ID` (the digits after `/bot/` in the bot's address). Tokens "
        'from coze.com also need `COZE_API_BASE_URL = "https://api.coze.com"`.\n\n'
        "- **Locally**: copy `.streamlit/secrets.toml.example` to `.streamlit/secrets.toml` and "
        "fill it in, or export the variables before `streamlit run streamlit_app.py`.\n"
        "- **On Streamlit Community Cloud**: paste the same lines into the app's *Settings → "
        "Secrets* box.\n\n"
        "Or try the page right now with the built-in simulator:"
    ),
    try_demo="Try demo mode",
    secrets_unreadable=(
        "`.streamlit/secrets.toml` could not be read (it is not valid TOML), so its settings "
        'are ignored: fix the file, one `NAME = "value"` per line.'
    ),
    thinking="Thinking…",
    thinking_done="Thinking",
    thought_for="Thought for {seconds} s",
    working=":material/hourglass_top: The bot is working… {seconds} s",
    still_answering=":material/hourglass_top: Still answering… {seconds} s",
    stopped=":material/stop_circle: Stopped before the answer was complete.",
    awaiting_reply=":material/forum: The bot asked a question and is waiting for your reply.",
    formulas_capped=(
        ":material/functions: This answer has more formulas than the page typesets at once; "
        "the rest are shown as their TeX source."
    ),
    table_as_grid=(
        ":material/table: A long table in this answer is shown as a grid you can scroll, sort "
        "and search; its cells show their Markdown as text."
    ),
    markup_as_text=(
        ":material/text_fields: Long runs of Markdown symbols in this answer are shown as text."
    ),
    nesting_flattened=(
        ":material/format_indent_decrease: Lists or quotes nested very deep are shown at a "
        "shallower depth, their deeper markers as text."
    ),
    plain_text=(
        ":material/notes: Part of this answer is too long to format and is shown as plain text."
    ),
    no_text=(
        "The bot finished without any text this page can show: it may have answered with a "
        "card, an image or another kind of message that only Coze's own apps display."
    ),
    usage_tokens="{tokens} tokens ({input} in, {output} out)",
    first_text_after="first text after {seconds} s",
    total="total {seconds} s",
    too_long=(
        "This message is {length} characters long; the bot takes at most {limit} at a time. "
        "Nothing was sent: it is back in the box, so you can shorten it and send it again."
    ),
    refused_streaming_in_box=(
        "Your previous answer is still finishing. Send again in a moment: it is in the box."
    ),
    refused_streaming="Your previous answer is still finishing. Send again in a moment.",
    refused_rate_in_box=(
        "That is more messages in a minute than this page takes. Send it again in {seconds} s: "
        "it is still in the box."
    ),
    refused_rate=(
        "That is more messages in a minute than this page takes. Send it again in {seconds} s."
    ),
    refused_too_much=(
        "These files are more than this page takes in a minute. Send fewer or smaller files."
    ),
    refused_busy_in_box=(
        "This page is answering too many people right now. Try again in a moment: your message "
        "is still in the box."
    ),
    refused_busy="This page is answering too many people right now. Try again in a moment.",
    retry="Retry",
    regenerate="Regenerate",
    copy="Copy",
    copy_help="Copy the whole answer as Markdown",
    copied="Copied",
    copy_failed="Copy failed",
    details="Details",
    stop="Stop",
    feedback_not_sent="Your rating was not sent: {reason}",
    you="You",
    bot_name="Bot",
    exported_at="Exported {time}",
    export_unfinished="Still being written when this file was made: this is as far as it had got.",
    not_sent="Not sent to the bot: the page was too busy at that moment.",
    # -- Why an answer failed.
    trouble_setup="This chat is not set up correctly: please tell the site's owner.",
    trouble_busy="Coze is busy right now. Please try again in a moment.",
    trouble_busy_wait="Coze is busy right now. Please try again in {seconds} {unit}.",
    trouble_too_many=(
        "This chat is getting too many messages right now. Please try again in a moment."
    ),
    trouble_too_many_wait=(
        "This chat is getting too many messages right now. Please try again in {seconds} {unit}."
    ),
    wait_second="second",
    wait_seconds="seconds",
    trouble_daily_limit=(
        "This chat has reached its daily message limit. Please try again tomorrow, or tell the "
        "site's owner."
    ),
    trouble_quota=(
        "This chat has reached its usage limit for now. Please try again later, or tell the "
        "site's owner."
    ),
    trouble_timeout="Coze took too long to answer. Please try again.",
    trouble_app_busy=(
        "This app is handling many chats at once right now. Please try again in a moment."
    ),
    trouble_unreachable="Coze could not be reached. Please try again in a moment.",
    trouble_broke_off="The answer broke off before it was finished. Please try again.",
    trouble_answer_too_long=(
        "The answer grew too long for this page to show. Please ask for a shorter answer."
    ),
    trouble_blocked=(
        "Your question or the answer was blocked by the bot's content rules. Please try "
        "rephrasing your question."
    ),
    trouble_cannot_answer="The bot can't answer this question. Please try asking it differently.",
    trouble_message_too_long="Your message is too long for this bot. Please send a shorter one.",
    trouble_file_refused=(
        "Coze did not take this file: its type, size or content is not one it accepts. "
        "Try another file."
    ),
    trouble_still_answering=(
        "The bot is still working on the previous answer. Please try again in a moment."
    ),
    trouble_coze_failed=(
        "Coze reported an error. Please try again; if it keeps happening, tell the site's owner."
    ),
    trouble_app_failed=(
        "Something went wrong in this app. Please try again; if it keeps happening, tell the "
        "site's owner."
    ),
    detail_code="Coze code",
    detail_message="Coze's message",
    detail_network="Network error",
    detail_logid="Log id",
    detail_status="HTTP status",
    detail_fix="Fix (for the site's owner)",
    detail_original="Original (English)",
    detail_type="Error type",
    # -- end of why an answer failed.
)

CHINESE = Words(
    code="zh",
    language_name="中文",
    page_title="Coze 聊天",
    title="和你的 Coze 智能体聊天",
    demo_caption=(
        ":orange-badge[:material/science: 演示模式] 回答来自内置的模拟器，不是真正的智能体。"
        "发送 `/help` 看看它能做什么。"
    ),
    memory_on_caption=(
        "智能体记得这次聊天：每发一条新消息，之前的提问和回答都会一起发过去。服务器不保存任何内容。"
    ),
    memory_off_caption="记忆已关闭：每条消息都开始一个新对话，智能体看不到之前的消息。",
    placeholder="给智能体发消息",
    placeholder_unset="要聊天，请设置 COZE_PAT 和 COZE_BOT_ID（见上方说明）",
    placeholder_unset_demo="要聊天，请设置 COZE_PAT 和 COZE_BOT_ID，或者试用上方的演示模式",
    connection="连接",
    mode="模式",
    mode_demo="演示（内置模拟器）",
    mode_live="正式",
    host="服务器",
    bot="智能体",
    not_connected="未连接",
    demo_toggle="演示模式",
    demo_help="用内置的 Coze 模拟器回答。",
    memory_toggle="记住这次聊天",
    memory_help=(
        "每条新消息都带上这里显示的之前的消息，让智能体能接着聊（最近 {messages} 条，"
        "最多 {chars} 个字符）。出错的回答不会带上。关闭后，每个问题都单独提问。"
    ),
    language="语言",
    new_chat="新聊天",
    earlier_messages="更早的消息（{count} 条）",
    past_chats="以前的聊天",
    past_chats_empty="这个浏览器里还没有保存的聊天。",
    delete_chat="删除这个聊天",
    demo_chat="演示",
    forget_chats="清除这个浏览器上的聊天",
    keep_refused="这个浏览器不允许页面保存聊天，所以关闭或刷新页面后，这个聊天不会保留。聊天本身照常可用。",
    keep_dropped="这个浏览器里保存的这个聊天有一部分无法读取，已略去。",
    files_only_question="请看附件。",
    file_dropped_type="{name} 没有发送：这个智能体不接受这种类型的文件。",
    file_dropped_size="{name} 没有发送：每个文件最大 {max_mb} MB。",
    file_dropped_count="{name} 没有发送：一条消息最多带 {max_files} 个文件。",
    file_dropped_empty="{name} 没有发送：文件是空的。",
    uploading="正在上传 {name}（{size}）…",
    uploaded="已上传 {name}（{size}）",
    upload_failed="{name} 上传失败，消息没有发送。",
    upload_nothing_sent="你的文字已放回输入框。请重新添加文件再发送，或只发送文字。",
    upload_nothing_sent_no_text="请重新添加文件再发送。",
    files_not_kept="文件没有保留：请重新添加文件再发送。",
    recording_too_long="录音太长，无法转成文字。请录一段短一些的。",
    transcribing="正在把录音转成文字…",
    transcription_failed="录音没能转成文字，消息没有发送。",
    transcription_empty="录音里没有听到说话，消息没有发送。",
    listen="朗读",
    listen_help="把这条回答读出来",
    speaking="正在生成语音…",
    speech_failed="这条回答没能读出来。",
    speech_shortened="回答太长，只朗读前面一部分。",
    no_voice="没有可用的音色来朗读这条回答。",
    download_markdown="下载为 Markdown",
    download_json="下载为 JSON",
    setup_guide=(
        "**连接你的 Coze 智能体。** 设置 `COZE_PAT`（有对话权限的个人访问令牌）和 "
        "`COZE_BOT_ID`（智能体网址中 `/bot/` 后面的数字）。coze.com 的令牌还需要设置 "
        '`COZE_API_BASE_URL = "https://api.coze.com"`。\n\n'
        "- **在本机**：把 `.streamlit/secrets.toml.example` 复制为 `.streamlit/secrets.toml` "
        "并填好，或者在 `streamlit run streamlit_app.py` 之前导出这些环境变量。\n"
        "- **在 Streamlit Community Cloud 上**：把同样的几行粘贴到应用的 *Settings → Secrets* "
        "框里。\n\n"
        "也可以现在就用内置的模拟器试试这个页面："
    ),
    try_demo="试用演示模式",
    secrets_unreadable=(
        "无法读取 `.streamlit/secrets.toml`（不是有效的 TOML），其中的设置都被忽略了："
        '请修改这个文件，每行一个 `NAME = "value"`。'
    ),
    thinking="思考中…",
    thinking_done="思考过程",
    thought_for="思考了 {seconds} 秒",
    working=":material/hourglass_top: 智能体正在处理… {seconds} 秒",
    still_answering=":material/hourglass_top: 仍在回答… {seconds} 秒",
    stopped=":material/stop_circle: 回答还没完成就停止了。",
    awaiting_reply=":material/forum: 智能体提了一个问题，正在等你回复。",
    formulas_capped=(
        ":material/functions: 这个回答里的公式比页面一次能排版的多，其余的以 TeX 源码显示。"
    ),
    table_as_grid=(
        ":material/table: 这个回答里的长表格以可滚动、排序和搜索的网格显示，单元格里的 Markdown "
        "显示为原文。"
    ),
    markup_as_text=":material/text_fields: 这个回答里连续的长串 Markdown 符号按原文显示。",
    nesting_flattened=(
        ":material/format_indent_decrease: 嵌套过深的列表或引用以较浅的层级显示，"
        "更深的标记按原文显示。"
    ),
    plain_text=":material/notes: 这个回答有一部分太长，无法排版，以纯文本显示。",
    no_text=(
        "智能体已经回答完了，但没有这个页面能显示的文字：它可能回复了卡片、图片或其他"
        "只有 Coze 自己的应用才能显示的消息。"
    ),
    usage_tokens="{tokens} 个 token（输入 {input}，输出 {output}）",
    first_text_after="{seconds} 秒后开始输出",
    total="共 {seconds} 秒",
    too_long=(
        "这条消息有 {length} 个字符，智能体一次最多接受 {limit} 个。消息没有发送，"
        "仍在输入框里，你可以删减后再发送。"
    ),
    refused_streaming_in_box="上一个回答还没有结束。请稍后再发送；消息仍在输入框里。",
    refused_streaming="上一个回答还没有结束。请稍后再发送；消息没有发送。",
    refused_rate_in_box="一分钟内发送的消息太多了。请 {seconds} 秒后再发送；消息仍在输入框里。",
    refused_rate="一分钟内发送的消息太多了。请 {seconds} 秒后再发送；消息没有发送。",
    refused_too_much="这些文件超出了这个页面一分钟内能接收的量。请少发几个或发小一些的文件。",
    refused_busy_in_box="现在同时提问的人太多了。请稍后再试；消息仍在输入框里。",
    refused_busy="现在同时提问的人太多了。请稍后再试；消息没有发送。",
    retry="重试",
    regenerate="重新生成",
    copy="复制",
    copy_help="把整个回答复制为 Markdown",
    copied="已复制",
    copy_failed="复制失败",
    details="详细信息",
    stop="停止",
    feedback_not_sent="评价没有发送成功：{reason}",
    you="你",
    bot_name="智能体",
    exported_at="导出于 {time}",
    export_unfinished="导出时这条回答还在生成中，这里只有当时已有的部分。",
    not_sent="没有发给智能体：当时这个页面太忙了。",
    # -- Why an answer failed.
    trouble_setup="这个聊天还没有正确设置，请告诉网站的管理员。",
    trouble_busy="Coze 现在有点忙，请稍后再试。",
    trouble_busy_wait="Coze 现在有点忙，请 {seconds} {unit}后再试。",
    trouble_too_many="这个聊天现在收到的消息太多了，请稍后再试。",
    trouble_too_many_wait="这个聊天现在收到的消息太多了，请 {seconds} {unit}后再试。",
    wait_second="秒",
    wait_seconds="秒",
    trouble_daily_limit="这个聊天今天的消息数已经达到上限，请明天再试，或告诉网站的管理员。",
    trouble_quota="这个聊天的使用额度暂时用完了，请稍后再试，或告诉网站的管理员。",
    trouble_timeout="Coze 太久没有回应，请再试一次。",
    trouble_app_busy="这个应用现在同时处理的对话太多，请稍后再试。",
    trouble_unreachable="暂时连不上 Coze，请稍后再试。",
    trouble_broke_off="回答还没完成就中断了，请再试一次。",
    trouble_answer_too_long="回答太长，这个页面显示不下，请让它回答得简短一些。",
    trouble_blocked="你的问题或回答被这个聊天的内容规则拦截了，请换个说法再试。",
    trouble_cannot_answer="这个问题暂时无法回答，请换个问法试试。",
    trouble_message_too_long="你的消息太长，超出了这个聊天能处理的长度，请发一条短一些的。",
    trouble_file_refused="Coze 没有接受这个文件：它的类型、大小或内容不符合要求。请换一个文件。",
    trouble_still_answering="上一个回答还没有结束，请稍后再试。",
    trouble_coze_failed="Coze 报告了一个错误。请再试一次；如果一直这样，请告诉网站的管理员。",
    trouble_app_failed="这个应用出了点问题。请再试一次；如果一直这样，请告诉网站的管理员。",
    detail_code="Coze 错误码",
    detail_message="Coze 的说明",
    detail_network="网络错误",
    detail_logid="日志 ID",
    detail_status="HTTP 状态码",
    detail_fix="解决办法（给网站管理员）",
    detail_original="英文原文",
    detail_type="错误类型",
    # -- end of why an answer failed.
)

_CATALOGUE: dict[Language, Words] = {"en": ENGLISH, "zh": CHINESE}


def words(language: Language) -> Words:
    """The sentences of ``language`` ("en" or "zh"); anything else reads English."""
    return _CATALOGUE.get(language, ENGLISH)
