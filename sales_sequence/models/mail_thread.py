from odoo import api, models, tools
from odoo.tools import email_normalize

from ..tools import mail_reports


class MailThread(models.AbstractModel):
    """Sequence exits driven by the mail gateway: replies and out-of-office
    messages matched on the Message-IDs of sequence emails, bounces and spam
    complaints."""

    _inherit = "mail.thread"

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        """A spam complaint about a sequence email is handled here, before
        Odoo routes it: an ARF report is a ``multipart/report``, which Odoo
        takes for a bounce (it would count against the address and the bounce
        guard), and a forwarded abuse message would land in the catchall or
        open a lead. Complaints about other emails go on as before."""
        complaint = mail_reports.find_complaint(message)
        # sudo: the gateway matches complaints to the emails of every sender
        if complaint and self.env["sales.sequence.trace"].sudo()._on_complaint(complaint):
            return []
        return super().message_route(
            message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
        )

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        if routes and not message_dict.get("is_bounce"):
            # sudo: the gateway matches replies to every sender's emails
            self.env["sales.sequence.enrollment"].sudo()._on_incoming_email(message, message_dict, routes)
        return super()._message_route_process(message, message_dict, routes)

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        result = super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_msg_ids"):
            # sudo: the gateway matches the emails of every sender
            traces = (
                self.env["sales.sequence.trace"].sudo().search([("message_id", "in", message_dict["bounced_msg_ids"])])
            )
            failed = self._sales_sequence_failed_recipients(email_message, message_dict)
            traces = traces.filtered(lambda trace: trace._recipient_address() in failed)
            traces._set_bounced(tools.html2plaintext(message_dict.get("body") or ""))
            traces._suppress_unknown(mail_reports.unknown_recipients(email_message))
        return result

    @api.model
    def _sales_sequence_failed_recipients(self, email_message, message_dict):
        """The addresses a bounce reports as failed for good (the DSN's
        Final-Recipient, else Odoo's reading of it): a bounce carrying the
        Message-ID of an email sent to someone else does not bounce it."""
        found = mail_reports.failed_recipients(email_message)
        if not found and not mail_reports.delivery_statuses(email_message):
            found = (message_dict.get("bounced_email") or "",)  # no report at all: Odoo's guess
        return {email_normalize(address) for address in found} - {False}
