from __future__ import annotations

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The project root on sys.path, so `coze_stream` and `streamlit_app` import without installing.
sys.path.insert(0, str(ROOT))

# Real recorded Coze streams, kept outside the project (see ../shared/coze-recordings/README.md).
RECORDINGS = ROOT.parent / "shared" / "coze-recordings"


@pytest.fixture
def recording():
    def read(name: str) -> bytes:
        path = RECORDINGS / name
        if not path.exists():
            pytest.fail(f"recording {path} is missing: the tests need ../shared/coze-recordings/")
        return path.read_bytes()

    return read
