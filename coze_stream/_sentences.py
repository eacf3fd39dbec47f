"""Every sentence coze_stream puts into a :class:`CozeError`, as an English template.

A sentence is written for the bot's owner (it names settings such as ``COZE_PAT``). Each one is
a constant here, with ``{named}`` placeholders for its values; the error keeps the template
and the values (``error.template``, ``error.values``) beside the filled ``sentence``. The
template is the key a translation is looked up by, as a msgid is in gettext, so a translation
never has to recover a template from finished text. Changing a template's words changes its
key: the translations (``coze_answer._trouble``) must follow, and a test says so.

:data:`TEMPLATES` holds every public constant of this module: a new one is found without being
listed anywhere else.
"""

from __future__ import annotations

from typing import Final

_TOKEN_ADVICE = (
    "A token made on coze.com needs COZE_API_BASE_URL=https://api.coze.com, "
    "one made on coze.cn needs https://api.coze.cn."
)

# -- Coze's codes ------------------------------------------------------------------------------
INVALID_REQUEST = "Coze rejected the request as invalid."
INVALID_CHAT = "Coze says the chat is invalid."
INVALID_CONVERSATION = "Coze says the conversation is invalid."
UNKNOWN_BOT = (
    "Coze does not know this bot, or the token may not use it: check COZE_BOT_ID (the digits "
    "after /bot/ in the bot's address) and that the token's workspace holds the bot."
)
DAILY_LIMIT = "The daily message limit for this Coze account has been reached: try again tomorrow."
BUSY = "Coze is busy right now: try again in a moment."
MESSAGE_TOO_LONG = "The message is too long for the bot's model: send a shorter one."
NO_TOKENS_LEFT = (
    "The Coze account has run out of tokens: top up its balance in Coze, then try again."
)
INVALID_MODEL = "The bot's model is not valid: choose another model for the bot."
MODEL_OVERLOADED = "The bot's model is overloaded or failed: try again in a moment."
CANNOT_ANSWER = "Coze cannot answer this question: try asking differently."
NOT_PUBLISHED = (
    "The bot is not published as an API service: in Coze, publish it with 'API' (Agent as "
    "API) selected, then try again."
)
PREVIOUS_ANSWER_RUNNING = (
    "Coze is still busy with a previous answer in this conversation: try again shortly."
)
IN_ARREARS = "The Coze account is in arrears: settle the bill in Coze."
TOO_MANY_REQUESTS = "Too many requests to Coze right now: wait a moment and try again."
ACCOUNT_OR_MODEL_IN_ARREARS = "The Coze account or model is in arrears: settle the bill in Coze."
FREE_QUOTA_USED_UP = (
    "The free Coze quota of this account is used up: upgrade the account or wait for it to reset."
)
TOKEN_REJECTED = (
    "Coze rejected the access token: it is wrong or has expired. Create a new personal "
    f"access token and set COZE_PAT. {_TOKEN_ADVICE}"
)
NO_PERMISSION = (
    "The access token has no permission for this: give it the chat permission and access to "
    "the bot's workspace, or create a new token."
)
RISK_CONTROL = "Coze's risk control blocked this request."
SENSITIVE_CONTENT = "Coze refused the message because it contains sensitive content: rephrase it."
BOT_NOT_FOUND = (
    "Coze could not find the bot: check COZE_BOT_ID (the digits after /bot/ in the bot's "
    "address) and that the token's workspace holds the bot."
)
INTERNAL_ERROR = "Coze had an internal error: try again in a moment."
TOKEN_OF_ANOTHER_REGION = (
    f"Coze rejected the access token: it is wrong or has expired. {_TOKEN_ADVICE}"
)

