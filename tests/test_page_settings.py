"""The page's settings, parsed in one place (chat_page.settings.parse_settings): a malformed
value falls back to its default, never an error a visitor sees."""

from __future__ import annotations

import logging

import pytest

from chat_page.settings import (
    DEFAULT_MAX_CHATS,
    DEFAULT_MAX_DEMO_CHATS,
    DEFAULT_PER_MINUTE,
    parse_settings,
)
from coze_answer import CONTEXT_CHARS, CONTEXT_MESSAGES, DEFAULT_IMAGE_HOSTS, MAX_FORMULAS


def test_nothing_set_is_every_default():
    settings = parse_settings({})
    assert (settings.max_chats, settings.per_minute) == (DEFAULT_MAX_CHATS, DEFAULT_PER_MINUTE)
    assert settings.memory == (CONTEXT_MESSAGES, CONTEXT_CHARS)
    assert settings.max_formulas == MAX_FORMULAS
    assert settings.image_hosts(demo=False) == DEFAULT_IMAGE_HOSTS
    assert settings.demo_allowed and not settings.demo_asked


@pytest.mark.parametrize(
    ("value", "expected"), [(" 5 ", 5), ("lots", 20), ("-1", 20), ("0", 20), ("", 20)]
)
def test_whole_number_limits(value, expected):
    settings = parse_settings(
        {"COZE_MAX_CHATS": value, "COZE_MESSAGES_PER_MINUTE": value, "COZE_MAX_FORMULAS": value}
    )
    assert settings.max_chats == expected
    assert settings.per_minute == expected
    assert settings.max_formulas == (expected if expected != 20 else MAX_FORMULAS)


LIVE = {"COZE_PAT": "pat_x", "COZE_BOT_ID": "1"}


@pytest.mark.parametrize(
    ("value", "live_bot", "allowed", "asked"),
    [
        ("", False, True, False),  # a newcomer's way in
        ("", True, False, False),  # a live deployment offers no demo unless told to
        ("1", True, True, True),
        ("on", True, True, False),
        ("TRUE", True, True, False),
        ("yes", False, True, False),
        ("off", False, False, False),
        ("Off", True, False, False),
        ("0", False, False, False),
        ("no", False, False, False),
        ("maybe", False, True, False),
        ("maybe", True, False, False),
    ],
)
def test_demo_mode_setting(value, live_bot, allowed, asked):
    settings = parse_settings({"COZE_DEMO": value} | (LIVE if live_bot else {}))
    assert (settings.demo_allowed, settings.demo_asked) == (allowed, asked)


def test_demo_chats_have_a_small_cap_of_their_own():
    assert parse_settings({}).max_demo_chats == DEFAULT_MAX_DEMO_CHATS < DEFAULT_MAX_CHATS
    assert parse_settings({"COZE_MAX_DEMO_CHATS": "7"}).max_demo_chats == 7
    assert parse_settings({"COZE_MAX_DEMO_CHATS": "none"}).max_demo_chats == DEFAULT_MAX_DEMO_CHATS


def test_memory_setting_and_a_malformed_one_logged(caplog):
    assert parse_settings({"COZE_CONTEXT": "off"}).memory is None
    assert parse_settings({"COZE_CONTEXT": "10,8000"}).memory == (10, 8000)
    with caplog.at_level(logging.WARNING, logger="coze_chat"):
        assert parse_settings({"COZE_CONTEXT": "lots"}).memory == (CONTEXT_MESSAGES, CONTEXT_CHARS)
    assert "COZE_CONTEXT" in caplog.text


def test_image_hosts_from_the_setting_and_the_simulator_in_demo_mode():
    settings = parse_settings({"COZE_IMAGE_HOSTS": " img.example.com, ,cdn.example.org "})
    assert settings.image_hosts(demo=False) == ("img.example.com", "cdn.example.org")
    assert settings.image_hosts(demo=True) == ("img.example.com", "cdn.example.org", "127.0.0.1")


def test_the_raw_values_go_along_for_the_connection():
    assert parse_settings(LIVE).raw == LIVE
