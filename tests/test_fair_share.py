"""The fair share: chats at once, messages a minute per visitor, one answer at a time each."""

from __future__ import annotations

from chat_page.fair_share import FairShare, Refusal, Ticket
from coze_answer import words


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


def test_refusals_read_well_in_both_languages():
    en, zh = words("en"), words("zh")
    rate = Refusal("rate", 12.4)
    in_box = en.refusal(rate.reason, rate.retry_after, in_box=True)
    assert "12 s" in in_box and in_box.endswith("still in the box.")
    assert en.refusal(rate.reason, rate.retry_after, in_box=False).endswith("12 s.")
    assert "12 秒" in zh.refusal(rate.reason, rate.retry_after, in_box=True)
    assert zh.refusal("rate", 0.2, in_box=False).endswith("1 秒后再发送；消息没有发送。")
    assert "too many people" in en.refusal("busy", 5, in_box=True)
    assert "太多" in zh.refusal("busy", 5, in_box=True)
    assert "previous answer" in en.refusal("streaming", 1, in_box=False)
    assert "上一个回答" in zh.refusal("streaming", 1, in_box=False)


def test_demo_chats_have_their_own_cap_and_never_take_a_live_place():
    share = FairShare(max_chats=1, per_minute=100, clock=Clock(), max_demo_chats=2)
    demos = [share.admit(f"demo{n}", demo=True) for n in range(3)]
    assert [isinstance(t, Ticket) for t in demos] == [True, True, False]
    assert demos[2] == Refusal("busy", 5.0)
    assert share.check("live") is None  # the demos took no live place
    live = admitted(share, "live")
    assert (share.running, share.demo_running) == (1, 2)
    assert share.admit("other") == Refusal("busy", 5.0)  # the live cap is the live one's
    demos[0].release()
    assert isinstance(share.admit("demo3", demo=True), Ticket)
    live.release()
    assert share.running == 0


def test_ratings_count_against_the_visitor_s_messages_a_minute():
    clock = Clock()
    share = FairShare(max_chats=10, per_minute=3, clock=clock)
    assert [share.spend("a") for _ in range(3)] == [None, None, None]
    assert share.spend("a") == Refusal("rate", 60.0)
    assert share.check("a") == Refusal("rate", 60.0)  # and a message waits for them too
    assert share.spend("b") is None  # another visitor is not affected
    clock.now += 60
    assert share.spend("a") is None


def test_uploads_cost_several_messages_and_leave_room_for_their_question():
    clock = Clock()
    share = FairShare(max_chats=10, per_minute=5, clock=clock)
    assert share.spend("a") is None  # 1 of 5
    clock.now += 10
    assert share.spend("a", 3, room=2) == Refusal("rate", 50.0)  # 1 + 3 + 2 > 5: nothing spent
    assert share.spend("a", 3, room=1) is None  # 4 of 5, the question's place left
    assert share.check("a") is None
    assert isinstance(share.admit("a"), Ticket)  # the question takes it
    assert share.spend("a") == Refusal("rate", 50.0)
    # More than a minute's share at once never fits: no wait would help.
    assert share.spend("b", 5, room=1) == Refusal("too_much", 0.0)
    assert share.spend("b") is None  # and nothing was counted
