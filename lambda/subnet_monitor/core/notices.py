"""Text for an SNS notification read by people: the plain text for e-mail, the chat application's custom
notification, and the limits SNS puts on both. Pure. Every name or text from outside (an event, a tag) goes
through :func:`plain` or :func:`code`, so it is shown, never obeyed."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from subnet_monitor.core.text import escape_unsafe

# SNS refuses a subject over 100 characters.
# SNS Publish: a subject "must be ASCII text that begins with a letter, number, or punctuation mark;
# must not include line breaks or control characters; and must be less than 100 characters long"; the
# message is at most 256 KB (262,144 bytes) with its attributes counted in.
# https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
SNS_SUBJECT_MAX = 99
SNS_MESSAGE_MAX_BYTES = 262_144
# One message per protocol (Publish with MessageStructure=json: a JSON object whose "default" string
# goes to every protocol without its own key, same API_Publish page). Chat applications (AWS Chatbot,
# now Amazon Q Developer in chat applications) subscribe to the topic over HTTPS
# (https://global.sns-api.chatbot.amazonaws.com), so the "https" key carries the chat message and
# e-mail keeps the plain text.
CHAT_PROTOCOL = "https"
# A chat message is read at a glance: a name or reason longer than this is cut there (the e-mail and
# the function's log hold it whole).
CHAT_VALUE_MAX = 300
Quote = Callable[[str], str]


def with_chat(text: str, chat: str, attributes: Mapping[str, str], marker: str) -> dict[str, str]:
    """The ``MessageStructure=json`` message of a notification: the ``default`` ``text`` (e-mail) cut with
    ``marker`` so that it fits, with the ``chat`` message and the message ``attributes``, within SNS's limit."""
    budget = (
        SNS_MESSAGE_MAX_BYTES
        - sum(len(k.encode()) + len(v.encode()) + len("String") for k, v in attributes.items())
        - len(sns_message_json({"default": "", CHAT_PROTOCOL: chat}).encode())
    )
    return {"default": bounded(text, budget, marker), CHAT_PROTOCOL: chat}


def sns_message_json(message: Mapping[str, str]) -> str:
    """The ``Message`` of a ``MessageStructure=json`` publish (the notifier sends exactly this)."""
    return json.dumps(message, ensure_ascii=False)


def plain(value: str) -> str:
    """A value from outside (an event, a tag), for the e-mail: its control characters (line feed included, so it
    cannot add lines that look like ours) written as escapes."""
    return escape_unsafe(value, keep_newlines=False)


def code(value: str) -> str:
    """A value from outside, for the chat: inline code, which Slack shows character for character
    without bold, italics, strike-through or emoji. Why code and not a zero-width character after each
    ``*``/``_``/``~``: a zero-width character cannot be seen but is copied, so a name pasted from the
    chat into the AWS CLI would not match; and Slack has no backslash escape. Inline code cannot hold a
    backtick or a line break, so a backtick is shown as ``ˋ`` (U+02CB) and control characters as
    escapes; ``<``, ``>`` and ``&`` are left to :func:`slack`."""
    text = plain(value).replace("`", "\u02cb")
    if len(text) > CHAT_VALUE_MAX:
        text = text[: CHAT_VALUE_MAX - 1] + "…"
    return f"`{text}`" if text else "-"


def slack(text: str) -> str:
    """``&``, ``<`` and ``>`` as the HTML entities Slack asks for: no mention, channel ping or link can
    be formed from what is left."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sns_subject(text: str) -> str:
    """``text`` as SNS takes a subject: printable ASCII only (a name may hold any character, an Auto
    Scaling group's even a control one), starting with a letter, digit or punctuation, under 100."""
    printable = "".join(c if " " <= c <= "~" else " " for c in text.encode("ascii", "replace").decode())
    subject = " ".join(printable.split())
    return subject if len(subject) <= SNS_SUBJECT_MAX else subject[: SNS_SUBJECT_MAX - 1] + "~"


def bounded(message: str, budget: int, marker: str) -> str:
    """``message`` cut, with ``marker`` (formatted with the bytes cut), so that it fits ``budget`` bytes once
    written as a JSON string (a stopped task's reason, or any event text, can be megabytes)."""
    limit = budget
    while limit > len(marker):
        kept = _cut(message, limit, marker)
        over = _json_size(kept) - budget
        if over <= 0:
            return kept
        limit -= over  # each byte cut shortens the JSON string by at least one byte
    return ""  # no room even for the marker (the chat message and attributes are bounded well below)


def _json_size(text: str) -> int:
    return len(sns_message_json({"": text}).encode()) - len(sns_message_json({"": ""}).encode())


def _cut(message: str, limit: int, marker: str) -> str:
    data = message.encode()
    if len(data) <= limit:
        return message
    marker_room = len(marker.format(len(data)).encode())
    kept = data[: limit - marker_room].decode(errors="ignore")
    return kept + marker.format(len(data) - len(kept.encode()))
