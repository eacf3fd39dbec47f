"""What a visitor is told when an answer fails (coze_answer._trouble), in English and Chinese."""

from __future__ import annotations

import ast
import re
import string

import httpx
import pytest

from coze_answer import _trouble
from coze_answer._trouble import Trouble, explain
from coze_stream import (
    CozeAPIError,
    CozeAuthError,
    CozeBotError,
    CozeConfig,
    CozeConfigError,
    CozeConnectionError,
    CozeError,
    CozeRateLimitError,
    CozeStreamError,
    CozeTimeoutError,
    _errors,
    _events,
    _sentences,
    load_config,
)
from coze_stream._client import error_from_reply
from coze_stream._errors import reply_error
from coze_stream._request import http_error
from tests.helpers import ROOT

PAT = "pat_" + "Q7" * 32
CONFIG = CozeConfig(pat=PAT, bot_id="7379462189365198898")
CJK = re.compile(r"[\u3400-\u9fff]")

SETUP = (
    "This chat is not set up correctly: please tell the site's owner.",
    "这个聊天还没有正确设置，请告诉网站的管理员。",
)
BUSY = ("Coze is busy right now. Please try again in a moment.", "Coze 现在有点忙，请稍后再试。")
TOO_MANY = (
    "This chat is getting too many messages right now. Please try again in a moment.",
    "这个聊天现在收到的消息太多了，请稍后再试。",
)
DAILY = (
    "This chat has reached its daily message limit. Please try again tomorrow, or tell the "
    "site's owner.",
    "这个聊天今天的消息数已经达到上限，请明天再试，或告诉网站的管理员。",
)
QUOTA = (
    "This chat has reached its usage limit for now. Please try again later, or tell the "
    "site's owner.",
    "这个聊天的使用额度暂时用完了，请稍后再试，或告诉网站的管理员。",
)
TIMEOUT = ("Coze took too long to answer. Please try again.", "Coze 太久没有回应，请再试一次。")
APP_BUSY = (
    "This app is handling many chats at once right now. Please try again in a moment.",
    "这个应用现在同时处理的对话太多，请稍后再试。",
)
UNREACHABLE = (
    "Coze could not be reached. Please try again in a moment.",
    "暂时连不上 Coze，请稍后再试。",
)
BROKE_OFF = (
    "The answer broke off before it was finished. Please try again.",
    "回答还没完成就中断了，请再试一次。",
)
ANSWER_TOO_LONG = (
    "The answer grew too long for this page to show. Please ask for a shorter answer.",
    "回答太长，这个页面显示不下，请让它回答得简短一些。",
)
BLOCKED = (
    "Your question or the answer was blocked by the bot's content rules. Please try "
    "rephrasing your question.",
    "你的问题或回答被这个聊天的内容规则拦截了，请换个说法再试。",
)
CANNOT_ANSWER = (
    "The bot can't answer this question. Please try asking it differently.",
    "这个问题暂时无法回答，请换个问法试试。",
)
MESSAGE_TOO_LONG = (
    "Your message is too long for this bot. Please send a shorter one.",
    "你的消息太长，超出了这个聊天能处理的长度，请发一条短一些的。",
)
STILL_ANSWERING = (
    "The bot is still working on the previous answer. Please try again in a moment.",
    "上一个回答还没有结束，请稍后再试。",
)
COZE_FAILED = (
    "Coze reported an error. Please try again; if it keeps happening, tell the site's owner.",
    "Coze 报告了一个错误。请再试一次；如果一直这样，请告诉网站的管理员。",
)
APP_FAILED = (
    "Something went wrong in this app. Please try again; if it keeps happening, tell the "
    "site's owner.",
    "这个应用出了点问题。请再试一次；如果一直这样，请告诉网站的管理员。",
)


