from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL

WINDOWS = (7, 30)  # days


class SalesSequenceSendingHealth(models.Model):
    """Sending health per sequence and sender: emails sent, bounces, spam
    complaints and unsubscribes over the last 7 and 30 days, beside the caps
    that apply and the sender's warm-up stage.

    A row is a (sequence, sender) pair — the enrollment's sender — with an
    email, a bounce, a complaint or an unsubscribe in the last 30 days, or
    prospects in progress. Each event counts on its own date (an email sent
    on day 1 and reported on day 9 is a complaint of the last 7 days). An
    unsubscribe is an exit for ``unsubscribed`` without a complaint (a
    complaint also unsubscribes). The windows end now (the application's
    clock, frozen in tests), hence a query built at each read rather than a
    database view."""

    _name = "sales.sequence.sending.health"
    _description = "Sales Sequence Sending Health"
    _auto = False
    _order = "sent_30d desc, id"
    _rec_name = "sequence_id"
    _depends = {
        "sales.sequence.enrollment": ["sequence_id", "user_id", "company_id", "state", "exit_reason", "ended_at"],
        "sales.sequence.trace": ["enrollment_id", "message_id", "sent_at", "bounced_at", "complained_at"],
    }

    sequence_id = fields.Many2one("sales.sequence", readonly=True)
    user_id = fields.Many2one("res.users", "Sender", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    running_count = fields.Integer("In Progress", readonly=True, help="Prospects running in the sequence.")
    sent_7d = fields.Integer("Sent (7 days)", readonly=True)
    bounced_7d = fields.Integer("Bounced (7 days)", readonly=True)
    complaint_7d = fields.Integer("Complaints (7 days)", readonly=True)
    unsubscribed_7d = fields.Integer("Unsubscribed (7 days)", readonly=True)
    sent_30d = fields.Integer("Sent (30 days)", readonly=True)
    bounced_30d = fields.Integer("Bounced (30 days)", readonly=True)
    complaint_30d = fields.Integer("Complaints (30 days)", readonly=True)
    unsubscribed_30d = fields.Integer("Unsubscribed (30 days)", readonly=True)
    bounce_rate_30d = fields.Float(
        "Bounce Rate (30 days, %)",
        readonly=True,
        aggregator=None,
        digits=(16, 1),
        help="Bounces of the last 30 days per email sent in the last 30 days.",
    )
    complaint_rate_30d = fields.Float(
        "Complaint Rate (30 days, %)",
        readonly=True,
        aggregator=None,
        digits=(16, 2),
        help="Spam complaints of the last 30 days per email sent in the last 30 days.",
    )
    # the caps that apply, as they stand now
    sequence_state = fields.Selection(related="sequence_id.state", string="Sequence Status")
    sequence_daily_limit = fields.Integer(related="sequence_id.daily_limit", string="Sequence Daily Limit")
    sequence_throttle_seconds = fields.Integer(related="sequence_id.throttle_seconds", string="Seconds Between Emails")
    sender_limit_today = fields.Integer(related="user_id.sales_sequence_limit_today", string="Sender Limit Today")
    sender_stage = fields.Char(related="user_id.sales_sequence_sending_stage", string="Sender Stage")
    sender_mailbox_rate = fields.Integer(related="user_id.sales_sequence_mailbox_rate", string="Own Server per Minute")

    @property
    def _table_query(self):
        now = fields.Datetime.now()
        since = {days: now - timedelta(days=days) for days in WINDOWS}
        return SQL(
            """
            WITH mails AS (
                SELECT trace.enrollment_id,
                       COUNT(*) FILTER (WHERE trace.sent_at >= %(week)s) AS sent_7d,
                       COUNT(*) FILTER (WHERE trace.sent_at >= %(month)s) AS sent_30d,
                       COUNT(*) FILTER (WHERE trace.bounced_at >= %(week)s) AS bounced_7d,
                       COUNT(*) FILTER (WHERE trace.bounced_at >= %(month)s) AS bounced_30d,
                       COUNT(*) FILTER (WHERE trace.complained_at >= %(week)s) AS complaint_7d,
                       COUNT(*) FILTER (WHERE trace.complained_at >= %(month)s) AS complaint_30d
                  FROM sales_sequence_trace trace
                 WHERE trace.message_id IS NOT NULL AND trace.sent_at <= %(now)s
                   AND (trace.sent_at >= %(month)s OR trace.bounced_at >= %(month)s
                        OR trace.complained_at >= %(month)s)
              GROUP BY trace.enrollment_id
            ), unsubscribes AS (
                SELECT enrollment.id AS enrollment_id,
                       enrollment.ended_at >= %(week)s AS in_week
                  FROM sales_sequence_enrollment enrollment
                 WHERE enrollment.exit_reason = 'unsubscribed'
                   AND enrollment.ended_at >= %(month)s AND enrollment.ended_at <= %(now)s
                   AND NOT EXISTS (SELECT 1 FROM sales_sequence_trace complained
                                    WHERE complained.enrollment_id = enrollment.id
                                      AND complained.complained_at IS NOT NULL)
            ), totals AS (
                SELECT MIN(enrollment.id) AS id,
                       enrollment.sequence_id,
                       enrollment.user_id,
                       enrollment.company_id,
                       COUNT(*) FILTER (WHERE enrollment.state IN ('active', 'paused'))::int AS running_count,
                       COALESCE(SUM(mails.sent_7d), 0)::int AS sent_7d,
                       COALESCE(SUM(mails.sent_30d), 0)::int AS sent_30d,
                       COALESCE(SUM(mails.bounced_7d), 0)::int AS bounced_7d,
                       COALESCE(SUM(mails.bounced_30d), 0)::int AS bounced_30d,
                       COALESCE(SUM(mails.complaint_7d), 0)::int AS complaint_7d,
                       COALESCE(SUM(mails.complaint_30d), 0)::int AS complaint_30d,
                       COUNT(unsubscribes.enrollment_id) FILTER (WHERE unsubscribes.in_week)::int AS unsubscribed_7d,
                       COUNT(unsubscribes.enrollment_id)::int AS unsubscribed_30d
                  FROM sales_sequence_enrollment enrollment
             LEFT JOIN mails ON mails.enrollment_id = enrollment.id
             LEFT JOIN unsubscribes ON unsubscribes.enrollment_id = enrollment.id
                 WHERE mails.enrollment_id IS NOT NULL OR unsubscribes.enrollment_id IS NOT NULL
                    OR enrollment.state IN ('active', 'paused')
              GROUP BY enrollment.sequence_id, enrollment.user_id, enrollment.company_id
            )
            SELECT totals.*,
                   100.0 * totals.bounced_30d / NULLIF(totals.sent_30d, 0) AS bounce_rate_30d,
                   100.0 * totals.complaint_30d / NULLIF(totals.sent_30d, 0) AS complaint_rate_30d
              FROM totals
            """,
            now=now,
            week=since[7],
            month=since[30],
        )

    def action_open_sending_profile(self):
        """The sender's sending profile (daily limit, warm-up)."""
        self.ensure_one()
        return self.user_id.action_sales_sequence_sending_profile()
