from odoo import fields, models


class MailComposeMessage(models.TransientModel):
    """Sending the email of a sequence's manual-email task completes it."""

    _inherit = "mail.compose.message"

    sales_sequence_activity_id = fields.Many2one(
        "mail.activity",
        "Sequence Task",
        readonly=True,
        ondelete="set null",
        help="The manual-email task of a sequence that sending this email completes.",
    )

    def _action_send_mail(self, auto_commit=False):
        result_mails_su, result_messages = super()._action_send_mail(auto_commit=auto_commit)
        for composer in self.filtered("sales_sequence_activity_id"):
            res_ids = composer._evaluate_res_ids()
            message = result_messages.filtered(lambda m: m.model == composer.model and m.res_id in res_ids)[:1]
            if message:
                composer.sales_sequence_activity_id._sales_sequence_email_sent(message)
        return result_mails_su, result_messages
