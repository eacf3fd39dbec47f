"""What a request's handler and its stream read of the simulator: its settings, as a Protocol.

``CozeSimulator`` (in ``server``) satisfies it; the handler and the stream depend on this
rather than on the server module that creates them, so no module imports one that imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

DeltaHook = Callable[[str, int, float], None]
"""Called as ``on_delta(chat_id, index, sent_at)`` after each answer delta is written.

``index`` counts the chat's answer deltas from 0 (across all its answer messages; reasoning
deltas are not answer deltas) and ``sent_at`` is the ``time.time()`` the delta was recorded as
sent with (the same clock as ``StreamRecord.first_delta_sent_at``). It runs on the connection's
thread while the stream waits: keep it quick, and it must not raise.
"""


class SimulatorSettings(Protocol):
    """The simulator's settings, read afresh by each request (they may change while it runs)."""

    @property
    def pat(self) -> str: ...

    @property
    def bot_id(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def deltas_per_second(self) -> float: ...

    @property
    def delta_chars(self) -> int: ...

    @property
    def max_chat_seconds(self) -> float | None: ...

    @property
    def max_upload_bytes(self) -> int: ...

    @property
    def verbose(self) -> bool: ...

    @property
    def on_delta(self) -> DeltaHook | None: ...
