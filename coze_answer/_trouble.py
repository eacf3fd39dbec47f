"""What a visitor is told when an answer fails (English or Chinese), and details for the owner.

A :class:`coze_stream.CozeError`'s sentence is written for the bot's owner ("set COZE_PAT"): a
visitor of a public page cannot act on it. :func:`explain` turns any exception into a
:class:`Trouble`: a short headline saying what happened and what the *visitor* can do, whether
asking again may help, and rows for a collapsed "Details" box (Coze's code, message and log id,
and the owner's sentence, translated). The headlines and labels are :class:`Words`.

The Chinese owner sentences are looked up by the error's ``template``, the English sentence
before its values were filled in (as gettext looks up a msgid), and filled with the error's
``values``: nothing is read back out of finished English. A template not in the table (a newer
coze_stream) gets a generic Chinese sentence and the English original.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from coze_stream import (
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeConfigError,
    CozeConnectionError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    CozeTimeoutError,
    redact,
)

from ._words import LANGUAGES, Language, Words, words

__all__ = ["Trouble", "explain"]


@dataclass(frozen=True)
class Trouble:
    """A failed answer as the visitor sees it.

    ``headline``: what happened and what the visitor can do, one or two short sentences.
    ``retry``: whether asking the same question again may help.
    ``details``: (label, value) rows for a collapsed box, labels in the chosen language, values
    as Coze said them (never translated), the owner's fix last.
    """

    headline: str
    retry: bool
    details: tuple[tuple[str, str], ...]

    @property
    def facts(self) -> tuple[tuple[str, str], ...]:
        """The details without the owner's fix: Coze's code and message, the log id, the HTTP
        status or the error's type (what a record of the chat keeps)."""
        fixes = {
            label
            for said in map(words, LANGUAGES)
            for label in (said.detail_fix, said.detail_original)
        }
        return tuple(row for row in self.details if row[0] not in fixes)


@dataclass(frozen=True)
class _Headline:
    says: Callable[[Words], str]
    retry: bool
    # The same with the seconds to wait (rate limits with a Retry-After).
    says_wait: Callable[[Words], str] | None = None


_SETUP = _Headline(lambda w: w.trouble_setup, retry=False)
_BUSY = _Headline(lambda w: w.trouble_busy, retry=True, says_wait=lambda w: w.trouble_busy_wait)
_TOO_MANY = _Headline(
    lambda w: w.trouble_too_many, retry=True, says_wait=lambda w: w.trouble_too_many_wait
)
_DAILY_LIMIT = _Headline(lambda w: w.trouble_daily_limit, retry=False)
_QUOTA = _Headline(lambda w: w.trouble_quota, retry=False)
_TIMEOUT = _Headline(lambda w: w.trouble_timeout, retry=True)
_APP_BUSY = _Headline(lambda w: w.trouble_app_busy, retry=True)
_UNREACHABLE = _Headline(lambda w: w.trouble_unreachable, retry=True)
_BROKE_OFF = _Headline(lambda w: w.trouble_broke_off, retry=True)
_ANSWER_TOO_LONG = _Headline(lambda w: w.trouble_answer_too_long, retry=False)
_FILE_REFUSED = _Headline(lambda w: w.trouble_file_refused, retry=False)
_BLOCKED = _Headline(lambda w: w.trouble_blocked, retry=False)
_CANNOT_ANSWER = _Headline(lambda w: w.trouble_cannot_answer, retry=False)
_MESSAGE_TOO_LONG = _Headline(lambda w: w.trouble_message_too_long, retry=False)
_STILL_ANSWERING = _Headline(lambda w: w.trouble_still_answering, retry=True)
_COZE_FAILED = _Headline(lambda w: w.trouble_coze_failed, retry=True)
_APP_FAILED = _Headline(lambda w: w.trouble_app_failed, retry=True)

