"""Files for the bot: uploading one to Coze, and the :class:`Attachment` a question refers it by.

``POST {base}/v1/files/upload`` with the file as the multipart part named ``file`` (its original
name and content type) answers ``{"code": 0, "data": {"id", "bytes", "file_name", "created_at"}}``
(Coze's *上传文件* page; cozepy's ``files.upload``). A question then names the file by its id in an
``object_string`` message (see :func:`question_content`). Coze keeps a file for three months,
for this account only, and never gives it back.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import httpx

from . import _request
from . import _sentences as owner
from ._config import CozeConfig
from ._errors import log_id, recast
from ._exceptions import CozeAPIError, CozeAuthError, CozeError
from ._request import Reply

__all__ = [
    "FILE_TYPES",
    "IMAGE_TYPES",
    "MAX_UPLOAD_BYTES",
    "Attachment",
    "AttachmentKind",
    "about_call",
    "attachment_kind",
    "check_attachments",
    "check_data",
    "check_file_name",
    "content_type_of",
    "question_content",
    "upload_file",
]

AttachmentKind = Literal["image", "file"]

IMAGE_TYPES: Final[tuple[str, ...]] = (
    "jpg",
    "jpeg",
    "jpg2",
    "png",
    "gif",
    "webp",
    "heic",
    "heif",
    "bmp",
    "pcd",
    "tiff",
)
"""The image extensions Coze's upload page lists (JPG JPG2 PNG GIF WEBP HEIC HEIF BMP PCD TIFF),
and ``jpeg``, which its own example uploads. A question sends these as ``image`` items."""

FILE_TYPES: Final[tuple[str, ...]] = (
    # documents
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "pdf",
    "numbers",
    "csv",
    # text files (source code)
    "cpp",
    "py",
    "java",
    "c",
    *IMAGE_TYPES,
)
"""The extensions of the documents, text files and images Coze takes for upload, lower case,
without the dot (Coze's *上传文件* page; its audio, video and archive types are left out: a bot
is asked about images and documents here). Plain ``txt`` and ``md`` are not on Coze's list."""

MAX_UPLOAD_BYTES: Final = 512 * 1024 * 1024
"""The largest file Coze's upload takes (512 MB); a bot's model may take less."""

_MAX_ID_CHARS = 256
_MAX_NAME_CHARS = 255
# A content type as a multipart header may carry it: type/subtype and nothing else (no line
# break can reach the part's headers).
_MIME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
_FILE_PERMISSION = "uploadFile"

# Coze's upload codes: (class, template). 4100 and 4101 name the permission the upload needs.
_UPLOAD_CODES: Final[dict[int, tuple[type[CozeError], str]]] = {
    4000: (CozeAPIError, owner.UPLOAD_REFUSED),
    4300: (CozeAPIError, owner.UPLOAD_EMPTY),
    4301: (CozeAPIError, owner.UPLOAD_MORE_THAN_ONE),
    4302: (CozeAPIError, owner.UPLOAD_TOO_LARGE),
    4303: (CozeAPIError, owner.UPLOAD_TYPE_NOT_SUPPORTED),
    4304: (CozeAPIError, owner.UPLOAD_INVALID),
    4100: (CozeAuthError, owner.TOKEN_REJECTED_FOR),
    4101: (CozeAuthError, owner.NO_PERMISSION_FOR),
}
_NOT_FOUND_STATUS = 404
_UNAUTHORIZED_STATUSES = {401: 4100, 403: 4101}


