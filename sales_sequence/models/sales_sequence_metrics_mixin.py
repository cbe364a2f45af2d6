"""Sequence analytics: the same metrics per sequence, per step and per variant.

Every metric is read from enrollments and traces in a few grouped queries for
the whole recordset (never per record), in sudo: a sequence's numbers are the
sequence's, whoever looks at them. They are not stored: opens and clicks
change them all the time, and storing them would add writes to the tracking
routes and to the engine's hot path; lists that need them (sequences, compare,
funnel) show a page of records, which costs the same few queries.

Definitions:

- *enrolled*: enrollments (sequence); traces, i.e. prospects who reached the
  step or got the variant (step, variant)
- *active*: running enrollments (sequence); running enrollments waiting at the
  step (step); running enrollments that got the variant (variant)
- *contacted*: prospects with at least one touch (sequence); touches (step,
  variant). A touch is an executed step (sent, task, done) other than a wait.
- *sent*: emails sent (automatic and manual), bounced ones included
- *opened*, *clicked*: emails opened, clicked (first event; counts are on the trace)
- *replied*, *bounced*: prospects who replied (or exited on a reply), bounced
  (sequence); emails replied to, bounced (step, variant)
- *opted out*, *meetings*, *completed*, *dropped*: enrollments that ended
  unsubscribed, on a meeting, at the end, or for any reason but a completion,
  a reply, a meeting or a win; a step (variant) counts the enrollments whose
  last step that ran (skipped steps and waits aside) it was
- *tasks*, *tasks done*: activities created by the steps, and those done
- *calls logged*, *connected*: call traces with an outcome logged by the
  rep, and those connected
- *won*, *won revenue*: won leads (and their expected revenue) whose last
  touch before the win (the latest touch before ``date_closed``, across all
  sequences, on the lead or on its contact) belongs to the sequence, step or variant
- *positive replies*: prospects (sequence), emails (step, variant) whose
  reply says yes (``tools.replies``: the trace's ``reply_kind``)
- rates: opened / sent, clicked / sent, replied / contacted, positive
  replies / contacted, connected / calls logged (percentages)
"""

from collections import defaultdict

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import step_types
from ..tools.replies import POSITIVE
from .sales_sequence_enrollment import RUNNING_STATES

TOUCH_STATES = ("sent", "task", "done")
# where an enrollment stood when it ended: its last step that ran (a bounced
# email included), waits and skipped steps aside
LAST_STEP_DOMAIN = Domain("state", "!=", "skipped") & Domain("step_type", "in", step_types.codes(is_touch=True))
POSITIVE_EXITS = ("completed", "reply", "meeting", "won")
METRIC_LEVELS = ("sequence_id", "step_id", "variant_id")
COUNT_FIELDS = (
    "enrolled_count",
    "active_count",
    "completed_count",
    "contacted_count",
    "sent_count",
    "opened_count",
    "clicked_count",
    "replied_count",
    "bounced_count",
    "unsubscribed_count",
    "meeting_count",
    "dropped_count",
    "task_count",
    "task_done_count",
    "won_count",
    "call_count",
    "connected_count",
    "positive_reply_count",
)


def rate(part, whole):
    """``part`` in percent of ``whole`` (0 when there is no whole)."""
    return 100.0 * part / whole if whole else 0.0


def metric_values(totals):
    """Field values of the metrics from raw ``totals`` (missing counts are 0)."""
    values = {fname: totals.get(fname, 0) for fname in COUNT_FIELDS}
    values["won_revenue"] = totals.get("won_revenue", 0.0)
    values["open_rate"] = rate(values["opened_count"], values["sent_count"])
    values["click_rate"] = rate(values["clicked_count"], values["sent_count"])
    values["reply_rate"] = rate(values["replied_count"], values["contacted_count"])
    values["connect_rate"] = rate(values["connected_count"], values["call_count"])
    values["positive_reply_rate"] = rate(values["positive_reply_count"], values["contacted_count"])
    return values