# Coze codes whose visitor's action differs from their class's (see coze_stream's code table).
_BY_CODE: Final[dict[int, _Headline]] = {
    4008: _DAILY_LIMIT,  # the account's daily message limit: not "in a moment"
    4009: _BUSY,
    4010: _MESSAGE_TOO_LONG,
    4011: _QUOTA,  # token balance empty
    4012: _SETUP,  # the bot's model is not valid
    4013: _BUSY,  # the model is overloaded
    4014: _CANNOT_ANSWER,
    4016: _STILL_ANSWERING,
    4019: _QUOTA,  # in arrears
    4020: _TOO_MANY,  # requests per minute
    4022: _QUOTA,  # in arrears
    4028: _QUOTA,  # free quota used up
    4102: _BLOCKED,  # risk control
    4105: _BLOCKED,  # sensitive content
}

_TOO_MANY_REQUESTS = 429
_NOT_FOUND = 404

# Templates of coze_stream's sentences (the keys of _OWNER_ZH) whose visitor's action differs
# from their class's.
_PLUGIN = (
    "The bot wants this app to run its plugin {plugins} and send back the result, which this "
    "app does not support: in Coze, remove client-side plugins from the bot."
)
_TOOL = (
    "The bot wants this app to run a tool and send back the result, which this app does not "
    "support: in Coze, remove client-side plugins from the bot."
)
_ANSWER_GREW = (
    "The answer grew past {limit:,} characters, more than this app shows, so it was ended "
    "there: ask for a shorter answer."
)
_NO_FREE_CONNECTION = (
    "This app is talking to Coze for many people at once and had no free connection within "
    "{seconds:g} seconds: try again in a moment."
)
_FILE_REFUSALS = (  # coze_stream's sentences for a file Coze will not take as it is
    "Coze received no file, or an empty one: choose the file again and retry.",
    "The file is larger than Coze takes: send a smaller file.",
    "Coze does not take files of this type: send another kind of file.",
    "Coze found the file invalid or damaged: send another file.",
    "Coze refused the file: its content may not match its extension (such as a .png that is "
    "not a PNG image). Send the file with its right extension.",
)
_BY_TEMPLATE: Final[dict[str, _Headline]] = {
    **dict.fromkeys(_FILE_REFUSALS, _FILE_REFUSED),
    _PLUGIN: _SETUP,  # a client-side plugin fails every time it is called
    _TOOL: _SETUP,
    _ANSWER_GREW: _ANSWER_TOO_LONG,
    _NO_FREE_CONNECTION: _APP_BUSY,  # this app's connections, not Coze, were the limit
}

