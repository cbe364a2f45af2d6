"""Machine reports about mail we sent: spam complaints and bounces.

Pure Python, no Odoo: each function takes the :class:`email.message.Message`
that Odoo's mail gateway parses (``message_process`` builds it with
``email.message_from_bytes(..., policy=email.policy.SMTP)``).

Both kinds of report are ``multipart/report`` messages (RFC 6522), and Odoo's
``_detect_is_bounce`` takes *every* ``multipart/report`` for a bounce: a spam
complaint reaches ``_routing_handle_bounce``, with the complained-about
message found as the "bounced" one. Tell them apart with
:func:`find_complaint` first.

Complaints (:func:`find_complaint`)
    An ARF feedback report (RFC 5965) whose ``Feedback-Type`` is ``abuse`` or
    ``fraud`` (:data:`COMPLAINT_TYPES`; ``not-spam``, ``auth-failure``,
    ``virus`` and ``other`` are no complaint). The complained-about recipient
    is the report's ``Original-Rcpt-To`` (or the older ``Removal-Recipient``),
    else Microsoft's ``X-HmXmrOriginalRecipient`` in the original message,
    else the original message's ``To``; addresses that are not addresses
    (redacted ones) are dropped. The original's ``Message-ID`` (and Microsoft
    365's ``X-Microsoft-Original-Message-ID``) come from its
    ``message/rfc822`` or ``text/rfc822-headers`` part.

    A plain forwarded abuse message counts too, when both hold: the original
    is *attached* (a ``message/rfc822`` or ``text/rfc822-headers`` part with
    a Message-ID: an exact pointer to the email we sent, which the caller
    matches against its own Message-IDs), and the message says it is a
    complaint: it is addressed to an ``abuse@`` mailbox (RFC 2142) or its
    subject names an abuse or spam report ("Abuse report", "Spam complaint",
    "[SpamCop ...]"). An original pasted inline is not accepted (no reliable
    Message-ID, and a prospect forwarding our email to a colleague looks the
    same), nor is a subject that merely says "spam" ("Fwd: this landed in my
    spam folder" is a deliverability remark, not a complaint).

Bounces (:func:`delivery_statuses`, :func:`failed_recipients`)
    The per-recipient fields of a DSN (RFC 3464 ``message/delivery-status``,
    RFC 6533 ``message/global-delivery-status``): which addresses failed.
    Odoo reads only the first recipient of the first DSN part, and a bounce
    it finds by Message-ID alone may be about someone else (a forwarded
    copy, a colleague in copy) or forged: compare the trace's address with
    :func:`failed_recipients`.

Addresses are lower-cased (as Odoo's ``email_normalize`` does); Message-IDs
come as ``<...>``.
"""

import email
import email.policy
import re
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses
from typing import NamedTuple

__all__ = [
    "ARF",
    "COMPLAINT_TYPES",
    "FORWARDED",
    "Complaint",
    "DeliveryStatus",
    "delivery_statuses",
    "failed_recipients",
    "unknown_recipients",
    "find_complaint",
]

