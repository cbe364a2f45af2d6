from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import is_html_empty
from odoo.tools.safe_eval import safe_eval

from ..tools import render, schedule

STEP_TYPES = [
    ("email", "Automatic Email"),
    ("manual_email", "Manual Email"),
    ("call", "Call"),
    ("linkedin", "LinkedIn"),
    ("task", "Task"),
    ("wait", "Wait"),
    ("sms", "SMS"),
]
ACTIVITY_STEP_TYPES = ("manual_email", "call", "linkedin", "task")
DEFAULT_ACTIVITY_TYPES = {
    "manual_email": "mail.mail_activity_data_email",
    "call": "mail.mail_activity_data_call",
    "linkedin": "sales_sequence.mail_activity_type_linkedin",
    "task": "mail.mail_activity_data_todo",
}
STEP_ICONS = {
    "email": "fa-envelope", "manual_email": "fa-pencil-square-o", "call": "fa-phone",
    "linkedin": "fa-linkedin", "task": "fa-check-square-o", "wait": "fa-hourglass-half",
    "sms": "fa-mobile",
}
# sample values used to check that templates render before activation
SAMPLE_VALUES = {
    "first_name": "Jane", "last_name": "Doe", "full_name": "Jane Doe", "company": "Acme",
    "title": "CEO", "city": "Brussels", "industry": "Software", "custom": {},
    "sender": {"first_name": "Sam", "last_name": "Seller", "name": "Sam Seller",
               "title": "Account Executive", "phone": "+32 2 000 00 00",
               "email": "sam@example.com"},
    "unsubscribe_link": "https://example.com/unsubscribe",
}
TEMPLATE_FIELDS = ("subject", "body_html", "activity_summary", "activity_note", "call_script",
                   "linkedin_action")