# The owner's sentences: coze_stream's English template (the key, as it is written there) ->
# the Chinese, with the same {placeholders}, filled with the error's values.
_OWNER_ZH: Final[dict[str, str]] = {
    # Coze's codes.
    "Coze rejected the request as invalid.": "Coze 认为这个请求无效，拒绝了它。",
    "Coze says the chat is invalid.": "Coze 提示这次对话无效。",
    "Coze says the conversation is invalid.": "Coze 提示这个会话无效。",
    "Coze does not know this bot, or the token may not use it: check COZE_BOT_ID (the digits "
    "after /bot/ in the bot's address) and that the token's workspace holds the bot.": (
        "Coze 无法识别这个智能体，或者令牌无权使用它：请检查 COZE_BOT_ID（智能体网址中 /bot/ "
        "后面的那串数字），并确认令牌所属的工作空间里有这个智能体。"
    ),
    "The daily message limit for this Coze account has been reached: try again tomorrow.": (
        "这个 Coze 账号今天的消息数已经达到上限：请明天再试。"
    ),
    "Coze is busy right now: try again in a moment.": "Coze 现在很忙：请稍后再试。",
    "The message is too long for the bot's model: send a shorter one.": (
        "消息太长，超出了智能体所用模型的上限：请发送短一些的消息。"
    ),
    "The Coze account has run out of tokens: top up its balance in Coze, then try again.": (
        "Coze 账号的 token 余额已经用完：请在 Coze 中充值，然后再试。"
    ),
    "The bot's model is not valid: choose another model for the bot.": (
        "智能体的模型无效：请为智能体换一个模型。"
    ),
    "The bot's model is overloaded or failed: try again in a moment.": (
        "智能体的模型负载过高或出错了：请稍后再试。"
    ),
    "Coze cannot answer this question: try asking differently.": (
        "Coze 无法回答这个问题：请换个问法。"
    ),
    "The bot is not published as an API service: in Coze, publish it with 'API' (Agent as API) "
    "selected, then try again.": (
        "智能体还没有发布为 API 服务：请在 Coze 中发布智能体，勾选“API”（Agent as API）渠道，"
        "然后再试。"
    ),
    "Coze is still busy with a previous answer in this conversation: try again shortly.": (
        "Coze 还在处理这个会话中的上一个回答：请稍后再试。"
    ),
    "The Coze account is in arrears: settle the bill in Coze.": (
        "Coze 账号已欠费：请在 Coze 中结清账单。"
    ),
    "Too many requests to Coze right now: wait a moment and try again.": (
        "现在发给 Coze 的请求太多：请稍等片刻再试。"
    ),
    "The Coze account or model is in arrears: settle the bill in Coze.": (
        "Coze 账号或模型已欠费：请在 Coze 中结清账单。"
    ),
    "The free Coze quota of this account is used up: upgrade the account or wait for it to "
    "reset.": "这个账号的 Coze 免费额度已经用完：请升级账号，或等额度重置。",
    "Coze rejected the access token: it is wrong or has expired. Create a new personal access "
    "token and set COZE_PAT. A token made on coze.com needs "
    "COZE_API_BASE_URL=https://api.coze.com, one made on coze.cn needs https://api.coze.cn.": (
        "Coze 拒绝了访问令牌：令牌有误或已过期。请新建一个个人访问令牌，并把它设为 COZE_PAT。"
        "在 coze.com 创建的令牌需要 COZE_API_BASE_URL=https://api.coze.com，在 coze.cn 创建的"
        "令牌需要 https://api.coze.cn。"
    ),
    "The access token has no permission for this: give it the chat permission and access to "
    "the bot's workspace, or create a new token.": (
        "访问令牌没有这项操作的权限：请为它开通 chat 权限和智能体所在工作空间的访问权限，或新"
        "建一个令牌。"
    ),
    "Coze's risk control blocked this request.": "Coze 的风控拦截了这个请求。",
    "Coze refused the message because it contains sensitive content: rephrase it.": (
        "消息含有敏感内容，被 Coze 拒绝了：请换个说法。"
    ),
    "Coze could not find the bot: check COZE_BOT_ID (the digits after /bot/ in the bot's "
    "address) and that the token's workspace holds the bot.": (
        "Coze 找不到这个智能体：请检查 COZE_BOT_ID（智能体网址中 /bot/ 后面的那串数字），并确"
        "认令牌所属的工作空间里有这个智能体。"
    ),
    "Coze had an internal error: try again in a moment.": "Coze 内部出错了：请稍后再试。",
    "Coze rejected the access token: it is wrong or has expired. A token made on coze.com "
    "needs COZE_API_BASE_URL=https://api.coze.com, one made on coze.cn needs "
    "https://api.coze.cn.": (
        "Coze 拒绝了访问令牌：令牌有误或已过期。在 coze.com 创建的令牌需要 COZE_API_BASE_URL="
        "https://api.coze.com，在 coze.cn 创建的令牌需要 https://api.coze.cn。"
    ),
    # HTTP statuses without a code, and replies that are not what was asked for.
    "Coze's chat service was not found at this address: check COZE_API_BASE_URL.": (
        "在这个地址上找不到 Coze 的对话服务：请检查 COZE_API_BASE_URL。"
    ),
    "Coze is having trouble right now: try again in a moment.": "Coze 现在出了点问题：请稍后再试。",
    "Coze answered with an error.": "Coze 返回了一个错误。",
    "Coze answered with a plain reply instead of a streamed answer: check COZE_API_BASE_URL "
    "points at Coze's API.": (
        "Coze 返回的是普通回复，而不是流式回答：请检查 COZE_API_BASE_URL 是否指向 Coze 的 API。"
    ),
    "Coze answered with something that is not a streamed answer (content type "
    "{content_type!r}): check COZE_API_BASE_URL points at Coze's API.": (
        "Coze 返回的内容不是流式回答（内容类型为 {content_type!r}）：请检查 COZE_API_BASE_URL"
        " 是否指向 Coze 的 API。"
    ),
    "Coze answered with something that is not a streamed answer (no content type): check "
    "COZE_API_BASE_URL points at Coze's API.": (
        "Coze 返回的内容不是流式回答（没有内容类型）：请检查 COZE_API_BASE_URL 是否指向 Coze "
        "的 API。"
    ),
    "Coze's reply is compressed in a way this app does not read ({encoding!r}): check "
    "COZE_API_BASE_URL points at Coze's API.": (
        "Coze 的回复用了这个应用无法读取的压缩方式（{encoding!r}）：请检查 COZE_API_BASE_URL "
        "是否指向 Coze 的 API。"
    ),
    "Coze's reply could not be decoded (a proxy in between may have altered it): try again, or "
    "check COZE_API_BASE_URL.": (
        "无法解码 Coze 的回复（可能被中间的代理改动过）：请重试，或检查 COZE_API_BASE_URL。"
    ),
    "Coze's reply trickled in for more than {seconds:g} seconds, so it was abandoned: try again.": (
        "Coze 的回复断断续续地传了超过 {seconds:g} 秒，所以放弃了这次回复：请重试。"
    ),
    # Failures of HTTP itself.
    _NO_FREE_CONNECTION: (
        "这个应用正同时替很多人与 Coze 通信，{seconds:g} 秒内没有空闲的连接：请稍后再试。"
    ),
    "Coze did not accept the connection within {seconds:g} seconds: check your internet "
    "connection and try again.": (
        "Coze 在 {seconds:g} 秒内没有接受连接：请检查网络连接，然后再试。"
    ),
    "Coze sent nothing for {seconds:g} seconds, so the answer was abandoned: try again.": (
        "Coze 已经 {seconds:g} 秒没有发来任何内容，所以放弃了这次回答：请重试。"
    ),
    "Could not reach Coze at {host}: check your internet connection and COZE_API_BASE_URL.": (
        "无法连接 Coze（{host}）：请检查网络连接和 COZE_API_BASE_URL。"
    ),
    # The answer's stream.
    "Coze sent a piece of the answer larger than this app reads ({megabytes} MB), so the "
    "answer was ended: try again, or ask for a shorter answer.": (
        "Coze 发来的一段回答超出了这个应用能读取的大小（{megabytes} MB），所以回答被中止了："
        "请重试，或要求更短的回答。"
    ),
    "Coze kept sending bytes for {seconds:g} seconds without finishing a piece of the answer, "
    "so the answer was abandoned: try again.": (
        "Coze 连续 {seconds:g} 秒都在发送数据，却始终没有发完一段回答，所以放弃了这次回答：请重试。"
    ),
    "Coze sent part of the answer in a form this app cannot read (a {event} event that is not "
    "a JSON object): try again.": (
        "Coze 发来的一部分回答格式无法读取（{event} 事件不是 JSON 对象）：请重试。"
    ),
    "The bot could not finish its answer: try again in a moment.": (
        "智能体没能完成回答：请稍后再试。"
    ),
    _PLUGIN: (
        "智能体要求这个应用运行它的插件 {plugins} 并返回结果，但这个应用不支持：请在 Coze 中"
        "移除智能体的客户端插件。"
    ),
    _TOOL: (
        "智能体要求这个应用运行一个工具并返回结果，但这个应用不支持：请在 Coze 中移除智能体的"
        "客户端插件。"
    ),
    _ANSWER_GREW: (
        "回答超过了 {limit:,} 个字符，超出了这个应用能显示的长度，所以在那里中止了：请要求更"
        "短的回答。"
    ),
    "The answer from Coze ended before it was complete: try again.": (
        "Coze 的回答还没完成就结束了：请重试。"
    ),
    "The connection to Coze broke before the answer was complete: try again.": (
        "回答还没完成，与 Coze 的连接就断开了：请重试。"
    ),
    "Coze stopped the answer with an error: try again in a moment.": (
        "Coze 因为出错中止了回答：请稍后再试。"
    ),
    # Feedback on an answer.
    "Coze does not know this answer (it may be from an earlier session, or deleted): the "
    "feedback was not recorded.": (
        "Coze 找不到这条回答（它可能来自之前的会话，或已被删除）：反馈没有记录下来。"
    ),
    "Coze did not answer the feedback within {seconds:g} seconds: try again.": (
        "Coze 在 {seconds:g} 秒内没有回应这条反馈：请重试。"
    ),
    "Coze answered the feedback with something unexpected: check COZE_API_BASE_URL points at "
    "Coze's API.": "Coze 对反馈的回复不符合预期：请检查 COZE_API_BASE_URL 是否指向 Coze 的 API。",
    "The access token may not give feedback on answers: give it that permission in Coze, or "
    "create a new token.": (
        "访问令牌无权对回答提交反馈：请在 Coze 中为它开通这项权限，或新建一个令牌。"
    ),
    "Coze's feedback service was not found at this address: check COZE_API_BASE_URL.": (
        "在这个地址上找不到 Coze 的反馈服务：请检查 COZE_API_BASE_URL。"
    ),
    # Files and audio.
    "Coze rejected the access token for this call: it is wrong or has expired, or it lacks the "
    "{permission} permission. Give the token the {permission} permission in Coze, or create a "
    "new one and set COZE_PAT. A token made on coze.com needs "
    "COZE_API_BASE_URL=https://api.coze.com, one made on coze.cn needs https://api.coze.cn.": (
        "Coze 拒绝了这次调用的访问令牌：令牌有误或已过期，或者缺少 {permission} 权限。请在 Coze "
        "中为令牌开通 {permission} 权限，或新建一个令牌并设为 COZE_PAT。在 coze.com 创建的令牌"
        "需要 COZE_API_BASE_URL=https://api.coze.com，在 coze.cn 创建的令牌需要 "
        "https://api.coze.cn。"
    ),
    "The access token has no permission for this call: give it the {permission} permission in "
    "Coze, or create a new token with it.": (
        "访问令牌无权进行这次调用：请在 Coze 中为它开通 {permission} 权限，或新建一个带这项权限"
        "的令牌。"
    ),
    "Coze received no file, or an empty one: choose the file again and retry.": (
        "Coze 没有收到文件，或者收到的是空文件：请重新选择文件再试。"
    ),
    "Coze takes one file per upload, and received more than one.": (
        "Coze 每次上传只接受一个文件，这次却收到了不止一个。"
    ),
    "The file is larger than Coze takes: send a smaller file.": (
        "文件超过了 Coze 接受的大小：请发送小一些的文件。"
    ),
    "Coze does not take files of this type: send another kind of file.": (
        "Coze 不接受这种类型的文件：请换一种文件发送。"
    ),
    "Coze found the file invalid or damaged: send another file.": (
        "Coze 认为这个文件无效或已损坏：请换一个文件。"
    ),
    "Coze refused the file: its content may not match its extension (such as a .png that is "
    "not a PNG image). Send the file with its right extension.": (
        "Coze 拒绝了这个文件：它的内容可能与扩展名不符（比如一个并不是 PNG 图片的 .png 文件）。"
        "请用正确的扩展名发送文件。"
    ),
    "Coze answered the upload with something unexpected (no file id): check "
    "COZE_API_BASE_URL points at Coze's API.": (
        "Coze 对上传的回复不符合预期（没有文件 ID）：请检查 COZE_API_BASE_URL 是否指向 Coze 的 "
        "API。"
    ),
    "Coze did not answer the upload within {seconds:g} seconds: try again.": (
        "Coze 在 {seconds:g} 秒内没有回应这次上传：请重试。"
    ),
    "Coze's file upload was not found at this address: check COZE_API_BASE_URL.": (
        "在这个地址上找不到 Coze 的文件上传服务：请检查 COZE_API_BASE_URL。"
    ),
    "Coze did not answer within {seconds:g} seconds: try again.": (
        "Coze 在 {seconds:g} 秒内没有回应：请重试。"
    ),
    "Coze's speech service was not found at this address: check COZE_API_BASE_URL.": (
        "在这个地址上找不到 Coze 的语音服务：请检查 COZE_API_BASE_URL。"
    ),
    "Coze answered with something unexpected instead of speech or its text: check "
    "COZE_API_BASE_URL points at Coze's API.": (
        "Coze 的回复既不是语音也不是识别出的文字，不符合预期：请检查 COZE_API_BASE_URL 是否指向 "
        "Coze 的 API。"
    ),
    "Coze's audio for this text is larger than this app reads ({megabytes} MB): send a shorter "
    "text.": (
        "Coze 为这段文字合成的音频超过了本应用读取的上限（{megabytes} MB）：请发送短一些的文字。"
    ),
    # Settings.
    "COZE_PAT is not set: create a personal access token in Coze (API > Personal Access "
    "Tokens, with the chat permission) and set COZE_PAT to it.": (
        "COZE_PAT 没有设置：请在 Coze 中创建一个个人访问令牌（API > 个人访问令牌，需要 chat "
        "权限），并把 COZE_PAT 设为这个令牌。"
    ),
    "COZE_PAT looks malformed: a token has no spaces or line breaks inside. Copy it again from "
    "Coze, without quotes or a 'Bearer' prefix.": (
        "COZE_PAT 的格式看起来不对：令牌中间不会有空格或换行。请从 Coze 重新复制，不要带引号"
        "，也不要带“Bearer”前缀。"
    ),
    "COZE_PAT contains characters no token has (such as curly quotes or dashes from a document "
    "or a chat): copy it again from Coze, as plain text.": (
        "COZE_PAT 含有令牌里不会出现的字符（比如从文档或聊天里带进来的弯引号或破折号）：请从 "
        "Coze 重新复制，以纯文本粘贴。"
    ),
    "COZE_PAT is too short to be a Coze token (they are {shortest} characters or more, such as "
    "pat_ and 64 letters and digits): copy the whole token from Coze.": (
        "COZE_PAT 太短，不像 Coze 的令牌（令牌至少有 {shortest} 个字符，例如 pat_ 加 64 个字"
        "母和数字）：请从 Coze 复制完整的令牌。"
    ),
    "COZE_BOT_ID is not set: set it to your bot's id, the digits after /bot/ in the bot's "
    "address in Coze.": (
        "COZE_BOT_ID 没有设置：请把它设为你的智能体 ID，也就是 Coze 中智能体网址里 /bot/ 后面"
        "的那串数字。"
    ),
    "COZE_BOT_ID must be all digits (the digits after /bot/ in the bot's address in Coze); the "
    "value set has {length} characters and is not.": (
        "COZE_BOT_ID 必须全是数字（Coze 中智能体网址里 /bot/ 后面的那串数字）；现在设置的值有"
        " {length} 个字符，并不全是数字。"
    ),
    "COZE_API_BASE_URL must not contain a user name or password (the part before an @): Coze "
    "takes only the token, such as https://api.coze.cn.": (
        "COZE_API_BASE_URL 不能包含用户名或密码（@ 前面的部分）：Coze 只需要令牌，地址写成 ht"
        "tps://api.coze.cn 这样即可。"
    ),
    "COZE_API_BASE_URL must be an http(s) address such as https://api.coze.cn (coze.cn "
    "accounts) or https://api.coze.com (coze.com accounts).": (
        "COZE_API_BASE_URL 必须是 http(s) 地址，例如 https://api.coze.cn（coze.cn 账号）或 ht"
        "tps://api.coze.com（coze.com 账号）。"
    ),
    "COZE_API_BASE_URL must use https:// (plain http:// would send the token unencrypted; it "
    "is accepted only for this machine, such as the simulator on 127.0.0.1).": (
        "COZE_API_BASE_URL 必须使用 https://（明文的 http:// 会把令牌不加密地发出去；只有本机"
        "地址才允许用它，比如运行在 127.0.0.1 上的模拟器）。"
    ),
    "COZE_READ_TIMEOUT must be a number of seconds between 0 and 3600, such as 60.": (
        "COZE_READ_TIMEOUT 必须是 0 到 3600 之间的秒数，例如 60。"
    ),
}

