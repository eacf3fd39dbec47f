"""The fair share across replicas (chat_page.shared_limits), against a real redis-server.

Two SharedFairShare objects on one Redis stand for two replicas. Redis is killed for real
(SIGKILL) and started again on the same port; a lease lapses on Redis's own clock.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from chat_page.fair_share import FairShare, Refusal, Ticket
from chat_page.settings import client_address, parse_settings
from chat_page.shared_limits import FIRST_PAUSE, SharedFairShare, redis_address
from tests.redis_server import RedisServer

PASSWORD = "s3cret-Redis-pass"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    redis_server = RedisServer().start()
    yield redis_server
    redis_server.stop()


@pytest.fixture
def prefix() -> str:
    """Each test's own keys, so tests sharing the server never see each other's counts."""
    return f"test-{uuid.uuid4().hex}"


def replica(url: str, prefix: str, **options: object) -> SharedFairShare:
    options = {"max_chats": 2, "per_minute": 100} | options
    return SharedFairShare(url, key_prefix=prefix, **options)  # type: ignore[arg-type]


def admitted(share: SharedFairShare, visitor: str, session: str | None = None) -> Ticket:
    ticket = share.admit(visitor, session)
    assert isinstance(ticket, Ticket), ticket
    return ticket


def test_the_cap_holds_across_replicas_and_frees_a_place_on_release(server, prefix):
    one, two = replica(server.url, prefix), replica(server.url, prefix)
    first = admitted(one, "a")
    second = admitted(two, "b")
    for share in (one, two):
        assert share.check("c") == Refusal("busy", 5.0)
        assert share.admit("c") == Refusal("busy", 5.0)
    first.release()
    first.release()  # a second release frees nothing more
    third = admitted(two, "c")
    assert one.admit("d") == Refusal("busy", 5.0)
    second.release()
    third.release()
    assert server.client().zcard(f"{prefix}:chats") == 0


def test_a_visitor_s_rate_holds_across_replicas(server, prefix):
    one, two = replica(server.url, prefix, per_minute=3), replica(server.url, prefix, per_minute=3)
    for share in (one, two, one):
        admitted(share, "a").release()
    for share in (one, two):
        refusal = share.admit("a")
        assert isinstance(refusal, Refusal) and refusal.reason == "rate"
        assert 1.0 <= refusal.retry_after <= 60.0
        assert share.check("a") is not None
    admitted(two, "b").release()  # another visitor is not affected


def test_a_message_refused_for_the_cap_does_not_count_against_the_rate(server, prefix):
    share = replica(server.url, prefix, max_chats=1, per_minute=1)
    holding = admitted(share, "a")
    for _ in range(3):
        assert share.admit("b") == Refusal("busy", 5.0)
    holding.release()
    admitted(share, "b").release()  # b's one message a minute was not spent by the refusals


def test_one_answer_at_a_time_per_session_not_per_visitor(server, prefix):
    share = replica(server.url, prefix, max_chats=5)
    ticket = admitted(share, "address 10.0.0.1", "tab-1")
    assert share.admit("address 10.0.0.1", "tab-1") == Refusal("streaming", 1.0)
    assert share.check("address 10.0.0.1", "tab-1") == Refusal("streaming", 1.0)
    other_tab = admitted(share, "address 10.0.0.1", "tab-2")
    ticket.release()
    admitted(share, "address 10.0.0.1", "tab-1").release()
    other_tab.release()


def test_a_crashed_replica_s_lease_lapses_and_a_running_one_is_renewed(server, prefix):
    leases = f"{prefix}:chats"
    clock = Clock()
    crashed = replica(server.url, prefix, max_chats=1, lease_seconds=1.0)
    admitted(crashed, "a")  # never renewed nor released: its replica is gone
    survivor = replica(server.url, prefix, max_chats=1, lease_seconds=30.0, clock=clock)
    assert survivor.admit("b") == Refusal("busy", 5.0)
    deadline = time.monotonic() + 30
    while isinstance(ticket := survivor.admit("b"), Refusal):
        assert time.monotonic() < deadline, "the crashed replica's lease never lapsed"
        time.sleep(0.1)
    (lease,) = server.client().zrange(leases, 0, -1)
    expires = server.client().zscore(leases, lease)
    ticket.renew()  # too soon (a heartbeat every 0.2 s): Redis is not asked
    assert server.client().zscore(leases, lease) == expires
    clock.now += 5
    time.sleep(0.01)  # Redis's clock moves on too
    ticket.renew()
    renewed = server.client().zscore(leases, lease)
    assert renewed is not None and expires is not None and renewed > expires
    server.client().delete(leases)  # as Redis restarted empty: the chat still runs
    clock.now += 5
    ticket.renew()
    assert server.client().zrange(leases, 0, -1) == [lease]
    ticket.release()
    ticket.renew()  # after release: nothing
    assert server.client().zcard(leases) == 0


def test_many_threads_at_once_never_pass_the_cap_nor_the_rate(server, prefix):
    replicas = [replica(server.url, prefix, max_chats=5) for _ in range(2)]
    rated = [replica(server.url, f"{prefix}-rate", max_chats=100, per_minute=7) for _ in range(2)]
    results: list[Refusal | Ticket] = []
    rate_results: list[Refusal | Ticket] = []
    start = threading.Barrier(40)

    def ask(number: int) -> None:
        start.wait()
        share = replicas[number % 2]
        results.append(share.admit(f"visitor-{number}"))
        rate_results.append(rated[number % 2].admit("one visitor", f"tab-{number}"))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tickets = [t for t in results if isinstance(t, Ticket)]
    assert len(tickets) == 5
    assert {r.reason for r in results if isinstance(r, Refusal)} == {"busy"}
    assert server.client().zcard(f"{prefix}:chats") == 5
    assert len([t for t in rate_results if isinstance(t, Ticket)]) == 7
    assert {r.reason for r in rate_results if isinstance(r, Refusal)} == {"rate"}
    for ticket in tickets:
        ticket.release()
    assert server.client().zcard(f"{prefix}:chats") == 0


def test_redis_killed_mid_way_the_page_goes_on_alone_then_shares_again(caplog, prefix):
    server = RedisServer(password=PASSWORD).start()
    try:
        clock = Clock()
        one = replica(server.url, prefix, max_chats=1, clock=clock)
        two = replica(server.url, prefix, max_chats=1)
        running = admitted(one, "a")
        assert two.admit("b") == Refusal("busy", 5.0)  # shared
        caplog.set_level(logging.INFO, logger="coze_chat")
        server.kill()
        # Per-process limits now: one's own count is empty, and its own cap still holds.
        local = admitted(one, "b")
        assert one.admit("c") == Refusal("busy", 5.0)
        assert one.check("c") == Refusal("busy", 5.0)
        running.release()  # its lease is gone with Redis; nothing fails
        local.release()
        assert not one.shared
        warnings = [r.getMessage() for r in caplog.records if "not answering" in r.getMessage()]
        assert len(warnings) == 1, warnings  # said once
        assert f"127.0.0.1:{server.port}" in warnings[0]
        assert PASSWORD not in caplog.text

        server.start()  # back, empty, on the same port
        admitted(one, "d").release()  # still alone: Redis is not asked before the pause ends
        assert not one.shared
        clock.now += FIRST_PAUSE
        held = admitted(one, "e")
        assert one.shared
        assert two.admit("f") == Refusal("busy", 5.0)  # shared again
        assert server.client().zcard(f"{prefix}:chats") == 1
        held.release()
        back = [r for r in caplog.records if "answers again" in r.getMessage()]
        assert len(back) == 1
        assert PASSWORD not in caplog.text
    finally:
        server.stop()


def test_redis_down_from_the_start_still_answers(caplog, prefix):
    server = RedisServer()  # never started
    caplog.set_level(logging.INFO, logger="coze_chat")
    share = replica(server.url, prefix, max_chats=1, per_minute=2)
    first = admitted(share, "a")
    assert share.admit("b") == Refusal("busy", 5.0)
    first.release()
    admitted(share, "a").release()
    refusal = share.admit("a")
    assert isinstance(refusal, Refusal) and refusal.reason == "rate"  # the process's own count
    assert len([r for r in caplog.records if "not answering" in r.getMessage()]) == 1
    server.stop()


def test_a_url_that_is_not_redis_is_refused_at_once():
    with pytest.raises(ValueError):
        SharedFairShare("http://127.0.0.1:1/", 2, 10)


def test_the_logged_address_has_no_user_nor_password():
    assert (
        redis_address("redis://user:pw-secret@cache.local:6380/2") == "redis://cache.local:6380/2"
    )
    assert redis_address(f"rediss://:{PASSWORD}@127.0.0.1/0") == "rediss://127.0.0.1/0"
    assert "secret" not in redis_address("redis://:secret@[::1:/0")


def test_settings_for_replicas():
    settings = parse_settings(
        {"COZE_REDIS_URL": " redis://127.0.0.1:6379/0 ", "COZE_TRUSTED_PROXIES": "2"}
    )
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.trusted_proxies == 2
    unset = parse_settings({"COZE_TRUSTED_PROXIES": "many"})
    assert unset.redis_url is None and unset.trusted_proxies == 0
    assert unset.redis_timeout == 0.2
    for value, timeout in (("1.5", 1.5), (" 0.05 ", 0.05), ("0", 0.2), ("-1", 0.2), ("nan", 0.2)):
        assert parse_settings({"COZE_REDIS_TIMEOUT": value}).redis_timeout == timeout


def test_a_redis_that_stops_replying_is_given_up_for_the_process_s_own_limits(server, prefix):
    share = replica(server.url, prefix, timeout=0.3)
    admitted(share, "a").release()  # connected
    server.pause()
    try:  # without the timeout, admit would wait for Redis for ever
        ticket = share.admit("b")
    finally:
        server.resume()
    assert isinstance(ticket, Ticket) and not share.shared
    ticket.release()


@pytest.mark.parametrize(
    ("forwarded_for", "proxies", "address"),
    [
        (["203.0.113.7"], 1, "203.0.113.7"),
        # A client may send its own header; the proxy adds the address it saw after it.
        (["6.6.6.6, 203.0.113.7"], 1, "203.0.113.7"),
        (["6.6.6.6", "203.0.113.7"], 1, "203.0.113.7"),  # the proxy's as a second header
        (["198.51.100.1, 10.0.0.5"], 2, "198.51.100.1"),  # a load balancer, then the ingress
        (["10.0.0.5"], 2, None),  # fewer entries than proxies: reached around them
        ([], 1, None),
        (["not-an-address"], 1, None),
        (["2001:db8::1"], 1, "2001:db8::1"),
        (["203.0.113.7"], 0, None),
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_saw(
    forwarded_for, proxies, address
):
    assert client_address(forwarded_for, proxies) == address


def test_the_process_fair_share_counts_one_answer_per_session_too():
    share = FairShare(max_chats=5, per_minute=100)
    ticket = share.admit("address 10.0.0.1", "tab-1")
    assert isinstance(ticket, Ticket)
    assert share.admit("address 10.0.0.1", "tab-1") == Refusal("streaming", 1.0)
    assert isinstance(share.admit("address 10.0.0.1", "tab-2"), Ticket)


def test_the_page_s_gate_is_shared_with_a_redis_url_and_its_own_without(server, caplog):
    from chat_page.settings import fair_share

    caplog.set_level(logging.INFO, logger="coze_chat")
    assert isinstance(fair_share(2, 3, 1, server.url), SharedFairShare)
    assert type(fair_share(2, 3, 1)) is FairShare
    assert type(fair_share(2, 3, 1, f"http://:{PASSWORD}@127.0.0.1/")) is FairShare
    assert "not a Redis URL" in caplog.text
    assert PASSWORD not in caplog.text


def test_while_redis_stays_down_it_is_asked_less_and_less_often(prefix):
    server = RedisServer()  # never started
    clock = Clock()
    share = replica(server.url, prefix, clock=clock)
    tried_at = []
    for _ in range(80):  # a message every half second for 40 s
        share.check("a")
        if share._down_until is not None and (not tried_at or tried_at[-1][1] != share._down_until):
            tried_at.append((clock.now, share._down_until))
        clock.now += 0.5
    pauses = [until - at for at, until in tried_at]
    assert pauses[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    server.stop()


def test_demo_chats_take_no_shared_place_and_have_each_process_s_own_cap(server, prefix):
    one, two = (replica(server.url, prefix, max_chats=1, max_demo_chats=1) for _ in range(2))
    live = admitted(one, "a")
    assert two.admit("b") == Refusal("busy", 5.0)  # the one live place is taken
    demo = one.admit("b", demo=True)
    assert isinstance(demo, Ticket)  # a demo chat still runs beside it
    assert server.client().zcard(f"{prefix}:chats") == 1  # and holds no lease
    assert one.check("c", demo=True) == Refusal("busy", 5.0)  # this process's demo cap
    assert isinstance(two.admit("c", demo=True), Ticket)  # the other process has its own
    demo.release()
    live.release()


def test_ratings_count_against_the_shared_rate(server, prefix):
    one, two = (replica(server.url, prefix, per_minute=3) for _ in range(2))
    assert one.spend("a") is None and two.spend("a") is None
    admitted(one, "a").release()
    for share in (one, two):
        refusal = share.spend("a")
        assert isinstance(refusal, Refusal) and refusal.reason == "rate"
    assert one.spend("b") is None  # another visitor's count is their own


def test_uploads_cost_several_shared_messages_and_leave_room_for_their_question(server, prefix):
    one, two = (replica(server.url, prefix, per_minute=5) for _ in range(2))
    assert one.spend("a") is None  # 1 of 5
    refusal = two.spend("a", 3, room=2)  # 1 + 3 + 2 > 5: refused on the other replica too
    assert isinstance(refusal, Refusal) and refusal.reason == "rate" and refusal.retry_after > 1
    assert two.spend("a", 3, room=1) is None  # 4 of 5
    admitted(one, "a").release()  # the question's place
    refusal = one.spend("a")
    assert isinstance(refusal, Refusal) and refusal.reason == "rate"
    assert one.spend("b", 5, room=1) == Refusal("too_much", 0.0)
    assert two.spend("b", 5) is None  # nothing was counted for b
