from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize

from ..engine import precompute, step_types
from ..tools import replies

SKIP_REASONS = [
    ("condition", "The step's condition does not match"),
    ("engagement", "The engagement condition is not met"),
    ("suppressed", "The address is on the suppression list (unsubscribed or blacklisted)"),
    ("no_email", "No valid email address"),
    ("no_phone", "No phone number"),
    ("phone_suppressed", "The number is on the SMS suppression list"),
    ("task_cancelled", "Task cancelled"),
    ("bounced", "Bounced"),
    ("send_failed", "Sending failed"),
]
CALL_OUTCOMES = [
    ("connected", "Connected"),
    ("voicemail", "Left a voicemail"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
    ("not_interested", "Not interested"),
]
# outcomes that end the enrollment (with the outcome as exit reason)
EXITING_OUTCOMES = ("wrong_number", "not_interested")


class SalesSequenceTrace(models.Model):
    """What happened at one step for one enrollment (the engine's log and the
    source of every statistic)."""

    _name = "sales.sequence.trace"
    _description = "Sales Sequence Trace"
    _inherit = ["sales.sequence.guard.mixin"]
    _order = "sent_at desc, id desc"
    _rec_name = "step_id"

    enrollment_id = fields.Many2one(
        "sales.sequence.enrollment",
        required=True,
        ondelete="cascade",
        index=True,
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
        [("sent", "Sent"), ("failed", "Failed"), ("skipped", "Skipped"), ("task", "Task Created"), ("done", "Done")],
        required=True,
        index=True,
    )
    skip_reason = fields.Selection(SKIP_REASONS, "Reason", help="Why the step was skipped or failed.")
    failure_detail = fields.Text("Details", help="What the mail server or the bounce said.")
    mail_subject = fields.Char("Subject")
    mail_mail_id = fields.Many2one("mail.mail", "Email", ondelete="set null", index="btree_not_null")
    message_id = fields.Char("Message-ID", index="btree_not_null", help="RFC 5322 Message-ID of the sent email.")
    activity_id = fields.Many2one("mail.activity", ondelete="set null", index="btree_not_null")
    sent_at = fields.Datetime("Executed At", required=True, default=fields.Datetime.now)
    opened_at = fields.Datetime()
    clicked_at = fields.Datetime()
    open_count = fields.Integer("Opens", default=0, readonly=True, help="Times the email was opened.")
    click_count = fields.Integer(
        "Clicks",
        default=0,
        readonly=True,
        help="Times a tracked link of the email was followed.",
    )
    replied_at = fields.Datetime()
    reply_kind = fields.Selection(
        [(kind, replies.LABELS[kind]) for kind in replies.KINDS],
        "Reply",
        index="btree_not_null",
        help="What the prospect's reply says: an unsubscribe request, a referral to someone else, "
        "not interested, positive, or none of these (neutral).",
    )
    bounced_at = fields.Datetime()
    call_outcome = fields.Selection(
        CALL_OUTCOMES,
        index="btree_not_null",
        help="How the call went, as the rep logged it.",
    )
    complained_at = fields.Datetime(
        "Spam Complaint",
        help="When the recipient reported the email as spam (a feedback report or "
        "an abuse message received by the mail gateway).",
    )

    _unique_step = models.UniqueIndex(
        "(enrollment_id, step_id)",
        "A step runs only once per enrollment.",
    )

    @api.model
    def _add_precomputed_values(self, vals_list):
        """The sequence and the step type, read once per enrollment and step
        (``engine.precompute``): the engine logs a batch of traces at once."""
        precompute.related_once(self, vals_list, ["sequence_id", "step_type"])
        return super()._add_precomputed_values(vals_list)

    def _set_replied(self, when, kind=replies.NEUTRAL):
        """A reply to these traces' emails said ``kind`` (``tools.replies``):
        stamp the first reply's time; keep the first telling kind (a neutral
        "thanks" does not hide an earlier "not interested")."""
        for trace in self:
            values = {}
            if not trace.replied_at:
                values["replied_at"] = when
            if not trace.reply_kind or (trace.reply_kind == replies.NEUTRAL and kind != replies.NEUTRAL):
                values["reply_kind"] = kind
            if values:
                trace.write(values)

    # ------------------------------------------------------------------
    # Trust (sales.sequence.guard.mixin): the engine writes the log
    # ------------------------------------------------------------------

    def _guard_hint(self):
        return self.env._("The engine keeps this log as the steps run.")

    def _check_trust(self, fnames):
        """A manager's correction stays a trace of that enrollment, of a step
        of its sequence (and a variant of that step)."""
        for trace in self:
            trace.enrollment_id.check_access("write")
            if trace.step_id.sequence_id != trace.enrollment_id.sequence_id:
                raise UserError(
                    self.env._(
                        "The step “%(step)s” is not a step of the sequence %(sequence)s.",
                        step=trace.step_id.name,
                        sequence=trace.enrollment_id.sequence_id.name,
                    )
                )
            if trace.variant_id and trace.variant_id.step_id != trace.step_id:
                raise UserError(self.env._("The variant is not a variant of the step “%s”.", trace.step_id.name))

    def _recipient_address(self):
        """The normalized address this trace's email went to: the one on the
        queued email, else the enrollment's (its mail was deleted)."""
        self.ensure_one()
        return email_normalize(self.mail_mail_id.email_to or "") or self.enrollment_id._recipient_email()

    def _set_bounced(self, detail):
        """The email of these traces bounced: stamp them and exit their
        enrollments (``bounce``) where the sequence says so."""
        if not self:
            return
        self.filtered(lambda t: not t.bounced_at).write(
            {
                "state": "failed",
                "bounced_at": fields.Datetime.now(),
                "skip_reason": "bounced",
                "failure_detail": (detail or "")[:2000] or False,
            }
        )
        enrollments = self.enrollment_id.filtered(lambda e: e.sequence_id.exit_on_bounce)
        enrollments.action_exit("bounce")
        self.sequence_id._check_bounce_guard()

    # ------------------------------------------------------------------
    # Calls
    # ------------------------------------------------------------------

    def action_log_call(self, outcome, note=False):
        """Log how the call of each of these traces went (``outcome``, a
        ``call_outcome`` code, and the rep's ``note``) and mark its task done.

        A wrong number or a prospect not interested exits the enrollment
        (exit reason ``wrong_number`` / ``not_interested``); a connect ends it
        when the step says so (``exit_when_connected``). Logging a call takes
        the right to work its task (write access on the activity: its
        assignee, or whoever may write the lead or contact), else AccessError.
        """
        labels = dict(self._fields["call_outcome"]._description_selection(self.env))
        if outcome not in labels:
            raise UserError(self.env._("“%s” is not a call outcome.", outcome))
        for trace in self:
            trace._check_can_log_call()
        # sudo: the outcome and the exit are the engine's bookkeeping, once the right to the task is checked
        for trace in self.sudo():
            trace._log_call(outcome, labels[outcome], note)
        return True

    def _check_can_log_call(self):
        self.ensure_one()
        trace = self.sudo()  # sudo: the assignee may not read the trace; the check is on its task below
        if not trace.exists() or not step_types.get(trace.step_type).logs_call:
            raise UserError(self.env._("Only the calls of a sequence have an outcome."))
        activity = trace.with_context(active_test=False).activity_id
        if activity:
            activity.with_env(self.env).check_access("write")
        else:
            self.check_access("write")

    def _log_call(self, outcome, label, note):
        """Record the outcome (sudo: the engine's bookkeeping, once the rep's
        right was checked), end the enrollment if the outcome says so, then
        mark the task done as the rep."""
        self.ensure_one()
        self.call_outcome = outcome
        enrollment = self.enrollment_id
        if outcome in EXITING_OUTCOMES:
            enrollment._exit_on_call(outcome)
        elif outcome == "connected" and self.step_id.exit_when_connected:
            enrollment._end_on_call_connected()
        activity = self.with_context(active_test=False).activity_id.with_env(self.env(su=False))
        feedback = self.env._("Call outcome: %s", label) + ("\n%s" % note if note else "")
        if activity.active:
            activity.action_feedback(feedback=feedback)
        else:
            enrollment._log_event(feedback)

    def _suppress_unknown(self, addresses):
        """The bounce says these ``addresses`` do not exist: put those that
        these traces wrote to on the suppression list (reason ``bounced``)."""
        addresses = set(addresses)
        for trace in self:
            email = trace._recipient_address()
            if email in addresses:
                self.env["mail.blacklist"]._sales_sequence_suppress(
                    email,
                    "bounced",
                    trace.sequence_id,
                    message=self.env._(
                        "The address does not exist: an email of the sales sequence %s bounced.", trace.sequence_id.name
                    ),
                )

    @api.model
    def _on_complaint(self, complaint):
        """A spam complaint (``tools.mail_reports.Complaint``) about emails
        of ours (matched on their Message-IDs): stamp the traces, suppress
        the addresses, exit every running enrollment sent to them
        (``unsubscribed``) and let the guard weigh the complaint rate.
        Returns the traces concerned (empty: none of ours)."""
        # sudo: the gateway matches complaints to the emails of every sender
        traces = (
            self.sudo().search([("message_id", "in", list(complaint.message_ids))])
            if complaint.message_ids
            else self.sudo().browse()
        )
        if not traces:
            return traces
        traces.filtered(lambda t: not t.complained_at).write({"complained_at": fields.Datetime.now()})
        # sudo: the address leaves every sequence, whoever sends them
        Enrollment = self.env["sales.sequence.enrollment"].sudo()
        for trace in traces:
            enrollment = trace.enrollment_id
            email = trace._recipient_address()
            label = self.env._(
                "Spam complaint (%(kind)s) about an email of the sales sequence %(sequence)s.",
                kind=complaint.feedback_type or self.env._("forwarded to abuse"),
                sequence=trace.sequence_id.name,
            )
            if email:
                self.env["mail.blacklist"]._sales_sequence_suppress(
                    email, "complaint", trace.sequence_id, message=label
                )
            enrollment._log_event(label)
            (enrollment | Enrollment._running_for_email(email)).action_exit("unsubscribed")
        traces.sequence_id._check_bounce_guard()
        return traces

    def _set_send_failed(self, detail):
        """The mail server refused the email of these traces (for now)."""
        self.write({"state": "failed", "skip_reason": "send_failed", "failure_detail": (detail or "")[:2000] or False})

    # ------------------------------------------------------------------
    # Opens and clicks (controllers/tracking.py)
    # ------------------------------------------------------------------

    def _record_open(self):
        """The open pixel was loaded: count it, stamp the first open."""
        self._record_tracking_event(
            SQL(
                """open_count = open_count + 1,
               opened_at = COALESCE(opened_at, %(now)s)""",
                now=fields.Datetime.now(),
            )
        )

    def _record_click(self):
        """A tracked link was followed: count it, stamp the first click. A
        click implies an open: an email whose pixel never loaded (images
        blocked) counts as opened once."""
        self._record_tracking_event(
            SQL(
                """click_count = click_count + 1,
               clicked_at = COALESCE(clicked_at, %(now)s),
               open_count = CASE WHEN opened_at IS NULL THEN open_count + 1 ELSE open_count END,
               opened_at = COALESCE(opened_at, %(now)s)""",
                now=fields.Datetime.now(),
            )
        )

    def _record_tracking_event(self, assignments):
        """One atomic UPDATE: concurrent hits (a mail client loading the
        pixel twice at once) never lose a count, as a read-then-write would."""
        if not self:
            return
        fnames = ["open_count", "opened_at", "click_count", "clicked_at"]
        self.flush_recordset(fnames)
        self.env.cr.execute(
            SQL(
                "UPDATE sales_sequence_trace SET %s WHERE id IN %s",
                assignments,
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(fnames)