# A generic Chinese owner sentence by class, for a template not in the table.
_GENERIC_ZH: Final[tuple[tuple[type[CozeError], str], ...]] = (
    (CozeConfigError, "有一项设置缺失或格式不对。"),
    (CozeAuthError, "Coze 不接受这个访问令牌，或令牌没有所需的权限。"),
    (CozeBotError, "Coze 找不到这个智能体，或令牌无权使用它。"),
    (CozeRateLimitError, "Coze 暂时限制了请求。"),
    (CozeTimeoutError, "Coze 太久没有回应。"),
    (CozeConnectionError, "无法连接 Coze。"),
    (CozeStreamError, "回答中途断了。"),
    (CozeError, "Coze 报告了一个错误。"),
)
_NOT_TRANSLATED_ZH = "这条说明还没有中文版，英文原文见下一行。"


def explain(error: BaseException, language: Language) -> Trouble:
    """What to tell a visitor about ``error``, which ended an answer, in ``language``.

    A :class:`coze_stream.CozeError` is explained by its Coze code where that decides what the
    visitor can do (a daily limit, blocked content), else by its class. Any other exception is
    a fault of this app: only its class name is shown, never its message (it could hold
    anything, the token included).
    """
    said = words(language)
    if not isinstance(error, CozeError):
        return Trouble(
            _APP_FAILED.says(said), _APP_FAILED.retry, ((said.detail_type, type(error).__name__),)
        )
    headline = _headline_for(error)
    return Trouble(_wording(headline, error, said), headline.retry, _details(error, said))


