"""python -m coze_stream: answer on stdout as it arrives, errors on stderr, exit codes."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from coze_stream.simulator import CozeSimulator, build_answer

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Shaped like a real token (pat_ and some 60 letters and digits), built so none is committed.
TOKEN = "pat_CANARY" + "cli0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"
BOT_ID = "7379462189365198898"

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
def sim_env():
    with CozeSimulator(pat=TOKEN, bot_id=BOT_ID, deltas_per_second=1000) as sim:
        yield {"COZE_PAT": TOKEN, "COZE_BOT_ID": BOT_ID, "COZE_API_BASE_URL": sim.base_url}


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