def check_file_name(name: object, what: str = "name") -> str:
    """``name`` if it is a file name a request may carry: a non-empty string of printable
    characters, at most 255 of them, no path separator. Else ``TypeError``/``ValueError``."""
    if not isinstance(name, str):
        raise TypeError(f"{what} is a string")
    if not name.strip():
        raise ValueError(f"{what} must not be empty")
    if len(name) > _MAX_NAME_CHARS or not name.isprintable() or "/" in name or "\\" in name:
        raise ValueError(
            f"{what} must be a file name of at most {_MAX_NAME_CHARS} printable characters, "
            "without / or \\"
        )
    return name


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def attachment_kind(name: str, mime: str | None = None) -> AttachmentKind:
    """``"image"`` for a file of Coze's image types (by its extension; by ``mime`` when the name
    has none), else ``"file"``: how a question names it."""
    extension = _extension(name)
    if extension:
        return "image" if extension in IMAGE_TYPES else "file"
    mime_type = (mime or "").partition(";")[0].strip().lower()
    image = mime_type.startswith("image/") and mime_type.removeprefix("image/") in IMAGE_TYPES
    return "image" if image else "file"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file Coze holds, as a question refers to it.

    ``name`` is the original file name (for showing; it is never sent with a question) and
    ``size`` its bytes. Raises ``ValueError`` (``TypeError`` for a wrong type) for an id that is
    not a non-empty printable string of at most 256 characters, a name :func:`check_file_name`
    refuses, a kind other than ``"image"``/``"file"`` or a negative size.
    """

    file_id: str
    name: str
    kind: AttachmentKind
    size: int = 0

    def __post_init__(self) -> None:
        _check(self)


def _check(attachment: object) -> Attachment:
    """``attachment`` if it is a well-formed :class:`Attachment` (checked again when sent: a
    frozen dataclass can still be changed with ``object.__setattr__``)."""
    if not isinstance(attachment, Attachment):
        raise TypeError(f"attachments are Attachment objects, not {type(attachment).__name__}")
    file_id = attachment.file_id
    if not isinstance(file_id, str):
        raise TypeError("an attachment's file_id is a string")
    if not file_id.strip() or len(file_id) > _MAX_ID_CHARS or not file_id.isprintable():
        raise ValueError("an attachment's file_id is not an id Coze gives")
    check_file_name(attachment.name, "an attachment's name")
    if attachment.kind not in ("image", "file"):
        raise ValueError("an attachment's kind is 'image' or 'file'")
    size = attachment.size
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError("an attachment's size is a whole number of bytes")
    if size < 0:
        raise ValueError("an attachment's size must not be negative")
    return attachment


def check_attachments(attachments: Sequence[Attachment]) -> tuple[Attachment, ...]:
    """``attachments`` as a tuple, each checked (a string is refused: it is no sequence of them)."""
    if isinstance(attachments, str | bytes):
        raise TypeError("attachments is a sequence of Attachment objects, not a string")
    return tuple(_check(attachment) for attachment in attachments)


def question_content(text: str, attachments: Sequence[Attachment]) -> tuple[str, str]:
    """(``content``, ``content_type``) of a user message: ``text`` as it is, or with
    attachments Coze's ``object_string``: a JSON *string* of the one text item, then an
    ``image`` or ``file`` item per attachment, by its id (cozepy's
    ``Message.build_user_question_objects``)."""
    files = check_attachments(attachments)
    if not files:
        return text, "text"
    items: list[dict[str, str]] = [{"type": "text", "text": text}]
    items += [{"type": file.kind, "file_id": file.file_id} for file in files]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")), "object_string"


def content_type_of(name: str, mime: str | None) -> str:
    """The content type a part is sent with: ``mime`` (checked), else guessed from the name."""
    if mime is None:
        return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    if not isinstance(mime, str):
        raise TypeError("mime is a string")
    if not _MIME.fullmatch(mime):
        raise ValueError("mime must be a content type such as image/png")
    return mime


def check_data(data: object, limit: int, what: str) -> bytes:
    """``data`` as bytes, when it holds 1 to ``limit`` bytes; else ``TypeError``/``ValueError``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"{what} is bytes")
    data = bytes(data)
    if not data:
        raise ValueError(f"{what} is empty")
    if len(data) > limit:
        raise ValueError(f"{what} holds {len(data)} bytes; Coze takes at most {limit}")
    return data


def upload_file(
    config: CozeConfig,
    name: str,
    data: bytes,
    mime: str | None = None,
    *,
    client: httpx.Client | None = None,
) -> str:
    """Upload one file to Coze and return its id, for an :class:`Attachment`.

    ``name`` is the original file name, ``mime`` its content type (guessed from the name when
    None). Raises ``ValueError``/``TypeError`` before any request for empty ``data``, more than
    :data:`MAX_UPLOAD_BYTES`, or a name or content type a request cannot carry; a
    :class:`CozeError` for any failure, with its own sentence for Coze's upload codes (4300 to
    4304, and 4000: the content does not match the extension), and a :class:`CozeAuthError`
    naming the ``uploadFile`` permission for 4100 and 4101.

    A reply Coze asks to retry (429, 502 to 504, codes 4009 and 4020) and a connection that
    failed are retried up to ``config.max_retries`` times: a file Coze took twice costs only
    storage, and the id of the first is never used.
    """
    name = check_file_name(name)
    file: _request.FileField = (
        name,
        check_data(data, MAX_UPLOAD_BYTES, "data"),
        content_type_of(name, mime),
    )
    return _request.exchange(
        config,
        "POST",
        f"{config.base_url}/v1/files/upload",
        None,
        lambda reply: _file_id(reply, config.pat),
        client=client,
        retries=config.max_retries,
        silence=owner.UPLOAD_TIMEOUT,
        file=file,
        wait=config.read_timeout,
    )


def _file_id(reply: Reply, pat: str) -> str:
    error = reply.error(pat, otherwise=owner.UPLOAD_UNEXPECTED)
    if error is not None:
        raise about_call(error, _UPLOAD_CODES, _FILE_PERMISSION, owner.NO_UPLOAD_SERVICE)
    data: Any = reply.payload.get("data") if isinstance(reply.payload, dict) else None
    file_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(file_id, int) and not isinstance(file_id, bool) and file_id > 0:
        file_id = str(file_id)
    if (
        not isinstance(file_id, str)
        or not file_id.strip()
        or len(file_id) > _MAX_ID_CHARS
        or not file_id.isprintable()
    ):
        raise CozeAPIError(
            owner.UPLOAD_UNEXPECTED, logid=log_id(reply.logid, pat), http_status=reply.status
        )
    return file_id


def about_call(
    error: CozeError,
    codes: dict[int, tuple[type[CozeError], str]],
    permission: str,
    not_found: str,
) -> CozeError:
    """The chat's error recast where it does not fit this call: by Coze's code (``codes``; a
    token refused names ``permission``), a 401/403 without a code as 4100/4101, and a 404 without
    one as ``not_found`` (this service is not at the address)."""
    code = error.code
    if code is None and error.http_status in _UNAUTHORIZED_STATUSES:
        code = _UNAUTHORIZED_STATUSES[error.http_status]
    if code is not None and code in codes:
        cls, template = codes[code]
        values = {"permission": permission} if "{permission}" in template else None
        return recast(error, cls, template, values)
    if error.code is None and error.http_status == _NOT_FOUND_STATUS:
        return recast(error, CozeAPIError, not_found)
    return error