# -- HTTP statuses without a code, and replies that are not what was asked for ----------------
NO_CHAT_SERVICE = "Coze's chat service was not found at this address: check COZE_API_BASE_URL."
COZE_IN_TROUBLE = "Coze is having trouble right now: try again in a moment."
ANSWERED_WITH_ERROR = "Coze answered with an error."
PLAIN_REPLY = (
    "Coze answered with a plain reply instead of a streamed answer: check COZE_API_BASE_URL "
    "points at Coze's API."
)
NOT_A_STREAM = (
    "Coze answered with something that is not a streamed answer (content type "
    "{content_type!r}): check COZE_API_BASE_URL points at Coze's API."
)
NOT_A_STREAM_UNTYPED = (
    "Coze answered with something that is not a streamed answer (no content type): check "
    "COZE_API_BASE_URL points at Coze's API."
)
UNKNOWN_COMPRESSION = (
    "Coze's reply is compressed in a way this app does not read ({encoding!r}): check "
    "COZE_API_BASE_URL points at Coze's API."
)
UNDECODABLE = (
    "Coze's reply could not be decoded (a proxy in between may have altered it): try again, "
    "or check COZE_API_BASE_URL."
)
REPLY_TRICKLED = (
    "Coze's reply trickled in for more than {seconds:g} seconds, so it was abandoned: try again."
)

# -- failures of HTTP itself -------------------------------------------------------------------
NO_FREE_CONNECTION = (
    "This app is talking to Coze for many people at once and had no free connection within "
    "{seconds:g} seconds: try again in a moment."
)
CONNECT_TIMEOUT = (
    "Coze did not accept the connection within {seconds:g} seconds: check your internet "
    "connection and try again."
)
READ_TIMEOUT = "Coze sent nothing for {seconds:g} seconds, so the answer was abandoned: try again."
UNREACHABLE = (
    "Could not reach Coze at {host}: check your internet connection and COZE_API_BASE_URL."
)

# -- the answer's stream -----------------------------------------------------------------------
PIECE_TOO_LARGE = (
    "Coze sent a piece of the answer larger than this app reads ({megabytes} MB), so the "
    "answer was ended: try again, or ask for a shorter answer."
)
PIECE_NEVER_FINISHED = (
    "Coze kept sending bytes for {seconds:g} seconds without finishing a piece of the answer, "
    "so the answer was abandoned: try again."
)
UNREADABLE_EVENT = (
    "Coze sent part of the answer in a form this app cannot read (a {event} event that is not "
    "a JSON object): try again."
)
CHAT_FAILED = "The bot could not finish its answer: try again in a moment."
CLIENT_PLUGIN = (
    "The bot wants this app to run its plugin {plugins} and send back the result, which this "
    "app does not support: in Coze, remove client-side plugins from the bot."
)
CLIENT_TOOL = (
    "The bot wants this app to run a tool and send back the result, which this app does not "
    "support: in Coze, remove client-side plugins from the bot."
)
ANSWER_TOO_LONG = (
    "The answer grew past {limit:,} characters, more than this app shows, so it was ended "
    "there: ask for a shorter answer."
)
ENDED_EARLY = "The answer from Coze ended before it was complete: try again."
CONNECTION_BROKE = "The connection to Coze broke before the answer was complete: try again."
ERROR_EVENT = "Coze stopped the answer with an error: try again in a moment."

# -- feedback on an answer ---------------------------------------------------------------------
UNKNOWN_ANSWER = (
    "Coze does not know this answer (it may be from an earlier session, or deleted): the "
    "feedback was not recorded."
)
FEEDBACK_TIMEOUT = "Coze did not answer the feedback within {seconds:g} seconds: try again."
FEEDBACK_UNEXPECTED = (
    "Coze answered the feedback with something unexpected: check COZE_API_BASE_URL points at "
    "Coze's API."
)
NO_FEEDBACK_PERMISSION = (
    "The access token may not give feedback on answers: give it that permission in Coze, or "
    "create a new token."
)
NO_FEEDBACK_SERVICE = (
    "Coze's feedback service was not found at this address: check COZE_API_BASE_URL."
)

