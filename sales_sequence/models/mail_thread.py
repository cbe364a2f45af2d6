from odoo import api, models, tools


class MailThread(models.AbstractModel):
    """Sequence exits driven by the mail gateway: replies and out-of-office
    messages matched on the Message-IDs of sequence emails, and bounces."""

    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        if routes and not message_dict.get("is_bounce"):
            self.env["sales.sequence.enrollment"].sudo()._on_incoming_email(message, message_dict, routes)
        return super()._message_route_process(message, message_dict, routes)

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_msg_ids"):
            traces = self.env["sales.sequence.trace"].sudo().search(
                [("message_id", "in", message_dict["bounced_msg_ids"])]
            )
            traces._set_bounced(tools.html2plaintext(message_dict.get("body") or ""))