def coded(code: int | None, status: int = 200, message: str | None = "msg") -> CozeError:
    """The error coze_stream makes of an error reply with this code (or none) and status."""
    error = reply_error(
        {"code": code, "msg": message},
        status=status,
        logid="20250402172757C9D48D9701EFB24031A7",
        pat=PAT,
    )
    assert error is not None
    return error


def event_error(otherwise: str, payload: dict, pat: str) -> CozeError:
    """The error coze_stream makes of a failure event mid-answer."""
    return reply_error(payload, pat=pat, otherwise=otherwise)


def plugin_call() -> CozeError:
    chat = {
        "required_action": {
            "submit_tool_outputs": {
                "tool_calls": [{"type": "function", "function": {"name": "get_weather"}}]
            }
        }
    }
    with pytest.raises(CozeStreamError) as caught:
        _events._requires_action(chat, PAT)
    return caught.value


def config_error() -> CozeError:
    with pytest.raises(CozeConfigError) as caught:
        load_config({})
    return caught.value


# (what happened, the error, the headline (en, zh), retry)
CASES = [
    ("config", config_error, SETUP, False),
    ("auth 4100", lambda: coded(4100), SETUP, False),
    ("auth 401", lambda: coded(None, 401), SETUP, False),
    ("auth 4101", lambda: coded(4101), SETUP, False),
    ("auth 700012006", lambda: coded(700012006), SETUP, False),
    ("bot 4006", lambda: coded(4006), SETUP, False),
    ("bot 4015", lambda: coded(4015), SETUP, False),
    ("bot 4200", lambda: coded(4200), SETUP, False),
    ("model 4012", lambda: coded(4012), SETUP, False),
    ("no chat service 404", lambda: coded(None, 404), SETUP, False),
    ("client-side plugin", plugin_call, SETUP, False),
    ("busy 4009", lambda: coded(4009), BUSY, True),
    ("model overloaded 4013", lambda: coded(4013), BUSY, True),
    ("rate limit 4020", lambda: coded(4020), TOO_MANY, True),
    ("rate limit 429", lambda: coded(None, 429), TOO_MANY, True),
    ("daily limit 4008", lambda: coded(4008), DAILY, False),
    ("free quota 4028", lambda: coded(4028), QUOTA, False),
    ("balance 4011", lambda: coded(4011), QUOTA, False),
    ("arrears 4019", lambda: coded(4019), QUOTA, False),
    ("arrears 4022", lambda: coded(4022), QUOTA, False),
    ("read timeout", lambda: http_error(httpx.ReadTimeout("slow"), CONFIG), TIMEOUT, True),
    ("connect timeout", lambda: http_error(httpx.ConnectTimeout("x"), CONFIG), TIMEOUT, True),
    ("no free connection", lambda: http_error(httpx.PoolTimeout("x"), CONFIG), APP_BUSY, True),
    ("unreachable", lambda: http_error(httpx.ConnectError("x"), CONFIG), UNREACHABLE, True),
    (
        "chat.failed without a code",
        lambda: event_error("The bot could not finish its answer: try again in a moment.", {}, PAT),
        BROKE_OFF,
        True,
    ),
    (
        "cut off",
        lambda: CozeStreamError("The answer from Coze ended before it was complete: try again."),
        BROKE_OFF,
        True,
    ),
    ("answer too long", _events._too_long, ANSWER_TOO_LONG, False),
    ("sensitive content 4105", lambda: coded(4105), BLOCKED, False),
    ("risk control 4102", lambda: coded(4102), BLOCKED, False),
    (
        "sensitive content mid-answer",
        lambda: event_error(
            "Coze stopped the answer with an error: try again in a moment.",
            {"code": "4105", "msg": "sensitive"},
            PAT,
        ),
        BLOCKED,
        False,
    ),
    ("input too long 4010", lambda: coded(4010), MESSAGE_TOO_LONG, False),
    ("cannot answer 4014", lambda: coded(4014), CANNOT_ANSWER, False),
    ("previous answer running 4016", lambda: coded(4016), STILL_ANSWERING, True),
    ("internal error 5000", lambda: coded(5000), COZE_FAILED, True),
    ("bad request 4000", lambda: coded(4000), COZE_FAILED, True),
    ("unknown code", lambda: coded(987654), COZE_FAILED, True),
    ("proxy 502", lambda: coded(None, 502, None), COZE_FAILED, True),
    ("undecodable", lambda: http_error(httpx.DecodingError("x"), CONFIG), COZE_FAILED, True),
    ("a bare CozeError", lambda: CozeError("Something."), COZE_FAILED, True),
    ("a bug", lambda: KeyError("answer"), APP_FAILED, True),
]


