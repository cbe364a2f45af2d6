"""Sequence emails, rendered for one record and one sender.

The one place where a step's email becomes what the recipient gets: subject
and body rendered from the rep's template, the sender's signature, the
unsubscribe link and footer, the threading of a reply to the previous email,
all in the recipient's language and sanitized. The engine, the preview, the
manual-email draft and "send me a test" all compose through it; open and click
tracking are the engine's, added afterwards to what it sends.

Rep-written templates are hostile input: ``{{ custom.<field> }}`` reads the
lead (or contact) with the sender's rights (a field or record the sender may
not read renders empty), relations show as their names one level deep, and
every rendered HTML text goes through Odoo's sanitizer.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from odoo.exceptions import AccessError
from odoo.tools import formataddr, html2plaintext, is_html_empty
from odoo.tools.mail import email_normalize, email_split_and_format_normalize, html_sanitize

from ..tools import render

PREVIEW_UNSUBSCRIBE_PATH = "/sales_sequence/unsubscribe/preview"
# fields never shown by {{ custom.<field> }}
UNREADABLE_TYPES = ("binary", "image", "json", "properties", "properties_definition")


def recipient_email(lead, partner):
    """The normalized address a sequence writes to: the lead's, else its
    contact's ('' when there is none)."""
    return (lead.email_normalized if lead else False) or partner.email_normalized or ""


def recipient_lang(lead, partner, default):
    """The language the recipient reads: the lead's, else the contact's."""
    return (lead.lang_code if lead else False) or partner.lang or default


@dataclass
class Email:
    """One composed email, exactly as it will leave (before tracking)."""

    subject: str
    body: Markup
    email: str  # normalized recipient address ('' when none)
    email_to: str  # formatted "Name <address>"
    lang: str
    values: dict  # the template values it was rendered with
    headers: dict = field(default_factory=dict)
    in_reply_to: str = ""  # Message-ID of the email it replies to
    cc: list = field(default_factory=list)  # formatted addresses in copy
    bcc: list = field(default_factory=list)  # formatted hidden copies
    attachment_ids: list = field(default_factory=list)  # ir.attachment ids sent with it