def sent_emails(step_type, state, count, mailed, bounced):
    """Emails among a group of traces: automatic emails sent (bounced ones
    included, failed sends not) and manual emails sent from the composer."""
    kind = step_types.get(step_type)
    if kind.sends_email:
        return count if state == "sent" else bounced
    if kind.has_email:
        return mailed
    return 0


def fold_trace_group(totals, step_type, state, call_outcome, count, mailed, opened, clicked, replied, bounced):
    """Add one group of traces (same step type, state and call outcome) to ``totals``."""
    totals["enrolled_count"] += count
    totals["sent_count"] += sent_emails(step_type, state, count, mailed, bounced)
    totals["opened_count"] += opened
    totals["clicked_count"] += clicked
    totals["replied_count"] += replied
    totals["bounced_count"] += bounced
    kind = step_types.get(step_type)
    if state in TOUCH_STATES and kind.is_touch:
        totals["contacted_count"] += count
    if kind.creates_activity and state in ("task", "done"):
        totals["task_count"] += count
        if state == "done":
            totals["task_done_count"] += count
    if call_outcome:
        totals["call_count"] += count
        if call_outcome == "connected":
            totals["connected_count"] += count


def fold_ending(totals, state, reason, count):
    """Add ``count`` enrollments that ended (``state``, ``reason``) to ``totals``."""
    if state in RUNNING_STATES:
        return
    if state == "completed":
        totals["completed_count"] += count
    elif reason not in POSITIVE_EXITS:
        totals["dropped_count"] += count
    if reason == "unsubscribed":
        totals["unsubscribed_count"] += count
    elif reason == "meeting":
        totals["meeting_count"] += count


def merge(into, other):
    """Merge ``{id: {metric: value}}`` dicts; ``other``'s values win."""
    for record_id, values in other.items():
        into[record_id].update(values)
    return into


def new_totals():
    return defaultdict(lambda: defaultdict(int))


