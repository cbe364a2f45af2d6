from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.addons.base.models.res_partner import _tz_get
from odoo.tools.safe_eval import safe_eval


ENROLLABLE_MODELS = ("res.partner", "crm.lead")


class SalesSequence(models.Model):
    """A cadence: the plan of touches that enrollments run through."""

    _name = "sales.sequence"
    _description = "Sales Sequence"
    _inherit = ["mail.thread"]
    _order = "priority, name, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("paused", "Paused")],
        default="draft", required=True, readonly=True, copy=False, tracking=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Owner", default=lambda self: self.env.user,
        domain="[('share', '=', False)]", tracking=True,
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales Team",
        default=lambda self: self.env["crm.team"]._get_default_team_id(),
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    color = fields.Integer()
    step_ids = fields.One2many("sales.sequence.step", "sequence_id", string="Steps", copy=True)
    priority = fields.Integer(
        default=10, help="1 is the highest. Decides which sequence wins when a contact "
        "may be in only one sequence at a time.",
    )
    allow_concurrent = fields.Boolean(
        "Allow Other Sequences", default=True,
        help="A contact enrolled here may be active in other sequences at the same time.",
    )
    # sending window
    window_start = fields.Float("Send From", default=9.0)
    window_end = fields.Float("Send Until", default=17.0)
    weekdays_only = fields.Boolean("Weekdays Only", default=True)
    tz = fields.Selection(
        _tz_get, string="Timezone", required=True,
        default=lambda self: self.env.user.tz or "UTC",
    )
    tz_mode = fields.Selection(
        [("sequence", "Sequence timezone"), ("recipient", "Recipient timezone")],
        string="Timezone Of", default="sequence", required=True,
    )
    daily_limit = fields.Integer(
        "Daily Emails per Sender", default=0, help="0 means no limit.",
    )
    throttle_seconds = fields.Integer(
        "Seconds Between Emails", default=0,
        help="Minimum time between two emails of one sender.",
    )
    # exits
    exit_on_reply = fields.Boolean("Exit on Reply", default=True)
    exit_on_meeting = fields.Boolean("Exit on Meeting Booked", default=True)
    exit_on_bounce = fields.Boolean("Exit on Bounce", default=True)
    exit_on_stage_change = fields.Boolean("Exit on Stage Change", default=False)
    exit_stage_ids = fields.Many2many(
        "crm.stage", string="Exit Stages",
        help="Exit only when the lead moves into one of these stages (all stages when empty).",
    )
    exit_on_won_lost = fields.Boolean("Exit when Won or Lost", default=True)
    ooo_resume_days = fields.Integer(
        "Resume After Out-of-Office (days)", default=3,
        help="An automatic reply pauses the enrollment until the return date it mentions, "
        "else for this many days.",
    )
    exit_domain = fields.Char(
        "Exit Condition", default="[]",
        help="Enrollments whose lead (or contact) matches this condition exit before the next step.",
    )
    # counters
    step_count = fields.Integer(compute="_compute_counts")
    enrollment_count = fields.Integer(compute="_compute_counts")
    active_enrollment_count = fields.Integer("Active Enrollments", compute="_compute_counts")

    _window_valid = models.Constraint(
        "CHECK (window_start >= 0 AND window_end <= 24 AND window_start < window_end)",
        "The send window must start before it ends, within 0:00-24:00.",
    )
    _limits_positive = models.Constraint(
        "CHECK (daily_limit >= 0 AND throttle_seconds >= 0)",
        "Limits cannot be negative.",
    )

    def _compute_counts(self):
        Enrollment = self.env["sales.sequence.enrollment"]
        by_state = Enrollment._read_group(
            [("sequence_id", "in", self.ids)], ["sequence_id", "state"], ["__count"],
        )
        totals, running = {}, {}
        for sequence, state, count in by_state:
            totals[sequence.id] = totals.get(sequence.id, 0) + count
            if state in ("active", "paused"):
                running[sequence.id] = running.get(sequence.id, 0) + count
        for sequence in self:
            sequence.step_count = len(sequence.step_ids)
            sequence.enrollment_count = totals.get(sequence.id, 0)
            sequence.active_enrollment_count = running.get(sequence.id, 0)

    @api.constrains("exit_domain")
    def _check_exit_domain(self):
        for sequence in self:
            try:
                sequence._get_exit_domain()
            except (ValueError, SyntaxError, TypeError) as error:
                raise ValidationError(_("The exit condition is not a valid domain: %s", error)) from error

    def _get_exit_domain(self):
        self.ensure_one()
        domain = safe_eval(self.exit_domain or "[]", {"uid": self.env.uid})
        if not isinstance(domain, (list, tuple)):
            raise ValueError(_("a domain is a list of conditions"))
        return list(domain)

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------

    def action_activate(self):
        for sequence in self:
            sequence._check_can_activate()
        self.write({"state": "active"})
        return True

    def _check_can_activate(self):
        self.ensure_one()
        if not self.step_ids:
            raise UserError(_("Add at least one step before activating “%s”.", self.name))
        for step in self.step_ids:
            step._check_ready_to_run()

    def action_pause(self):
        self.filtered(lambda s: s.state == "active").write({"state": "paused"})
        return True

    def action_resume(self):
        paused = self.filtered(lambda s: s.state == "paused")
        for sequence in paused:
            sequence._check_can_activate()
        paused.write({"state": "active"})
        paused._reschedule_overdue()
        return True

    def action_draft(self):
        self.write({"state": "draft"})
        return True

    def _reschedule_overdue(self):
        """After a pause, overdue steps fire at the next opening, not all at once in the past."""
        now = fields.Datetime.now()
        overdue = self.env["sales.sequence.enrollment"].search([
            ("sequence_id", "in", self.ids), ("state", "=", "active"), ("next_run_at", "<", now),
        ])
        for enrollment in overdue:
            enrollment.next_run_at = enrollment._next_opening(now)
        self.env["sales.sequence.enrollment"]._schedule_wakeup(overdue.mapped("next_run_at"))

    # ------------------------------------------------------------------
    # Enrollment
    # ------------------------------------------------------------------

    def enroll(self, records, user=None, start_at=None):
        """Enroll contacts or leads into this sequence.

        :param records: a ``res.partner`` or ``crm.lead`` recordset
        :param user: the sender (``res.users``); default: the record's
            salesperson, else the current user
        :param start_at: when the enrollment starts (naive UTC); default now
        :return: ``{'enrolled': enrollments, 'skipped_duplicates': records,
            'failed': records, 'failure_reasons': {record id: message}}``
        """
        self.ensure_one()
        self._check_can_enroll(records)
        start_at = start_at or fields.Datetime.now()
        duplicates = self._find_enrolled(records)
        failure_reasons = self._enroll_failure_reasons(records - duplicates, user)
        failed = records.browse(failure_reasons)
        to_enroll = records - duplicates - failed
        Enrollment = self.env["sales.sequence.enrollment"]
        enrollments = Enrollment.with_context(mail_create_nolog=True).create(
            [self._prepare_enrollment_values(record, user, start_at) for record in to_enroll]
        )
        enrollments._log_enrolled()
        Enrollment._schedule_wakeup(enrollments.mapped("next_run_at"))
        return {
            "enrolled": enrollments,
            "skipped_duplicates": duplicates,
            "failed": failed,
            "failure_reasons": failure_reasons,
        }

    def _check_can_enroll(self, records):
        if records._name not in ENROLLABLE_MODELS:
            raise UserError(_("Only contacts and leads can be enrolled in a sequence."))
        if self.state == "draft":
            raise UserError(_("Activate the sequence “%s” before enrolling anyone.", self.name))
        if not self.active:
            raise UserError(_("The sequence “%s” is archived.", self.name))
        records.check_access("read")

    def _find_enrolled(self, records):
        """The records already running (active or paused) in this sequence."""
        key = "lead_id" if records._name == "crm.lead" else "partner_id"
        domain = [
            ("sequence_id", "=", self.id), (key, "in", records.ids),
            ("state", "in", ("active", "paused")),
        ]
        if key == "partner_id":
            domain.append(("lead_id", "=", False))
        running = self.env["sales.sequence.enrollment"].search(domain)
        return running[key]

    def _enroll_failure_reasons(self, records, user):
        reasons = {}
        for record in records:
            reason = self._enroll_failure_reason(record, user or self._default_sender(record))
            if reason:
                reasons[record.id] = reason
        return reasons

    def _enroll_failure_reason(self, record, sender):
        if record.company_id and record.company_id != self.company_id:
            return _("%(record)s belongs to %(company)s, not to the sequence's company.",
                     record=record.display_name, company=record.company_id.name)
        if record._name == "res.partner" and not record.active:
            return _("%s is archived.", record.display_name)
        if not sender.active:
            return _("The sender %s is archived.", sender.name)
        if self._has_email_steps() and not sender.email:
            return _("The sender %s has no email address.", sender.name)
        return False

    def _has_email_steps(self):
        return any(step.step_type == "email" for step in self.step_ids)

    def _default_sender(self, record):
        return record.user_id or self.env.user

    def _prepare_enrollment_values(self, record, user, start_at):
        is_lead = record._name == "crm.lead"
        first_step = self.step_ids[:1]
        values = {
            "sequence_id": self.id,
            "lead_id": record.id if is_lead else False,
            "partner_id": (record.partner_id.id if is_lead else record.id) or False,
            "user_id": (user or self._default_sender(record)).id,
            "enrolled_at": start_at,
            "last_run_at": start_at,
            "step_id": first_step.id,
        }
        if is_lead:
            values.update(start_stage_id=record.stage_id.id, start_won_status=record.won_status)
        values["next_run_at"] = first_step._due_after(
            start_at, self._timezone_for(record.partner_id if is_lead else record)
        )
        return values

    def _timezone_for(self, partner):
        self.ensure_one()
        if self.tz_mode == "recipient" and partner.tz:
            return partner.tz
        return self.tz

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_sequence.action_sales_sequence_enrollment"
        )
        action["domain"] = [("sequence_id", "=", self.id)]
        action["context"] = {"default_sequence_id": self.id, "search_default_filter_running": 1}
        return action

    def action_open_enroll_wizard(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_sequence.action_sales_sequence_enroll_wizard"
        )
        action["context"] = {"default_sequence_id": self.id, "default_res_model": "res.partner"}
        return action

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        return [dict(vals, name=self.env._("%s (copy)", sequence.name)) for sequence, vals in zip(self, vals_list)]

