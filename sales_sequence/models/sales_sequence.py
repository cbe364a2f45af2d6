import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, format_amount
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil, safe_eval
from odoo.tools.safe_eval import time as safe_time

from odoo.addons.base.models.res_partner import _tz_get

from ..engine import settings, step_types
from ..engine.audience import Audience
from ..engine.enroller import Enroller
from ..tools import actions, schedule, workcal
from ..tools.clock import Clock
from ..tools.replies import POSITIVE
from .sales_sequence_calendar_watcher import WORK_CALENDAR_CACHE
from .sales_sequence_enrollment import RUNNING_STATES
from .sales_sequence_guard_mixin import is_manager
from .sales_sequence_metrics_mixin import TOUCH_STATES, fold_ending, merge, new_totals, rate

_logger = logging.getLogger(__name__)

ENROLLABLE_MODELS = ("res.partner", "crm.lead")
# what only a sequence manager changes: who owns a sequence (and so sends for
# the rules), and how it settles conflicts with the other sequences
MANAGER_FIELDS = ("user_id", "priority", "allow_concurrent")
AUDIENCE_LOCK = 0x5A5E  # advisory lock class of the audience syncs (the key is the sequence id)


class SalesSequence(models.Model):
    """A cadence: the plan of touches that enrollments run through."""

    _name = "sales.sequence"
    _description = "Sales Sequence"
    _inherit = ["mail.thread", "mail.activity.mixin", "sales.sequence.metrics.mixin"]
    _order = "priority, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("paused", "Paused")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        tracking=True,
        check_company=True,
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        default=lambda self: self.env["crm.team"]._get_default_team_id(),
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    color = fields.Integer()
    step_ids = fields.One2many("sales.sequence.step", "sequence_id", string="Steps", copy=True)
    priority = fields.Integer(
        default=10,
        help="1 is the highest. Decides which sequence wins when a contact may be in only one sequence at a time.",
    )
    allow_concurrent = fields.Boolean(
        "Allow Other Sequences",
        default=True,
        help="A contact enrolled here may be active in other sequences at the same time.",
    )
    # sending window
    window_start = fields.Float("Send From", default=9.0)
    window_end = fields.Float("Send Until", default=17.0)
    weekdays_only = fields.Boolean(default=True)
    tz = fields.Selection(
        _tz_get,
        string="Timezone",
        required=True,
        default=lambda self: self.env.user.tz or "UTC",
    )
    tz_mode = fields.Selection(
        [("sequence", "Sequence timezone"), ("recipient", "Recipient timezone")],
        string="Timezone Of",
        default="sequence",
        required=True,
    )
    daily_limit = fields.Integer(
        "Daily Emails per Sender",
        default=0,
        help="0 means no limit.",
    )
    throttle_seconds = fields.Integer(
        "Seconds Between Emails",
        default=0,
        help="Minimum time between two emails of one sender.",
    )
    # exits
    exit_on_reply = fields.Boolean("Exit on Reply", default=True)
    exit_on_meeting = fields.Boolean("Exit on Meeting Booked", default=True)
    exit_on_bounce = fields.Boolean("Exit on Bounce", default=True)
    exit_on_stage_change = fields.Boolean("Exit on Stage Change", default=False)
    exit_stage_ids = fields.Many2many(
        "crm.stage",
        string="Exit Stages",
        help="Exit only when the lead moves into one of these stages (all stages when empty).",
    )
    exit_on_won_lost = fields.Boolean(
        "Exit when Won or Lost",
        default=True,
        help="A lead's enrollment exits when the lead is won or lost; a contact's when one of the "
        "contact's opportunities is.",
    )
    exit_on_deal_created = fields.Boolean(
        "Exit on New Deal",
        help="Exit when an opportunity is created for the enrolled contact or anyone at its company "
        "(or the enrolled lead becomes an opportunity).",
    )
    exit_on_company_reply = fields.Boolean(
        "Exit on Company Reply",
        help="When anyone at a company replies, the company's other running enrollments in this sequence exit too.",
    )
    # live audience
    audience_model = fields.Selection(
        [("res.partner", "Contacts"), ("crm.lead", "Leads")],
        string="Audience Of",
        default="res.partner",
        required=True,
    )
    audience_domain = fields.Char(
        "Audience",
        default="[]",
        help="Who this sequence is for: the contacts (or leads) matching these conditions, read with "
        "the rights of the sequence's owner.",
    )
    auto_enroll = fields.Boolean(
        "Enroll Automatically",
        help="Each run of the engine enrolls the records that newly match the audience (with the usual "
        "checks: duplicates, suppression list, sender, other sequences).",
    )
    allow_reenroll = fields.Boolean(
        "Allow Re-enrollment",
        help="A record that completed or left the sequence enters again when it still (or again) "
        "matches after it was changed. Otherwise a record goes through the sequence once.",
    )
    daily_enroll_limit = fields.Integer(
        "New Enrollments per Day",
        default=0,
        help="At most this many records enter from the audience each day; 0 means no limit.",
    )
    audience_day = fields.Date(readonly=True, copy=False)
    audience_day_count = fields.Integer("Enrolled Today", readonly=True, copy=False)
    audience_synced_at = fields.Datetime(
        "Last Entered", readonly=True, copy=False, help="When the audience last enrolled someone."
    )
    audience_error = fields.Char(
        "Audience Problem",
        readonly=True,
        copy=False,
        help="Why the last run could not read the audience (it tries again at the next run).",
    )
    audience_match_count = fields.Integer(
        "Matching Now",
        compute="_compute_audience_preview",
        help="Counted with the owner's rights, as the engine reads the audience, when you are the owner or a "
        "sequence manager; otherwise among the records you may read.",
    )
    audience_new_count = fields.Integer(
        "Would Enter",
        compute="_compute_audience_preview",
        help="Matching records that never went through the sequence and whose address is not suppressed "
        "(the sender and conflict checks run when they enter).",
    )
    audience_skip_count = fields.Integer("Set Aside", compute="_compute_audience_skip_count")
    # the sender is away
    sender_away_tasks = fields.Selection(
        [("return", "Due the day they return"), ("owner", "Given to the sequence owner")],
        string="Tasks of an Absent User",
        default="return",
        required=True,
        help="Emails of a sender on leave wait until they are back. Tasks of an assignee on leave are due "
        "the day they return, or are given to the sequence owner.",
    )
    use_working_calendar = fields.Boolean(
        "Follow Working Hours",
        help="Business days and sending hours follow the sender's working calendar and its "
        "public holidays (within the send window).",
    )
    ooo_resume_days = fields.Integer(
        "Resume After Out-of-Office (days)",
        default=3,
        help="An automatic reply pauses the enrollment until the return date it mentions, else for this many days.",
    )
    exit_domain = fields.Char(
        "Exit Condition",
        default="[]",
        help="Enrollments whose lead (or contact) matches this condition exit before the next step.",
    )
    exit_on_condition = fields.Boolean(
        "Exit on a Condition",
        compute="_compute_exit_on_condition",
        store=True,
        readonly=False,
        help="Exit the enrollments whose lead (or contact) matches a condition of yours.",
    )
    unsubscribe_style = fields.Selection(
        [("footer", "Small footer"), ("link", "Line in the email")],
        "Unsubscribe Text",
        default="footer",
        required=True,
        help="How emails without an {{ unsubscribe_link }} of their own offer to unsubscribe: a small grey "
        "footer, or a plain line written like the rest of the email. Both carry the one-click unsubscribe header.",
    )
    # tracking
    track_opens = fields.Boolean(
        default=True,
        help="Add an invisible image to emails to know when they are opened.",
    )
    track_clicks = fields.Boolean(
        default=True,
        help="Send links through a tracked redirect to know when they are followed.",
    )
    can_edit = fields.Boolean(
        compute="_compute_can_edit",
        help="Whether the current user may change the sequence (else it shows read-only).",
    )
    cadence = fields.Json(compute="_compute_cadence", help="The steps in order, for the cadence strip of the cards.")
    is_sequence_manager = fields.Boolean(
        compute="_compute_is_manager", help="The current user manages sequences (owner, priority and sharing)."
    )
    # counters
    step_count = fields.Integer(compute="_compute_counts")
    enrollment_count = fields.Integer(compute="_compute_counts")
    active_enrollment_count = fields.Integer("Active Enrollments", compute="_compute_counts")
    automation_rule_count = fields.Integer("Automation Rules", compute="_compute_automation_rule_count")
    # analytics
    funnel_step_ids = fields.Many2many(
        "sales.sequence.step",
        string="Funnel",
        compute="_compute_funnel",
        context={"active_test": False},
        help="Every step, archived ones with history included, in order.",
    )
    funnel_variant_ids = fields.Many2many(
        "sales.sequence.step.variant",
        string="Variants",
        compute="_compute_funnel",
    )

    _window_valid = models.Constraint(
        "CHECK (window_start >= 0 AND window_end <= 24 AND window_start < window_end)",
        "The send window must start before it ends, within 0:00-24:00.",
    )
    _limits_positive = models.Constraint(
        "CHECK (daily_limit >= 0 AND throttle_seconds >= 0)",
        "Limits cannot be negative.",
    )
    _enroll_limit_positive = models.Constraint(
        "CHECK (daily_enroll_limit >= 0)",
        "The daily enrollment limit cannot be negative.",
    )

    def _compute_counts(self):
        """The sequence's own numbers, whoever looks: the same definitions
        (and query) as its analytics (``enrolled_count``, ``active_count``)."""
        origins = self._origin.filtered("id")
        totals = origins._metric_enrollment_totals() if origins else {}
        for sequence in self:
            counts = totals.get(sequence._origin.id, {})
            sequence.step_count = len(sequence.step_ids)
            sequence.enrollment_count = counts.get("enrolled_count", 0)
            sequence.active_enrollment_count = counts.get("active_count", 0)

    @api.depends_context("uid")
    def _compute_can_edit(self):
        for sequence in self:
            sequence.can_edit = not sequence._origin.id or sequence._origin.has_access("write")

    @api.depends("step_ids.step_type", "step_ids.day_number", "step_ids.name")
    def _compute_cadence(self):
        for sequence in self:
            sequence.cadence = [
                {"day": step.day_number, "type": step.step_type, "icon": step.icon, "name": step.name}
                for step in sequence.step_ids
            ]

    @api.depends("exit_domain")
    def _compute_exit_on_condition(self):
        for sequence in self:
            sequence.exit_on_condition = (sequence.exit_domain or "[]").strip() not in ("[]", "")

    @api.onchange("exit_on_condition")
    def _onchange_exit_on_condition(self):
        if not self.exit_on_condition:
            self.exit_domain = "[]"

    @api.constrains("exit_domain")
    def _check_exit_domain(self):
        for sequence in self:
            try:
                domain = sequence._get_exit_domain()
            except (ValueError, SyntaxError, TypeError) as error:
                raise ValidationError(self.env._("The exit condition is not a valid domain: %s", error)) from error
            self._check_condition_readable(domain, self.env._("The exit condition"))

    def _get_exit_domain(self, uid=None):
        """The exit condition, as a domain for the user ``uid`` (default: the
        current one; the engine gives each enrollment's sender)."""
        self.ensure_one()
        domain = safe_eval(self.exit_domain or "[]", {"uid": uid or self.env.uid})
        if not isinstance(domain, (list, tuple)):
            raise ValueError(self.env._("a domain is a list of conditions"))
        return list(domain)

    @api.model
    def _check_condition_readable(self, domain, what):
        """Refuse a rep-written condition (``what``: its name) on what the
        writer may not read: it runs with the sender's rights, and must not
        be written blind either. (Constraints run as superuser: the writer
        is ``env.uid``.)"""
        writer = self.env(su=False)
        for model in ENROLLABLE_MODELS:
            try:
                writer[model].with_context(active_test=False)._search(Domain(domain))
            except (ValueError, TypeError):
                continue  # not a condition on this model (lead fields on a contact)
            except AccessError as error:
                raise ValidationError(
                    self.env._(
                        "%(what)s uses data you may not read: %(error)s",
                        what=what,
                        error=str(error).split("\n", 1)[0],
                    )
                ) from error

    # ------------------------------------------------------------------
    # Trust: the manager's fields
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_manager(self.env):
            defaults = {
                "user_id": self.env.uid,
                "priority": self._fields["priority"].default(self),
                "allow_concurrent": self._fields["allow_concurrent"].default(self),
            }
            for vals in vals_list:
                self._refuse_manager_fields(
                    [name for name in MANAGER_FIELDS if name in vals and vals[name] != defaults[name]]
                )
        return super().create(vals_list)

    def write(self, vals):
        if not is_manager(self.env):
            self._refuse_manager_fields(
                [
                    name
                    for name in MANAGER_FIELDS
                    if name in vals
                    and any(
                        sequence._fields[name].convert_to_write(sequence[name], sequence) != vals[name]
                        for sequence in self
                    )
                ]
            )
        result = super().write(vals)
        if {"audience_model", "audience_domain"} & set(vals):
            # the records set aside were refused for another audience
            self.env["sales.sequence.audience.skip"]._forget(self)
        return result

    def _refuse_manager_fields(self, names):
        if names:
            raise AccessError(
                self.env._(
                    "Only a sequence manager may change %s: the owner sends for the automation rules, and the "
                    "priority and sharing settle which sequence a contact leaves for another.",
                    ", ".join("“%s”" % self._fields[name]._description_string(self.env) for name in names),
                )
            )

    @api.depends_context("uid")
    def _compute_is_manager(self):
        self.is_sequence_manager = is_manager(self.env)

    # ------------------------------------------------------------------
    # Live audience (engine/audience.py)
    # ------------------------------------------------------------------

    def _has_audience(self):
        self.ensure_one()
        return self.auto_enroll or self.audience_domain not in (False, "", "[]")

    @api.constrains("audience_domain", "audience_model", "auto_enroll")
    def _check_audience_domain(self):
        for sequence in self:
            try:
                domain = sequence._get_audience_domain()
                # field names only (sudo): the owner's rights apply when it runs
                domain.validate(self.env[sequence.audience_model].sudo())
            except (ValueError, SyntaxError, TypeError, NameError, KeyError) as error:
                raise ValidationError(self.env._("The audience is not a valid domain: %s", error)) from error
            self._check_condition_readable(domain, self.env._("The audience"))
            if sequence.auto_enroll and domain.is_true():
                raise ValidationError(
                    self.env._(
                        "Set the audience's conditions of “%s” before enrolling automatically: "
                        "an empty audience is every record.",
                        sequence.name,
                    )
                )

    @api.onchange("audience_model")
    def _onchange_audience_model(self):
        """Conditions written for contacts do not apply to leads (nor back)."""
        if self._origin.audience_model and self.audience_model != self._origin.audience_model:
            self.audience_domain = "[]"

    def _get_audience_domain(self):
        """The audience domain, evaluated with plain values only (the
        owner's id, the company, dates): it is rep-written."""
        self.ensure_one()
        domain = safe_eval(self.audience_domain or "[]", self._audience_eval_context())
        if not isinstance(domain, (list, tuple)):
            raise ValueError(self.env._("a domain is a list of conditions"))
        return Domain(list(domain))

    def _audience_eval_context(self):
        today = schedule.local_date(fields.Datetime.now(), self.tz or "UTC")
        return {
            "uid": self.user_id.id,
            "company_id": self.company_id.id,
            "company_ids": self.company_id.ids,
            "datetime": safe_datetime,
            "relativedelta": dateutil.relativedelta.relativedelta,
            "time": safe_time,
            "context_today": lambda: today,
        }

    @api.depends("audience_model", "audience_domain", "allow_reenroll", "user_id", "company_id")
    @api.depends_context("uid")
    def _compute_audience_preview(self):
        """How many records match the audience now, and how many would enter:
        as the owner (what the engine will see) for whoever may act as the
        owner, else as the viewer."""
        now = fields.Datetime.now()
        for sequence in self:
            sequence.audience_match_count, sequence.audience_new_count = sequence._audience_preview(now)

    def _audience_preview(self, now):
        """(matching now, would enter); (0, 0) when the audience cannot be read.

        The form computes this on every change, before any constraint runs
        and on values nobody saved (``onchange`` is public): the conditions
        must be readable by the viewer, as saving requires, and the count
        runs with the owner's rights only for the owner and sequence
        managers (who choose owners). Anyone else counting as another owner
        would learn what that owner's rights see, one count at a time."""
        if not self._has_audience() or not self.user_id:
            return 0, 0
        viewer = self.env.user
        may_act_as_owner = self.env.su or self.user_id == viewer or is_manager(self.env)
        audience = Audience(self, owner=None if may_act_as_owner else viewer)
        if audience.owner_problem():
            return 0, 0
        try:
            with self.env.cr.savepoint(flush=False):
                self._check_condition_readable(self._get_audience_domain(), self.env._("The audience"))
                return audience.count(now), audience.count(now, new_only=True, unsuppressed=True)
        except (ValueError, SyntaxError, TypeError, NameError, AccessError, UserError):
            return 0, 0  # the form says what is wrong when saving

    def _compute_audience_skip_count(self):
        # sudo: the count shows on the sequence for whoever reads it (the list keeps its rules)
        counts = dict(
            self.env["sales.sequence.audience.skip"]
            .sudo()
            ._read_group([("sequence_id", "in", self._origin.ids)], ["sequence_id"], ["__count"])
        )
        for sequence in self:
            sequence.audience_skip_count = counts.get(sequence._origin, 0)

    @api.model
    def _sync_audiences(self, now, in_cron=False):
        """Enroll the new matches of every live audience (each engine run
        starts here). As the cron, commits after each chunk of enrollments
        and stops when the cron's time is up (the next run goes on).

        :return: how many records entered
        """
        # sudo: the engine runs every owner's audience (each is read as its owner)
        sequences = self.sudo().search([("auto_enroll", "=", True), ("state", "=", "active")])
        run_limit = settings.get(self.env, "audience_run_limit") or 1
        chunk_size = settings.get(self.env, "enroll_chunk_size") or 1
        enrolled, more = 0, False
        for sequence in sequences:
            count, left = sequence._sync_audience(now, run_limit, chunk_size, in_cron)
            enrolled, more = enrolled + count, more or left
            if in_cron and not self.env["ir.cron"]._commit_progress():
                more = True
                break
        if more:  # the rest at the next run, soon
            self.env["sales.sequence.enrollment"]._schedule_wakeup([now])
        return enrolled

    def _sync_audience(self, now, run_limit, chunk_size, in_cron=False):
        """Enroll this sequence's new matches (one worker at a time); a broken
        audience is noted on the sequence and does not stop the others.

        :return: ``(enrolled count, whether matches are left)``
        """
        self.ensure_one()
        if not self._try_lock_audience():
            return 0, False
        audience = Audience(self)
        problem = audience.owner_problem()
        if problem:
            self._note_audience_problem(problem)
            return 0, False
        self.env["sales.sequence.audience.skip"]._forget(self, before=now)

        def keep_going(count):
            """As the cron: keep the chunk (commit), go on while time is left
            and this worker still holds the audience (the commit released it)."""
            if not in_cron:
                return True
            return bool(self.env["ir.cron"]._commit_progress(count)) and self._try_lock_audience()

        try:
            enrolled, more = audience.sync(now, run_limit, chunk_size, keep_going)
        except (ValueError, SyntaxError, TypeError, NameError, AccessError, UserError) as error:
            self._note_audience_problem(str(error))
            return 0, False
        except Exception as error:  # noqa: BLE001 - one audience must not stop the engine
            _logger.exception("Sales sequence %s: the audience sync failed", self.id)
            self._note_audience_problem(str(error))
            return 0, False
        self._note_audience_problem(False)
        return enrolled, more

    def _try_lock_audience(self):
        """One sync of this audience at a time (until the transaction ends)."""
        return self.env.execute_query(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", AUDIENCE_LOCK, self.id))[0][0]

    def _note_audience_problem(self, problem):
        problem = problem and problem[:250]
        if self.audience_error != problem:
            # sudo: the engine notes why it could not read the audience
            self.sudo().audience_error = problem
            if problem:
                _logger.info("Sales sequence %s: audience not read: %s", self.id, problem)

    def action_sync_audience(self):
        """Enroll the audience's new matches now rather than at the engine's next run."""
        self.ensure_one()
        self.check_access("write")
        if not self.auto_enroll or self.state != "active":
            raise UserError(self.env._("Activate the sequence and its automatic enrollment first."))
        now = fields.Datetime.now()
        enrolled, __ = self._sync_audience(
            now, settings.get(self.env, "audience_run_limit") or 1, settings.get(self.env, "enroll_chunk_size") or 1
        )
        if self.audience_error:
            raise UserError(self.audience_error)
        return actions.notification(
            self.env._("Audience of %s", self.name),
            self.env._("%s enrolled.", enrolled),
            "success",
        )

    def action_view_audience_skips(self):
        """The records the audience set aside, with why (their own rules apply)."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Set Aside"),
            "res_model": "sales.sequence.audience.skip",
            "view_mode": "list",
            "domain": [("sequence_id", "=", self.id)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------

    def action_activate(self):
        for sequence in self:
            sequence._check_can_activate()
        self.write({"state": "active"})
        return self.step_ids._notify_spam_risk() or True

    def _check_can_activate(self):
        self.ensure_one()
        if not self.step_ids:
            raise UserError(self.env._("Add at least one step before activating “%s”.", self.name))
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

    def _check_bounce_guard(self):
        """Pause active sequences whose last emails bounce or are reported as
        spam too much (settings: ``bounce_guard_sends`` emails looked at,
        ``bounce_guard_rate`` and ``complaint_rate``), say why on their
        chatter and give their owner a task.

        The bounce rate counts recipients, not emails: one prospect bouncing
        (or forging bounces of) every email sent to them is one bad address;
        it waits for a full window of emails. The complaint rate is, as
        mailbox providers count it, complaints per email, each recipient
        complaining once at most, over the whole window from the first email
        on (the emails not yet sent count as clean): a young sequence that
        draws complaints pauses before its 50th email."""
        sends = settings.get(self.env, "bounce_guard_sends") or 1
        max_rate = settings.get(self.env, "bounce_guard_rate")
        max_complaints = settings.get(self.env, "complaint_rate")
        # sudo: every sender's emails count, the guard protects the sequence
        Trace = self.env["sales.sequence.trace"].sudo()
        for sequence in self.filtered(lambda s: s.state == "active"):
            last = Trace.search_fetch(
                [("sequence_id", "=", sequence.id), ("message_id", "!=", False)],
                ["bounced_at", "complained_at", "enrollment_id"],
                order="sent_at desc, id desc",
                limit=sends,
            )
            recipients = last.grouped(lambda trace: trace._recipient_address())
            complained = sum(1 for traces in recipients.values() if any(traces.mapped("complained_at")))
            if complained and 100.0 * complained / sends > max_complaints:
                sequence._pause_for_complaints(complained, sends, max_complaints)
                continue
            if len(last) < sends:
                continue
            bounced = sum(1 for traces in recipients.values() if any(traces.mapped("bounced_at")))
            if 100.0 * bounced / len(recipients) > max_rate:
                sequence._pause_for_bounces(bounced, len(recipients), sends, max_rate)

    def _pause_for_bounces(self, bounced, recipients, sends, max_rate):
        self._pause_by_guard(
            self.env._("Too many bounces"),
            self.env._(
                "Paused by the bounce guard: %(bounced)s of the %(recipients)s recipients of the last "
                "%(sends)s emails bounced (%(rate).1f%%, above %(max).1f%%). Clean the list, then resume.",
                bounced=bounced,
                recipients=recipients,
                sends=sends,
                rate=100.0 * bounced / recipients,
                max=max_rate,
            ),
        )

    def _pause_for_complaints(self, complained, sends, max_rate):
        self._pause_by_guard(
            self.env._("Spam complaints"),
            self.env._(
                "Paused by the bounce guard: %(complained)s of the last %(sends)s emails were reported as spam "
                "(%(rate).1f%%, above %(max).1f%%). Review who gets this sequence and what it says, then resume.",
                complained=complained,
                sends=sends,
                rate=100.0 * complained / sends,
                max=max_rate,
            ),
        )

    def _pause_by_guard(self, summary, reason):
        self.action_pause()
        self.message_post(body=reason)
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=reason,
            user_id=(self.user_id or self.env.user).id,
        )

    def action_draft(self):
        self.write({"state": "draft"})
        return True

    def _reschedule_overdue(self):
        """After a pause, overdue steps fire at the next opening, not all at once in the past."""
        now = fields.Datetime.now()
        # sudo: every sender's overdue enrollments move to the next opening
        overdue = (
            self.env["sales.sequence.enrollment"]
            .sudo()
            .search(
                [
                    ("sequence_id", "in", self.ids),
                    ("state", "=", "active"),
                    ("next_run_at", "<", now),
                ]
            )
        )
        for enrollment in overdue:
            enrollment.next_run_at = enrollment._next_opening(now)
        self.env["sales.sequence.enrollment"]._schedule_wakeup(overdue.mapped("next_run_at"))

    # ------------------------------------------------------------------
    # Enrollment (engine/enroller.py)
    # ------------------------------------------------------------------

    def enroll(self, records, user=None, start_at=None, stagger_days=0):
        """Enroll contacts or leads into this sequence: the one entry point of
        every enrollment (forms, bulk wizard, automation rules).

        Conflicts between sequences are settled here: when this sequence or a
        sequence the contact already runs in does not allow other sequences
        at the same time, the higher priority wins (1 is the highest; on a tie
        the running one stays). A losing running enrollment exits with
        ``other_sequence``; a losing newcomer is reported in ``failed``. The
        company's cap on concurrent sequences per contact fails a record too.

        :param records: a ``res.partner`` or ``crm.lead`` recordset
        :param user: the sender (``res.users``); default: the record's
            salesperson, else the current user
        :param start_at: when the enrollment starts (naive UTC); default now
        :param stagger_days: spread the starts of the new enrollments evenly
            over the open send window of this many sending days
        :return: ``{'enrolled': enrollments, 'skipped_duplicates': records,
            'failed': records, 'failure_reasons': {record id: message}}``
        """
        self.ensure_one()
        self._check_can_enroll(records, user)
        if stagger_days < 0:
            raise UserError(self.env._("The number of days to stagger over cannot be negative."))
        return Enroller(self, user).enroll(records, start_at, stagger_days)

    def _plan_enrollment(self, records, user=None):
        """What ``enroll`` would do with ``records``, without doing it
        (``engine.enroller.Plan``)."""
        self.ensure_one()
        return Enroller(self, user).plan(records)

    def _running_elsewhere(self, records):
        """``{record id: [running enrollment ids in other sequences]}``."""
        self.ensure_one()
        return Enroller(self).running_elsewhere(records)

    def _is_open_for_enrollment(self):
        """May records be enrolled now (see ``_check_can_enroll``)?"""
        self.ensure_one()
        return self.active and self.state != "draft"

    def _enroll_result_notification(self, result):
        """A client notification summing up an ``enroll`` result."""
        failed = result["failed"]
        message = self.env._(
            "%(enrolled)s enrolled, %(duplicates)s already in it, %(failed)s not enrolled.",
            enrolled=len(result["enrolled"]),
            duplicates=len(result["skipped_duplicates"]),
            failed=len(failed),
        )
        if failed:
            message += "\n" + "\n".join(result["failure_reasons"][record.id] for record in failed[:10])
        return actions.notification(
            self.env._("Enrolled in %s", self.name),
            message,
            "warning" if failed else "success",
            sticky=bool(failed),
        )

    def _check_can_enroll(self, records, user=None):
        if not isinstance(records, models.BaseModel) or records._name not in ENROLLABLE_MODELS:
            raise UserError(self.env._("Only contacts and leads can be enrolled in a sequence."))
        if self.state == "draft":
            raise UserError(self.env._("Activate the sequence “%s” before enrolling anyone.", self.name))
        if not self.active:
            raise UserError(self.env._("The sequence “%s” is archived.", self.name))
        self.check_access("read")
        records.check_access("read")
        if user and (not isinstance(user, models.BaseModel) or user._name != "res.users" or len(user) != 1):
            raise UserError(self.env._("The sender must be a single user."))

    def _may_send_as(self, sender):
        """Reps send in their own name only; sequence managers (and the
        system) in anyone's."""
        return (
            sender == self.env.user
            or self.env.su
            or self.env.user.has_group("sales_sequence.group_sales_sequence_manager")
        )

    def _has_email_steps(self):
        return any(step_types.get(step.step_type).sends_email for step in self.step_ids)

    def _default_sender(self, record):
        """Who sends to ``record`` when nobody is named: its salesperson when
        an active internal user, else the sequence's owner (a portal or public
        "salesperson", e.g. on a lead from a website form, sends nothing; nor
        does one who left, nor OdooBot), else the current user."""
        for user in (record.user_id, self.user_id):
            if user and user.active and not user.share and not user._is_superuser():
                return user
        return self.env.user

    # ------------------------------------------------------------------
    # Time: the send window, the timezone, the sender's working hours
    # ------------------------------------------------------------------

    def _clock(self, partner, sender):
        """The ``tools.clock.Clock`` of this sequence for ``partner`` (the
        recipient) and ``sender`` (``res.users``)."""
        self.ensure_one()
        return Clock(
            self._timezone_for(partner),
            self.window_start,
            self.window_end,
            self.weekdays_only,
            calendar=self._work_calendar_for(sender),
        )

    def _work_calendar_for(self, sender):
        """The sender's working calendar (``tools.workcal.WorkCalendar``) when
        the sequence follows it, else None; read once per calendar and
        transaction."""
        self.ensure_one()
        calendar = self.use_working_calendar and (sender.resource_calendar_id or self.company_id.resource_calendar_id)
        if not calendar:
            return None
        cache = self.env.cr.cache.setdefault(WORK_CALENDAR_CACHE, {})
        if calendar.id not in cache:
            cache[calendar.id] = self._load_work_calendar(calendar)
        return cache[calendar.id]

    def _load_work_calendar(self, calendar):
        attendances = tuple(
            (int(line.dayofweek), line.hour_from, line.hour_to)
            # sudo: the sender's working hours count, whoever enrolls
            for line in calendar.sudo().attendance_ids
            if line.day_period != "lunch" and not line.display_type
        )
        # sudo: the company's holidays count, whoever enrolls
        holidays = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search_fetch(
                [
                    ("resource_id", "=", False),
                    ("calendar_id", "in", [calendar.id, False]),
                    ("date_to", ">=", fields.Datetime.now() - timedelta(days=1)),
                ],
                ["date_from", "date_to"],
            )
        )
        return workcal.WorkCalendar(
            calendar.tz or self.tz,
            attendances,
            tuple((leave.date_from, leave.date_to) for leave in holidays),
        )

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
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_enrollment")
        action["domain"] = [("sequence_id", "=", self.id)]
        action["context"] = {"default_sequence_id": self.id, "search_default_filter_running": 1}
        return action

    # ------------------------------------------------------------------
    # Automation rules enrolling into / exiting from the sequence
    # ------------------------------------------------------------------

    def _automation_actions(self):
        """Server actions of automation rules that enroll into these sequences
        or exit from them (an exit without a sequence exits from all)."""
        enroll = Domain("state", "=", "sales_sequence_enroll") & Domain("sales_sequence_id", "in", self.ids)
        exit_ = Domain("state", "=", "sales_sequence_exit") & Domain("sales_sequence_id", "in", [*self.ids, False])
        # sudo: the rules are an administrator's; counted and listed for the sequence
        return (
            self.env["ir.actions.server"]
            .sudo()
            .search_fetch(
                Domain("base_automation_id", "!=", False) & (enroll | exit_),
                ["state", "sales_sequence_id", "base_automation_id"],
            )
        )

    def _compute_automation_rule_count(self):
        actions = self._automation_actions()
        for sequence in self:
            mine = actions.filtered(lambda a: a.sales_sequence_id in (sequence, sequence.browse()))
            sequence.automation_rule_count = len(mine.base_automation_id)

    @api.model
    def _install_inbound_tag(self):
        """Give the shipped "New lead with tag Inbound" rule its tag: an
        existing "Inbound" tag is reused (tag names are unique), else created."""
        xmlid = "sales_sequence.crm_tag_inbound"
        if self.env.ref(xmlid, raise_if_not_found=False):
            return
        # sudo: install time, the shipped rule's tag
        Tag = self.env["crm.tag"].sudo()
        tag = Tag.search([("name", "=ilike", "Inbound")], limit=1) or Tag.create({"name": "Inbound"})
        self.env["ir.model.data"]._update_xmlids([{"xml_id": xmlid, "record": tag, "noupdate": True}])

    def action_view_automation_rules(self):
        """The rules that enroll into or exit from this sequence (archived
        ones included); "New" starts a lead rule enrolling into it."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("base_automation.base_automation_act")
        lead_model_id = self.env["ir.model"]._get_id("crm.lead")
        action.update(
            {
                "name": self.env._("Automation Rules: %s", self.name),
                "domain": [("id", "in", self._automation_actions().base_automation_id.ids)],
                "views": [(False, "list"), (False, "kanban"), (False, "form")],
                "view_mode": "list,kanban,form",
                "context": {
                    "search_default_inactive": 1,
                    "default_name": self.env._("Enroll in %s", self.name),
                    "default_model_id": lead_model_id,
                    "default_action_server_ids": [
                        Command.create(
                            {
                                "name": self.env._("Enroll in %s", self.name),
                                "model_id": lead_model_id,
                                "usage": "base_automation",
                                "state": "sales_sequence_enroll",
                                "sales_sequence_id": self.id,
                            }
                        )
                    ],
                },
            }
        )
        return action

    def action_open_enroll_wizard(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_enroll_wizard")
        action["context"] = {"default_sequence_id": self.id, "default_res_model": "res.partner"}
        return action

    # ------------------------------------------------------------------
    # Analytics (definitions: sales_sequence_metrics_mixin.py)
    # ------------------------------------------------------------------

    def _compute_funnel(self):
        # sudo: an archived step keeps its place when its history is other reps'
        steps = (
            self.env["sales.sequence.step"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("sequence_id", "in", self._origin.ids),
                    "|",
                    ("active", "=", True),
                    ("trace_ids", "!=", False),
                ]
            )
        )
        by_sequence = steps.grouped("sequence_id")
        for sequence in self:
            funnel = by_sequence.get(sequence._origin, steps.browse())
            sequence.funnel_step_ids = funnel
            sequence.funnel_variant_ids = funnel.variant_ids

    def _metric_totals(self):
        totals = self._metric_trace_totals(Domain("sequence_id", "in", self.ids), "sequence_id")
        merge(totals, self._metric_enrollment_totals())
        merge(totals, self._metric_prospect_totals())
        return merge(totals, self._metric_won_totals(self.ids, "sequence_id"))

    def _metric_enrollment_totals(self):
        # sudo: a sequence's numbers count every sender's enrollments
        rows = (
            self.env["sales.sequence.enrollment"]
            .sudo()
            ._read_group(
                [("sequence_id", "in", self.ids)],
                ["sequence_id", "state", "exit_reason"],
                ["__count"],
            )
        )
        totals = new_totals()
        for sequence, state, reason, count in rows:
            sequence_totals = totals[sequence.id]
            sequence_totals["enrolled_count"] += count
            if state in RUNNING_STATES:
                sequence_totals["active_count"] += count
            fold_ending(sequence_totals, state, reason, count)
        return totals

    def _metric_prospect_totals(self):
        """Prospects (not emails) who replied (or exited on a reply), replied
        positively, bounced (or exited on a bounce) and who were contacted:
        one pass over the traces, folded per enrollment."""
        self.env["sales.sequence.trace"].flush_model(
            ["enrollment_id", "sequence_id", "state", "step_type", "replied_at", "reply_kind", "bounced_at"]
        )
        self.env["sales.sequence.enrollment"].flush_model(["sequence_id", "exit_reason"])
        rows = self.env.execute_query(
            SQL(
                """SELECT enrollment.sequence_id,
                      COUNT(*) FILTER (WHERE enrollment.exit_reason = 'reply' OR prospect.replied),
                      COUNT(*) FILTER (WHERE enrollment.exit_reason = 'bounce' OR prospect.bounced),
                      COUNT(*) FILTER (WHERE prospect.contacted),
                      COUNT(*) FILTER (WHERE prospect.positive)
                 FROM sales_sequence_enrollment enrollment
            LEFT JOIN (SELECT enrollment_id,
                              BOOL_OR(replied_at IS NOT NULL) AS replied,
                              BOOL_OR(reply_kind = %(positive)s) AS positive,
                              BOOL_OR(bounced_at IS NOT NULL) AS bounced,
                              BOOL_OR(state IN %(touch_states)s AND step_type IN %(touch_types)s) AS contacted
                         FROM sales_sequence_trace
                        WHERE sequence_id IN %(ids)s
                     GROUP BY enrollment_id) AS prospect ON prospect.enrollment_id = enrollment.id
                WHERE enrollment.sequence_id IN %(ids)s
             GROUP BY enrollment.sequence_id""",
                ids=tuple(self.ids),
                touch_states=TOUCH_STATES,
                touch_types=step_types.codes(is_touch=True),
                positive=POSITIVE,
            )
        )
        totals = new_totals()
        for sequence in self:  # a sequence without enrollments has none of them, not its traces' counts
            totals[sequence.id].update(replied_count=0, bounced_count=0, contacted_count=0, positive_reply_count=0)
        for sequence_id, replied, bounced, contacted, positive in rows:
            totals[sequence_id].update(
                replied_count=replied, bounced_count=bounced, contacted_count=contacted, positive_reply_count=positive
            )
        return totals

    # ------------------------------------------------------------------
    # Dashboard and comparison
    # ------------------------------------------------------------------

    @api.model
    def get_dashboard_data(self, domain=None):
        """The summary cards above the sequences list, for the sequences
        matching ``domain`` (the current search)."""
        sequences = self.search(Domain(domain or []))
        totals = sequences._metric_totals() if sequences else {}
        replied = sum(values.get("replied_count", 0) for values in totals.values())
        contacted = sum(values.get("contacted_count", 0) for values in totals.values())
        revenue = sum(values.get("won_revenue", 0.0) for values in totals.values())
        return {
            "active_sequences": len(sequences.filtered(lambda s: s.state == "active")),
            "enrolled_now": sum(values.get("active_count", 0) for values in totals.values()),
            "reply_rate": round(rate(replied, contacted), 1),
            "meetings_this_month": sequences._meetings_since(self._month_start()),
            "won_revenue": format_amount(self.env, revenue, self.env.company.currency_id),
            **self._dashboard_sending_health(sequences),
        }

    @api.model
    def _dashboard_sending_health(self, sequences):
        """Bounces and spam complaints of the last 30 days, for managers
        (the card opens the sending health report)."""
        if not self.env.user.has_group("sales_sequence.group_sales_sequence_manager"):
            return {"show_sending_health": False}
        health = self.env["sales.sequence.sending.health"]._read_group(
            [("sequence_id", "in", sequences.ids)],
            [],
            ["bounced_30d:sum", "complaint_30d:sum"],
        )
        bounced, complaints = health[0] if health else (0, 0)
        return {"show_sending_health": True, "bounced_30d": bounced or 0, "complaint_30d": complaints or 0}

    def action_view_sending_health(self):
        """Sending health of these sequences, per sender."""
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_sending_health")
        action["domain"] = [("sequence_id", "in", self.ids)]
        return action

    @api.model
    def action_open_sending_health(self, domain=None):
        """Sending health of the sequences matching ``domain`` (the dashboard's search)."""
        return self.search(Domain(domain or [])).action_view_sending_health()

    @api.model
    def _month_start(self):
        today = fields.Date.context_today(self)
        return fields.Datetime.to_datetime(today + relativedelta(day=1))

    def _meetings_since(self, start):
        # sudo: the dashboard counts every sender's meetings
        return (
            self.env["sales.sequence.enrollment"]
            .sudo()
            .search_count(
                [
                    ("sequence_id", "in", self.ids),
                    ("exit_reason", "=", "meeting"),
                    ("ended_at", ">=", start),
                ]
            )
        )

    def action_compare(self):
        """The selected sequences side by side on the same metrics, as a
        chart (rates by default; counts, pivot and list one click away)."""
        if len(self) < 2:
            raise UserError(self.env._("Select at least two sequences to compare."))
        # the metrics are read as superuser (metrics mixin): only of sequences the user may read
        self.check_access("read")
        rows = self.env["sales.sequence.comparison"]._create_for(self)
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_comparison")
        action["domain"] = [("id", "in", rows.ids)]
        return action

    def action_view_performance(self):
        """Traces of this sequence over time (graph by week, per step)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_trace")
        action.update(
            {
                "name": self.env._("Performance: %s", self.name),
                "domain": [("sequence_id", "=", self.id)],
                "view_mode": "graph,pivot,list,form",
                "views": [(False, "graph"), (False, "pivot"), (False, "list"), (False, "form")],
                "context": {"search_default_group_by_week": 1, "search_default_filter_touches": 1},
            }
        )
        return action

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        if not is_manager(self.env):  # a rep's copy is theirs, with the default priority and sharing
            for vals in vals_list:
                vals.update(
                    user_id=self.env.uid,
                    priority=self._fields["priority"].default(self),
                    allow_concurrent=self._fields["allow_concurrent"].default(self),
                )
        if "name" in (default or {}):
            return vals_list
        return [
            dict(vals, name=self.env._("%s (copy)", sequence.name))
            for sequence, vals in zip(self, vals_list, strict=True)
        ]
