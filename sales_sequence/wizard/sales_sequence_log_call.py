from odoo import fields, models

from ..models.sales_sequence_trace import CALL_OUTCOMES


class SalesSequenceLogCall(models.TransientModel):
    """How a sequence call went, asked when the rep is done with it (from
    *My Sequence Tasks*); the chatter's "Mark Done" asks the same."""

    _name = "sales.sequence.log.call"
    _description = "Log a Sequence Call"

    activity_id = fields.Many2one("mail.activity", "Call", required=True, readonly=True, ondelete="cascade")
    # compute_sudo=False: read with the user's rights (related fields compute
    # as superuser by default), the wizard being created with any activity
    summary = fields.Char(related="activity_id.summary", compute_sudo=False)
    phone = fields.Char(related="activity_id.sales_sequence_phone", compute_sudo=False)
    contact = fields.Char(related="activity_id.sales_sequence_contact", compute_sudo=False)
    outcome = fields.Selection(CALL_OUTCOMES, required=True)
    note = fields.Text(help="What was said: it goes with the outcome on the lead (or contact).")

    def action_log(self):
        self.ensure_one()
        self.activity_id.action_sales_sequence_log_call(self.outcome, note=self.note or False)
        return {"type": "ir.actions.act_window_close"}