# -- files and audio ---------------------------------------------------------------------------
# ``{permission}`` is the name of the token permission the call needs, as Coze's console shows it
# (uploadFile, createTranscription, createSpeech, listVoice).
TOKEN_REJECTED_FOR = (
    "Coze rejected the access token for this call: it is wrong or has expired, or it lacks the "
    "{permission} permission. Give the token the {permission} permission in Coze, or create a "
    f"new one and set COZE_PAT. {_TOKEN_ADVICE}"
)
NO_PERMISSION_FOR = (
    "The access token has no permission for this call: give it the {permission} permission in "
    "Coze, or create a new token with it."
)
UPLOAD_EMPTY = "Coze received no file, or an empty one: choose the file again and retry."
UPLOAD_MORE_THAN_ONE = "Coze takes one file per upload, and received more than one."
UPLOAD_TOO_LARGE = "The file is larger than Coze takes: send a smaller file."
UPLOAD_TYPE_NOT_SUPPORTED = "Coze does not take files of this type: send another kind of file."
UPLOAD_INVALID = "Coze found the file invalid or damaged: send another file."
UPLOAD_REFUSED = (
    "Coze refused the file: its content may not match its extension (such as a .png that is "
    "not a PNG image). Send the file with its right extension."
)
UPLOAD_UNEXPECTED = (
    "Coze answered the upload with something unexpected (no file id): check "
    "COZE_API_BASE_URL points at Coze's API."
)
UPLOAD_TIMEOUT = "Coze did not answer the upload within {seconds:g} seconds: try again."
NO_UPLOAD_SERVICE = "Coze's file upload was not found at this address: check COZE_API_BASE_URL."
AUDIO_TIMEOUT = "Coze did not answer within {seconds:g} seconds: try again."
NO_AUDIO_SERVICE = "Coze's speech service was not found at this address: check COZE_API_BASE_URL."
AUDIO_UNEXPECTED = (
    "Coze answered with something unexpected instead of speech or its text: check "
    "COZE_API_BASE_URL points at Coze's API."
)
SPEECH_TOO_LARGE = (
    "Coze's audio for this text is larger than this app reads ({megabytes} MB): send a "
    "shorter text."
)

# -- settings ----------------------------------------------------------------------------------
PAT_MISSING = (
    "COZE_PAT is not set: create a personal access token in Coze (API > Personal Access "
    "Tokens, with the chat permission) and set COZE_PAT to it."
)
PAT_MALFORMED = (
    "COZE_PAT looks malformed: a token has no spaces or line breaks inside. Copy it again "
    "from Coze, without quotes or a 'Bearer' prefix."
)
PAT_NOT_ASCII = (
    "COZE_PAT contains characters no token has (such as curly quotes or dashes from a "
    "document or a chat): copy it again from Coze, as plain text."
)
PAT_TOO_SHORT = (
    "COZE_PAT is too short to be a Coze token (they are {shortest} characters or more, such "
    "as pat_ and 64 letters and digits): copy the whole token from Coze."
)
BOT_ID_MISSING = (
    "COZE_BOT_ID is not set: set it to your bot's id, the digits after /bot/ in the bot's "
    "address in Coze."
)
# The value itself is not repeated: a token pasted into the wrong setting would be.
BOT_ID_NOT_DIGITS = (
    "COZE_BOT_ID must be all digits (the digits after /bot/ in the bot's address in Coze); "
    "the value set has {length} characters and is not."
)
BASE_URL_WITH_CREDENTIALS = (
    "COZE_API_BASE_URL must not contain a user name or password (the part before an @): Coze "
    "takes only the token, such as https://api.coze.cn."
)
BASE_URL_NOT_HTTP = (
    "COZE_API_BASE_URL must be an http(s) address such as https://api.coze.cn (coze.cn "
    "accounts) or https://api.coze.com (coze.com accounts)."
)
BASE_URL_NOT_HTTPS = (
    "COZE_API_BASE_URL must use https:// (plain http:// would send the token unencrypted; it "
    "is accepted only for this machine, such as the simulator on 127.0.0.1)."
)
READ_TIMEOUT_INVALID = (
    "COZE_READ_TIMEOUT must be a number of seconds between 0 and 3600, such as 60."
)

TEMPLATES: Final[frozenset[str]] = frozenset(
    value
    for name, value in dict(globals()).items()
    if name.isupper() and not name.startswith("_") and isinstance(value, str)
)