def _headline_for(error: CozeError) -> _Headline:
    if error.code is not None and error.code in _BY_CODE:
        return _BY_CODE[error.code]
    if error.template in _BY_TEMPLATE:
        return _BY_TEMPLATE[error.template]
    if isinstance(error, CozeConfigError | CozeAuthError | CozeBotError):
        return _SETUP
    if isinstance(error, CozeRateLimitError):
        if error.code is None and error.http_status == _TOO_MANY_REQUESTS:
            return _TOO_MANY
        return _BUSY
    if isinstance(error, CozeTimeoutError):
        return _TIMEOUT
    if isinstance(error, CozeConnectionError):
        return _UNREACHABLE
    if isinstance(error, CozeStreamError):
        return _BROKE_OFF
    if isinstance(error, CozeAPIError) and error.code is None and error.http_status == _NOT_FOUND:
        return _SETUP  # no chat service at COZE_API_BASE_URL
    return _COZE_FAILED


def _wording(headline: _Headline, error: CozeError, said: Words) -> str:
    seconds = _seconds(error.retry_after)
    if seconds is not None and headline.says_wait is not None:
        unit = said.wait_second if seconds == 1 else said.wait_seconds
        return headline.says_wait(said).format(seconds=seconds, unit=unit)
    return headline.says(said)


