from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import is_html_empty
from odoo.tools.safe_eval import safe_eval

from ..engine import step_types
from ..engine.composer import Composer
from ..tools import actions, render, schedule
from .sales_sequence_enrollment import RUNNING_STATES
from .sales_sequence_metrics_mixin import merge

ENGAGEMENT_CONDITIONS = [
    ("opened", "opened"),
    ("not_opened", "not opened"),
    ("clicked", "clicked"),
    ("not_clicked", "not clicked"),
    ("not_replied", "not replied"),
]
# sample values used to check that templates render before activation
SAMPLE_VALUES = {
    "first_name": "Jane",
    "last_name": "Doe",
    "full_name": "Jane Doe",
    "company": "Acme",
    "title": "CEO",
    "city": "Brussels",
    "industry": "Software",
    "custom": {},
    "sender": {
        "first_name": "Sam",
        "last_name": "Seller",
        "name": "Sam Seller",
        "title": "Account Executive",
        "phone": "+32 2 000 00 00",
        "email": "sam@example.com",
    },
    "unsubscribe_link": "https://example.com/unsubscribe",
}
# the sections of the step form, shown as the step type says (show_<section>)
FORM_SECTIONS = ("email", "activity", "call", "linkedin", "sms", "wait")
DELAY_FIELDS = ("delay_business_days", "delay_days", "delay_hours", "delay_minutes")
TASK_PRIORITIES = [("0", "Normal"), ("1", "High"), ("2", "Urgent")]
LINKEDIN_ACTIONS = [
    ("connect", "Send connection request"),
    ("inmail", "Send InMail"),
    ("message", "Send message"),
    ("view", "View profile"),
    ("comment", "Comment on a post"),
    ("engage", "Engage with content"),
]
PREVIEW_MODELS = [("res.partner", "Contact"), ("crm.lead", "Lead")]


def own_attachments(records):
    """Attach to ``records`` the attachments uploaded before they were saved
    (``res_id`` 0), as Odoo's mail templates do: they then follow the
    record's access rights rather than their uploader's alone."""
    for record in records:
        record.attachment_ids.filtered(lambda a: not a.res_id).write({"res_model": record._name, "res_id": record.id})
    return records


# every field that holds a template, whatever the step's type
TEMPLATE_FIELDS = tuple(
    dict.fromkeys(name for step_type in step_types.REGISTRY.values() for name in step_type.template_fields)
)


