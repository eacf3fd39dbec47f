"""Fixtures shared by the test modules; the plain helpers they use are in ``tests/helpers.py``."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterator

import pytest
import respx
from hypothesis import HealthCheck, settings
from streamlit.testing.v1 import AppTest

from coze_stream import CozeConfig, _request
from coze_stream.simulator import CozeSimulator
from tests.helpers import BOT_ID, TOKEN, start

# Hypothesis judges correctness here, never speed: its deadline (200 ms an example) and its
# too-slow check measure the machine, and failed the suite when the CPU was busy.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

# `tests` is a package, so pytest puts the project root (the folder above it) on sys.path:
# `coze_stream`, `streamlit_app` and `tests.helpers` import without installing.
ROOT = pathlib.Path(__file__).resolve().parent.parent
# Real recorded Coze streams, byte for byte (see tests/fixtures/coze-recordings/README.md).
RECORDINGS = ROOT / "tests" / "fixtures" / "coze-recordings"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``long`` tests first. Under ``-n auto --dist worksteal`` each worker starts on its
    share from the front of this list and a worker with nothing left takes from the back of
    another's: a long test left near the end ran alone on one core while the other idled."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
def recording() -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        return (RECORDINGS / name).read_bytes()

    return read


@pytest.fixture(scope="module")
def sim(request: pytest.FixtureRequest) -> Iterator[CozeSimulator]:
    """One simulator for the module, for the canary ``TOKEN`` and ``BOT_ID``.

    It streams 1000 deltas a second; a module sets its own rate with a module-level
    ``DELTAS_PER_SECOND`` constant.
    """
    rate = getattr(request.module, "DELTAS_PER_SECOND", 1000)
    with CozeSimulator(pat=TOKEN, bot_id=BOT_ID, deltas_per_second=rate) as simulator:
        yield simulator


@pytest.fixture
def config(sim: CozeSimulator) -> CozeConfig:
    """The client's settings for talking to ``sim``."""
    return CozeConfig(pat=TOKEN, bot_id=BOT_ID, base_url=sim.base_url)


@pytest.fixture
def live(sim: CozeSimulator, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The page, run once, configured through the environment to talk to ``sim``."""
    return start(monkeypatch, sim)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    """Faked HTTP (respx); routes that are never called are fine."""
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between retries, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(_request, "_sleep", waits.append)
    return waits
