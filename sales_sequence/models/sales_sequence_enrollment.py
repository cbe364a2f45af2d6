import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup
from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, consteq, email_normalize, html2plaintext
from odoo.tools import mail as mail_tools
from odoo.tools.misc import hmac

from ..engine import chatter, precompute, settings
from ..engine import deals as deal_exits
from ..engine.composer import Composer, recipient_email
from ..engine.runner import SENDER_AWAY, StepRunner
from ..tools import ab, autoreply, caps, render, replies
from .sales_sequence_guard_mixin import is_manager

_logger = logging.getLogger(__name__)

EXIT_REASONS = [
    ("completed", "Completed"),
    ("reply", "Replied"),
    ("meeting", "Meeting Booked"),
    ("bounce", "Bounced"),
    ("unsubscribed", "Unsubscribed"),
    ("stage_changed", "Stage Changed"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("manual", "Manual"),
    ("other_sequence", "Other Sequence"),
    ("condition", "Exit Condition"),
    ("wrong_number", "Wrong Number"),
    ("not_interested", "Not Interested"),
    ("deal_created", "Deal Created"),
    ("company_reply", "Company Replied"),
]
FAILURE_REASONS = [
    ("render_error", "The step does not render"),
    ("sender_archived", "The sender is archived"),
    ("sender_no_email", "The sender has no email address"),
    ("error", "Unexpected error"),
]
WAITING_REASONS = [
    (caps.SEQUENCE_DAILY, "Daily limit of the sequence"),
    (caps.SENDER_DAILY, "Daily limit of the sender"),
    (caps.WARMUP, "Sender's mailbox warm-up"),
    (caps.MAILBOX_RATE, "Sender's mail server per-minute limit"),
    (caps.THROTTLE, "Time between two emails"),
    (caps.HOURLY, "Hourly cap"),
    (caps.DOMAIN, "Daily cap per recipient domain"),
    (SENDER_AWAY, "Sender on leave"),
]
RUNNING_STATES = ("active", "paused")

TRACKING_SCOPE = "sales_sequence-tracking"
UNSUBSCRIBE_SCOPE = "sales_sequence-unsubscribe"
SNAPSHOT_RETRIES = 10
# the longest an automatic resume may be put off, whatever the settings say
MAX_RESUME_DAYS = 3650


@dataclass(frozen=True)
class Reply:
    """Who a human reply comes from: its normalised address and, when the
    mail gateway knows them, their contact."""

    email: str = ""
    partner: object = None

    @classmethod
    def of(cls, env, message_dict):
        author = env["res.partner"].browse(message_dict.get("author_id") or [])
        # sudo: the gateway found the author; the company they work for counts, seen or not
        return cls(email_normalize(message_dict.get("email_from") or "") or "", author.sudo().exists())


class SalesSequenceEnrollment(models.Model):
    """One contact or lead running through a sequence (the run-time side)."""

    _name = "sales.sequence.enrollment"
    _description = "Sales Sequence Enrollment"
    _inherit = ["mail.thread", "sales.sequence.guard.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_names_search = ["lead_id", "partner_id", "sequence_id"]
    # reps enroll through sales.sequence.enroll() (the wizard, the buttons, the
    # rules) and change the state with the buttons; they may only pick the
    # date a paused enrollment resumes on. The rest is the engine's.
    _user_write_fields = ("resume_at",)

    sequence_id = fields.Many2one(
        "sales.sequence",
        required=True,
        ondelete="cascade",
        index=True,
        tracking=True,
    )
    company_id = fields.Many2one(related="sequence_id.company_id", store=True, index=True, precompute=True)
    # set null: deleting a lead or contact exits its enrollments and keeps their history
    partner_id = fields.Many2one("res.partner", "Contact", index=True, ondelete="set null", check_company=True)
    lead_id = fields.Many2one("crm.lead", index="btree_not_null", ondelete="set null", check_company=True)
    user_id = fields.Many2one(
        "res.users",
        "Sender",
        required=True,
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
        check_company=True,
    )
    email = fields.Char("Recipient Email", compute="_compute_email")
    state = fields.Selection(
        [
            ("active", "Active"),
            ("paused", "Paused"),
            ("completed", "Completed"),
            ("exited", "Exited"),
            ("failed", "Failed"),
        ],
        default="active",
        required=True,
        index=True,
        tracking=True,
        group_expand=True,
    )
    step_id = fields.Many2one("sales.sequence.step", "Next Step", ondelete="set null", check_company=True)
    next_run_at = fields.Datetime("Next Step At", index=True, copy=False)
    last_run_at = fields.Datetime(
        "Last Step At",
        help="Anchor of the next step's delay: the last step's execution, "
        "the completion of the task it waited for, or the enrollment.",
    )
    waiting_activity_id = fields.Many2one(
        "mail.activity",
        "Waiting For",
        ondelete="set null",
        help="The task that must be done before the sequence goes on.",
    )
    enrolled_at = fields.Datetime(default=fields.Datetime.now, required=True)
    ended_at = fields.Datetime()
    exit_reason = fields.Selection(EXIT_REASONS, tracking=True)
    failure_reason = fields.Selection(FAILURE_REASONS, tracking=True)
    failure_message = fields.Text(help="What failed, as the engine saw it (the template error, the sender...).")
    resume_at = fields.Datetime("Resume On", tracking=True, help="A paused enrollment resumes by itself then.")
    waiting_reason = fields.Selection(
        WAITING_REASONS,
        "Held Back By",
        index="btree_not_null",
        help="The sending limit that holds the next email back: it goes at the next allowed moment.",
    )
    waiting_detail = fields.Char("Why It Waits")
    start_stage_id = fields.Many2one("crm.stage", "Stage at Enrollment")
    start_won_status = fields.Char("Won Status at Enrollment")
    start_deals = fields.Json(
        "Deals at Enrollment",
        copy=False,
        help="The opportunities of the person's company at enrollment, with their stage and "
        "won status: the engine compares them with today's to exit (won, lost, stage changed, "
        "deal created).",
    )
    from_audience = fields.Boolean(
        "From the Audience",
        readonly=True,
        help="Enrolled by the sequence's live audience.",
    )
    trace_ids = fields.One2many("sales.sequence.trace", "enrollment_id", "Activity Log")
    trace_count = fields.Integer(compute="_compute_trace_count")

    _has_target = models.Constraint(
        "CHECK (partner_id IS NOT NULL OR lead_id IS NOT NULL OR state NOT IN ('active', 'paused'))",
        "An enrollment needs a contact or a lead.",
    )
    _unique_running_lead = models.UniqueIndex(
        "(sequence_id, lead_id) WHERE state IN ('active', 'paused') AND lead_id IS NOT NULL",
        "This lead is already running in this sequence.",
    )
    _unique_running_partner = models.UniqueIndex(
        "(sequence_id, partner_id) WHERE state IN ('active', 'paused') AND lead_id IS NULL",
        "This contact is already running in this sequence.",
    )

    @api.depends("lead_id", "partner_id", "sequence_id")
    def _compute_display_name(self):
        for enrollment in self:
            target = enrollment.lead_id or enrollment.partner_id
            enrollment.display_name = "%s · %s" % (target.display_name or "", enrollment.sequence_id.name or "")

    @api.depends("lead_id.email_from", "partner_id.email")
    def _compute_email(self):
        for enrollment in self:
            enrollment.email = enrollment.lead_id.email_from or enrollment.partner_id.email

    def _compute_trace_count(self):
        counts = dict(
            self.env["sales.sequence.trace"]._read_group(
                [("enrollment_id", "in", self.ids)],
                ["enrollment_id"],
                ["__count"],
            )
        )
        for enrollment in self:
            enrollment.trace_count = counts.get(enrollment, 0)

    def _target(self):
        """The record the sequence works on: the lead, else the contact."""
        self.ensure_one()
        return self.lead_id or self.partner_id

    def _clock(self):
        """The ``tools.clock.Clock`` of this enrollment: its sequence's window
        in the recipient's (or the sequence's) timezone, on the sender's
        working hours when the sequence follows them."""
        self.ensure_one()
        return self.sequence_id._clock(self.partner_id, self.user_id)

    def _due(self, step, anchor):
        """When ``step`` is due for this enrollment, counted from ``anchor``."""
        return step and self._clock().due(anchor, **step._delays())

    def _next_opening(self, when):
        return self._clock().next_opening(when)

    @api.model
    def _running_domain(self, records, through_leads=True):
        """The running enrollments of ``records`` (contacts or leads): a
        lead's own; a contact's, including those of its leads unless
        ``through_leads`` is False."""
        if records._name == "crm.lead":
            people = Domain("lead_id", "in", records.ids)
        else:
            people = Domain("partner_id", "in", records.ids)
            if not through_leads:
                people &= Domain("lead_id", "=", False)
        return people & Domain("state", "in", RUNNING_STATES)

    # ------------------------------------------------------------------
    # Trust (sales.sequence.guard.mixin): direct create / write
    # ------------------------------------------------------------------

    def _guard_hint(self):
        return self.env._(
            "Enroll contacts and leads with the Enroll action, and use the Pause, "
            "Resume and Exit buttons: the sequence does the rest."
        )

    def _check_trust(self, fnames):
        """What ``enroll()`` checks, for a manager's direct create / write:
        the sequence and the record readable, one company, a sender the
        caller may send as, the next step of this sequence."""

        def changed(*names):
            return fnames is None or not fnames.isdisjoint(names)

        for enrollment in self:
            sequence = enrollment.sequence_id
            if changed("sequence_id", "lead_id", "partner_id"):
                sequence.check_access("read")
                for record in (enrollment.lead_id, enrollment.partner_id):
                    record.check_access("read")
                    if record.company_id and record.company_id != sequence.company_id:
                        raise UserError(
                            self.env._(
                                "%(record)s belongs to %(company)s, not to the sequence's company.",
                                record=record.display_name,
                                company=record.company_id.name,
                            )
                        )
            if changed("sequence_id", "user_id"):
                enrollment._check_sender()
            step = enrollment.step_id
            if changed("sequence_id", "step_id") and step and step.sequence_id != sequence:
                raise UserError(
                    self.env._(
                        "The step “%(step)s” is not a step of the sequence %(sequence)s.",
                        step=enrollment.step_id.name,
                        sequence=sequence.name,
                    )
                )

    @api.model
    def _add_precomputed_values(self, vals_list):
        """The company, read once per sequence (``engine.precompute``)."""
        precompute.related_once(self, vals_list, ["company_id"])
        return super()._add_precomputed_values(vals_list)

    def _check_company(self, fnames=None):
        """Odoo's company check, one domain per field and company instead of
        one per enrollment: a bulk enrollment creates thousands that share
        their sequence, step and sender. Anything inconsistent falls back on
        Odoo's check of each enrollment, for its precise message."""
        if len(self) < 2:
            return super()._check_company(fnames)
        if fnames is None or {"company_id", "company_ids"} & set(fnames):
            fnames = self._fields
        names = [name for name in fnames if self._fields[name].relational and self._fields[name].check_company]
        for company, enrollments in self.grouped("company_id").items():
            for name in names:
                values = enrollments.sudo()[name]
                domain = values and values._check_company_domain(company)
                if domain and values != values.with_context(active_test=False).filtered_domain(domain):
                    return super()._check_company(fnames)
        return None

    def _check_sender(self):
        sender, sequence = self.user_id, self.sequence_id
        if sender.share or not sender.active or sequence.company_id not in sender.company_ids:
            raise UserError(
                self.env._(
                    "%(sender)s cannot send for the company %(company)s.",
                    sender=sender.name,
                    company=sequence.company_id.name,
                )
            )
        if not sequence._may_send_as(sender):
            raise AccessError(self.env._("Only a sequence manager can send in the name of %s.", sender.name))

    def _write_engine(self, vals):
        """Write what only the engine decides (state, step, timing): the
        public actions check the caller's access first; the engine itself
        runs as superuser."""
        # sudo: the fields are the engine's (sales.sequence.guard.mixin), the caller was checked
        return self.sudo().write(vals)

    # ------------------------------------------------------------------
    # Rep actions
    # ------------------------------------------------------------------

    def action_pause(self):
        self.check_access("write")
        running = self.filtered(lambda e: e.state == "active")
        running._write_engine({"state": "paused", "resume_at": False, "waiting_reason": False, "waiting_detail": False})
        running._log_event(self.env._("Paused."))
        return True

    def action_resume(self):
        """Resume paused (or retry failed) enrollments; the pending step's delay
        counts again from now."""
        self.check_access("write")
        self._resume(fields.Datetime.now())
        return True

    def _resume(self, now):
        for enrollment in self.filtered(lambda e: e.state in ("paused", "failed")):
            enrollment._check_can_resume()
            enrollment._write_engine(
                {
                    "state": "active",
                    "resume_at": False,
                    "failure_reason": False,
                    "failure_message": False,
                    "exit_reason": False,
                    "ended_at": False,
                    "last_run_at": now,
                    "waiting_reason": False,
                    "waiting_detail": False,
                    "next_run_at": (
                        False if enrollment.waiting_activity_id else enrollment._due(enrollment.step_id, now)
                    ),
                }
            )
            enrollment._log_event(self.env._("Resumed."))
            if not enrollment.step_id and not enrollment.waiting_activity_id:
                enrollment._end("completed", "completed")
        self._schedule_wakeup(self.mapped("next_run_at"))

    def _check_can_resume(self):
        # sudo: a running duplicate sent by another rep counts too
        duplicate = self.sudo().search_count(
            self._running_domain(self._target(), through_leads=False)
            & Domain([("id", "!=", self.id), ("sequence_id", "=", self.sequence_id.id)])
        )
        if duplicate:
            raise UserError(self.env._("%s is already running in this sequence again.", self._target().display_name))

    def action_exit(self, reason="manual"):
        """Stop these enrollments; a person's reason is ``manual`` (the others
        are the engine's: only a sequence manager may record one by hand)."""
        self.check_access("write")
        if reason != "manual" and not is_manager(self.env):
            raise AccessError(self.env._("Only a sequence manager may record why an enrollment exited."))
        running = self.filtered(lambda e: e.state in RUNNING_STATES)
        running._end("exited", reason)
        return True

    def _end(self, state, reason):
        """End these enrollments: ``completed``, or ``exited`` for ``reason``."""
        if not self:
            return
        self._write_engine(
            {
                "state": state,
                "exit_reason": reason,
                "ended_at": fields.Datetime.now(),
                "next_run_at": False,
                "resume_at": False,
                "waiting_reason": False,
                "waiting_detail": False,
            }
        )
        if state == "completed":
            self._log_event(self.env._("Completed the sequence."))
        else:
            labels = dict(self._fields["exit_reason"]._description_selection(self.env))
            self._log_event(self.env._("Exited (%s).", labels[reason]))

    def _exit_on_call(self, outcome):
        """A call reached a wrong number or a prospect not interested: the
        running enrollments exit, with the outcome as reason."""
        self.filtered(lambda e: e.state in RUNNING_STATES)._end("exited", outcome)

    def _end_on_call_connected(self):
        """A call connected at a step that ends the sequence on a connect:
        the running enrollments complete, whatever steps are left."""
        running = self.filtered(lambda e: e.state in RUNNING_STATES)
        running._log_event(self.env._("Call connected: the sequence ends here."))
        running._end("completed", "completed")

    def _fail(self, reason, detail=False):
        """Stop these enrollments on an error (``failure_reason`` code and its
        ``detail``) until someone fixes it and resumes them."""
        self._write_engine(
            {
                "state": "failed",
                "failure_reason": reason,
                "failure_message": detail,
                "next_run_at": False,
                "waiting_reason": False,
                "waiting_detail": False,
            }
        )
        label = dict(self._fields["failure_reason"]._description_selection(self.env))[reason]
        self._log_event(self.env._("Failed: %s", "%s (%s)" % (label, detail) if detail else label))

    def _log_enrolled(self):
        for sequence, enrollments in self.grouped("sequence_id").items():
            enrollments._log_event(self.env._("Enrolled in the sequence %s.", sequence.name))

    def _log_event(self, body):
        """Audit trail on the lead (or contact): what happened in which
        sequence (the enrollment's own chatter tracks its fields).

        What the engine does (as superuser: the cron, replies, bounces,
        unsubscribes, meetings, stage changes) is the system's record and is
        noted on every lead or contact. What a person does (a button, an
        enrollment) is noted only on the leads and contacts that person may
        read; for the others, on the enrollment itself. One insert per
        model (``engine.chatter``): a bulk enrollment notes thousands."""
        if not self:
            return
        noted = set()
        by_model = defaultdict(dict)  # {model: {enrollment: target id}}
        for enrollment in self:
            target = enrollment._target()
            if target:
                by_model[target._name][enrollment] = target.id
        for model, targets in by_model.items():
            readable = self.env[model].browse(set(targets.values()))
            if not self.env.su:
                readable = readable._filtered_access("read")
            readable = set(readable._ids)
            text = {}
            for enrollment, target_id in targets.items():
                if target_id in readable:
                    text[target_id] = self.env._(
                        "%(sequence)s: %(event)s", sequence=enrollment.sequence_id.name, event=body
                    )
                    noted.add(enrollment.id)
            chatter.log_notes(self.env, model, text)
        chatter.log_notes(self.env, self._name, {eid: body for eid in self.ids if eid not in noted})

    def action_open_target(self):
        self.ensure_one()
        target = self._target()
        return {
            "type": "ir.actions.act_window",
            "res_model": target._name,
            "res_id": target.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    @api.model
    def _action_for_targets(self, field_name, records):
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_enrollment")
        action["domain"] = [(field_name, "in", records.ids)]
        action["context"] = {"search_default_filter_running": 1}
        return action

    def action_view_traces(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_trace")
        action["domain"] = [("enrollment_id", "=", self.id)]
        return action

    def _move_to(self, step, anchor):
        """Point the enrollment at ``step`` (complete it when there is none)."""
        self.ensure_one()
        if not step:
            self._write_engine({"step_id": False})
            if not self.waiting_activity_id and self.state in RUNNING_STATES:
                self._end("completed", "completed")
            return
        self._write_engine(
            {
                "step_id": step.id,
                "next_run_at": False if self.waiting_activity_id else self._due(step, anchor),
            }
        )

    def _on_task_finished(self):
        """The task this enrollment waited for is done (or cancelled): go on."""
        now = fields.Datetime.now()
        for enrollment in self:
            enrollment._write_engine({"waiting_activity_id": False, "last_run_at": now})
            if enrollment.state == "active":
                enrollment._move_to(enrollment.step_id, now)
        self._schedule_wakeup(self.mapped("next_run_at"))

    # ------------------------------------------------------------------
    # Events that end or pause an enrollment
    # ------------------------------------------------------------------

    @api.model
    def _on_incoming_email(self, message, message_dict, routes):
        """A reply to a sequence email (matched on References / In-Reply-To),
        or else a new email from an enrolled address routed to its lead or
        contact: an automatic reply pauses until the return date; a human
        reply is read (``tools.replies``) and acted on (``_on_reply``)."""
        references = mail_tools.mail_header_msgid_re.findall(
            "%s %s" % (message_dict.get("references") or "", message_dict.get("in_reply_to") or "")
        )
        traces = (
            self.env["sales.sequence.trace"].search(
                [("message_id", "in", references), ("enrollment_id.state", "in", RUNNING_STATES)]
            )
            if references
            else self.env["sales.sequence.trace"]
        )
        enrollments = traces.enrollment_id or self._running_for_sender(message_dict, routes)
        if not enrollments:
            return
        if autoreply.is_auto_reply(message, message_dict.get("subject")):
            enrollments._pause_out_of_office(html2plaintext(message_dict.get("body") or ""))
        else:
            enrollments._on_reply(traces, enrollments._classify_reply(message_dict), Reply.of(self.env, message_dict))

    @api.model
    def _running_for_sender(self, message_dict, routes):
        email = email_normalize(message_dict.get("email_from") or "")
        targets = {(model, thread_id) for model, thread_id, *__ in routes if thread_id}
        candidates = self._running_for_email(email)
        return candidates.filtered(lambda e: (e._target()._name, e._target().id) in targets)

    def _classify_reply(self, message_dict):
        """What a human reply to these enrollments says (``tools.replies``):
        the senders' and the company's own addresses are never a referral."""
        # sudo: the company's own addresses, whoever the reply reached
        own = [
            domain[fname]
            for domain in self.env["mail.alias.domain"].sudo().search([])
            for fname in ("catchall_email", "bounce_email", "default_from_email")
            if domain[fname]
        ]
        return replies.classify_html_reply(
            message_dict.get("body") or "",
            sender=message_dict.get("email_from"),
            subject=message_dict.get("subject"),
            ignore=[*self.user_id.mapped("email"), *own],
        )

    def _on_reply(self, traces, classification=None, reply=None):
        """A human reply reached these enrollments (``traces``: the emails it
        answers). The replied traces are stamped with what it says, then:

        - an unsubscribe request suppresses the replier's address and exits
          every enrollment sent to it (``unsubscribed``), even when the
          sequence does not exit on a reply;
        - a referral exits (``reply``) and gives the sender a task with the
          addresses to write to (so does an unsubscribe request naming some);
        - any other reply exits when the sequence exits on a reply;
        - in sequences that exit on a company reply, the other running
          enrollments of the replier's company exit (``company_reply``).
        """
        classification = classification or replies.Classification(replies.NEUTRAL)
        reply = reply or Reply()
        now = fields.Datetime.now()
        for enrollment in self:
            replied = traces.filtered(lambda t: t.enrollment_id == enrollment) or enrollment._last_email_trace()
            replied._set_replied(now, classification.kind)
        if classification.emails:
            self._assign_referral(classification.emails, reply)
        unsubscribed = self.browse()
        if classification.kind == replies.UNSUBSCRIBE:
            unsubscribed = self._unsubscribe_on_reply(reply.email)
        others = self - unsubscribed
        if classification.kind != replies.REFERRAL:
            others = others.filtered(lambda e: e.sequence_id.exit_on_reply)
        others.action_exit("reply")
        self.filtered(lambda e: e.sequence_id.exit_on_company_reply)._exit_company(reply.partner)

    def _unsubscribe_on_reply(self, email):
        """The replier asked to stop: suppress their address and exit every
        running enrollment sent to it, in every sequence. Returns those of
        ``self`` that exited (a colleague asking to be removed in the
        recipient's thread does not unsubscribe the recipient)."""
        if not email:
            return self.browse()
        # sudo: a removal request is honoured whoever it reached (the list is the company's)
        self.env["mail.blacklist"].sudo()._add(
            email,
            message=self.env._("Asked to be removed in a reply to the sales sequence %s.", self[:1].sequence_id.name),
        )
        mine = self.filtered(lambda e: e._recipient_email() == email)
        (mine | self._running_for_email(email)).action_exit("unsubscribed")
        return mine

    def _assign_referral(self, emails, reply):
        """The reply points to someone else: a task for each enrollment's
        sender, on the lead (or contact), with the addresses to write to."""
        note = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._("%s answered that the right person to write to is:", reply.email or self.env._("The prospect")),
            Markup().join(Markup('<li><a href="mailto:%s">%s</a></li>') % (email, email) for email in emails),
        )
        summary = self.env._("Referral: write to %s", ", ".join(emails))
        for enrollment in self.filtered(lambda e: e._target()):
            # sudo: the task is the sender's, on a record the reply reached
            enrollment._target().sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=enrollment._clock().local_date(fields.Datetime.now()),
                summary=summary[:200],
                note=note,
                user_id=enrollment.user_id.id,
            )

    def _exit_company(self, author):
        """Someone at these enrollments' companies (or at the ``author``'s)
        replied: the other running enrollments of those companies in the same
        sequences exit (``company_reply``)."""
        for sequence, enrollments in self.grouped("sequence_id").items():
            companies = enrollments.partner_id.commercial_partner_id
            if author:
                companies |= author.commercial_partner_id
            if not companies:
                continue
            # sudo: every sender's enrollments at that company stop
            colleagues = self.sudo().search(
                [
                    ("sequence_id", "=", sequence.id),
                    ("state", "in", RUNNING_STATES),
                    ("id", "not in", self.ids),
                    ("partner_id.commercial_partner_id", "in", companies.ids),
                ]
            )
            colleagues.action_exit("company_reply")

    def _last_email_trace(self):
        email_traces = self.trace_ids.filtered("message_id")
        return email_traces.sorted(lambda t: (t.sent_at, t.id))[-1:]

    def _pause_out_of_office(self, text):
        """Pause until the return date the reply gives, else for the
        sequence's delay; never longer than the ``ooo_max_days`` setting (an
        "I am back on 31/12/2099" must not hold the prospect for decades)."""
        today = fields.Date.context_today(self)
        max_days = min(settings.get(self.env, "ooo_max_days") or MAX_RESUME_DAYS, MAX_RESUME_DAYS)
        back = autoreply.cap_return_date(autoreply.find_return_date(text, today), today, max_days)
        for enrollment in self.filtered(lambda e: e.state == "active"):
            days = min(max(enrollment.sequence_id.ooo_resume_days, 0), max_days)
            resume_at = fields.Datetime.to_datetime(back) if back else fields.Datetime.now() + timedelta(days=days)
            enrollment._write_engine({"state": "paused", "resume_at": resume_at})
            enrollment._log_event(
                self.env._("Out of office: paused until %s.", fields.Date.to_string(resume_at.date()))
            )
        self._schedule_wakeup(self.mapped("resume_at"))

    @api.model
    def _exit_on_meeting(self, partners, leads, companies=None):
        """A meeting with ``partners`` or on ``leads``: their running
        enrollments exit, in ``companies`` (None: in every company)."""
        if not partners and not leads:
            return
        domain = (self._running_domain(leads) | self._running_domain(partners, through_leads=False)) & Domain(
            "sequence_id.exit_on_meeting", "=", True
        )
        if companies is not None:
            domain &= Domain("company_id", "in", companies.ids)
        self.search(domain).action_exit("meeting")

    @api.model
    def _exit_on_target_deleted(self, records):
        """Contacts or leads about to be deleted: their running enrollments exit
        (a contact's only when it runs without a lead) and keep their history."""
        # sudo: a deleted record exits every sender's enrollments on it
        running = self.sudo().search(self._running_domain(records, through_leads=False))
        # noted on the enrollment: the lead or contact is going away
        running._message_log_batch(dict.fromkeys(running.ids, self.env._("The record was deleted.")))
        running.action_exit("manual")

    @api.model
    def _exit_on_lead_change(self, leads):
        """Live exits when leads are won, lost, change stage or become (or
        appear as) opportunities: the leads' own enrollments, those of their
        contacts, and of anyone at their companies in sequences that exit on
        a new deal. The engine checks again before each step, for changes
        made without ``write``."""
        people = Domain("lead_id", "in", leads.ids) | (
            Domain("lead_id", "=", False) & Domain("partner_id", "in", leads.partner_id.ids)
        )
        companies = leads.partner_id.commercial_partner_id
        if companies:
            people |= Domain("sequence_id.exit_on_deal_created", "=", True) & Domain(
                "partner_id.commercial_partner_id", "in", companies.ids
            )
        running = self.search(people & Domain("state", "in", RUNNING_STATES))
        for reason, enrollments in running._find_exits(with_condition=False).items():
            enrollments._end("exited", reason)

    # ------------------------------------------------------------------
    # Unsubscribe links
    # ------------------------------------------------------------------

    def _unsubscribe_token(self):
        self.ensure_one()
        # su: the database secret signs the public URL
        return hmac(self.env(su=True), UNSUBSCRIBE_SCOPE, (self.id, self._recipient_email()))

    def _recipient_email(self):
        """The normalized address this enrollment writes to ('' when none)."""
        self.ensure_one()
        return recipient_email(self.lead_id, self.partner_id)

    def _check_unsubscribe_token(self, token):
        self.ensure_one()
        return bool(token) and consteq(self._unsubscribe_token(), token)

    def _action_unsubscribe(self):
        """The recipient asked to stop: suppress the address and exit every
        running enrollment sent to it, in every sequence."""
        self.ensure_one()
        email = self._recipient_email()
        if email:
            # the recipient's own request, from the public route (the list is written in sudo)
            self.env["mail.blacklist"]._sales_sequence_suppress(
                email,
                "unsubscribed",
                self.sequence_id,
                message=self.env._("Unsubscribed from the sales sequence %s.", self.sequence_id.name),
            )
        (self | self._running_for_email(email)).action_exit("unsubscribed")

    @api.model
    def _running_for_email(self, email):
        if not email:
            return self.browse()
        # sudo: every enrollment to that address, whoever sends it
        return self.sudo().search(
            [
                ("state", "in", RUNNING_STATES),
                "|",
                ("lead_id.email_normalized", "=", email),
                ("partner_id.email_normalized", "=", email),
            ]
        )

    def _unsubscribe_url(self):
        self.ensure_one()
        return "%s/sales_sequence/unsubscribe/%s/%s" % (
            self.get_base_url(),
            self.id,
            self._unsubscribe_token(),
        )

    # ------------------------------------------------------------------
    # Open and click tracking (engine/tracking.py builds the URLs)
    # ------------------------------------------------------------------

    def _tracking_token(self, step_id, code=""):
        """The token of the open pixel of a step's email, or of one of its
        links (``code``: a ``sales.sequence.link``): a link's token opens
        that link only."""
        self.ensure_one()
        signed = (self.id, step_id, code) if code else (self.id, step_id)
        # su: the database secret signs the public URL
        return hmac(self.env(su=True), TRACKING_SCOPE, signed)

    def _check_tracking_token(self, step_id, token, code=""):
        self.ensure_one()
        return bool(token) and consteq(self._tracking_token(step_id, code), token)

    # ------------------------------------------------------------------
    # Manual emails (written by the rep in the composer)
    # ------------------------------------------------------------------

    def _manual_email_draft(self, step):
        """The email of a manual email step for this enrollment
        (``composer.Email``), composed as the engine composes its emails
        (recipient's language, signature, footer with the enrollment's own
        unsubscribe link, Cc and Bcc, attachments)."""
        self.ensure_one()
        variant = ab.pick_variant(step.variant_ids, self.id) if step.variant_ids else None
        try:
            return Composer(self.env).compose(
                step,
                self.lead_id,
                self.partner_id,
                self.user_id,
                enrollment=self,
                variant=variant,
            )
        except render.TemplateError as error:
            raise UserError(
                self.env._("The step “%(step)s” does not render: %(error)s", step=step.name, error=error)
            ) from error

    def _manual_email_recipient(self):
        """The contact to write to: the one with the enrollment's recipient
        address (created when the lead has an address but no contact)."""
        self.ensure_one()
        email = self._recipient_email()
        if not email:
            raise UserError(self.env._("%s has no email address.", self._target().display_name))
        if self.env["mail.blacklist"]._sales_sequence_suppressed({email}):
            raise UserError(
                self.env._(
                    "%s is on the suppression list (unsubscribed or blacklisted): "
                    "mark the task done or cancel it instead.",
                    email,
                )
            )
        if self.partner_id.email_normalized == email:
            return self.partner_id
        return self._target()._partner_find_from_emails_single([email], no_create=False)

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------

    @api.model
    def _cron_process_due(self, now=None, limit=None):
        """Enroll the new matches of the live audiences, then run every step
        that is due, in locked batches.

        As the cron job, it commits after each audience and each batch and
        stops when its time budget is spent (the cron reschedules itself when
        work is left). Called directly (tests, shell), it never commits.

        :param now: naive UTC datetime considered as now (default: now)
        :param limit: process at most this many enrollments (default: all due)
        :return: the number of enrollments processed
        """
        self = self.sudo()  # noqa: PLW0642 - the engine works for every sender
        now = now or fields.Datetime.now()
        batch_size = self._batch_size()
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        self._with_fresh_snapshot(lambda: self.env["sales.sequence"]._sync_audiences(now, in_cron), in_cron)
        self._with_fresh_snapshot(lambda: self._resume_due(now), in_cron)
        if in_cron:
            # keep the resumes whatever comes next, and tell the cron how much is
            # due: with work left when its time is up, it runs again at once
            self.env["ir.cron"]._commit_progress(remaining=self._count_due(now))
        done = 0
        while limit is None or done < limit:
            size = batch_size if limit is None else min(batch_size, limit - done)
            batch = self._with_fresh_snapshot(lambda: self._lock_due(now, size), in_cron)
            if not batch:
                break
            batch._process_batch(now)
            done += len(batch)
            if in_cron and not self.env["ir.cron"]._commit_progress(len(batch)):
                break
        self._schedule_wakeup(self._next_due_after(now))
        return done

    def _with_fresh_snapshot(self, func, in_cron):
        """Run ``func`` (nothing written yet in this transaction). Odoo's
        transactions are REPEATABLE READ: locking a row that another worker
        changed and committed since our snapshot fails with a serialization
        error, SKIP LOCKED or not. As the cron, start a new transaction (a new
        snapshot, which sees that work done) and try again."""
        for attempt in range(SNAPSHOT_RETRIES):
            try:
                return func()
            except SerializationFailure:
                if not in_cron or attempt == SNAPSHOT_RETRIES - 1:
                    raise
                _logger.info("Sales sequences: another worker moved these enrollments; new snapshot")
                self.env.cr.rollback()
        return None

    @api.model
    def _resume_due(self, now):
        """Paused enrollments whose ``resume_at`` has come (out-of-office) go on."""
        due = self.search([("state", "=", "paused"), ("resume_at", "<=", now)])
        due.try_lock_for_update()._resume(now)

    @api.model
    def _batch_size(self):
        return settings.get(self.env, "batch_size") or 1

    @api.model
    def _lock_due(self, now, limit):
        """Due enrollments of active sequences, locked; rows another worker holds are skipped."""
        self.env["sales.sequence.enrollment"].flush_model(["state", "next_run_at", "sequence_id"])
        self.env["sales.sequence"].flush_model(["state"])
        # a serialization failure is expected under concurrency (see
        # _with_fresh_snapshot): not logged as a bad query
        self.env.cr.execute(
            SQL(
                """SELECT enrollment.id
                 FROM sales_sequence_enrollment enrollment
                 JOIN sales_sequence sequence ON sequence.id = enrollment.sequence_id
                WHERE enrollment.state = 'active' AND enrollment.next_run_at <= %s
                  AND sequence.state = 'active'
             ORDER BY enrollment.next_run_at, enrollment.id
                LIMIT %s
           FOR UPDATE OF enrollment SKIP LOCKED""",
                now,
                limit,
            ),
            log_exceptions=False,
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _count_due(self, now):
        return self.search_count(
            [
                ("state", "=", "active"),
                ("next_run_at", "<=", now),
                ("sequence_id.state", "=", "active"),
            ]
        )

    @api.model
    def _next_due_after(self, now):
        self.flush_model(["state", "next_run_at"])
        rows = self.env.execute_query(
            SQL(
                "SELECT MIN(next_run_at) FROM sales_sequence_enrollment WHERE state = 'active' AND next_run_at > %s",
                now,
            )
        )
        return [rows[0][0]] if rows and rows[0][0] else []

    @api.model
    def _schedule_wakeup(self, moments):
        """Wake the engine when the earliest of ``moments`` comes (cron triggers)."""
        moments = [moment for moment in moments if moment]
        if moments:
            cron = self.env.ref("sales_sequence.ir_cron_process_due", raise_if_not_found=False)
            if cron:
                # sudo: wake the engine (users do not write crons)
                cron.sudo()._trigger(min(moments))

    def _process_batch(self, now):
        """Execute the pending step of each enrollment in ``self`` (locked, due).

        Values are prepared per enrollment (an error there fails only that
        enrollment), then written with one ``create`` per model for the batch.
        Should the batch write fail, each enrollment is retried alone in a
        savepoint, so one bad record never blocks the others.
        """
        going = self._apply_exit_checks(now)
        try:
            with self.env.cr.savepoint():
                StepRunner(going, now).execute()
        except Exception:  # noqa: BLE001 - isolate the faulty enrollment below
            _logger.exception("Sales sequence batch failed; retrying enrollments one by one")
            for enrollment in going:
                enrollment._process_alone(now)

    def _process_alone(self, now):
        try:
            with self.env.cr.savepoint():
                StepRunner(self, now).execute()
        except Exception as error:  # noqa: BLE001 - recorded on the enrollment
            _logger.warning("Sales sequence enrollment %s failed: %s", self.id, error)
            self.invalidate_recordset()
            self._fail("error", str(error))

    # ------------------------------------------------------------------
    # Exit checks (before each step)
    # ------------------------------------------------------------------

    def _apply_exit_checks(self, now):
        """Exit the enrollments whose lead moved on or that match the exit
        condition; return the others."""
        exits = self._find_exits()
        for reason, enrollments in exits.items():
            enrollments._end("exited", reason)
        exited = self.browse([e.id for group in exits.values() for e in group])
        return self - exited

    def _find_exits(self, with_condition=True):
        """``{reason: enrollments}`` of these enrollments that must exit: the
        lead won, lost or moved (lead enrollments), the contact's deals did
        (contact enrollments), a deal appeared at the company
        (``engine.deals``), then the exit condition. A few queries for the
        whole recordset."""
        found = defaultdict(list)
        deals = self._load_deals()
        rules = {sequence: deal_exits.Rules.of(sequence) for sequence in self.sequence_id}
        for enrollment in self:
            reason = (enrollment.lead_id and enrollment._lead_exit_reason()) or enrollment._deal_exit_reason(
                deals, rules[enrollment.sequence_id]
            )
            if reason:
                found[reason].append(enrollment.id)
        exits = defaultdict(lambda: self.browse(), {reason: self.browse(ids) for reason, ids in found.items()})
        if not with_condition:
            return exits
        remaining = self - self.browse([e.id for group in exits.values() for e in group])
        for sequence, enrollments in remaining.grouped("sequence_id").items():
            if sequence._get_exit_domain():
                exits["condition"] |= enrollments._matching(sequence._get_exit_domain)
        return exits

    def _load_deals(self):
        """The deals the enrollments that follow deals watch (one query)."""
        followed = self.filtered("start_deals")
        return deal_exits.Deals.load(self.env, followed.partner_id.commercial_partner_id, followed.lead_id)

    def _deal_exit_reason(self, deals, rules):
        return deal_exits.exit_reason(
            self.start_deals,
            deals,
            rules,
            partner_id=None if self.lead_id else self.partner_id.id,
            company_id=self.partner_id.commercial_partner_id.id,
            lead_id=self.lead_id.id,
            res_company_id=self.company_id.id,
        )

    def _lead_exit_reason(self):
        lead, sequence = self.lead_id.with_context(active_test=False), self.sequence_id
        if sequence.exit_on_won_lost and lead.won_status != self.start_won_status:
            if lead.won_status in ("won", "lost"):
                return lead.won_status
        if sequence.exit_on_stage_change and lead.stage_id != self.start_stage_id:
            if not sequence.exit_stage_ids or lead.stage_id in sequence.exit_stage_ids:
                return "stage_changed"
        return False

    def _matching(self, get_domain):
        """The enrollments of ``self`` whose record matches a rep-written
        condition: the lead for lead enrollments, the contact for the others.

        The condition is evaluated with the rights of each enrollment's
        sender, never as superuser (``get_domain(uid)`` gives the domain for
        that user): a record, a relation or a field the sender may not read
        matches nothing. A condition on fields the record does not have (lead
        fields for a contact) matches no contact."""
        matched = self.browse()
        for sender, sent in self.grouped("user_id").items():
            try:
                domain = get_domain(sender.id)
            except (ValueError, SyntaxError, TypeError, NameError) as error:
                _logger.info("Condition of %s does not evaluate: %s", sent.sequence_id, error)
                continue
            as_sender = self.env(
                user=sender.id,
                su=False,
                context=dict(self.env.context, active_test=False, allowed_company_ids=sender.company_ids.ids),
            )
            for field_name, subset in (
                ("lead_id", sent.filtered("lead_id")),
                ("partner_id", sent.filtered(lambda e: not e.lead_id)),
            ):
                if subset:
                    matched |= subset._matching_records(as_sender, field_name, domain)
        return matched

    def _matching_records(self, env, field_name, domain):
        model = env[self._fields[field_name].comodel_name]
        try:
            hits = model.search(Domain.AND([domain, [("id", "in", self[field_name].ids)]]))
        except (ValueError, TypeError):
            _logger.info("Condition %s does not apply to %s: ignored", domain, model._name)
            return self.browse()
        except AccessError:
            _logger.info("Condition %s reads what %s may not read: no match", domain, env.user.login)
            return self.browse()
        return self.filtered(lambda e: e[field_name].id in hits._ids)