class SalesSequenceStep(models.Model):
    """One touch of a sequence: what to do, and how long after the previous one."""

    _name = "sales.sequence.step"
    _description = "Sales Sequence Step"
    _order = "sequence_id, sequence, id"

    sequence_id = fields.Many2one(
        "sales.sequence", required=True, ondelete="cascade", index=True,
    )
    sequence = fields.Integer("Order", default=10)
    active = fields.Boolean(default=True)
    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(related="sequence_id.company_id", store=True)
    step_type = fields.Selection(STEP_TYPES, "Type", required=True, default="email")
    icon = fields.Char(compute="_compute_name")
    # delays, stacked in this order, from the previous step
    delay_business_days = fields.Integer("Business Days", default=0)
    delay_days = fields.Integer("Days", default=0)
    delay_hours = fields.Integer("Hours", default=0)
    delay_minutes = fields.Integer("Minutes", default=0)
    delay_text = fields.Char("Delay", compute="_compute_delay_text")
    day_number = fields.Integer("Day", compute="_compute_day_number")
    # email
    subject = fields.Char(translate=True)
    body_html = fields.Html(
        "Body", translate=True, sanitize_attributes=False, sanitize_overridable=True,
    )
    thread_with_previous = fields.Boolean(
        "Reply in Previous Thread",
        help="Send as a reply to the previous email of this sequence (Re: subject, same thread).",
    )
    variant_ids = fields.One2many("sales.sequence.step.variant", "step_id", string="Variants", copy=True)
    # activities
    activity_type_id = fields.Many2one("mail.activity.type", "Activity Type")
    activity_summary = fields.Char("Summary", translate=True)
    activity_note = fields.Html("Note", translate=True)
    assign_to = fields.Selection(
        [("owner", "Sequence owner"), ("salesperson", "Salesperson of the record"),
         ("user", "A specific user")],
        default="salesperson", required=True,
    )
    assign_user_id = fields.Many2one("res.users", "Assign To User", domain="[('share', '=', False)]")
    linkedin_action = fields.Selection(
        [("view", "View profile"), ("connect", "Send connection request"),
         ("message", "Send message"), ("interact", "Interact with a post")],
        "LinkedIn Action", default="connect",
    )
    call_script = fields.Text(translate=True)
    wait_for_completion = fields.Boolean(
        default=True, help="Hold the enrollment until this task is marked done.",
    )
    condition_domain = fields.Char(
        "Run Only If", default="[]",
        help="The step runs only for leads (or contacts) matching this condition; others skip it.",
    )
    trace_ids = fields.One2many("sales.sequence.trace", "step_id")

    _delays_positive = models.Constraint(
        "CHECK (delay_business_days >= 0 AND delay_days >= 0 AND delay_hours >= 0 "
        "AND delay_minutes >= 0)",
        "Delays cannot be negative.",
    )

    @api.depends("step_type", "subject", "activity_summary", "day_number")
    def _compute_name(self):
        labels = dict(self._fields["step_type"]._description_selection(self.env))
        for step in self:
            label = labels.get(step.step_type, "")
            detail = step.subject if step.step_type == "email" else step.activity_summary
            step.name = _("Day %(day)s · %(label)s", day=step.day_number, label=label)
            if detail:
                step.name += " · %s" % detail
            step.icon = STEP_ICONS.get(step.step_type, "fa-circle")

    @api.depends("delay_business_days", "delay_days", "delay_hours", "delay_minutes",
                 "sequence_id.step_ids")
    def _compute_delay_text(self):
        for step in self:
            words = schedule.delay_in_words(
                step.delay_business_days, step.delay_days, step.delay_hours, step.delay_minutes
            )
            is_first = step == step.sequence_id.step_ids[:1]
            if words == "immediately":
                step.delay_text = _("At enrollment") if is_first else _("Right after the previous step")
            elif is_first:
                step.delay_text = _("%s after enrollment", words)
            else:
                step.delay_text = _("%s later", words)

    @api.depends("sequence_id.step_ids.sequence", "sequence_id.step_ids.delay_business_days",
                 "sequence_id.step_ids.delay_days", "sequence_id.step_ids.delay_hours")
    def _compute_day_number(self):
        """Day of the cadence on which the step fires, counting from day 1 (approximate:
        business days count as days, hours round down)."""
        days = {}
        for sequence in self.sequence_id:
            elapsed = 0.0
            for step in sequence.step_ids.sorted(lambda s: (s.sequence, s.id or 0)):
                elapsed += step.delay_business_days + step.delay_days + step.delay_hours / 24.0
                days[step] = 1 + int(elapsed)
        for step in self:
            step.day_number = days.get(step, 1)

    @api.onchange("step_type")
    def _onchange_step_type(self):
        xmlid = DEFAULT_ACTIVITY_TYPES.get(self.step_type)
        self.activity_type_id = self.env.ref(xmlid, raise_if_not_found=False) if xmlid else False

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    @api.constrains(*TEMPLATE_FIELDS)
    def _check_templates(self):
        for step in self:
            for field_name in TEMPLATE_FIELDS:
                step._validate_template(field_name)

    @api.constrains("condition_domain")
    def _check_condition_domain(self):
        for step in self:
            try:
                step._get_condition_domain()
            except (ValueError, SyntaxError, TypeError, NameError) as error:
                raise ValidationError(
                    _("The condition of step “%(step)s” is not a valid domain: %(error)s",
                      step=step.name, error=error)
                ) from error

    def _get_condition_domain(self):
        domain = safe_eval(self.condition_domain or "[]", {"uid": self.env.uid})
        if not isinstance(domain, (list, tuple)):
            raise ValueError(_("a domain is a list of conditions"))
        return list(domain)

    def _validate_template(self, field_name):
        self._validate_source(self[field_name], self._fields[field_name], self.name)

    @api.model
    def _validate_source(self, source, field, owner):
        """ValidationError naming the step (or variant), the field and the line."""
        try:
            render.validate(source or "")
        except render.TemplateError as error:
            raise ValidationError(_(
                "“%(owner)s”, %(field)s: %(error)s",
                owner=owner, field=field._description_string(self.env), error=error,
            )) from error

    def _check_ready_to_run(self):
        """Everything activation needs from this step (UserError otherwise)."""
        self.ensure_one()
        if self.step_type == "email":
            contents = [(self.subject, self.body_html)] + [
                (variant.subject, variant.body_html) for variant in self.variant_ids
            ]
            if any(not subject or is_html_empty(body) for subject, body in contents):
                raise UserError(_("The email step “%s” needs a subject and a body.", self.name))
        for field_name in TEMPLATE_FIELDS:
            try:
                render.validate(self[field_name] or "")
                render.render(self[field_name] or "", SAMPLE_VALUES, html=field_name == "body_html")
            except render.TemplateError as error:
                raise UserError(_("Step “%(step)s” does not render: %(error)s",
                                  step=self.name, error=error)) from error

    def write(self, vals):
        if "step_type" in vals:
            fired = self.filtered(lambda s: s.step_type != vals["step_type"] and s.trace_ids)
            if fired:
                raise UserError(_(
                    "The step “%s” has already run for some contacts: its type cannot change. "
                    "Add a new step instead.", fired[0].name,
                ))
        return super().write(vals)

    def unlink(self):
        """Steps that already ran are archived, not deleted, so that their
        history and statistics stay; enrollments waiting for a removed step go
        on with the step after it."""
        self._release_enrollments()
        fired = self.filtered("trace_ids")
        fired.write({"active": False})
        return super(SalesSequenceStep, self - fired).unlink()

    def _release_enrollments(self):
        pending = self.env["sales.sequence.enrollment"].search([("step_id", "in", self.ids)])
        for enrollment in pending:
            following = enrollment.step_id._next_step(exclude=self)
            enrollment._move_to(following, enrollment.last_run_at or fields.Datetime.now())

    # ------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------

    def _next_step(self, exclude=None):
        """The step that follows this one in its sequence (empty for the last)."""
        self.ensure_one()
        steps = self.sequence_id.step_ids - (exclude or self.browse())
        later = steps.filtered(lambda s: (s.sequence, s.id) > (self.sequence, self.id))
        return later[:1]

    def _due_after(self, anchor, tz_name):
        """When this step is due, counted from ``anchor`` (naive UTC)."""
        if not self:
            return False
        sequence = self.sequence_id
        return schedule.compute_due(
            anchor, tz_name,
            business_days=self.delay_business_days, days=self.delay_days,
            hours=self.delay_hours, minutes=self.delay_minutes,
            window_start=sequence.window_start, window_end=sequence.window_end,
            weekdays_only=sequence.weekdays_only,
        )

    def _default_activity_type(self):
        xmlid = DEFAULT_ACTIVITY_TYPES.get(self.step_type, "mail.mail_activity_data_todo")
        return self.activity_type_id or self.env.ref(xmlid)
