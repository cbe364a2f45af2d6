from odoo import _, fields, models


class SalesSequenceTrace(models.Model):
    """What happened at one step for one enrollment (the engine's log and the
    source of every statistic)."""

    _name = "sales.sequence.trace"
    _description = "Sales Sequence Trace"
    _order = "sent_at desc, id desc"
    _rec_name = "step_id"

    enrollment_id = fields.Many2one(
        "sales.sequence.enrollment", required=True, ondelete="cascade", index=True,
    )
    sequence_id = fields.Many2one(related="enrollment_id.sequence_id", store=True, index=True, precompute=True)
    partner_id = fields.Many2one(related="enrollment_id.partner_id")
    lead_id = fields.Many2one(related="enrollment_id.lead_id")
    user_id = fields.Many2one("res.users", "Sender", index="btree_not_null")
    email_domain = fields.Char("Recipient Domain", index="btree_not_null")
    step_id = fields.Many2one("sales.sequence.step", required=True, ondelete="cascade", index=True)
    step_type = fields.Selection(related="step_id.step_type", store=True, precompute=True)
    variant_id = fields.Many2one("sales.sequence.step.variant", ondelete="set null", index="btree_not_null")
    state = fields.Selection(
        [("sent", "Sent"), ("failed", "Failed"), ("skipped", "Skipped"),
         ("task", "Task Created"), ("done", "Done")],
        required=True, index=True,
    )
    skip_reason = fields.Char()
    mail_subject = fields.Char("Subject")
    mail_mail_id = fields.Many2one("mail.mail", "Email", ondelete="set null", index="btree_not_null")
    message_id = fields.Char("Message-ID", index="btree_not_null", help="RFC 5322 Message-ID of the sent email.")
    activity_id = fields.Many2one("mail.activity", "Activity", ondelete="set null", index="btree_not_null")
    sent_at = fields.Datetime("Executed At", required=True, default=fields.Datetime.now)
    opened_at = fields.Datetime()
    clicked_at = fields.Datetime()
    open_count = fields.Integer("Opens", default=0, readonly=True, help="Times the email was opened.")
    click_count = fields.Integer("Clicks", default=0, readonly=True, help="Times a tracked link of the email was followed.")
    replied_at = fields.Datetime()
    bounced_at = fields.Datetime()

    _unique_step = models.UniqueIndex(
        "(enrollment_id, step_id)", "A step runs only once per enrollment.",
    )

    def _set_bounced(self, reason):
        """The email of these traces bounced: stamp them and exit their
        enrollments (``bounce``) where the sequence says so."""
        if not self:
            return
        self.filtered(lambda t: not t.bounced_at).write({
            "state": "failed", "bounced_at": fields.Datetime.now(),
            "skip_reason": (reason or _("Bounced"))[:500],
        })
        enrollments = self.enrollment_id.filtered(lambda e: e.sequence_id.exit_on_bounce)
        enrollments.action_exit("bounce")
        self.sequence_id._check_bounce_guard()
