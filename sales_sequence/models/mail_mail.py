from odoo import models

PERMANENT_FAILURES = ("mail_email_invalid", "mail_email_missing", "mail_bl", "mail_optout")


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        if failure_type:
            # sudo: the mail queue reports the outcome of every sender's emails
            traces = self.env["sales.sequence.trace"].sudo().search([("mail_mail_id", "in", self.ids)])
            if failure_type in PERMANENT_FAILURES:
                traces._set_bounced(failure_reason or failure_type)
            else:
                traces._set_send_failed(failure_reason or failure_type)
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type,
        )