def _seconds(retry_after: float | None) -> int | None:
    """Whole seconds to wait (rounded up), or None when Coze did not say or said "now"."""
    if retry_after is None or not math.isfinite(retry_after) or retry_after <= 0:
        return None
    return math.ceil(retry_after)


def _details(error: CozeError, said: Words) -> tuple[tuple[str, str], ...]:
    # The error's attributes are redacted already; redacted again in case one was set later.
    rows: list[tuple[str, str]] = []
    if error.code is not None:
        rows.append((said.detail_code, str(error.code)))
    if error.coze_message:
        # Coze said nothing when it could not be reached: the message is the network error's.
        network = isinstance(error, CozeConnectionError | CozeTimeoutError) and error.code is None
        rows.append(
            (said.detail_network if network else said.detail_message, redact(error.coze_message))
        )
    if error.logid:
        rows.append((said.detail_logid, redact(error.logid)))
    if error.code is None and error.http_status is not None:
        rows.append((said.detail_status, str(error.http_status)))
    if not error.template:  # a failure read back from the browser keeps no owner sentence
        return tuple(rows)
    sentence = redact(error.sentence)
    if said.code == "en":
        rows.append((said.detail_fix, sentence))
        return tuple(rows)
    chinese = _owner_zh(error)
    if chinese is not None:
        rows.append((said.detail_fix, chinese))
    else:
        generic = next(text for cls, text in _GENERIC_ZH if isinstance(error, cls))
        rows.append((said.detail_fix, generic + _NOT_TRANSLATED_ZH))
        rows.append((said.detail_original, sentence))
    return tuple(rows)


def _owner_zh(error: CozeError) -> str | None:
    """The Chinese of ``error``'s owner sentence: its template's, filled with its values; None
    when the template is not in the table or its values do not fill it."""
    chinese = _OWNER_ZH.get(error.template)
    if chinese is None:
        return None
    if not _placeholders(chinese):
        return chinese
    try:
        return redact(chinese.format(**error.values))
    except (KeyError, IndexError, ValueError, TypeError):  # values of another template
        return None


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