class Composer:
    """Renders steps for records and senders; caches what a batch shares."""

    def __init__(self, env):
        self.env = env
        self._senders = {}

    # ------------------------------------------------------------------
    # Template values
    # ------------------------------------------------------------------

    def template_values(self, lead, partner, sender, unsubscribe_url):
        """The variables a template sees for ``lead`` (may be empty) and its
        ``partner``, written by ``sender`` (``res.users``)."""
        person = partner if not partner.is_company else partner.browse()
        full_name = (lead.contact_name or person.name or "") if lead else (person.name or "")
        first_name, last_name = render.split_name(full_name)
        company = (
            (lead.partner_name if lead else "")
            or partner.commercial_company_name
            or (partner.name if partner.is_company else "")
        )
        lang = recipient_lang(lead, partner, self.env.lang)
        return {
            "first_name": first_name,
            "last_name": last_name,
            "full_name": full_name,
            "company": company or "",
            "title": (lead.function if lead else "") or person.function or "",
            "city": (lead.city if lead else "") or partner.city or "",
            "industry": partner.industry_id.name or partner.commercial_partner_id.industry_id.name or "",
            "custom": RecordFields([record for record in (lead, partner) if record], sender, lang),
            "sender": self._sender_values(sender),
            "unsubscribe_link": unsubscribe_url,
        }

    def _sender_values(self, user):
        if user.id not in self._senders:
            first_name, last_name = render.split_name(user.name or "")
            self._senders[user.id] = {
                "first_name": first_name,
                "last_name": last_name,
                "name": user.name or "",
                "title": user.partner_id.function or "",
                "phone": user.phone or "",
                "email": user.email or "",
            }
        return self._senders[user.id]

    # ------------------------------------------------------------------
    # Rendering
    # ------------------------------------------------------------------

    @staticmethod
    def render(source, values, html=False):
        """``source`` rendered with ``values``: text, or sanitized ``Markup``
        when ``html``. Raises ``render.TemplateError``."""
        result = render.render(source or "", values, html=html)
        if not html:
            return result
        return Markup(html_sanitize(result)) if result else Markup()

    def compose(self, step, lead, partner, sender, enrollment=None, variant=None, previous=None):
        """The email of ``step`` (or of its ``variant``) for ``lead`` (may be
        empty) and ``partner``, from ``sender``. ``enrollment`` signs the
        unsubscribe link (a preview without enrollment gets an inert one);
        ``previous`` (a trace with ``message_id`` and ``mail_subject``) makes it
        a reply in that thread when the step says so."""
        lang = recipient_lang(lead, partner, self.env.lang)
        env = self.env(context=dict(self.env.context, lang=lang))
        unsubscribe_url = (
            enrollment._unsubscribe_url() if enrollment else step.get_base_url() + PREVIEW_UNSUBSCRIBE_PATH
        )
        values = self.template_values(lead, partner, sender, unsubscribe_url)
        content = (variant or step).with_env(env)
        subject = self.render(content.subject, values)
        body = self.render(content.body_html, values, html=True)
        if step.add_signature and not is_html_empty(sender.signature):
            body += Markup('<div class="o_signature">%s</div>') % sender.signature
        if "unsubscribe_link" not in (content.body_html or ""):
            body += self._footer(env, unsubscribe_url, step.sequence_id.unsubscribe_style)
        in_reply_to = ""
        if step.thread_with_previous and previous:
            subject, in_reply_to = self._reply_subject(env, previous.mail_subject), previous.message_id
        email = recipient_email(lead, partner)
        # a variant with its own copies or attachments sends those, else the step's
        copies = variant if variant and (variant.email_cc or variant.email_bcc) else step
        return Email(
            subject=subject,
            body=body,
            email=email,
            email_to=formataddr((values["full_name"] or "", email)) if email else "",
            lang=lang,
            values=values,
            in_reply_to=in_reply_to,
            cc=self.addresses(copies.email_cc, values, exclude=email),
            bcc=self.addresses(copies.email_bcc, values, exclude=email),
            attachment_ids=self._attachment_ids(step, variant),
            headers={
                "List-Unsubscribe": "<%s>" % unsubscribe_url,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-Sales-Sequence": str(step.sequence_id.id),
            },
        )

    @staticmethod
    def _attachment_ids(step, variant):
        """The attachments sent: the variant's, else the step's (read only
        when there are some: the engine's hot path)."""
        if variant and variant.has_attachments:
            return variant.attachment_ids.ids
        return step.attachment_ids.ids if step.has_attachments else []

    @classmethod
    def addresses(cls, source, values, exclude=""):
        """The addresses of a Cc or Bcc template rendered with ``values``:
        formatted, without duplicates, invalid ones and ``exclude`` (the
        recipient)."""
        if not (source or "").strip():
            return []
        seen, result = {exclude} if exclude else set(), []
        for address in email_split_and_format_normalize(cls.render(source, values)):
            normalized = email_normalize(address)
            if normalized and normalized not in seen:
                seen.add(normalized)
                result.append(address)
        return result

    @staticmethod
    def _reply_subject(env, subject):
        subject = subject or ""
        return subject if subject.lower().startswith("re:") else env._("Re: %s", subject)

    @staticmethod
    def _footer(env, unsubscribe_url, style="footer"):
        """The unsubscribe text added to an email whose body has no
        ``{{ unsubscribe_link }}``: a small grey footer, or a plain line
        written like the rest of the email (``style`` ``link``)."""
        if style == "link":
            return Markup('<p>%s <a href="%s">%s</a></p>') % (
                env._("If you would rather not hear from me again,"),
                unsubscribe_url,
                env._("let me know here"),
            )
        return Markup(
            '<p style="margin-top:24px;font-size:12px;color:#888888;">%s <a href="%s" style="color:#888888;">%s</a></p>'
        ) % (env._("Not interested?"), unsubscribe_url, env._("Unsubscribe"))


class RecordFields(Mapping):
    """``{{ custom.<field> }}``: a field of the lead, else of its contact, as
    text, read with the sender's rights.

    A mapping the sandbox can only index: an unknown, private, restricted or
    binary field, or a record the sender may not read, renders empty;
    relations show the names of the related records the sender may read.
    """

    def __init__(self, records, sender, lang):
        self._records = records
        self._sender = sender
        self._lang = lang

    def __getitem__(self, name):
        for record in self._records:
            value = field_text(record.with_user(self._sender).with_context(lang=self._lang), name)
            if value:
                return value
        return ""

    def __iter__(self):
        return iter(())  # fields are reached by name only

    def __len__(self):
        return 0


def field_text(record, name):
    """The value of field ``name`` of ``record`` as text, as ``record``'s
    user may see it ('' when they may not, or when it is empty)."""
    field = record._fields.get(name) if isinstance(name, str) else None
    if not field or name.startswith("_") or field.type in UNREADABLE_TYPES:
        return ""
    try:
        if not record._has_field_access(field, "read"):
            return ""
        value = record[name]
        if field.type in ("many2one", "one2many", "many2many"):
            return ", ".join(value._filtered_access("read").mapped("display_name"))
    except AccessError:
        return ""
    if field.type == "selection":
        return dict(field._description_selection(record.env)).get(value, "")
    if field.type == "boolean":
        return record.env._("Yes") if value else ""
    if field.type == "html":
        return "" if is_html_empty(value) else html2plaintext(value)
    if value is False or value is None:
        return ""
    return str(value)
