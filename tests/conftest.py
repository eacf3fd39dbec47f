from __future__ import annotations

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The project root on sys.path, so `coze_stream` and `streamlit_app` import without installing.
sys.path.insert(0, str(ROOT))

# Real recorded Coze streams, byte for byte (see tests/fixtures/coze-recordings/README.md).
RECORDINGS = ROOT / "tests" / "fixtures" / "coze-recordings"


@pytest.fixture
def recording():
    def read(name: str) -> bytes:
        return (RECORDINGS / name).read_bytes()

    return read
