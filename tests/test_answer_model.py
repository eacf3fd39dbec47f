"""The answer model: lists of events and a fake clock in, what a person sees out (no I/O)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coze_answer
from coze_answer import (
    FRAME_CHARS,
    FRAME_SECONDS,
    AnswerStream,
    AppendReasoning,
    AppendText,
    EndBlock,
    EndReasoningBlock,
    Replace,
    Status,
    StatusKind,
    ThinkingDone,
    Turn,
    turn_notes,
    words,
)
from coze_stream import (
    AnswerCompleted,
    AnswerDelta,
    ChatCompleted,
    ChatStarted,
    FollowUp,
    ReasoningDelta,
    Usage,
)

HEARTBEAT = 0.2


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def texts(changes) -> str:
    return "".join(c.text for c in changes if isinstance(c, AppendText))


def delta(text: str, message_id: str = "m1") -> AnswerDelta:
    return AnswerDelta(text, message_id)


def test_public_api_is_listed_and_about_answers_only():
    assert set(coze_answer.__all__) >= {"AnswerStream", "BlockSplitter", "stream_text", "Turn"}
    for name in coze_answer.__all__:
        assert getattr(coze_answer, name) is not None or name == "BLOCK_END"


def test_the_first_text_goes_out_at_once_then_text_within_a_frame_is_held(clock):
    answer = AnswerStream(clock=clock)
    assert texts(answer.update([delta("Hello")])) == "Hello"
    clock.advance(0.01)
    assert answer.update([delta(" wor")]) == []  # within the frame: held
    assert answer.next_wait(HEARTBEAT) == pytest.approx(FRAME_SECONDS - 0.01)
    clock.advance(0.01)
    assert answer.update([delta("ld")]) == []
    clock.advance(FRAME_SECONDS - 0.02)  # the frame is over: both pieces go out together
    assert answer.update([]) == [AppendText(" world")]


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.floats(0, 0.1), min_size=1, max_size=60))
def test_no_text_is_held_longer_than_one_frame(gaps):
    """Events come after any gaps; the caller waits as the model says (never longer)."""
    clock = Clock()
    answer = AnswerStream(clock=clock)
    arrived: list[tuple[float, int]] = []  # (time, characters received so far)
    shown_at: list[tuple[float, int]] = []
    received = shown = 0
    for index, gap in enumerate(gaps):
        # The caller never waits longer than next_wait, even if the next event comes later.
        waited = min(gap, answer.next_wait(HEARTBEAT))
        clock.advance(waited)
        if waited < gap:  # woke up without events: update for the frame, then wait the rest
            shown += len(texts(answer.update([])))
            shown_at.append((clock.now, shown))
            clock.advance(gap - waited)
        piece = f"p{index} "
        received += len(piece)
        arrived.append((clock.now, received))
        shown += len(texts(answer.update([delta(piece)])))
        shown_at.append((clock.now, shown))
    while not answer.done:
        clock.advance(answer.next_wait(HEARTBEAT))
        shown += len(texts(answer.update([], ended=True)))
        shown_at.append((clock.now, shown))
    for when, count in arrived:
        first_shown = min(t for t, s in shown_at if s >= count)
        assert first_shown - when <= FRAME_SECONDS + 1e-9


def test_messages_are_joined_by_a_blank_line_and_a_whole_message_is_shown(clock):
    answer = AnswerStream(frame_seconds=0, clock=clock)
    shown = texts(answer.update([delta("one", "a"), delta(" two", "a"), delta("three", "b")]))
    shown += texts(answer.update([AnswerCompleted("whole", "c"), ChatCompleted(None)]))
    shown += texts(answer.finish())
    assert shown == "one two\n\nthree\n\nwhole" == answer.text == answer.shown


def test_cozes_completed_text_wins_replacing_what_differs(clock):
    answer = AnswerStream(clock=clock)
    answer.update([delta("20"), delta("星期三。")])
    answer.update([AnswerCompleted("2024 年 10 月 1 日是星期三。", "m1"), ChatCompleted(None)])
    assert answer.finish() == [Replace("2024 年 10 月 1 日是星期三。")]
    assert answer.blocks == ["2024 年 10 月 1 日是星期三。"]


def test_cozes_completed_text_that_goes_on_is_appended_not_replaced(clock):
    answer = AnswerStream(clock=clock)
    answer.update([delta("你好"), delta(", world")])
    answer.update([AnswerCompleted("你好, world!", "m1"), ChatCompleted(None)])
    assert answer.finish() == [AppendText("!")]
    assert answer.shown == answer.text == "你好, world!"


def test_an_answer_with_link_definitions_is_rendered_whole_at_the_end(clock):
    text = "See [the docs][d].\n\n# Next\n\n[d]: https://example.com\n"
    answer = AnswerStream(clock=clock)
    changes = answer.update([delta(text), ChatCompleted(None)])
    assert EndBlock() in changes  # streamed in blocks...
    assert answer.finish() == [Replace(text)]  # ...then drawn whole, so the link resolves
    assert answer.blocks == [text]


def test_finished_blocks_are_closed_and_kept_as_shown(clock):
    answer = AnswerStream(clock=clock)
    text = "# Title\n\nFirst para.\n\n- a\n\n- b\n\n> quote\n"
    changes = answer.update([delta(text), ChatCompleted(None)])
    # A list starts a block after a paragraph; a list item after a blank line may continue
    # the list: no cut before "- b".
    assert changes == [
        AppendText("# Title\n\n"),
        EndBlock(),
        AppendText("First para.\n\n"),
        EndBlock(),
        AppendText("- a\n\n- b\n\n"),
        EndBlock(),
        AppendText("> quote\n"),
    ]
    assert answer.finish() == []
    assert answer.blocks == ["# Title\n\n", "First para.\n\n", "- a\n\n- b\n\n", "> quote\n"]


def test_without_block_splitting_text_is_never_cut(clock):
    answer = AnswerStream(split_blocks=False, clock=clock)
    assert answer.update([delta("# T\n\npara\n")]) == [AppendText("# T\n\npara\n")]


def test_reasoning_first_then_thinking_time_at_the_first_text(clock):
    answer = AnswerStream(clock=clock)
    changes = answer.update([ReasoningDelta("Think.\n\nMore.", "m1")])
    assert changes == [AppendReasoning("Think.\n\n"), EndReasoningBlock(), AppendReasoning("More.")]
    clock.advance(3.0)
    changes = answer.update([delta("Answer")])
    assert changes == [ThinkingDone(3.0), AppendText("Answer")]
    assert answer.reasoning == "Think.\n\nMore." and answer.thought_seconds == 3.0


def test_reasoning_without_any_answer_text_ends_with_its_thinking_time(clock):
    answer = AnswerStream(clock=clock)
    answer.update([ReasoningDelta("hmm", "m1")])
    clock.advance(1.5)
    answer.update([ChatCompleted(None)])
    assert ThinkingDone(1.5) in answer.finish()
    assert answer.has_no_text


def test_status_while_waiting_is_the_heartbeat_and_never_goes_stale(clock):
    answer = AnswerStream(clock=clock)
    answer.update([ChatStarted("c", "k")])
    clock.advance(3.0)
    assert answer.update([]) == [Status(StatusKind.WORKING, 3.0)]
    assert answer.next_wait(HEARTBEAT) == HEARTBEAT
    assert answer.update([delta("Hi")]) == [Status(None), AppendText("Hi")]
    clock.advance(1.0)
    assert answer.update([]) == [Status(None, 1.0)]  # a short pause is not worth a line
    clock.advance(3.0)
    assert answer.update([]) == [Status(StatusKind.STILL_ANSWERING, 4.0)]
    # Text resumes after the stall: the "still answering" line goes with it, first (the
    # browser may draw each change on its own, so the line never shows beside the new text).
    assert answer.update([delta(" again")]) == [Status(None), AppendText(" again")]


def test_the_line_goes_before_any_of_a_frame_of_many_blocks_after_a_stall(clock):
    answer = AnswerStream(clock=clock)
    answer.update([delta("First words.")])
    clock.advance(5.0)
    assert answer.update([]) == [Status(StatusKind.STILL_ANSWERING, 5.0)]
    changes = answer.update([delta("\n\n# A heading\n\nA paragraph.\n\n- a\n- b\n\nMore.")])
    texts = [n for n, change in enumerate(changes) if isinstance(change, AppendText)]
    assert len(texts) >= 3, changes  # the frame spans several blocks
    assert changes.index(Status(None)) < texts[0]
    assert changes.count(Status(None)) == 1


def test_the_answer_is_over_at_chat_completed_and_pending_text_goes_out_at_once(clock):
    answer = AnswerStream(clock=clock)
    answer.update([delta("a")])
    clock.advance(0.001)
    usage = Usage(10, 4, 6)
    changes = answer.update([delta("b"), FollowUp("Why?"), ChatCompleted(usage)])
    assert changes == [AppendText("b")] and answer.done
    assert answer.next_wait(HEARTBEAT) == 0.0
    clock.advance(0.5)
    assert answer.finish() == []
    assert (answer.usage, answer.follow_ups, answer.total_seconds) == (
        usage,
        ["Why?"],
        pytest.approx(0.501),
    )
    assert answer.first_text_seconds == 0.0


def test_the_end_of_the_stream_also_ends_the_answer(clock):
    answer = AnswerStream(clock=clock)
    answer.update([delta("a")])
    clock.advance(0.001)
    assert answer.update([delta("b")]) == []
    assert answer.update([], ended=True) == [AppendText("b")] and answer.done


def test_a_failure_shows_everything_that_came_before_it(clock):
    answer = AnswerStream(clock=clock)
    answer.update([delta("a")])
    clock.advance(0.001)
    answer.update([ReasoningDelta("r", "m1"), delta("b")])
    assert texts(answer.fail()) == "b"
    assert answer.shown == "ab" and answer.done


def test_a_flood_goes_out_a_frame_s_share_at_a_time(clock):
    """Text that comes faster than a browser renders it waits for the next frames."""
    flood = "".join(f"line {n}\n\n" for n in range(3000))  # 29 KB in one delta
    answer = AnswerStream(clock=clock)
    sizes = [len(texts(answer.update([delta(flood)])))]
    while len("".join(answer.blocks)) < len(flood):
        assert answer.next_wait(HEARTBEAT) == pytest.approx(FRAME_SECONDS)
        clock.advance(FRAME_SECONDS)
        sizes.append(len(texts(answer.update([]))))
    assert max(sizes) == FRAME_CHARS and len(sizes) == -(-len(flood) // FRAME_CHARS)
    assert answer.shown == flood


def test_a_flood_that_ended_is_not_streamed_before_it_is_drawn_whole(clock):
    formulas = "".join(f"$x_{{{n}}}$ " for n in range(5000))  # past the formula cap
    answer = AnswerStream(clock=clock, end_whole=True)
    first = texts(answer.update([delta(formulas)]))
    assert "$x_{0}$" in first and "x_{500}" not in first  # 4,000 characters, escaped past 200
    clock.advance(0.001)
    assert texts(answer.update([ChatCompleted(None)])) == "" and answer.done
    final = answer.finish()
    assert not texts(final) and isinstance(final[0], Replace)
    assert final[0].text.startswith("$x_{0}$")
    assert answer.math_capped  # the formulas past the cap met the guard at the end
    assert "\\$x_{4999}" in answer.shown  # escaped: shown as text


def test_a_failure_shows_everything_that_came_even_in_a_flood(clock):
    flood = "word " * 3000
    answer = AnswerStream(clock=clock, end_whole=True)
    answer.update([delta(flood)])
    clock.advance(0.001)
    answer.fail()
    assert answer.shown == flood and answer.done


def test_a_stop_mid_flood_keeps_all_that_arrived(clock):
    flood = "word " * 20_000
    answer = AnswerStream(clock=clock, end_whole=True)
    answer.update([ReasoningDelta("why " * 3000, "m1"), delta(flood)])
    clock.advance(FRAME_SECONDS)
    answer.update([])
    assert len(answer.shown) < len(flood)  # most of it still waits for its frames
    answer.stop()
    assert answer.shown == flood and answer.reasoning == "why " * 3000


def test_text_that_waited_when_the_answer_ended_is_kept_before_it_is_drawn_whole(clock):
    answer = AnswerStream(clock=clock, end_whole=True)
    answer.update([delta("a")])
    clock.advance(0.001)
    changes = answer.update([ReasoningDelta("r", "m1"), delta("b" * 5000), ChatCompleted(None)])
    assert not texts(changes)  # not streamed: the whole answer is drawn at once next
    assert answer.shown == "a" + "b" * 5000  # but kept, should the run stop before that


def test_the_last_words_stream_before_the_answer_is_drawn_whole(clock):
    answer = AnswerStream(clock=clock, end_whole=True)
    answer.update([delta("Hello")])
    clock.advance(0.001)
    assert answer.update([delta(" world"), ChatCompleted(None)]) == [AppendText(" world")]
    assert answer.finish() == [Replace("Hello world")]


def test_a_reasoning_flood_goes_out_a_frame_s_share_at_a_time(clock):
    answer = AnswerStream(clock=clock)
    thought = "".join(f"step {n}. " for n in range(3000))
    shares = [answer.update([ReasoningDelta(thought, "m1")])]
    while sum(len(c.text) for cs in shares for c in cs if isinstance(c, AppendReasoning)) < len(
        thought
    ):
        clock.advance(FRAME_SECONDS)
        shares.append(answer.update([]))
    sizes = [sum(len(c.text) for c in cs if isinstance(c, AppendReasoning)) for cs in shares]
    assert max(sizes) <= FRAME_CHARS and answer.reasoning == thought


def test_an_answer_without_text_says_so(clock):
    answer = AnswerStream(clock=clock)
    answer.update([ChatStarted("c", "k"), ChatCompleted(None)])
    assert answer.finish() == [] and answer.has_no_text
    turn = Turn("assistant")
    turn.keep(answer)
    assert turn.no_text and turn.failed is False


def test_a_turn_keeps_what_was_shown_and_the_caption(clock):
    answer = AnswerStream(clock=clock)
    clock.advance(0.5)
    answer.update([delta("Hi"), FollowUp("More?"), ChatCompleted(Usage(30, 10, 20))])
    clock.advance(1.0)
    answer.finish()
    turn = Turn("assistant")
    turn.keep(answer)
    assert (turn.content, turn.follow_ups, turn.no_text) == ("Hi", ["More?"], False)
    assert turn_notes(turn, words("en")) == (
        "30 tokens (10 in, 20 out) · first text after 0.5 s · total 1.5 s"
    )
    assert (
        turn_notes(turn, words("zh"))
        == "30 个 token（输入 10，输出 20） · 0.5 秒后开始输出 · 共 1.5 秒"
    )


def test_a_turn_cut_short_keeps_the_text_and_no_caption(clock):
    answer = AnswerStream(clock=clock)
    answer.update([delta("partial")])
    turn = Turn("assistant")
    turn.keep(answer)  # as after a Stop: the answer never finished
    assert turn.content == "partial" and not turn.no_text
    assert turn_notes(turn, words("en")) == ""