ARF = "arf"
FORWARDED = "forwarded"
COMPLAINT_TYPES = frozenset({"abuse", "fraud"})
ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
ABUSE_SUBJECT_RE = re.compile(
    r"\b(?:abuse|spam)[ -](?:report|complaint)|\breport(?:ed)? (?:as )?spam\b|\bspam ?cop\b|"
    r"\b(?:complaint|plainte|beschwerde|queja|klacht|reclamo) (?:about|de|über|por|over|per) (?:spam|abuse)",
    re.IGNORECASE,
)
ADDRESS_RE = re.compile(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+\.[^@\s<>,;:\"()\[\].]+")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
MAX_PARTS = 200  # a report has a handful of parts: do not walk a hostile message's thousands


class Complaint(NamedTuple):
    """A spam complaint: ``source`` is ``"arf"`` or ``"forwarded"``;
    ``feedback_type`` the ARF Feedback-Type (``""`` for a forward);
    ``recipients`` the complained-about addresses (may be empty when the
    reporter redacts them: then the Message-ID is the only pointer);
    ``message_ids`` the original message's Message-IDs."""

    source: str
    feedback_type: str
    recipients: tuple
    message_ids: tuple


class DeliveryStatus(NamedTuple):
    """One recipient of a DSN: addresses (``""`` when missing), ``action``
    (``failed``, ``delayed``, ``delivered``, ``relayed``, ``expanded``, lower
    case) and ``status`` (``"5.1.1"``)."""

    final_recipient: str
    original_recipient: str
    action: str
    status: str

    @property
    def failed(self):
        """Failed for good: ``Action: failed``, or a 5.x.x status without an action."""
        return self.action == "failed" or (not self.action and self.status.startswith("5"))


def find_complaint(message):
    """The :class:`Complaint` ``message`` makes (see the module's
    docstring), or None."""
    parts = _parts(message)
    feedback = next((part for part in parts if part.get_content_type() == "message/feedback-report"), None)
    if feedback is not None:
        return _arf_complaint(parts, feedback)
    return _forwarded_complaint(message, parts)


def delivery_statuses(message):
    """The per-recipient :class:`DeliveryStatus` of every DSN part of
    ``message``, in order (empty when it has no DSN part)."""
    statuses = []
    for part in _parts(message):
        if part.get_content_type() in DSN_TYPES:
            statuses.extend(_delivery_status(fields) for fields in _field_blocks(part) if _is_recipient_block(fields))
    return tuple(statuses)


def failed_recipients(message):
    """The addresses that failed for good: final and original recipients of
    the failed DSN entries, each once, in order. A bounce without a DSN part
    falls back on the ``X-Failed-Recipients`` header (Exim, Gmail)."""
    statuses = delivery_statuses(message)
    if statuses:
        found = [
            address
            for status in statuses
            if status.failed
            for address in (status.final_recipient, status.original_recipient)
            if address
        ]
    else:
        found = _addresses(message.get_all("X-Failed-Recipients") or [])
    return tuple(dict.fromkeys(found))


def unknown_recipients(message):
    """The addresses that do not exist: failed DSN entries whose status is
    5.1.x (bad mailbox, bad domain, bad syntax, moved, no mail accepted),
    each once, in order. Other permanent failures (a full mailbox, a
    policy refusal) may clear up: they are not here, nor are the addresses
    of a bounce without a DSN part (no status to tell).

    >>> from email import message_from_string
    >>> dsn = message_from_string(
    ...     "Content-Type: multipart/report; report-type=delivery-status; boundary=b\\n\\n--b\\n"
    ...     "Content-Type: message/delivery-status\\n\\nReporting-MTA: dns; mx\\n\\n"
    ...     "Final-Recipient: rfc822; gone@acme.com\\nAction: failed\\nStatus: 5.1.1\\n\\n"
    ...     "Final-Recipient: rfc822; full@acme.com\\nAction: failed\\nStatus: 5.2.2\\n\\n--b--\\n")
    >>> unknown_recipients(dsn)
    ('gone@acme.com',)
    """
    found = [
        address
        for status in delivery_statuses(message)
        if status.failed and status.status.startswith("5.1.")
        for address in (status.final_recipient, status.original_recipient)
        if address
    ]
    return tuple(dict.fromkeys(found))


# ---------------------------------------------------------------------------
# Complaints
# ---------------------------------------------------------------------------


def _arf_complaint(parts, feedback):
    fields = next(iter(_field_blocks(feedback)), None) or {}
    feedback_type = (fields.get("feedback-type") or [""])[0].strip().lower()
    if feedback_type not in COMPLAINT_TYPES:
        return None
    # the original is the report's own part, not a message that wraps the report (a forwarded ARF)
    report = next(
        (part for part in parts if part.is_multipart() and any(child is feedback for child in part.get_payload())), None
    )
    originals = _originals(report.get_payload() if report is not None else parts)
    recipients = _addresses(
        fields.get("original-rcpt-to", []) + fields.get("removal-recipient", [])
    ) or _original_recipients(originals)
    return Complaint(ARF, feedback_type, recipients, _original_message_ids(originals))


def _forwarded_complaint(message, parts):
    originals = _originals(parts[1:])  # attached: not the message itself
    message_ids = _original_message_ids(originals)
    if not message_ids or not _says_abuse(message):
        return None
    return Complaint(FORWARDED, "", _original_recipients(originals), message_ids)


def _says_abuse(message):
    addressed = _addresses(
        [str(value) for name in ("To", "Cc", "Delivered-To", "X-Original-To") for value in message.get_all(name) or []]
    )
    if any(address.split("@", 1)[0] == "abuse" for address in addressed):
        return True
    return bool(ABUSE_SUBJECT_RE.search(str(message.get("Subject") or "")))


def _originals(parts):
    """The original messages (their headers at least) among ``parts``."""
    originals = []
    for part in parts:
        if part.get_content_type() not in ORIGINAL_TYPES:
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            originals.extend(item for item in payload[:1] if isinstance(item, email.message.Message))
        else:  # text/rfc822-headers, or an encoded message/rfc822
            raw = part.get_payload(decode=True) or b""
            originals.append(BytesHeaderParser(policy=email.policy.default).parsebytes(raw))
    return originals


def _original_recipients(originals):
    for header in ("X-HmXmrOriginalRecipient", "To"):
        found = _addresses([str(value) for original in originals for value in original.get_all(header) or []])
        if found:
            return found
    return ()


def _original_message_ids(originals):
    found = []
    for original in originals:
        for header in ("Message-ID", "X-Microsoft-Original-Message-ID"):
            for value in original.get_all(header) or []:
                found.extend(_message_ids(str(value)))
    return tuple(dict.fromkeys(found))


def _message_ids(value):
    value = value.strip()
    if not value:
        return []
    return MESSAGE_ID_RE.findall(value) or ["<%s>" % value.split()[0].strip("<>")]


# ---------------------------------------------------------------------------
# Bounces
# ---------------------------------------------------------------------------


def _is_recipient_block(fields):
    return "final-recipient" in fields or "original-recipient" in fields


def _delivery_status(fields):
    def first(name):
        return (fields.get(name) or [""])[0].strip()

    return DeliveryStatus(
        final_recipient=_typed_address(first("final-recipient")),
        original_recipient=_typed_address(first("original-recipient")),
        action=first("action").lower(),
        status=first("status").split()[0] if first("status") else "",
    )


def _typed_address(value):
    """The address of a DSN recipient field (RFC 3464 ``address-type;
    address``); ``""`` when it is none.

    >>> _typed_address("rfc822; Jane.Roe@ACME.com")
    'jane.roe@acme.com'
    >>> _typed_address("x400; c=US;a=;p=ACME;o=HQ;s=Roe")
    ''
    """
    if ";" in value:
        address_type, value = value.split(";", 1)
        if address_type.strip().lower() not in ("rfc822", "utf-8"):
            return ""
    found = _addresses([value])
    return found[0] if found else ""


# ---------------------------------------------------------------------------
# Parts and fields
# ---------------------------------------------------------------------------


def _parts(message):
    """The message and its parts, depth first, at most MAX_PARTS."""
    parts = []
    for part in message.walk():
        parts.append(part)
        if len(parts) >= MAX_PARTS:
            break
    return parts


def _field_blocks(part):
    """The header blocks of a ``message/feedback-report`` or DSN part, each a
    dict: lower-case field name -> list of values.

    Python's parser splits ``message/delivery-status`` into one message per
    block; other ``message/*`` parts become one message whose body holds the
    remaining blocks; an encoded part is a string. All three are read."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _parse_blocks(part.get_payload(decode=True) or b"")
    blocks = []
    for item in payload:
        blocks.append(_fields(item))
        rest = item.get_payload(decode=True) if not item.is_multipart() else None
        if rest and rest.strip():
            blocks.extend(_parse_blocks(rest))
    return blocks


def _parse_blocks(raw):
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")  # RFC 6533: UTF-8 fields
    parser = HeaderParser(policy=email.policy.compat32)
    return [_fields(parser.parsestr(block)) for block in re.split(r"\n[ \t]*\n", text) if block.strip()]


def _fields(headers):
    fields = {}
    for name, value in headers.items():
        fields.setdefault(name.lower(), []).append(str(value))
    return fields


def _addresses(values):
    """The addresses among header values, lower-cased, each once, in order;
    values that hold no address (``redacted``, ``<Undisclosed Recipients>``)
    give nothing."""
    found = []
    for value in values:
        if ";" in value and value.split(";", 1)[0].strip().lower() in ("rfc822", "utf-8"):
            value = value.split(";", 1)[1]  # "rfc822; jane@acme.com" copied from DSN syntax
        for __, address in getaddresses([value]):
            address = address.strip().lower()
            if ADDRESS_RE.fullmatch(address):
                found.append(address)
    return tuple(dict.fromkeys(found))
