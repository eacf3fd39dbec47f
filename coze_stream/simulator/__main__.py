"""``python -m coze_stream.simulator [--port 8765] ...``: see ``cli.main``."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
