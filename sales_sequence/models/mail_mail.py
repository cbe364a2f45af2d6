from odoo import models
from odoo.tools.mail import email_normalize_all

from ..engine.runner import BCC_HEADER

PERMANENT_FAILURES = ("mail_email_invalid", "mail_email_missing", "mail_bl", "mail_optout")


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _prepare_outgoing_list(self, mail_server=False, doc_to_followers=None):
        """Sequence emails with hidden copies: the addresses the runner kept
        in a private header go out as a real Bcc (in the SMTP envelope; Odoo
        removes the Bcc header before sending), with the first recipient."""
        results = super()._prepare_outgoing_list(mail_server=mail_server, doc_to_followers=doc_to_followers)
        for email in results[:1]:
            headers = dict(email["headers"])
            bcc = headers.pop(BCC_HEADER, None)
            if bcc:
                headers["Bcc"] = bcc
                email["email_to_normalized"] = email["email_to_normalized"] + email_normalize_all(bcc)
            email["headers"] = headers
        for email in results[1:]:
            email["headers"] = {key: value for key, value in email["headers"].items() if key != BCC_HEADER}
        return results

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        if failure_type:
            # sudo: the mail queue reports the outcome of every sender's emails
            traces = self.env["sales.sequence.trace"].sudo().search([("mail_mail_id", "in", self.ids)])
            if failure_type in PERMANENT_FAILURES:
                traces._set_bounced(failure_reason or failure_type)
            else:
                traces._set_send_failed(failure_reason or failure_type)
        return super()._postprocess_sent_message(
            success_pids,
            success_emails,
            failure_reason=failure_reason,
            failure_type=failure_type,
        )
