"""Text from Coze made valid Unicode: what leaves the wire layer can always be encoded.

JSON may spell a UTF-16 surrogate on its own (``"\\ud800"``), and a gateway that cuts strings by
UTF-16 units splits an emoji into its two halves across two deltas. Python's decoder hands such a
half out as a lone surrogate, which no UTF-8 encoder takes (Streamlit's protobuf, the downloads,
a terminal): a pair is joined into its character and a lone half becomes U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REPLACEMENT", "is_high_surrogate", "valid_json", "valid_text"]

REPLACEMENT = "\ufffd"
"""What a lone surrogate becomes: Unicode's replacement character."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with each surrogate pair joined into its character and each lone half U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def is_high_surrogate(char: str) -> bool:
    """``char`` is the first half of a surrogate pair: its second half may still come."""
    return "\ud800" <= char <= "\udbff"


def valid_json(value: Any) -> Any:
    """``value`` (decoded JSON) with every string in it made valid, in place where nested.

    Walked with a list, not recursion: JSON may be nested as deep as its decoder allows.
    """
    if isinstance(value, str):
        return valid_text(value)
    nodes = [value] if isinstance(value, dict | list) else []
    while nodes:
        node = nodes.pop()
        entries = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, item in entries:
            if isinstance(item, str):
                node[key] = valid_text(item)
            elif isinstance(item, dict | list):
                nodes.append(item)
        if isinstance(node, dict) and any(_SURROGATE.search(key) for key in node):
            fixed = {valid_text(key): item for key, item in node.items()}
            node.clear()
            node.update(fixed)
    return value
