from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import is_html_empty
from odoo.tools.safe_eval import safe_eval

from ..tools import ab, render, schedule, spam, workcal

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
ENGAGEMENT_CONDITIONS = [
    ("opened", "opened"),
    ("not_opened", "not opened"),
    ("clicked", "clicked"),
    ("not_clicked", "not clicked"),
    ("not_replied", "not replied"),
]
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
                   "sms_body")

SPAM_BANDS = [("green", "Low"), ("amber", "Medium"), ("red", "High")]
AB_METRICS = [("reply", "Reply rate"), ("open", "Open rate"), ("click", "Click rate")]
AB_CONFIDENCE_LEVELS = [("0.90", "90%"), ("0.95", "95%"), ("0.99", "99%")]


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
    add_signature = fields.Boolean(
        "Add Sender Signature", help="Append the sender's Odoo signature to the email.",
    )
    variant_ids = fields.One2many("sales.sequence.step.variant", "step_id", string="Variants", copy=True)
    template_id = fields.Many2one(
        "sales.sequence.template", "Start from Template", ondelete="set null",
        help="Picking a template copies its subject and body into this email.",
    )
    spam_score = fields.Integer("Spam Risk Score", compute="_compute_spam")
    spam_band = fields.Selection(SPAM_BANDS, "Spam Risk", compute="_compute_spam")
    spam_reasons = fields.Text("Spam Risk Reasons", compute="_compute_spam")
    # A/B test between the variants
    ab_metric = fields.Selection(
        AB_METRICS, "Winning Metric", default="reply", required=True,
        help="The rate the A/B test compares between the variants.",
    )
    ab_confidence = fields.Selection(
        AB_CONFIDENCE_LEVELS, "Confidence", default="0.95", required=True,
        help="How sure the test must be that the best variant is really better before it wins.",
    )
    ab_min_sends = fields.Integer(
        "Minimum Sends per Variant", default=100,
        help="No winner is picked before every variant has been sent this many times.",
    )
    ab_winner_id = fields.Many2one(
        "sales.sequence.step.variant", "A/B Winner", readonly=True, copy=False, ondelete="set null",
        help="Once a variant wins, every new enrollment gets it.",
    )
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
    sms_body = fields.Text("SMS Text", translate=True)
    wait_for_completion = fields.Boolean(
        default=True, help="Hold the enrollment until this task is marked done.",
    )
    condition_domain = fields.Char(
        "Run Only If", default="[]",
        help="The step runs only for leads (or contacts) matching this condition; others skip it.",
    )
    engagement_condition = fields.Selection(
        ENGAGEMENT_CONDITIONS, "Only If the Email Was",
        help="Run this step only for prospects who engaged (or not) with an earlier email; "
        "the others skip it and go on. Two steps at the same point with opposite "
        "conditions make an if/else branch.",
    )
    engagement_step_id = fields.Many2one(
        "sales.sequence.step", "Email",
        domain="[('sequence_id', '=', sequence_id), ('step_type', '=', 'email'), ('id', '!=', id)]",
        help="The email whose engagement is checked. Empty: the closest email step before this one.",
    )
    condition_text = fields.Char("Condition", compute="_compute_condition_text")
    trace_ids = fields.One2many("sales.sequence.trace", "step_id")

    _ab_min_sends_positive = models.Constraint(
        "CHECK (ab_min_sends > 0)", "An A/B test needs at least one send per variant.",
    )
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

    @api.depends("engagement_condition", "engagement_step_id", "condition_domain")
    def _compute_condition_text(self):
        labels = dict(self._fields["engagement_condition"]._description_selection(self.env))
        for step in self:
            parts = []
            if step.engagement_condition:
                reference = step.engagement_step_id or step._previous_email_step()
                parts.append(_("only if %(email)s was %(condition)s",
                               email=_("Day %s email", reference.day_number) if reference else _("the previous email"),
                               condition=labels[step.engagement_condition]))
            if step.condition_domain and step.condition_domain != "[]":
                parts.append(_("only if the record matches"))
            step.condition_text = ", ".join(parts)

    @api.constrains("engagement_condition", "engagement_step_id", "sequence")
    def _check_engagement_reference(self):
        for step in self.filtered("engagement_condition"):
            reference = step.engagement_step_id or step._previous_email_step()
            if not reference:
                raise ValidationError(_(
                    "The step “%s” depends on an email, but no email step comes before it.", step.name))
            if reference.sequence_id != step.sequence_id or (reference.sequence, reference.id) >= (step.sequence, step.id):
                raise ValidationError(_(
                    "The step “%s” can only depend on an email of its sequence that comes before it.", step.name))

    def _previous_email_step(self):
        """The closest email step before this one in its sequence."""
        self.ensure_one()
        earlier = self.sequence_id.step_ids.filtered(
            lambda s: s.step_type == "email" and (s.sequence, s.id) < (self.sequence, self.id or 0)
        )
        return earlier[-1:]

    def _engagement_reference(self):
        return self.engagement_step_id or self._previous_email_step()

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

    @api.constrains("assign_user_id", "sequence_id")
    def _check_assignee_company(self):
        for step in self.filtered("assign_user_id"):
            company = step.sequence_id.company_id
            if company not in step.assign_user_id.sudo().company_ids:
                raise ValidationError(_(
                    "Step “%(step)s” is assigned to %(user)s, who does not work for %(company)s.",
                    step=step.name, user=step.assign_user_id.name, company=company.name,
                ))

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
        if self.step_type == "sms" and not (self.sms_body or "").strip():
            raise UserError(_("The SMS step “%s” needs a text.", self.name))
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

    def _due_after(self, anchor, tz_name, calendar=None):
        """When this step is due, counted from ``anchor`` (naive UTC); on the
        sender's working ``calendar`` (``tools.workcal.WorkCalendar``) if given."""
        if not self:
            return False
        sequence = self.sequence_id
        if calendar:
            return workcal.compute_due(
                anchor, calendar,
                business_days=self.delay_business_days, days=self.delay_days,
                hours=self.delay_hours, minutes=self.delay_minutes,
                window_start=sequence.window_start, window_end=sequence.window_end,
            )
        return schedule.compute_due(
            anchor, tz_name,
            business_days=self.delay_business_days, days=self.delay_days,
            hours=self.delay_hours, minutes=self.delay_minutes,
            window_start=sequence.window_start, window_end=sequence.window_end,
            weekdays_only=sequence.weekdays_only,
        )

    def _render_preview(self, record, user=None):
        """Subject and body of this email step for ``record`` (a contact or a
        lead), exactly as the engine would send them now."""
        self.ensure_one()
        is_lead = record._name == "crm.lead"
        enrollment = self.env["sales.sequence.enrollment"].new({
            "sequence_id": self.sequence_id.id,
            "lead_id": record.id if is_lead else False,
            "partner_id": record.partner_id.id if is_lead else record.id,
            "user_id": (user or record.user_id or self.env.user).id,
        })
        from .step_runner import StepRunner  # noqa: PLC0415 - the runner imports this module
        runner = StepRunner(enrollment, fields.Datetime.now())
        subject, body, __ = runner.render_email(enrollment, self, self._variants_for_sending()[:1] or None)
        return {"subject": subject, "body": body}

    def _default_activity_type(self):
        xmlid = DEFAULT_ACTIVITY_TYPES.get(self.step_type, "mail.mail_activity_data_todo")
        return self.activity_type_id or self.env.ref(xmlid)

    # ------------------------------------------------------------------
    # Content: spam risk
    # ------------------------------------------------------------------

    @api.depends("step_type", "subject", "body_html", "variant_ids.subject", "variant_ids.body_html")
    def _compute_spam(self):
        for step in self:
            if step.step_type != "email":
                step.update({"spam_score": 0, "spam_band": False, "spam_reasons": False})
                continue
            result, source = step._spam_worst_content()
            step.spam_score = result.score
            step.spam_band = result.band
            step.spam_reasons = step._spam_reasons_text(result, source)

    @api.model
    def _spam_assess(self, subject, body_html):
        """The ``spam.SpamScore`` of a subject and body."""
        return spam.score(subject, body_html)

    def _spam_worst_content(self):
        """The riskiest content of the email, main version or variant:
        ``(spam.SpamScore, the step or the variant)``."""
        self.ensure_one()
        sources = [self, *self.variant_ids]
        results = [self._spam_assess(source.subject, source.body_html) for source in sources]
        worst = spam.worst(results)
        return worst, sources[results.index(worst)]

    def _spam_reasons_text(self, result, source):
        """The reasons of ``result``, translated, one a line (after the
        variant's name when the riskiest content is a variant)."""
        messages = self._spam_reason_messages()
        lines = [messages[reason.code] % reason.params for reason in result.reasons]
        if lines and source._name != self._name:
            lines.insert(0, self.env._("%s:", source.name))
        return "\n".join(lines) or False

    @api.model
    def _spam_reason_messages(self):
        """``{reason code: translated message}`` (the codes of ``spam.REASON_MESSAGES``)."""
        return {
            "empty_subject": self.env._("The subject is empty."),
            "caps_subject": self.env._("The subject is in capital letters."),
            "spam_words": self.env._("Spam-like words: %(words)s."),
            "exclamations": self.env._("Runs of exclamation marks (%(example)s)."),
            "link_ratio": self.env._("Links make up %(percent)s%% of the text."),
            "too_many_links": self.env._("Too many links: %(count)s (at most %(limit)s)."),
            "shortener": self.env._("Link shorteners hide the destination: %(domains)s."),
            "image_only": self.env._("The body is images with almost no text."),
            "money": self.env._("Prices or amounts of money: %(examples)s."),
        }

    def _notify_spam_risk(self):
        """Warn, without blocking, about the email steps at high spam risk: a
        note on the chatter of their sequence (it stays) and a notification
        for whoever activated it.

        :return: a ``display_notification`` action, or None when no step is red
        """
        risky = self.filtered(lambda step: step.step_type == "email" and step.spam_band == "red")
        if not risky:
            return None
        for sequence, steps in risky.grouped("sequence_id").items():
            sequence.message_post(body=steps._spam_risk_note(), subtype_xmlid="mail.mt_note")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._("Activated, but some emails look like spam"),
                "message": self.env._(
                    "%(steps)s may be filtered as spam: the reasons are noted in the chatter.",
                    steps=", ".join(risky.mapped("name")),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _spam_risk_note(self):
        items = Markup().join(
            Markup("<li>%s</li>") % self.env._(
                "%(step)s (score %(score)s/100): %(reasons)s",
                step=step.name, score=step.spam_score, reasons=" ".join((step.spam_reasons or "").splitlines()),
            )
            for step in self
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("Activated with emails at high spam risk: reword them to reach the inbox."), items,
        )

    # ------------------------------------------------------------------
    # Content: preview and templates
    # ------------------------------------------------------------------

    def action_open_preview(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Preview"),
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
        if self.step_type != "email":
            raise UserError(_("Only automatic emails can be saved as templates."))
        if not self.subject and is_html_empty(self.body_html):
            raise UserError(_("Write a subject or a body before saving this email as a template."))
        template = self.env["sales.sequence.template"].create({
            "name": self.subject or self.sequence_id.name,
            "subject": self.subject,
            "body_html": self.body_html,
        })
        return {
            "type": "ir.actions.act_window",
            "name": _("Template Saved"),
            "res_model": template._name,
            "res_id": template.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    # ------------------------------------------------------------------
    # A/B test: automatic and manual winner
    # ------------------------------------------------------------------

    @api.constrains("ab_winner_id", "variant_ids")
    def _check_ab_winner(self):
        for step in self.filtered("ab_winner_id"):
            if step.ab_winner_id.step_id != step:
                raise ValidationError(_("The A/B winner of “%s” must be one of its variants.", step.name))
            if step.ab_winner_id.weight <= 0:
                raise ValidationError(_(
                    "%(variant)s cannot win the A/B test of “%(step)s”: its weight is 0.",
                    variant=step.ab_winner_id.name, step=step.name,
                ))

    def _variants_for_sending(self):
        """The variants the engine draws from: the A/B winner alone once
        there is one, else every variant."""
        self.ensure_one()
        return self.ab_winner_id or self.variant_ids

    def _ab_counts(self):
        """Sends and engagement per variant of these steps, from their traces
        in one grouped query.

        :return: ``{variant: {"sent": n, "reply": n, "open": n, "click": n}}``
        """
        # sudo: the statistics count every sender's traces, not only those the user sees
        groups = self.env["sales.sequence.trace"].sudo()._read_group(
            [("step_id", "in", self._origin.ids), ("variant_id", "!=", False), ("state", "=", "sent")],
            ["variant_id"],
            ["__count", "replied_at:count", "opened_at:count", "clicked_at:count"],
        )
        return {
            variant.with_env(self.env): {"sent": sent, "reply": replied, "open": opened, "click": clicked}
            for variant, sent, replied, opened, clicked in groups
        }

    def _ab_stats(self, counts):
        """``{variant: (successes, sends)}`` of the competing variants
        (weight above 0) on the step's metric."""
        self.ensure_one()
        empty = dict.fromkeys(("sent", "reply", "open", "click"), 0)
        return {
            variant: (counts.get(variant, empty)[self.ab_metric], counts.get(variant, empty)["sent"])
            for variant in self.variant_ids.filtered(lambda v: v.weight > 0)
        }

    def _ab_decide(self, counts):
        """The ``ab.Decision`` of this step's A/B test on ``counts``."""
        self.ensure_one()
        return ab.pick_winner(self._ab_stats(counts), float(self.ab_confidence), self.ab_min_sends)

    def _ab_pick_winners(self):
        """Decide the A/B tests of these steps that have no winner yet and
        promote the significant winners (logged on the sequence's chatter).

        :return: ``{step: ab.Decision}``
        """
        running = self.filtered(lambda step: step.step_type == "email" and not step.ab_winner_id)
        counts = running._ab_counts()
        decisions = {}
        for step in running:
            decisions[step] = decision = step._ab_decide(counts)
            if decision.winner:
                step._set_ab_winner(decision.winner, counts, decision)
        return decisions

    def _set_ab_winner(self, variant, counts, decision=None):
        """Make ``variant`` the winner and log why: the test ``decision``, or
        a manual choice of the current user when there is none."""
        self.ensure_one()
        self.ab_winner_id = variant
        # sudo: whoever may edit the step may log on its sequence
        self.sequence_id.sudo().message_post(
            body=self._ab_winner_note(variant, counts, decision), subtype_xmlid="mail.mt_note",
        )

    def _ab_winner_note(self, variant, counts, decision):
        if decision:
            intro = self.env._(
                "A/B test of “%(step)s”: %(variant)s wins on %(metric)s at %(confidence)s confidence "
                "(z = %(z)s, p = %(p)s against %(runner_up)s). Every new enrollment now gets %(variant)s.",
                step=self.name, variant=variant.name, metric=self._ab_metric_phrase(),
                confidence=self._ab_confidence_label(), z="%.2f" % decision.z, p="%.4f" % decision.p,
                runner_up=decision.runner_up.name,
            )
        else:
            intro = self.env._(
                "A/B test of “%(step)s”: %(user)s picked %(variant)s as the winner. "
                "Every new enrollment now gets %(variant)s.",
                step=self.name, user=self.env.user.name, variant=variant.name,
            )
        return Markup("<p>%s</p><ul>%s</ul>") % (intro, self._ab_rates_html(counts))

    def _ab_rates_html(self, counts):
        empty = dict.fromkeys(("sent", "reply", "open", "click"), 0)
        lines = []
        for variant in self.variant_ids:
            count = counts.get(variant, empty)
            rate = 100.0 * count[self.ab_metric] / count["sent"] if count["sent"] else 0.0
            lines.append(Markup("<li>%s</li>") % self.env._(
                "%(variant)s: %(rate)s%% %(metric)s (%(successes)s of %(sent)s sent)",
                variant=variant.name, rate="%.1f" % rate, metric=self._ab_metric_phrase(),
                successes=count[self.ab_metric], sent=count["sent"],
            ))
        return Markup().join(lines)

    def _ab_metric_phrase(self):
        """The step's metric, as written inside a sentence."""
        return {
            "reply": self.env._("reply rate"),
            "open": self.env._("open rate"),
            "click": self.env._("click rate"),
        }[self.ab_metric]

    def _ab_confidence_label(self):
        return dict(self._fields["ab_confidence"]._description_selection(self.env))[self.ab_confidence]

    def action_ab_pick_winner(self):
        """Run the A/B test now: promote the winner if it is significant, else
        say why not."""
        self.ensure_one()
        self.check_access("write")
        if self.ab_winner_id:
            raise UserError(_("%(variant)s already won the A/B test of “%(step)s”: resume the test first.",
                              variant=self.ab_winner_id.name, step=self.name))
        decision = self._ab_pick_winners()[self]
        return self._ab_decision_notification(decision)

    def _ab_decision_notification(self, decision):
        if decision.winner:
            kind, message = "success", self.env._(
                "%(variant)s wins (p = %(p)s): every new enrollment now gets it.",
                variant=decision.winner.name, p="%.4f" % decision.p,
            )
        elif decision.reason == "not_enough_sends":
            stats = self._ab_stats(self._ab_counts())
            kind, message = "info", self.env._(
                "Not enough data yet: every variant needs %(minimum)s sent emails (%(sent)s).",
                minimum=self.ab_min_sends,
                sent=", ".join("%s: %s" % (variant.name, sent) for variant, (__, sent) in stats.items()),
            )
        elif decision.reason == "not_significant":
            kind, message = "info", self.env._(
                "No significant difference yet at %(confidence)s confidence: %(best)s %(best_rate)s%% "
                "against %(other)s %(other_rate)s%% (p = %(p)s).",
                confidence=self._ab_confidence_label(),
                best=max(decision.rates, key=decision.rates.get).name,
                best_rate="%.1f" % (100 * max(decision.rates.values())),
                other=decision.runner_up.name, other_rate="%.1f" % (100 * decision.rates[decision.runner_up]),
                p="%.4f" % decision.p,
            )
        else:
            kind, message = "warning", self.env._(
                "An A/B test needs at least two variants with a weight above 0."
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind, "title": self.env._("A/B test of %s", self.name), "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_ab_reset_winner(self):
        """Resume the A/B test: new enrollments are split between the variants again."""
        for step in self.filtered("ab_winner_id"):
            step.ab_winner_id = False
            step.sequence_id.sudo().message_post(
                body=self.env._(
                    "A/B test of “%(step)s” resumed by %(user)s: new enrollments are split "
                    "between the variants again.", step=step.name, user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    @api.model
    def _cron_ab_pick_winners(self):
        """Daily: decide the A/B tests of the running sequences."""
        steps = self.search([
            ("step_type", "=", "email"), ("ab_winner_id", "=", False),
            ("sequence_id.state", "=", "active"), ("variant_ids.weight", ">", 0),
        ])
        steps.filtered(lambda step: len(step.variant_ids.filtered("weight")) >= 2)._ab_pick_winners()
