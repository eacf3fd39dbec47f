from __future__ import annotations

import pytest

from coze_stream import DEFAULT_BASE_URL, CozeConfig, CozeConfigError, load_config
from tests.helpers import TOKEN

V = "pat_" + "0" * 16  # a token long enough, where the token is not the point
VALID_PAT = V


def test_load_config_reads_and_strips_values():
    config = load_config(
        {
            "COZE_PAT": f"  {TOKEN}\n",
            "COZE_BOT_ID": " 7379462189365198898 ",
            "COZE_API_BASE_URL": "https://api.coze.com/ ",
        }
    )
    assert config.pat == TOKEN
    assert config.bot_id == "7379462189365198898"
    assert config.base_url == "https://api.coze.com"
    assert (config.connect_timeout, config.read_timeout, config.max_retries) == (10.0, 60.0, 2)


def test_base_url_defaults_to_coze_cn_and_trailing_slash_is_stripped():
    assert load_config({"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "1"}).base_url == DEFAULT_BASE_URL
    assert DEFAULT_BASE_URL == "https://api.coze.cn"
    assert (
        CozeConfig(pat="t", bot_id="1", base_url="http://127.0.0.1:8/").base_url
        == "http://127.0.0.1:8"
    )


def test_load_config_defaults_to_os_environ(monkeypatch):
    monkeypatch.setenv("COZE_PAT", TOKEN)
    monkeypatch.setenv("COZE_BOT_ID", "42")
    monkeypatch.delenv("COZE_API_BASE_URL", raising=False)
    assert load_config().bot_id == "42"


@pytest.mark.parametrize(
    ("env", "names", "fix"),
    [
        ({"COZE_BOT_ID": "1"}, "COZE_PAT", "personal access token"),
        ({"COZE_PAT": "   ", "COZE_BOT_ID": "1"}, "COZE_PAT", "personal access token"),
        ({"COZE_PAT": "pat_a b", "COZE_BOT_ID": "1"}, "COZE_PAT", "no spaces"),
        ({"COZE_PAT": "\u201cpat_abc\u201d", "COZE_BOT_ID": "1"}, "COZE_PAT", "curly quotes"),
        ({"COZE_PAT": VALID_PAT}, "COZE_BOT_ID", "digits"),
        ({"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "bot-123"}, "COZE_BOT_ID", "all digits"),
        (
            {"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "1", "COZE_API_BASE_URL": "api.coze.cn"},
            "COZE_API_BASE_URL",
            "http(s)",
        ),
        (
            {"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "1", "COZE_API_BASE_URL": "ftp://x"},
            "COZE_API_BASE_URL",
            "http(s)",
        ),
        (
            {"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "1", "COZE_READ_TIMEOUT": "soon"},
            "COZE_READ_TIMEOUT",
            "seconds",
        ),
    ],
)
def test_bad_settings_name_the_variable_and_the_fix(env, names, fix):
    with pytest.raises(CozeConfigError) as caught:
        load_config(env)
    assert names in str(caught.value)
    assert fix in str(caught.value)


def test_malformed_token_is_not_echoed_in_the_error():
    with pytest.raises(CozeConfigError) as caught:
        load_config({"COZE_PAT": TOKEN + " x", "COZE_BOT_ID": "1"})
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)


def test_repr_and_str_never_show_the_token():
    config = CozeConfig(pat=TOKEN, bot_id="1")
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config)
    assert "bot_id='1'" in repr(config)


def test_config_is_frozen():
    config = CozeConfig(pat="t", bot_id="1")
    with pytest.raises(AttributeError):
        config.pat = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://127.0.0.1:8765", True),
        ("http://localhost:8765/", True),
        ("http://[::1]:80", True),
        ("https://api.coze.com", True),
        ("http://api.coze.cn", False),
        ("http://127.0.0.1.evil.example", False),
    ],
)
def test_plain_http_only_for_this_machine(url, accepted):
    env = {"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "1", "COZE_API_BASE_URL": url}
    if accepted:
        assert load_config(env).base_url == url.rstrip("/")
    else:
        with pytest.raises(CozeConfigError, match="https://"):
            load_config(env)


def test_a_token_pasted_into_another_setting_is_not_repeated():
    with pytest.raises(CozeConfigError) as caught:
        load_config({"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "s3cretvalue"})
    assert "s3cretvalue" not in str(caught.value)
    with pytest.raises(CozeConfigError) as caught:
        load_config({"COZE_PAT": VALID_PAT, "COZE_BOT_ID": "1", "COZE_API_BASE_URL": "s3cretvalue"})
    assert "s3cretvalue" not in str(caught.value)
    with pytest.raises(CozeConfigError) as caught:
        load_config({"COZE_PAT": V, "COZE_BOT_ID": "1", "COZE_READ_TIMEOUT": "sk-s3cretvalue"})
    assert "s3cret" not in str(caught.value)


def test_a_token_with_non_ascii_characters_is_refused_before_any_request():
    # httpx cannot put it in a header: it would fail mid-request with a UnicodeEncodeError.
    token = "pat_\u2014" + "x" * 40
    with pytest.raises(CozeConfigError, match="COZE_PAT") as caught:
        CozeConfig(pat=token, bot_id="1")
    assert token not in str(caught.value)


def test_read_timeout_can_be_shortened():
    assert (
        load_config({"COZE_PAT": V, "COZE_BOT_ID": "1", "COZE_READ_TIMEOUT": "2.5"}).read_timeout
        == 2.5
    )