class SalesSequenceStep(models.Model):
    """One touch of a sequence: what to do, and how long after the previous one."""

    _name = "sales.sequence.step"
    _description = "Sales Sequence Step"
    _inherit = ["sales.sequence.metrics.mixin", "sales.sequence.spam.mixin", "sales.sequence.ab.test.mixin"]
    _order = "sequence_id, sequence, id"
    _check_company_auto = True
    _rec_names_search = ["subject", "activity_summary", "sequence_id"]

    sequence_id = fields.Many2one(
        "sales.sequence",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sequence = fields.Integer("Order", default=10)
    active = fields.Boolean(default=True)
    name = fields.Char(compute="_compute_name")
    title = fields.Char(
        compute="_compute_name",
        help="What the step does, as plain text (its subject or task summary).",
    )
    company_id = fields.Many2one(related="sequence_id.company_id", store=True)
    step_type = fields.Selection(step_types.selection(), "Type", required=True, default="email")
    icon = fields.Char(compute="_compute_name")
    show_email = fields.Boolean(compute="_compute_sections")
    show_activity = fields.Boolean(compute="_compute_sections")
    show_call = fields.Boolean(compute="_compute_sections")
    show_linkedin = fields.Boolean(compute="_compute_sections")
    show_sms = fields.Boolean(compute="_compute_sections")
    show_wait = fields.Boolean(compute="_compute_sections")
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
        "Body",
        translate=True,
        sanitize_attributes=False,
        sanitize_overridable=True,
    )
    thread_with_previous = fields.Boolean(
        "Reply in Previous Thread",
        help="Send as a reply to the previous email of this sequence (Re: subject, same thread).",
    )
    add_signature = fields.Boolean(
        "Add Sender Signature",
        help="Append the sender's Odoo signature to the email.",
    )
    email_cc = fields.Char(
        "Cc",
        help="Addresses in copy, separated by commas; variables allowed (e.g. {{ sender.email }}).",
    )
    email_bcc = fields.Char(
        "Bcc",
        help="Hidden copies, separated by commas (e.g. your CRM's logging address); variables allowed.",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_sequence_step_attachment_rel",
        "step_id",
        "attachment_id",
        string="Attachments",
        help="Sent with every email of this step.",
    )
    # stored: the engine reads the attachments only of the steps that have some
    has_attachments = fields.Boolean(compute="_compute_has_attachments", store=True)
    track_opens = fields.Boolean(
        default=True,
        help="Know when this email is opened (when the sequence tracks opens too).",
    )
    track_clicks = fields.Boolean(
        default=True,
        help="Know when the links of this email are followed (when the sequence tracks clicks too).",
    )
    variant_ids = fields.One2many("sales.sequence.step.variant", "step_id", string="Variants", copy=True)
    template_id = fields.Many2one(
        "sales.sequence.template",
        "Start from Template",
        ondelete="set null",
        help="Picking a template copies its subject and body into this email.",
    )
    # activities
    activity_type_id = fields.Many2one("mail.activity.type")
    activity_summary = fields.Char("Summary", translate=True)
    activity_note = fields.Html("Note", translate=True)
    assign_to = fields.Selection(
        [("owner", "Sequence owner"), ("salesperson", "Salesperson of the record"), ("user", "A specific user")],
        default="salesperson",
        required=True,
    )
    assign_user_id = fields.Many2one(
        "res.users",
        "Assign To User",
        domain="[('share', '=', False)]",
        check_company=True,
    )
    due_days = fields.Integer(
        "Due After (days)",
        default=0,
        help="The task is due this many days after the step fires (0: the same day).",
    )
    task_priority = fields.Selection(TASK_PRIORITIES, "Priority", default="0", required=True)
    linkedin_action = fields.Selection(LINKEDIN_ACTIONS, "LinkedIn Action", default="connect")
    linkedin_copy = fields.Text(
        "Suggested Copy",
        translate=True,
        help="The text the rep may paste on LinkedIn, rendered for the prospect; variables allowed.",
    )
    call_script = fields.Text(translate=True)
    voicemail_script = fields.Text(
        translate=True,
        help="What to say when the call lands on voicemail; variables allowed.",
    )
    call_duration = fields.Integer("Expected Duration", help="How long the call should take, in minutes.")
    exit_when_connected = fields.Boolean(
        "End the Sequence on a Connect",
        help="When the rep logs this call as connected, the enrollment completes: no further step runs.",
    )
    sms_body = fields.Text("SMS Text", translate=True)
    wait_for_completion = fields.Boolean(
        default=True,
        help="Hold the enrollment until this task is marked done.",
    )
    condition_domain = fields.Char(
        "Run Only If",
        default="[]",
        help="The step runs only for leads (or contacts) matching this condition; others skip it.",
    )
    engagement_condition = fields.Selection(
        ENGAGEMENT_CONDITIONS,
        "Only If the Email Was",
        help="Run this step only for prospects who engaged (or not) with an earlier email; "
        "the others skip it and go on. Two steps at the same point with opposite "
        "conditions make an if/else branch.",
    )
    engagement_step_id = fields.Many2one(
        "sales.sequence.step",
        "Email",
        domain="[('sequence_id', '=', sequence_id), ('step_type', '=', 'email'), ('id', '!=', id)]",
        help="The email whose engagement is checked. Empty: the closest email step before this one.",
    )
    condition_text = fields.Char("Condition", compute="_compute_condition_text")
    trace_ids = fields.One2many("sales.sequence.trace", "step_id")
    # the step as it is being edited: warnings and a preview, also before it is saved
    content_warnings = fields.Text("Warnings", compute="_compute_content_warnings")
    preview_ref = fields.Reference(
        PREVIEW_MODELS,
        "Preview For",
        compute="_compute_preview_ref",
        readonly=False,
        help="The contact or lead the preview and the warnings about empty variables use (not saved: "
        "by default, the first one enrolled in the sequence, else a contact with an email address).",
    )
    preview_email_to = fields.Char("Preview To", compute="_compute_preview")
    preview_email_cc = fields.Char("Preview Cc", compute="_compute_preview")
    preview_email_bcc = fields.Char("Preview Bcc", compute="_compute_preview")
    preview_subject = fields.Char(compute="_compute_preview")
    preview_body = fields.Html(compute="_compute_preview", sanitize=False)
    preview_error = fields.Text("Preview Problem", compute="_compute_preview")

    _ab_min_sends_positive = models.Constraint(
        "CHECK (ab_min_sends > 0)",
        "An A/B test needs at least one send per variant.",
    )
    _delays_positive = models.Constraint(
        "CHECK (delay_business_days >= 0 AND delay_days >= 0 AND delay_hours >= 0 AND delay_minutes >= 0)",
        "Delays cannot be negative.",
    )
    _due_days_positive = models.Constraint("CHECK (due_days >= 0)", "A task cannot be due before its step fires.")
    _call_duration_positive = models.Constraint("CHECK (call_duration >= 0)", "A call cannot last a negative time.")

    @api.depends("step_type", "subject", "activity_summary", "linkedin_action", "day_number")
    def _compute_name(self):
        labels = dict(self._fields["step_type"]._description_selection(self.env))
        for step in self:
            step_type = step_types.get(step.step_type)
            source = step.subject if step_type.has_email else step.activity_summary
            step.title = (
                render.plain_title(source or "")
                or (step_type.default_summary(step) if step_type.creates_activity else "")
                or ""
            )
            step.name = self.env._("Day %(day)s · %(label)s", day=step.day_number, label=labels.get(step.step_type, ""))
            if step.title:
                step.name += " · %s" % step.title
            step.icon = step_type.icon

    @api.depends("attachment_ids")
    def _compute_has_attachments(self):
        for step in self:
            step.has_attachments = bool(step.attachment_ids)

    @api.depends("step_type")
    def _compute_sections(self):
        for step in self:
            sections = step_types.get(step.step_type).sections
            for section in FORM_SECTIONS:
                step["show_%s" % section] = section in sections

    def _type_label(self):
        self.ensure_one()
        return dict(self._fields["step_type"]._description_selection(self.env)).get(self.step_type, "")

    @api.depends("delay_business_days", "delay_days", "delay_hours", "delay_minutes", "sequence_id.step_ids")
    def _compute_delay_text(self):
        for step in self:
            if any(step[field_name] < 0 for field_name in DELAY_FIELDS):
                step.delay_text = self.env._("Invalid: a delay cannot be negative")
                continue
            words = step._delay_words()
            is_first = step == step.sequence_id.step_ids[:1]
            if not words:
                step.delay_text = (
                    self.env._("At enrollment") if is_first else self.env._("Right after the previous step")
                )
            elif is_first:
                step.delay_text = self.env._("%s after enrollment", words)
            else:
                step.delay_text = self.env._("%s later", words)

    def _delay_words(self):
        """The step's delay in words ("2 business days, 1 hour"), translated;
        empty when there is none."""
        self.ensure_one()
        env = self.env
        units = {
            "business_days": (env._("1 business day"), env._("%s business days")),
            "days": (env._("1 day"), env._("%s days")),
            "hours": (env._("1 hour"), env._("%s hours")),
            "minutes": (env._("1 minute"), env._("%s minutes")),
        }
        return ", ".join(
            units[unit][0] if amount == 1 else units[unit][1] % amount
            for unit, amount in schedule.delay_parts(**self._delays())
        )

    @api.depends(
        "sequence_id.step_ids.sequence",
        "sequence_id.step_ids.delay_business_days",
        "sequence_id.step_ids.delay_days",
        "sequence_id.step_ids.delay_hours",
    )
    def _compute_day_number(self):
        """Day of the cadence on which the step fires, counting from day 1 (approximate:
        business days count as days, hours round down)."""
        days = {}
        for sequence in self.sequence_id:
            elapsed = 0.0
            for step in sequence.step_ids.sorted(lambda s: (s.sequence, s.id or 0)):
                # a negative delay (refused on save) does not move the day back while editing
                elapsed += max(0, step.delay_business_days) + max(0, step.delay_days) + max(0, step.delay_hours) / 24.0
                days[step] = 1 + int(elapsed)
        for step in self:
            step.day_number = days.get(step, 1)

    @api.depends("engagement_condition", "engagement_step_id", "condition_domain")
    def _compute_condition_text(self):
        labels = dict(self._fields["engagement_condition"]._description_selection(self.env))
        for step in self:
            parts = []
            if step.engagement_condition:
                reference = step.engagement_step_id or step._previous_email_step()
                parts.append(
                    self.env._(
                        "only if %(email)s was %(condition)s",
                        email=self.env._("Day %s email", reference.day_number)
                        if reference
                        else self.env._("the previous email"),
                        condition=labels[step.engagement_condition],
                    )
                )
            if step.condition_domain and step.condition_domain != "[]":
                parts.append(self.env._("only if the record matches"))
            step.condition_text = ", ".join(parts)

    @api.constrains("engagement_condition", "engagement_step_id", "sequence")
    def _check_engagement_reference(self):
        for step in self.filtered("engagement_condition"):
            reference = step.engagement_step_id or step._previous_email_step()
            if not reference:
                raise ValidationError(
                    self.env._("The step “%s” depends on an email, but no email step comes before it.", step.name)
                )
            if reference.sequence_id != step.sequence_id or (reference.sequence, reference.id) >= (
                step.sequence,
                step.id,
            ):
                raise ValidationError(
                    self.env._(
                        "The step “%s” can only depend on an email of its sequence that comes before it.", step.name
                    )
                )

    def _previous_email_step(self):
        """The closest step before this one in its sequence that sends an email."""
        self.ensure_one()
        sending = step_types.codes(sends_email=True)
        earlier = self.sequence_id.step_ids.filtered(
            lambda s: s.step_type in sending and (s.sequence, s.id) < (self.sequence, self.id or 0)
        )
        return earlier[-1:]

    def _engagement_reference(self):
        return self.engagement_step_id or self._previous_email_step()

    @api.onchange("step_type")
    def _onchange_step_type(self):
        step_type = step_types.get(self.step_type)
        self.activity_type_id = step_type.creates_activity and self.env.ref(
            step_type.default_activity_type, raise_if_not_found=False
        )

    @api.onchange("linkedin_action")
    def _onchange_linkedin_action(self):
        """Propose the action's copy, unless the rep wrote their own."""
        proposed = {step_types.LinkedinStep.suggested_copy(self.env, code) for code, __ in LINKEDIN_ACTIONS}
        if not self.linkedin_copy or self.linkedin_copy in proposed:
            self.linkedin_copy = step_types.LinkedinStep.suggested_copy(self.env, self.linkedin_action)

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
                domain = step._get_condition_domain()
            except (ValueError, SyntaxError, TypeError, NameError) as error:
                raise ValidationError(
                    self.env._(
                        "The condition of step “%(step)s” is not a valid domain: %(error)s", step=step.name, error=error
                    )
                ) from error
            self.env["sales.sequence"]._check_condition_readable(
                domain, self.env._("The condition of step “%s”", step.name)
            )

    def _get_condition_domain(self, uid=None):
        """The step's condition, as a domain for the user ``uid`` (default: the
        current one; the engine gives each enrollment's sender)."""
        domain = safe_eval(self.condition_domain or "[]", {"uid": uid or self.env.uid})
        if not isinstance(domain, (list, tuple)):
            raise ValueError(self.env._("a domain is a list of conditions"))
        return list(domain)

    def _validate_template(self, field_name):
        self._validate_source(self[field_name], self._fields[field_name], self.name)

    @api.model
    def _validate_source(self, source, field, owner):
        """ValidationError naming the step (or variant), the field and the line."""
        try:
            render.validate(source or "")
        except render.TemplateError as error:
            raise ValidationError(
                self.env._(
                    "“%(owner)s”, %(field)s: %(error)s",
                    owner=owner,
                    field=field._description_string(self.env),
                    error=error,
                )
            ) from error

    def _check_ready_to_run(self):
        """Everything activation needs from this step (UserError otherwise)."""
        self.ensure_one()
        step_type = step_types.get(self.step_type)
        step_type.check_ready(self)
        for field_name in step_type.template_fields:
            try:
                render.validate(self[field_name] or "")
                render.render(self[field_name] or "", SAMPLE_VALUES, html=field_name == "body_html")
            except render.TemplateError as error:
                raise UserError(
                    self.env._("Step “%(step)s” does not render: %(error)s", step=self.name, error=error)
                ) from error

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_delay_values(vals)
        return own_attachments(super().create(vals_list))

    def _check_delay_values(self, vals):
        """Refuse a negative delay naming the step (the database's check
        would only say that some delay is negative)."""
        negative = [name for name in DELAY_FIELDS if isinstance(vals.get(name), (int, float)) and vals[name] < 0]
        if negative:
            types = dict(self._fields["step_type"]._description_selection(self.env))
            title = ", ".join(self.mapped("name")) or (
                vals.get("subject") or vals.get("activity_summary") or types.get(vals.get("step_type", "email"))
            )
            raise ValidationError(self._negative_delay_message(title, negative))

    def _negative_delay_message(self, title, names):
        """What the builder and the save say of the negative delays ``names`` of step ``title``."""
        labels = ", ".join(self._fields[name]._description_string(self.env) for name in names)
        return self.env._("“%(step)s”: a delay cannot be negative (%(delays)s).", step=title, delays=labels)

    def write(self, vals):
        self._check_delay_values(vals)
        if vals.get("sequence_id") and not self.env.su:
            # the record rules check the sequence the step leaves, not the one it joins
            self.env["sales.sequence"].browse(vals["sequence_id"]).check_access("write")
        if "step_type" in vals:
            fired = self.filtered(lambda s: s.step_type != vals["step_type"] and s.trace_ids)
            if fired:
                raise UserError(
                    self.env._(
                        "The step “%s” has already run for some contacts: its type cannot change. "
                        "Add a new step instead.",
                        fired[0].name,
                    )
                )
        result = super().write(vals)
        if "attachment_ids" in vals:
            own_attachments(self)
        return result

    def unlink(self):
        """Steps that already ran are archived, not deleted, so that their
        history and statistics stay; enrollments waiting for a removed step go
        on with the step after it."""
        self._release_enrollments()
        fired = self.filtered("trace_ids")
        fired.write({"active": False})
        return super(SalesSequenceStep, self - fired).unlink()

    def _release_enrollments(self):
        # sudo: the enrollments of every sender move on, not only those the editor sees
        pending = self.env["sales.sequence.enrollment"].sudo().search([("step_id", "in", self.ids)])
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

    def _delays(self):
        """The step's delays, as ``tools.clock.Clock.due`` takes them."""
        self.ensure_one()
        return {
            "business_days": self.delay_business_days,
            "days": self.delay_days,
            "hours": self.delay_hours,
            "minutes": self.delay_minutes,
        }

    def _render_preview(self, record, user=None, variant=None):
        """This step's email for ``record`` (a contact or a lead), exactly as
        the engine would send it now: of ``variant`` when given, else the A/B
        winner, else the first variant, else the main version. Raises
        ``render.TemplateError``.

        :return: ``composer.Email``
        """
        self.ensure_one()
        is_lead = record._name == "crm.lead"
        if variant is None:
            variant = self._variants_for_sending()[:1] or None
        return Composer(self.env).compose(
            self,
            record if is_lead else record.browse(),
            record.partner_id if is_lead else record,
            self._preview_sender(record, user),
            variant=variant or None,
        )

    def _preview_sender(self, record, user=None):
        """Who a preview (or a test) of this step for ``record`` is written
        by: ``user``, else the record's default sender; the current user when
        they may not send as that sender."""
        sender = user or self.sequence_id._default_sender(record)
        if not self.sequence_id._may_send_as(sender):
            # {{ custom.<field> }} reads with the sender's rights: nobody previews with rights not theirs
            if user:
                raise UserError(self.env._("Only a sequence manager can preview in the name of %s.", user.name))
            sender = self.env.user
        return sender

    def _activity_type(self):
        """The activity type of the step's tasks: the chosen one, else its step type's."""
        self.ensure_one()
        return self.activity_type_id or self.env.ref(step_types.get(self.step_type).default_activity_type)

    # ------------------------------------------------------------------
    # Analytics (sales.sequence.metrics.mixin)
    # ------------------------------------------------------------------

    def _metric_totals(self):
        sequence_ids = self.sequence_id.ids
        totals = self._metric_trace_totals(Domain("step_id", "in", self.ids), "step_id")
        # sudo: a step's numbers count every sender's enrollments
        waiting = (
            self.env["sales.sequence.enrollment"]
            .sudo()
            ._read_group(
                [("step_id", "in", self.ids), ("state", "in", RUNNING_STATES)],
                ["step_id"],
                ["__count"],
            )
        )
        merge(totals, {step.id: {"active_count": count} for step, count in waiting})
        merge(totals, self._metric_ending_totals(sequence_ids, "step_id"))
        return merge(totals, self._metric_won_totals(sequence_ids, "step_id"))

    # ------------------------------------------------------------------
    # Content: spam risk (sales.sequence.spam.mixin)
    # ------------------------------------------------------------------

    @api.depends("step_type", "subject", "body_html", "variant_ids.subject", "variant_ids.body_html")
    def _compute_spam(self):
        return super()._compute_spam()

    def _spam_contents(self):
        """The main version and the variants of the step's email (automatic or
        written by the rep from the draft)."""
        self.ensure_one()
        return [self, *self.variant_ids] if step_types.get(self.step_type).has_email else []

    def _notify_spam_risk(self):
        """Warn, without blocking, about the email steps at high spam risk: a
        note on the chatter of their sequence (it stays) and a notification
        for whoever activated it.

        :return: a ``display_notification`` action, or None when no step is red
        """
        risky = self.filtered(lambda step: step.spam_band == "red")
        if not risky:
            return None
        for sequence, steps in risky.grouped("sequence_id").items():
            sequence.message_post(body=steps._spam_risk_note(), subtype_xmlid="mail.mt_note")
        return actions.notification(
            self.env._("Activated, but some emails look like spam"),
            self.env._(
                "%(steps)s may be filtered as spam: the reasons are noted in the chatter.",
                steps=", ".join(risky.mapped("name")),
            ),
            "warning",
            sticky=True,
        )

    def _spam_risk_note(self):
        items = Markup().join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(step)s (score %(score)s/100): %(reasons)s",
                step=step.name,
                score=step.spam_score,
                reasons=" ".join((step.spam_reasons or "").splitlines()),
            )
            for step in self
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Activated with emails at high spam risk: reword them to reach the inbox."),
            items,
        )

    # ------------------------------------------------------------------
    # Content: warnings and preview while editing (saved or not)
    # ------------------------------------------------------------------

    @api.depends("sequence_id")
    def _compute_preview_ref(self):
        for step in self:
            record = step._default_preview_record()
            step.preview_ref = "%s,%s" % (record._name, record.id) if record else False

    def _default_preview_record(self):
        """The first contact (or lead) enrolled in the step's sequence, else a
        contact with an email address (that the user may read)."""
        sequence_id = self.sequence_id._origin.id
        enrollment = (
            self.env["sales.sequence.enrollment"].search(
                [("sequence_id", "=", sequence_id)],
                order="enrolled_at, id",
                limit=1,
            )
            if sequence_id
            else None
        )
        if enrollment and (enrollment.lead_id or enrollment.partner_id).has_access("read"):
            return enrollment.lead_id or enrollment.partner_id
        return self.env["res.partner"].search(
            [("email", "!=", False), ("is_company", "=", False), ("user_ids", "=", False)],
            limit=1,
        )

    def _preview_record(self):
        """The record to preview for: ``preview_ref`` when the user may read it."""
        record = self.preview_ref
        return record if record and record.exists() and record.has_access("read") else None

    @api.depends(
        "step_type",
        "subject",
        "body_html",
        "email_cc",
        "email_bcc",
        "add_signature",
        "thread_with_previous",
        "preview_ref",
        "sequence_id.unsubscribe_style",
    )
    def _compute_preview(self):
        for step in self:
            step.update(step._preview_values())

    def _preview_values(self):
        """The step's email (its main version) rendered for the preview record."""
        values = dict.fromkeys(
            (
                "preview_email_to",
                "preview_email_cc",
                "preview_email_bcc",
                "preview_subject",
                "preview_body",
                "preview_error",
            ),
            False,
        )
        if not step_types.get(self.step_type).has_email:
            return values
        record = self._preview_record()
        if not record:
            return dict(
                values, preview_error=self.env._("Pick a contact or a lead to see the email as they would get it.")
            )
        try:
            email = self._render_preview(record, variant=False)
        except render.TemplateError as error:
            return dict(values, preview_error=self.env._("This email does not render: %s", error))
        return dict(
            values,
            preview_email_to=email.email_to or False,
            preview_email_cc=", ".join(email.cc) or False,
            preview_email_bcc=", ".join(email.bcc) or False,
            preview_subject=email.subject,
            preview_body=email.body,
        )

    @api.depends(
        lambda self: (
            "step_type",
            "preview_ref",
            "sequence_id.step_ids",
            *DELAY_FIELDS,
            *TEMPLATE_FIELDS,
        )
    )
    def _compute_content_warnings(self):
        for step in self:
            step.content_warnings = "\n".join(step._content_warnings()) or False

    def _content_warnings(self):
        """What is wrong with the step as it is being edited, one sentence
        each: a delay below zero, templates that do not compile (with the
        line, unknown variables included), and variables without a fallback
        that are empty for the preview record."""
        self.ensure_one()
        warnings = []
        negative = [name for name in DELAY_FIELDS if self[name] < 0]
        if negative:
            warnings.append(self._negative_delay_message(self.name, negative))
        fields_ok = []
        for field_name in step_types.get(self.step_type).template_fields:
            error = render.validate_error(self[field_name] or "")
            label = self._fields[field_name]._description_string(self.env)
            if error:
                warnings.append(self.env._("%(field)s: %(error)s", field=label, error=error))
            elif self[field_name]:
                fields_ok.append((field_name, label))
        warnings += self._empty_variable_warnings(fields_ok)
        return warnings

    def _empty_variable_warnings(self, fields):
        """Warnings about the variables of ``fields`` (``[(name, label)]``)
        that would render empty for the preview record."""
        record = self._preview_record()
        if not record or not fields:
            return []
        is_lead = record._name == "crm.lead"
        composer = Composer(self.env)
        values = composer.template_values(
            record if is_lead else record.browse(),
            record.partner_id if is_lead else record,
            self._preview_sender(record),
            "",
        )
        warnings = []
        for field_name, label in fields:
            names = render.empty_variables(self[field_name] or "", values)
            if names:
                warnings.append(
                    self.env._(
                        "%(field)s: %(variables)s would be empty for %(record)s. Add a fallback, "
                        'e.g. {{ %(example)s | default("there") }}, or a condition.',
                        field=label,
                        variables=", ".join("{{ %s }}" % name for name in names),
                        record=record.display_name,
                        example=names[0],
                    )
                )
        return warnings

    def action_send_test(self):
        """Send this step's email, rendered for the preview record (the one
        picked in the form, passed in the context as ``sales_sequence_preview_ref``),
        to the current user (see ``_send_test``)."""
        self.ensure_one()
        picked = self.env.context.get("sales_sequence_preview_ref")
        if picked:
            self.preview_ref = picked
        record = self._preview_record()
        if not record:
            raise UserError(self.env._("Pick a contact or a lead to render the test email for."))
        return self._send_test(record)

    def _send_test(self, record, sender=None):
        """Send this step's email rendered for ``record`` (as ``sender``
        would send it) to the current user: a real email, marked as a test in
        its subject, that no enrollment or trace knows of.

        :return: a notification action
        """
        self.ensure_one()
        self.check_access("read")
        record.check_access("read")
        if not step_types.get(self.step_type).has_email:
            raise UserError(self.env._("Only emails can be sent as a test."))
        user = self.env.user
        if not user.email:
            raise UserError(self.env._("Set an email address on your user to receive test emails."))
        try:
            email = self._render_preview(record, user=sender)
        except render.TemplateError as error:
            raise UserError(self.env._("This email does not render: %s", error)) from error
        # sudo: a test goes to the current user only; like Odoo's mailing
        # tests, it is sent at once and not kept
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": self.env._("[TEST] %s", email.subject),
                    "body_html": Markup('<p style="padding:8px;background-color:#fff3cd;">%s</p>')
                    % self.env._(
                        "Test of “%(step)s”, rendered for %(record)s (%(to)s). Nobody else received it.",
                        step=self.name,
                        record=record.display_name,
                        to=email.email_to or self.env._("no address"),
                    )
                    + email.body,
                    "email_from": self._preview_sender(record, sender).email_formatted,
                    "email_to": user.email_formatted,
                    "attachment_ids": [(6, 0, email.attachment_ids)],
                    "is_notification": False,
                    "auto_delete": False,
                }
            )
        )
        mail.send(raise_exception=False)
        failed, failure = mail.state == "exception", mail.failure_reason
        if mail.state == "outgoing":
            mail.auto_delete = True  # not sent yet (e.g. no server now): the queue sends it, then deletes it
        else:
            mail.unlink()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "danger" if failed else "success",
                "message": self.env._("The test email could not be sent: %s", failure or self.env._("unknown error"))
                if failed
                else self.env._("Test email sent to %s.", user.email),
            },
        }

    # ------------------------------------------------------------------
    # Content: preview and templates
    # ------------------------------------------------------------------

    def action_open_preview(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview"),
            "res_model": "sales.sequence.step.preview",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_step_id": self.id},
        }

    @api.onchange("template_id")
    def _onchange_template_id(self):
        if self.template_id:
            self.subject = self.template_id.subject
            self.body_html = self.template_id.body_html

    def action_save_as_template(self):
        """Save this email as a personal template and open it (to rename or share it)."""
        self.ensure_one()
        if not step_types.get(self.step_type).has_email:
            raise UserError(self.env._("Only emails can be saved as templates."))
        if not self.subject and is_html_empty(self.body_html):
            raise UserError(self.env._("Write a subject or a body before saving this email as a template."))
        template = self.env["sales.sequence.template"].create(
            {
                "name": self.subject or self.sequence_id.name,
                "subject": self.subject,
                "body_html": self.body_html,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Template Saved"),
            "res_model": template._name,
            "res_id": template.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }
