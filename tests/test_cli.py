"""python -m coze_stream: answer on stdout as it arrives, errors on stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from coze_stream.simulator import build_answer
from tests.helpers import BOT_ID, ROOT, TOKEN

pytestmark = pytest.mark.timeout(60)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COZE_")}
    return subprocess.run(
        [sys.executable, "-m", "coze_stream", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def sim_env(sim):
    """The settings for the command, to talk to conftest.py's simulator (1000 deltas a second)."""
    return {"COZE_PAT": TOKEN, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": sim.base_url}


def test_streams_the_answer_to_stdout(sim_env):
    result = run("你好 cli", env=sim_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == build_answer("你好 cli") + "\n"


def test_events_as_json_lines(sim_env):
    result = run("--events", "hi", env=sim_env)
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [line["event"] for line in lines]
    assert kinds[0] == "ChatStarted" and kinds[-1] == "ChatCompleted"
    assert {"AnswerDelta", "AnswerCompleted", "FollowUp"} <= set(kinds)
    assert lines[-1]["usage"]["token_count"] > 0


def test_coze_error_exits_1_with_the_sentence_on_stderr(sim_env):
    result = run("/fail echo-token hi", env=sim_env)
    assert result.returncode == 1
    assert "no permission" in result.stderr and "4101" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_partial_answer_stays_on_stdout_when_the_stream_breaks(sim_env):
    result = run("/fail cut hi", env=sim_env)
    assert result.returncode == 1
    assert result.stdout.strip() and build_answer("hi").startswith(result.stdout.strip())
    assert "broke before the answer was complete" in result.stderr


def test_missing_configuration_exits_2():
    result = run("hi")
    assert result.returncode == 2
    assert "COZE_PAT" in result.stderr and "--demo" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("   ").returncode == 2


def test_demo_mode_needs_no_account():
    result = run("--demo", "你好 demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout == build_answer("你好 demo") + "\n"


def test_a_token_with_curly_quotes_is_a_configuration_error_not_a_traceback(sim_env):
    result = run("hi", env={**sim_env, "COZE_PAT": "\u201c" + TOKEN + "\u201d"})
    assert result.returncode == 2
    assert "COZE_PAT" in result.stderr and "curly quotes" in result.stderr
    assert "Traceback" not in result.stderr and "CANARY" not in result.stderr


def read_then_close(message: str, keep: int) -> tuple[int, str]:
    """Run ``--demo message``, read ``keep`` bytes of stdout, then close it as ``| head`` does.
    Returns the exit code and stderr."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("COZE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "coze_stream", "--demo", message],
        cwd=ROOT,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert len(process.stdout.read(keep)) == keep
    process.stdout.close()
    stderr = process.stderr.read().decode()
    return process.wait(timeout=60), stderr


def test_a_reader_that_goes_away_ends_the_command_quietly():
    # Like `python -m coze_stream --demo ... | head -c 64`: the pipe closes mid-answer.
    assert read_then_close("/long 3000 piped", 64) == (0, "")


def test_a_coze_error_with_the_reader_gone_is_still_one_sentence():
    code, stderr = read_then_close("/fail auth x", 0)  # nobody reads the answer
    assert code == 1
    assert "wrong or has expired" in stderr and "Traceback" not in stderr


def test_a_question_node_prints_the_question_and_a_note_on_stderr(sim_env):
    from coze_stream.simulator.answers import QUESTION_NODE_TEXT

    result = run("/question 订票", env=sim_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == QUESTION_NODE_TEXT + "\n"
    assert "waiting for your reply" in result.stderr


def test_an_object_string_answer_prints_markdown(sim_env):
    result = run("/rich 销售", env=sim_env)
    assert result.returncode == 0, result.stderr
    assert "![chart.png](<http://127.0.0.1:" in result.stdout
    assert "file_url" not in result.stdout and "javascript" not in result.stdout


def test_events_include_the_question_node_and_object_string_items(sim_env):
    lines = [
        json.loads(line) for line in run("--events", "/question x", env=sim_env).stdout.splitlines()
    ]
    assert lines[-1] == {"event": "ReplyRequested", "usage": lines[-1]["usage"]}
    rich = [
        json.loads(line) for line in run("--events", "/rich y", env=sim_env).stdout.splitlines()
    ]
    (items,) = [line for line in rich if line["event"] == "RichAnswerCompleted"]
    assert [part["kind"] for part in items["parts"]] == ["text", "image", "file", "file"]


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("/plugin", "its plugin get_weather"),
        ("/fail bare-json", "Coze code 4101"),
        ("/fail failed-bare", "Coze code 4011"),
        ("/fail error-code-string", "Coze code 4011"),
    ],
)
def test_the_new_failure_shapes_exit_1_with_their_sentence(sim_env, command, words):
    result = run(f"{command} hi", env=sim_env)
    assert result.returncode == 1 and words in result.stderr
    assert TOKEN not in result.stderr + result.stdout


# -- reasoning and follow-ups ----------------------------------------------------------------------


def test_reasoning_goes_to_stderr_when_asked_and_the_answer_stays_alone_on_stdout(sim_env):
    from coze_stream.simulator.answers import reasoning

    result = run("--reasoning", "/think 想一想", env=sim_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == build_answer("想一想") + "\n"
    # Not a terminal: plain text, no ANSI codes; its line is ended.
    assert result.stderr == reasoning("想一想") + "\n"
    assert "\x1b" not in result.stderr


def test_without_the_flag_the_reasoning_is_not_shown(sim_env):
    from coze_stream.simulator.answers import reasoning

    result = run("/think 想一想", env=sim_env)
    assert result.returncode == 0 and result.stderr == ""
    assert reasoning("想一想") not in result.stdout


def run_with_stderr_on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the command with stderr on a pseudo-terminal: (exit code, stdout, what the terminal
    got)."""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    base = {k: v for k, v in os.environ.items() if not k.startswith("COZE_") and k != "NO_COLOR"}
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "coze_stream", *args],
            cwd=ROOT,
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=follower,
        )
        os.close(follower)
        got = bytearray()
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other side closed: the process is done with it
                break
            if not chunk:
                break
            got += chunk
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        code = process.wait(timeout=60)
    finally:
        os.close(leader)
    return code, stdout, got.decode().replace("\r\n", "\n")


def test_reasoning_on_a_terminal_is_dimmed_piece_by_piece(sim_env):
    from coze_stream.simulator.answers import reasoning

    code, stdout, terminal = run_with_stderr_on_a_terminal("--reasoning", "/think dim", env=sim_env)
    assert code == 0 and stdout == build_answer("dim") + "\n"
    pieces = terminal.removesuffix("\n").split("\x1b[0m")
    assert pieces[-1] == "" and len(pieces) > 2  # each piece closes its own dimming
    assert all(piece.startswith("\x1b[2m") for piece in pieces[:-1])
    assert "".join(piece.removeprefix("\x1b[2m") for piece in pieces) == reasoning("dim")


def test_no_color_keeps_reasoning_plain_on_a_terminal(sim_env):
    from coze_stream.simulator.answers import reasoning

    code, _, terminal = run_with_stderr_on_a_terminal(
        "--reasoning", "/think plain", env={**sim_env, "NO_COLOR": "1"}
    )
    assert code == 0 and terminal == reasoning("plain") + "\n"


def test_follow_ups_are_printed_after_the_answer_when_asked(sim_env):
    from coze_stream.simulator.answers import follow_ups

    result = run("--follow-ups", "接下来", env=sim_env)
    assert result.returncode == 0, result.stderr
    suggestions = "".join(f"- {q}\n" for q in follow_ups("接下来"))
    assert result.stdout == build_answer("接下来") + "\n" + "Follow-up questions:\n" + suggestions
    assert "Follow-up" not in run("接下来", env=sim_env).stdout


def test_follow_ups_of_an_answer_without_text(sim_env):
    from coze_stream.simulator.answers import follow_ups

    result = run("--follow-ups", "/card x", env=sim_env)
    assert result.returncode == 0
    assert result.stdout == "\nFollow-up questions:\n" + "".join(
        f"- {q}\n" for q in follow_ups("x")
    )
    assert "without any text" in result.stderr


def test_events_include_reasoning_and_follow_ups(sim_env):
    from coze_stream.simulator.answers import follow_ups, reasoning

    result = run("--events", "/think both", env=sim_env)
    assert result.returncode == 0 and result.stderr == ""
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    thoughts = [line for line in lines if line["event"] == "ReasoningDelta"]
    assert "".join(line["text"] for line in thoughts) == reasoning("both")
    assert all(set(line) == {"event", "text", "message_id"} for line in thoughts)
    kinds = [line["event"] for line in lines]
    assert kinds.index("ReasoningDelta") < kinds.index("AnswerDelta")
    assert [line["text"] for line in lines if line["event"] == "FollowUp"] == follow_ups("both")
    # --reasoning and --follow-ups change nothing here: every event is printed already.
    again = run("--events", "--reasoning", "--follow-ups", "/think both", env=sim_env)
    assert [json.loads(line)["event"] for line in again.stdout.splitlines()] == kinds
    assert again.stderr == ""


# -- --file ---------------------------------------------------------------------------------------


def test_files_are_uploaded_then_asked_about_and_the_message_may_be_left_out(
    sim, sim_env, tmp_path
):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    png = tmp_path / "chart.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    result = run("--file", str(pdf), "--file", str(png), env=sim_env)
    assert result.returncode == 0, result.stderr
    assert "Uploading report.pdf (15 bytes)..." in result.stderr
    assert "Uploading chart.png (28 bytes)..." in result.stderr
    assert "report.pdf" in result.stdout and "chart.png" in result.stdout
    assert "2" in result.stdout.split("file(s)")[0]
    assert [u.name for u in sim.uploads[-2:]] == ["report.pdf", "chart.png"]
    assert sim.streams[-1].question == "Please look at the attached files."
    assert [f.name for _, f in sim.streams[-1].files] == ["report.pdf", "chart.png"]


def test_a_file_coze_refuses_is_named_with_the_sentence_and_nothing_is_asked(
    sim, sim_env, tmp_path
):
    bad = tmp_path / "fail-4303.csv"
    bad.write_bytes(b"a,b\n")
    asked = len(sim.streams)
    result = run("--file", str(bad), "what is it?", env=sim_env)
    assert result.returncode == 1
    assert "The file fail-4303.csv was not sent:" in result.stderr
    assert "does not take files of this type" in result.stderr and "4303" in result.stderr
    assert "Traceback" not in result.stderr and TOKEN not in result.stderr
    assert len(sim.streams) == asked


def test_a_file_that_cannot_be_read_is_a_usage_error_before_anything_is_sent(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    for path, words in ((tmp_path / "missing.pdf", "Cannot read"), (empty, "is empty")):
        result = run("--demo", "--file", str(path))
        assert result.returncode == 2
        assert words in result.stderr and str(path) in result.stderr
        assert "Traceback" not in result.stderr


def test_demo_mode_takes_files(tmp_path):
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = run("--demo", "--file", str(pdf), "Summarise")
    assert result.returncode == 0, result.stderr
    assert "notes.pdf" in result.stdout and "Summarise" in result.stdout