@pytest.mark.parametrize(
    ("error", "headline", "retry"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_cause_has_its_headline_in_both_languages(error, headline, retry, language):
    trouble = explain(error(), language)
    assert isinstance(trouble, Trouble)
    assert trouble.headline == headline[language == "zh"]
    assert trouble.retry is retry


def test_the_classes_are_what_the_cases_say():
    """The cases above stand for the class they name: coze_stream still makes those classes."""
    made = {name: type(make()) for name, make, _, _ in CASES}
    assert made["config"] is CozeConfigError
    assert made["auth 4100"] is made["auth 401"] is CozeAuthError
    assert made["bot 4015"] is CozeBotError
    assert made["rate limit 4020"] is made["daily limit 4008"] is CozeRateLimitError
    assert made["read timeout"] is made["no free connection"] is CozeTimeoutError
    assert made["unreachable"] is CozeConnectionError
    assert made["cut off"] is made["client-side plugin"] is CozeStreamError
    assert made["sensitive content 4105"] is made["sensitive content mid-answer"] is CozeAPIError
    assert made["balance 4011"] is made["proxy 502"] is CozeAPIError


@pytest.mark.parametrize("make", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_english_has_no_chinese_and_chinese_no_english_sentence(make):
    error = make()
    english, chinese = explain(error, "en"), explain(error, "zh")
    assert not CJK.search(english.headline)
    assert not any(CJK.search(label + value) for label, value in english.details)
    assert CJK.search(chinese.headline)
    # No English words but the name Coze: the Chinese is not an English sentence left over.
    assert set(re.findall(r"[A-Za-z]+", chinese.headline)) <= {"Coze"}
    assert english.headline not in chinese.headline
    if isinstance(error, CozeError):
        assert error.sentence not in chinese.headline
    # Every label is Chinese (the values are Coze's own words, left as they are).
    assert all(CJK.search(label) for label, _ in chinese.details)


def test_details_in_english():
    error = coded(4100, 401, "authentication is invalid")
    assert explain(error, "en").details == (
        ("Coze code", "4100"),
        ("Coze's message", "authentication is invalid"),
        ("Log id", "20250402172757C9D48D9701EFB24031A7"),
        ("Fix (for the site's owner)", error.sentence),
    )


def test_details_in_chinese_keep_coze_s_words_and_translate_the_fix():
    error = coded(4100, 401, "authentication is invalid")
    assert explain(error, "zh").details == (
        ("Coze 错误码", "4100"),
        ("Coze 的说明", "authentication is invalid"),
        ("日志 ID", "20250402172757C9D48D9701EFB24031A7"),
        (
            "解决办法（给网站管理员）",
            "Coze 拒绝了访问令牌：令牌有误或已过期。请新建一个个人访问令牌，并把它设为 COZE_PAT。"
            "在 coze.com 创建的令牌需要 COZE_API_BASE_URL=https://api.coze.com，"
            "在 coze.cn 创建的令牌需要 https://api.coze.cn。",
        ),
    )


def test_the_http_status_is_shown_only_without_a_code():
    without = explain(coded(None, 502, None), "en").details
    assert ("HTTP status", "502") in without
    assert explain(coded(None, 502, None), "zh").details[1] == ("HTTP 状态码", "502")
    with_code = explain(coded(4020, 429), "en").details
    assert not [label for label, _ in with_code if label == "HTTP status"]
    assert ("Coze code", "4020") in with_code


def test_rows_without_a_value_are_left_out():
    error = CozeStreamError("The answer from Coze ended before it was complete: try again.")
    assert explain(error, "en").details == (("Fix (for the site's owner)", error.sentence),)
    assert explain(error, "zh").details == (
        ("解决办法（给网站管理员）", "Coze 的回答还没完成就结束了：请重试。"),
    )


def test_values_in_the_fix_are_carried_into_chinese():
    error = http_error(
        httpx.ConnectError("x"),
        CozeConfig(pat=PAT, bot_id="1", base_url="https://coze.example.org/api"),
    )
    fix = dict(explain(error, "zh").details)["解决办法（给网站管理员）"]
    assert fix == "无法连接 Coze（coze.example.org）：请检查网络连接和 COZE_API_BASE_URL。"
    plugin = dict(explain(plugin_call(), "zh").details)["解决办法（给网站管理员）"]
    assert "get_weather" in plugin and CJK.search(plugin)
    slow = http_error(httpx.ReadTimeout("x"), CozeConfig(pat=PAT, bot_id="1", read_timeout=7.5))
    assert "7.5 秒" in dict(explain(slow, "zh").details)["解决办法（给网站管理员）"]


@pytest.mark.parametrize(
    "error", [ValueError(f"token {PAT} leaked"), KeyError(PAT), RuntimeError("Coze said: secret")]
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_unexpected_exception_shows_only_its_class_name(error, language):
    trouble = explain(error, language)
    assert trouble.retry is True
    assert trouble.headline == APP_FAILED[language == "zh"]
    label = "Error type" if language == "en" else "错误类型"
    assert trouble.details == ((label, type(error).__name__),)
    assert PAT not in repr(trouble) and "secret" not in repr(trouble)


def test_nothing_carries_the_token():
    error = coded(4100, 401, f"token {PAT} is invalid")
    error.coze_message = f"echoed {PAT}"  # set after the error was made: hidden all the same
    error.logid = f"log-{PAT}"
    for language in ("en", "zh"):
        trouble = explain(error, language)
        assert PAT not in repr(trouble)
        assert PAT[4:20] not in repr(trouble)
        assert (
            "[token hidden]"
            in dict(trouble.details)["Coze's message" if language == "en" else "Coze 的说明"]
        )


def rate_limited(retry_after: str | None) -> CozeError:
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    response = httpx.Response(429, headers=headers, content=b'{"code": 4009, "msg": "busy"}')
    error = error_from_reply(response, PAT)
    assert isinstance(error, CozeRateLimitError)
    return error


def test_rate_limit_says_the_seconds_coze_asked_for():
    error = rate_limited("3.2")
    assert explain(error, "en").headline == "Coze is busy right now. Please try again in 4 seconds."
    assert explain(error, "zh").headline == "Coze 现在有点忙，请 4 秒后再试。"
    assert explain(rate_limited("1"), "en").headline.endswith("try again in 1 second.")
    too_many = coded(4020)
    too_many.retry_after = 6
    assert explain(too_many, "en").headline.endswith("Please try again in 6 seconds.")
    assert explain(too_many, "zh").headline == "这个聊天现在收到的消息太多了，请 6 秒后再试。"


@pytest.mark.parametrize("retry_after", [None, "0", "soon"])
def test_rate_limit_without_seconds_says_in_a_moment(retry_after):
    error = rate_limited(retry_after)
    assert explain(error, "en").headline == BUSY[0]
    assert explain(error, "zh").headline == BUSY[1]


def test_a_daily_limit_does_not_say_seconds_or_in_a_moment():
    error = coded(4008)
    error.retry_after = 5
    trouble = explain(error, "en")
    assert trouble.headline == DAILY[0] and trouble.retry is False


def test_a_sentence_not_in_the_table_gets_a_generic_chinese_fix_and_the_original():
    error = CozeAuthError("Coze wants a brand-new kind of token now.", code=4100)
    trouble = explain(error, "zh")
    assert trouble.headline == SETUP[1]
    rows = dict(trouble.details)
    assert CJK.search(rows["解决办法（给网站管理员）"])
    assert "英文原文" in rows["解决办法（给网站管理员）"]
    assert rows["英文原文"] == "Coze wants a brand-new kind of token now."
    assert list(rows)[-2:] == ["解决办法（给网站管理员）", "英文原文"]
    # In English the sentence is the fix as it is.
    assert explain(error, "en").details[-1] == ("Fix (for the site's owner)", error.sentence)


# -- every owner sentence coze_stream can write has its Chinese, by its template ---------------

FIX_ZH = "解决办法（给网站管理员）"
TEMPLATES = sorted(_sentences.TEMPLATES)
# Names a template is passed through (checked where the template is picked).
PASSED_THROUGH = {"template", "otherwise", "silence"}
ERROR_CALL = re.compile(r"Coze\w*Error|cls")


def placeholders(template: str) -> list[tuple[str, str, str | None]]:
    """Each placeholder's name, format and conversion, in order of name."""
    found = [
        (name, spec, conversion)
        for _, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    ]
    return sorted(found)


def kept(text: str) -> set[str]:
    """What a translation must keep as it is: settings, addresses, hosts, numbers, names, and
    words the English quotes."""
    text = re.sub(r"\{[^}]*\}", " ", text)  # placeholders are compared on their own
    found = set(re.findall(r"COZE_[A-Z_]+", text))
    found |= {url.rstrip(".") for url in re.findall(r"https?://[\w.\-:/]*", text, re.ASCII)}
    found |= set(re.findall(r"\b[a-z]\w*_\w*", text, re.ASCII))  # pat_
    found |= set(re.findall(r"\b(?:[\w-]+\.)+(?:cn|com|org)(?::\d+)?\b", text, re.ASCII))
    found |= set(re.findall(r"\d+(?:[.,]\d+)*", text))
    found |= set(re.findall(r"'([^'\s]+)'", text))
    if "/bot/" in text:
        found.add("/bot/")
    return found


def error_sources() -> list[tuple[str, ast.expr]]:
    """Every expression coze_stream's client passes as a CozeError's template (or as the
    template a helper passes on), by the place it is written."""
    found: list[tuple[str, ast.expr]] = []
    for path in sorted((ROOT / "coze_stream").glob("*.py")):
        if path.name in ("__main__.py", "_sentences.py"):  # the command line makes no error
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            if ERROR_CALL.fullmatch(name) and node.args:
                found.append((f"{path.name}:{node.lineno}", node.args[0]))
            found += [
                (f"{path.name}:{node.lineno}", keyword.value)
                for keyword in node.keywords
                if keyword.arg in ("otherwise", "silence")
            ]
    return found


def test_every_error_coze_stream_makes_takes_its_template_from_the_catalogue():
    sources = error_sources()
    assert len(sources) > 30
    constants = {name for name, value in vars(_sentences).items() if value in TEMPLATES}
    for where, node in sources:
        if isinstance(node, ast.Name):
            assert node.id in PASSED_THROUGH, f"{where}: a template from {node.id}?"
            continue
        # owner.NAME: a constant of coze_stream._sentences, never text written in place.
        assert isinstance(node, ast.Attribute), f"{where}: {ast.unparse(node)} is no template"
        assert ast.unparse(node.value) == "owner", where
        assert node.attr in constants, f"{where}: {node.attr} is not in _sentences"
    for table in (_errors._CODES, _errors._STATUSES):
        assert {template for _, template in table.values()} <= set(TEMPLATES)


def test_every_template_is_used():
    used = set()
    for path in (ROOT / "coze_stream").glob("*.py"):
        used |= set(re.findall(r"\bowner\.([A-Z_]+)\b", path.read_text(encoding="utf-8")))
    unused = {name for name, value in vars(_sentences).items() if value in TEMPLATES} - used
    assert not unused


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_has_a_faithful_chinese_one(template):
    chinese = _trouble._OWNER_ZH.get(template)
    assert chinese is not None, f"no Chinese for {template!r}"
    assert CJK.search(chinese)
    assert placeholders(chinese) == placeholders(template)
    missing = {term for term in kept(template) if term not in chinese}
    assert not missing, f"{chinese!r} lacks {missing}"


def test_no_chinese_entry_is_stale():
    assert not set(_trouble._OWNER_ZH) - set(TEMPLATES)
    assert set(_trouble._BY_TEMPLATE) <= set(TEMPLATES)


@pytest.mark.parametrize(
    "make", [c[1] for c in CASES if c[0] != "a bare CozeError" and c[0] != "a bug"]
)
def test_errors_carry_their_template_and_the_values_that_fill_it(make):
    error = make()
    assert error.template in _sentences.TEMPLATES
    assert error.sentence == error.template.format(**error.values)
    chinese = dict(explain(error, "zh").details)[FIX_ZH]
    assert chinese == _trouble._OWNER_ZH[error.template].format(**error.values)


def test_a_template_s_values_fill_the_chinese_as_they_fill_the_english():
    error = http_error(httpx.PoolTimeout("x"), CozeConfig(pat=PAT, bot_id="1", connect_timeout=2.5))
    assert error.values == {"seconds": 2.5}
    assert "within 2.5 seconds" in error.sentence
    assert "2.5 秒内" in dict(explain(error, "zh").details)[FIX_ZH]
    long = _events._too_long()
    assert "1,000,000 characters" in long.sentence
    assert "1,000,000 个字符" in dict(explain(long, "zh").details)[FIX_ZH]


def test_a_known_template_without_its_values_falls_back_to_the_original():
    # Someone made the error with the template alone: nothing to fill it with.
    error = CozeTimeoutError(_sentences.CONNECT_TIMEOUT)
    rows = dict(explain(error, "zh").details)
    assert rows["英文原文"] == _sentences.CONNECT_TIMEOUT
    assert CJK.search(rows[FIX_ZH])


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"COZE_PAT": "pat_ abc def ghi jkl mno"},
        {"COZE_PAT": "pat_abc”def‘ghi—jkl"},
        {"COZE_PAT": "pat_short"},
        {"COZE_PAT": PAT},
        {"COZE_PAT": PAT, "COZE_BOT_ID": "bot-123"},
        {"COZE_PAT": PAT, "COZE_BOT_ID": "1", "COZE_API_BASE_URL": "https://u:p@api.coze.cn"},
        {"COZE_PAT": PAT, "COZE_BOT_ID": "1", "COZE_API_BASE_URL": "ftp://api.coze.cn"},
        {"COZE_PAT": PAT, "COZE_BOT_ID": "1", "COZE_API_BASE_URL": "http://api.coze.cn"},
        {"COZE_PAT": PAT, "COZE_BOT_ID": "1", "COZE_READ_TIMEOUT": "forever"},
    ],
)
def test_every_config_error_is_translated_as_load_config_writes_it(env):
    with pytest.raises(CozeConfigError) as caught:
        load_config(env)
    rows = dict(explain(caught.value, "zh").details)
    assert "英文原文" not in rows
    assert rows[FIX_ZH] == _trouble._OWNER_ZH[caught.value.template].format(**caught.value.values)


def test_the_codes_with_their_own_headline_are_coze_s():
    assert set(_trouble._BY_CODE) <= set(_errors._CODES)
