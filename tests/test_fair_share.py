"""The fair share: chats at once, messages a minute per visitor, one answer at a time each."""

from __future__ import annotations

from chat_page.fair_share import FairShare, Refusal, Ticket, limits_from, refusal_sentence


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admitted(share: FairShare, visitor: str) -> Ticket:
    ticket = share.admit(visitor)
    assert isinstance(ticket, Ticket)
    return ticket


def test_a_visitor_gets_per_minute_messages_then_waits_for_the_oldest_to_age():
    clock = Clock()
    share = FairShare(max_chats=10, per_minute=3, clock=clock)
    for _ in range(3):
        ticket = share.admit("a")
        assert isinstance(ticket, Ticket)
        ticket.release()
        clock.now += 10
    refusal = share.admit("a")
    assert refusal == Refusal("rate", 30.0)  # the first message ages out 60 s after it
    assert isinstance(share.admit("b"), Ticket)  # another visitor is not affected
    clock.now += 30
    assert isinstance(share.admit("a"), Ticket)


def test_the_process_cap_counts_chats_running_and_frees_them_on_release():
    share = FairShare(max_chats=2, per_minute=100, clock=Clock())
    first, second = share.admit("a"), share.admit("b")
    assert isinstance(first, Ticket) and isinstance(second, Ticket)
    assert share.running == 2
    refused = share.admit("c")
    assert isinstance(refused, Refusal) and refused.reason == "busy"
    assert share.check("c") == refused  # check says the same, counting nothing
    first.release()
    first.release()  # a second release frees nothing more
    assert share.running == 1
    with share.admit("c") as third:
        assert isinstance(third, Ticket) and share.running == 2
    assert share.running == 1


def test_one_answer_at_a_time_per_visitor():
    share = FairShare(max_chats=10, per_minute=100, clock=Clock())
    ticket = share.admit("a")
    assert isinstance(ticket, Ticket)
    refusal = share.admit("a")
    assert isinstance(refusal, Refusal) and refusal.reason == "streaming"
    ticket.release()
    assert isinstance(share.admit("a"), Ticket)


def test_visitors_who_went_quiet_are_forgotten():
    clock = Clock()
    share = FairShare(max_chats=10, per_minute=5, clock=clock)
    for number in range(100):
        admitted(share, f"visitor {number}").release()
    clock.now += 61
    admitted(share, "new").release()
    assert len(share._sent) == 1


def test_check_counts_nothing():
    share = FairShare(max_chats=1, per_minute=1, clock=Clock())
    for _ in range(5):
        assert share.check("a") is None
    assert isinstance(share.admit("a"), Ticket)


def test_limits_from_settings():
    assert limits_from({}, "COZE_MAX_CHATS", 20) == 20
    assert limits_from({"COZE_MAX_CHATS": " 5 "}, "COZE_MAX_CHATS", 20) == 5
    assert limits_from({"COZE_MAX_CHATS": "lots"}, "COZE_MAX_CHATS", 20) == 20
    assert limits_from({"COZE_MAX_CHATS": "-1"}, "COZE_MAX_CHATS", 20) == 20


def test_refusals_read_well_in_both_languages():
    rate = Refusal("rate", 12.4)
    assert "12 s" in refusal_sentence(rate) and "still in the box" in refusal_sentence(rate)
    assert "12 秒" in refusal_sentence(rate, chinese=True)
    busy = Refusal("busy", 5)
    assert "too many people" in refusal_sentence(busy)
    assert "太多" in refusal_sentence(busy, chinese=True)