class SalesSequenceMetricsMixin(models.AbstractModel):
    """The metrics shown for sequences, steps and variants: each model says
    how to count them (``_metric_totals``), the mixin turns counts into fields."""

    _name = "sales.sequence.metrics.mixin"
    _description = "Sales Sequence Metrics"

    enrolled_count = fields.Integer("Enrolled", compute="_compute_metrics")
    active_count = fields.Integer("In Progress", compute="_compute_metrics")
    completed_count = fields.Integer("Completed", compute="_compute_metrics")
    contacted_count = fields.Integer(
        "Contacted",
        compute="_compute_metrics",
        help="Touches that reached the prospect (emails, tasks).",
    )
    sent_count = fields.Integer("Emails Sent", compute="_compute_metrics")
    opened_count = fields.Integer("Opened", compute="_compute_metrics")
    clicked_count = fields.Integer("Clicked", compute="_compute_metrics")
    replied_count = fields.Integer("Replied", compute="_compute_metrics")
    positive_reply_count = fields.Integer(
        "Positive Replies",
        compute="_compute_metrics",
        help="Replies that say yes (interested, let's talk).",
    )
    bounced_count = fields.Integer("Bounced", compute="_compute_metrics")
    unsubscribed_count = fields.Integer("Opted Out", compute="_compute_metrics")
    meeting_count = fields.Integer("Meetings", compute="_compute_metrics")
    dropped_count = fields.Integer(
        "Dropped",
        compute="_compute_metrics",
        help="Left without a reply, a meeting or a win: unsubscribed, bounced, exited or failed.",
    )
    task_count = fields.Integer("Tasks", compute="_compute_metrics")
    task_done_count = fields.Integer("Tasks Done", compute="_compute_metrics")
    won_count = fields.Integer(
        "Won",
        compute="_compute_metrics",
        help="Won leads whose last touch before the win was this one.",
    )
    call_count = fields.Integer(
        "Calls Logged",
        compute="_compute_metrics",
        help="Calls whose outcome the rep logged.",
    )
    connected_count = fields.Integer("Calls Connected", compute="_compute_metrics")
    won_revenue = fields.Monetary(
        compute="_compute_metrics",
        currency_field="currency_id",
        help="Expected revenue of the won leads whose last touch before the win was this one.",
    )
    open_rate = fields.Float("Open Rate (%)", compute="_compute_metrics", digits=(16, 1))
    click_rate = fields.Float("Click Rate (%)", compute="_compute_metrics", digits=(16, 1))
    reply_rate = fields.Float("Reply Rate (%)", compute="_compute_metrics", digits=(16, 1))
    positive_reply_rate = fields.Float(
        "Positive Reply Rate (%)",
        compute="_compute_metrics",
        digits=(16, 1),
        help="Positive replies per prospect (or touch) contacted.",
    )
    connect_rate = fields.Float(
        "Connect Rate (%)",
        compute="_compute_metrics",
        digits=(16, 1),
        help="Calls connected, out of the calls whose outcome was logged.",
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")

    def _compute_metrics(self):
        origins = self._origin.filtered("id")
        totals = origins._metric_totals() if origins else {}
        for record in self:
            record.update(metric_values(totals.get(record._origin.id, {})))

    def _compute_currency_id(self):
        for record in self:
            record.currency_id = record.company_id.currency_id or self.env.company.currency_id

    def _metric_totals(self):
        """``{record id: {metric: value}}`` for ``self`` (saved records)."""
        raise NotImplementedError()

    # ------------------------------------------------------------------
    # The grouped reads every metric comes from (sudo: a sequence's numbers
    # are the sequence's, whoever looks at them)
    # ------------------------------------------------------------------

    @api.model
    def _metric_trace_totals(self, domain, level):
        """Email, task, call and positive reply counts of the traces of
        ``domain``, per ``level`` (``sequence_id``, ``step_id`` or
        ``variant_id``): one query."""
        # sudo: a sequence's numbers count every sender's traces
        rows = (
            self.env["sales.sequence.trace"]
            .sudo()
            ._read_group(
                domain,
                [level, "step_type", "state", "call_outcome", "reply_kind"],
                [
                    "__count",
                    "message_id:count",
                    "opened_at:count",
                    "clicked_at:count",
                    "replied_at:count",
                    "bounced_at:count",
                ],
            )
        )
        totals = new_totals()
        for record, step_type, state, call_outcome, reply_kind, *counts in rows:
            if record:
                fold_trace_group(totals[record.id], step_type, state, call_outcome, *counts)
                if reply_kind == POSITIVE:
                    totals[record.id]["positive_reply_count"] += counts[0]
        return totals

    @api.model
    def _metric_ending_totals(self, sequence_ids, level):
        """How the enrollments of ``sequence_ids`` that ended did so, per
        ``level`` of the last step that ran for them: one query."""
        self._check_metric_level(level)
        rows = self.env.execute_query(
            SQL(
                """SELECT last_step.%(level)s, enrollment.state, enrollment.exit_reason, COUNT(*)
                 FROM (%(last_step)s) AS last_step
                 JOIN sales_sequence_enrollment enrollment ON enrollment.id = last_step.enrollment_id
                WHERE enrollment.state NOT IN %(running)s
             GROUP BY 1, 2, 3""",
                level=SQL.identifier(level),
                last_step=self._last_step_query(sequence_ids),
                running=RUNNING_STATES,
            )
        )
        totals = new_totals()
        for record_id, state, reason, count in rows:
            if record_id:
                fold_ending(totals[record_id], state, reason, count)
        return totals

    @api.model
    def _last_step_query(self, sequence_ids):
        """SELECT the last step that ran (enrollment_id, sequence_id,
        step_id, variant_id) of each ended enrollment of ``sequence_ids``."""
        # sudo: a sequence's numbers count every sender's traces
        Trace = self.env["sales.sequence.trace"].sudo()
        Trace.flush_model(["enrollment_id", "sequence_id", "step_id", "variant_id", "sent_at"])
        query = Trace._search(
            Domain("sequence_id", "in", list(sequence_ids))
            & LAST_STEP_DOMAIN
            & Domain("enrollment_id.state", "not in", RUNNING_STATES)
        )
        table = query.table
        query.order = SQL(
            "%s, %s DESC, %s DESC",
            SQL.identifier(table, "enrollment_id"),
            SQL.identifier(table, "sent_at"),
            SQL.identifier(table, "id"),
        )
        return query.select(
            SQL(
                "DISTINCT ON (%(enrollment)s) %(enrollment)s, %(sequence)s, %(step)s, %(variant)s",
                enrollment=SQL.identifier(table, "enrollment_id"),
                sequence=SQL.identifier(table, "sequence_id"),
                step=SQL.identifier(table, "step_id"),
                variant=SQL.identifier(table, "variant_id"),
            )
        )

    @api.model
    def _metric_won_totals(self, sequence_ids, level):
        """Won leads and their expected revenue, credited to the ``level`` of
        the lead's last touch before the win (across every sequence, on the
        lead or, for enrollments without a lead, on its contact): one query."""
        self._check_metric_level(level)
        if not sequence_ids:
            return new_totals()
        self.env["sales.sequence.trace"].flush_model(
            ["enrollment_id", "sequence_id", "step_id", "variant_id", "sent_at", "state", "step_type"]
        )
        self.env["sales.sequence.enrollment"].flush_model(["lead_id", "partner_id", "sequence_id"])
        self.env["crm.lead"].flush_model(["won_status", "date_closed", "expected_revenue", "partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT won.%(level)s, COUNT(*), SUM(won.expected_revenue)
                 FROM (
                    SELECT DISTINCT ON (lead.id) lead.id, lead.expected_revenue,
                           trace.sequence_id, trace.step_id, trace.variant_id
                      FROM crm_lead lead
                      JOIN sales_sequence_enrollment enrollment
                        ON enrollment.lead_id = lead.id
                        OR (enrollment.lead_id IS NULL AND enrollment.partner_id = lead.partner_id)
                      JOIN sales_sequence_trace trace ON trace.enrollment_id = enrollment.id
                     WHERE lead.won_status = 'won' AND trace.sent_at <= lead.date_closed
                       AND trace.state IN %(touch_states)s AND trace.step_type IN %(touch_types)s
                       AND lead.id IN (
                            SELECT lead_id FROM sales_sequence_enrollment
                             WHERE sequence_id IN %(sequence_ids)s AND lead_id IS NOT NULL
                             UNION
                            SELECT won_lead.id FROM crm_lead won_lead
                              JOIN sales_sequence_enrollment partner_enrollment
                                ON partner_enrollment.partner_id = won_lead.partner_id
                             WHERE partner_enrollment.sequence_id IN %(sequence_ids)s
                               AND partner_enrollment.lead_id IS NULL AND won_lead.won_status = 'won'
                       )
                  ORDER BY lead.id, trace.sent_at DESC, trace.id DESC
                 ) AS won
                WHERE won.sequence_id IN %(sequence_ids)s
             GROUP BY 1""",
                level=SQL.identifier(level),
                touch_states=TOUCH_STATES,
                touch_types=step_types.codes(is_touch=True),
                sequence_ids=tuple(sequence_ids),
            )
        )
        totals = new_totals()
        for record_id, count, revenue in rows:
            if record_id:
                totals[record_id].update(won_count=count, won_revenue=revenue or 0.0)
        return totals

    @api.model
    def _check_metric_level(self, level):
        if level not in METRIC_LEVELS:
            raise ValueError("Unknown metric level %r" % level)
