"""Execution of one batch of due steps, with one write per model.

``StepRunner(enrollments, now).execute()`` reads everything the batch needs in
a few grouped queries, then asks each step's type (``step_types``) whether to
skip the step and what it produces — emails, activities, text messages — as
values in Python (a template error fails only its enrollment), and finally
creates the mails, the activities, the texts and the traces with one
``create`` each and moves every enrollment to its next step.
"""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo.fields import Command
from odoo.tools import format_date

from ..tools import ab, caps, render, workcal
from . import step_types, tracking
from .composer import Composer, recipient_email, recipient_lang
from .send_quota import load_send_quota

# the hidden copies of a queued email, read when it is sent (models/mail_mail.py)
BCC_HEADER = "X-Sales-Sequence-Bcc"
NOT_WAITING = {"waiting_reason": False, "waiting_detail": False}
SENDER_AWAY = "sender_away"  # a waiting reason beside the caps': the sender is on leave


class StepRunner:
    """One batch of due enrollments (locked by the caller), run once."""

    def __init__(self, enrollments, now):
        self.env = enrollments.env
        self.enrollments = enrollments
        self.now = now
        self.composer = Composer(self.env)
        self.traces = []  # trace values, one per executed step
        self.mails = []  # (trace values, mail.mail values)
        self.activities = []  # (trace values, mail.activity values)
        self.texts = []  # (trace values, sms.sms values)
        self.moves = []  # (enrollment, next step, trace values of the task it waits for)
        self.deferrals = []  # (enrollment, tools.caps.Deferral): over a sending cap
        self.failures = defaultdict(enrollments.browse)  # (reason code, detail) -> enrollments
        # filled by the step types' prefetch
        self.emails, self.suppressed = {}, set()
        self.mail_servers = {}  # {sender id: their own outgoing mail server}
        self.phones, self.blocked_phones = {}, set()
        self._values = {}
        self._note_subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")

    # ------------------------------------------------------------------
    # Reads shared by the batch
    # ------------------------------------------------------------------

    def _prefetch(self):
        self.already_run = self._already_run()
        self.condition_misses = self._condition_misses()
        self.engagement_misses = self._engagement_misses()
        self.previous_mails = self._previous_mails()
        self.away = self._load_away()
        for code, enrollments in self.enrollments.filtered("step_id").grouped(lambda e: e.step_id.step_type).items():
            step_types.get(code).prefetch(self, enrollments)
        emailing = self._sending(self.enrollments)
        self.mail_servers = emailing.user_id._sales_sequence_mail_servers() if emailing else {}
        self.quota = load_send_quota(emailing, self.now, self.emails, self.mail_servers)

    @staticmethod
    def _sending(enrollments):
        """The enrollments whose step sends an email."""
        return enrollments.filtered(lambda e: step_types.get(e.step_id.step_type).sends_email)

    def _already_run(self):
        """(enrollment, step) pairs that have a trace: a step moved after the
        pointer once it ran is passed over, never run twice."""
        traces = self.env["sales.sequence.trace"].search_fetch(
            [("enrollment_id", "in", self.enrollments.ids), ("step_id", "in", self.enrollments.step_id.ids)],
            ["enrollment_id", "step_id"],
        )
        return {(trace.enrollment_id.id, trace.step_id.id) for trace in traces}

    def _condition_misses(self):
        misses = set()
        for step, enrollments in self.enrollments.filtered("step_id").grouped("step_id").items():
            if step._get_condition_domain():
                misses.update((enrollments - enrollments._matching(step._get_condition_domain)).ids)
        return misses

    def _engagement_misses(self):
        """Enrollments whose step asks for an engagement (opened, not replied...)
        with an earlier email that the traces do not show."""
        conditional = self.enrollments.filtered(lambda e: e.step_id.engagement_condition)
        if not conditional:
            return set()
        references = {step: step._engagement_reference() for step in conditional.step_id}
        traces = self.env["sales.sequence.trace"].search_fetch(
            [("enrollment_id", "in", conditional.ids), ("step_id", "in", [ref.id for ref in references.values()])],
            ["enrollment_id", "step_id", "opened_at", "clicked_at", "replied_at"],
        )
        by_key = {(trace.enrollment_id.id, trace.step_id.id): trace for trace in traces}
        return {
            enrollment.id
            for enrollment in conditional
            if not engagement_met(
                enrollment.step_id.engagement_condition,
                by_key.get((enrollment.id, references[enrollment.step_id].id)),
            )
        }

    def _previous_mails(self):
        """Last email sent per enrollment, for steps that reply in its thread."""
        threaded = self.enrollments.filtered(lambda e: e.step_id.thread_with_previous)
        if not threaded:
            return {}
        traces = self.env["sales.sequence.trace"].search_fetch(
            [("enrollment_id", "in", threaded.ids), ("message_id", "!=", False)],
            ["enrollment_id", "message_id", "mail_subject"],
            order="sent_at desc, id desc",
        )
        last = {}
        for trace in traces:
            last.setdefault(trace.enrollment_id.id, trace)
        return last

    def _load_away(self):
        """``{user id: ((start, end), ...)}``: the absences not over yet (the
        leaves of their working calendar's resource; the validated time off
        when hr_holidays is installed, which creates them) of the users this
        batch may send as or give tasks to."""
        enrollments = self.enrollments
        users = (
            enrollments.user_id
            | enrollments.sequence_id.user_id
            | enrollments.step_id.assign_user_id
            | enrollments.lead_id.user_id
            | enrollments.partner_id.user_id
        )
        if not users:
            return {}
        # sudo: whoever enrolled, a colleague's time off delays what is sent or assigned in their name
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search_fetch(
                [("resource_id.user_id", "in", users.ids), ("time_type", "=", "leave"), ("date_to", ">", self.now)],
                ["resource_id", "date_from", "date_to"],
            )
        )
        away = defaultdict(list)
        for leave in leaves:
            away[leave.resource_id.user_id.id].append((leave.date_from, leave.date_to))
        return away

    def back_at(self, enrollment, user):
        """When ``user``, on leave now, is back (an opening of the
        enrollment's clock), or None when they are not away."""
        periods = self.away.get(user.id)
        if not periods or workcal.away_until(periods, self.now) is None:
            return None
        return enrollment._clock().back_at(self.now, periods)

    def load_emails(self, enrollments):
        """Recipient addresses of ``enrollments`` and those on the suppression list."""
        emails = {e.id: recipient_email(e.lead_id, e.partner_id) for e in enrollments}
        self.emails.update(emails)
        self.suppressed |= self.env["mail.blacklist"]._sales_sequence_suppressed(set(emails.values()))

    def load_phones(self, enrollments):
        """Phone numbers of ``enrollments`` and those on the SMS suppression list."""
        phones = {e.id: e.lead_id.phone_sanitized or e.partner_id.phone_sanitized for e in enrollments}
        self.phones.update(phones)
        numbers = [number for number in phones.values() if number]
        if numbers:
            # sudo: the SMS suppression list is the company's
            blocked = self.env["phone.blacklist"].sudo().search_fetch([("number", "in", numbers)], ["number"])
            self.blocked_phones |= set(blocked.mapped("number"))

    def template_values(self, enrollment):
        """The template variables of ``enrollment`` (computed once per batch)."""
        if enrollment.id not in self._values:
            self._values[enrollment.id] = self.composer.template_values(
                enrollment.lead_id,
                enrollment.partner_id,
                enrollment.user_id,
                enrollment._unsubscribe_url(),
            )
        return self._values[enrollment.id]

    # ------------------------------------------------------------------
    # Planning (no writes)
    # ------------------------------------------------------------------

    def execute(self):
        self._prefetch()
        for enrollment in self.enrollments:
            try:
                self._plan(enrollment)
            except render.TemplateError as error:
                self.failures["render_error", str(error)] |= enrollment
        self._write()

    def _plan(self, enrollment):
        step = enrollment.step_id
        if not step or (enrollment.id, step.id) in self.already_run:
            self.moves.append((enrollment, step and step._next_step(), None))
            return
        step_type = step_types.get(step.step_type)
        if step_type.sends_email:
            failure = self._sender_failure(enrollment.user_id)
            if failure:
                self.failures[failure, enrollment.user_id.name] |= enrollment
                return
        skip = self._skip_reason(enrollment, step, step_type)
        if (
            not skip
            and step_type.sends_email
            and (self._defer_while_away(enrollment) or self._defer_over_cap(enrollment))
        ):
            return
        trace = {
            "enrollment_id": enrollment.id,
            "step_id": step.id,
            "sent_at": self.now,
            "user_id": enrollment.user_id.id,
        }
        if skip:
            trace.update(state="skipped", skip_reason=skip)
            waits = False
        else:
            waits = step_type.execute(self, enrollment, step, trace)
        self.traces.append(trace)
        self.moves.append((enrollment, step._next_step(), trace if waits else None))

    def _skip_reason(self, enrollment, step, step_type):
        if enrollment.id in self.condition_misses:
            return "condition"
        if enrollment.id in self.engagement_misses:
            return "engagement"
        return step_type.skip_reason(self, enrollment, step)

    def _defer_while_away(self, enrollment):
        """True when the sender is on leave: their email waits until they are
        back (and the enrollment says so)."""
        back = self.back_at(enrollment, enrollment.user_id)
        if back:
            self.deferrals.append((enrollment, caps.Deferral(back, SENDER_AWAY, 0)))
        return bool(back)

    def _defer_over_cap(self, enrollment):
        """True when a sending cap holds this email back (it is planned again
        at the earliest allowed moment, and the enrollment says why)."""
        if not self.quota:
            return False
        sequence = enrollment.sequence_id
        deferral = self.quota.reserve(
            sender=enrollment.user_id.id,
            daily_limit=sequence.daily_limit,
            throttle_seconds=sequence.throttle_seconds,
            domain=self.emails[enrollment.id].rpartition("@")[2],
        )
        if deferral:
            self.deferrals.append((enrollment, deferral))
        return bool(deferral)

    @staticmethod
    def _sender_failure(sender):
        """Why ``sender`` cannot send (a failure reason code), or False."""
        if not sender.active:
            return "sender_archived"
        if not sender.email:
            return "sender_no_email"
        return False

    # ------------------------------------------------------------------
    # What steps produce
    # ------------------------------------------------------------------

    def queue_mail(self, trace, enrollment, step):
        """Compose the email of ``step`` for ``enrollment`` (its A/B variant,
        threaded when the step says so) and queue it, tracked."""
        variants = step._variants_for_sending()
        variant = ab.pick_variant(variants, enrollment.id) if variants else None
        email = self.composer.compose(
            step,
            enrollment.lead_id,
            enrollment.partner_id,
            enrollment.user_id,
            enrollment=enrollment,
            variant=variant,
            previous=self.previous_mails.get(enrollment.id),
        )
        self._values[enrollment.id] = email.values
        mail_values = self._mail_values(enrollment, email)
        # only the email carries the open pixel and tracked links, not the chatter copy
        mail_values["body_html"] = tracking.tracked_body(enrollment, email.body, step)
        self.mails.append((trace, mail_values))
        trace.update(
            variant_id=variant.id if variant else False,
            mail_subject=email.subject,
            email_domain=email.email.rpartition("@")[2],
        )

    def _mail_values(self, enrollment, email):
        target, sender = enrollment._target(), enrollment.user_id
        message_id = self.env["mail.message"]._get_message_id({"model": target._name, "res_id": target.id})
        headers = dict(email.headers)
        references = message_id
        if email.in_reply_to:
            headers["In-Reply-To"] = email.in_reply_to
            references = "%s %s" % (email.in_reply_to, message_id)
        if email.bcc:
            headers[BCC_HEADER] = ", ".join(email.bcc)
        attachments = {"attachment_ids": [Command.set(email.attachment_ids)]} if email.attachment_ids else {}
        return attachments | {
            "model": target._name,
            "res_id": target.id,
            "author_id": sender.partner_id.id,
            "email_from": sender.email_formatted,
            "email_to": email.email_to,
            "email_cc": ", ".join(email.cc) or False,
            "subject": email.subject,
            "body": email.body,
            "body_html": email.body,
            "message_type": "email_outgoing",
            "subtype_id": self._note_subtype_id,
            "message_id": message_id,
            "references": references,
            "headers": repr(headers),
            "auto_delete": False,
            "is_notification": True,
            "state": "outgoing",
            "record_company_id": enrollment.company_id.id,
            # the sender's own mailbox when they have one (the cron creates the mail)
            "mail_server_id": self.mail_servers[sender.id].id if sender.id in self.mail_servers else False,
        }

    def queue_activity(self, trace, enrollment, step, values):
        """Queue the activity of ``step`` (``values``: its summary and note),
        with the activity type's defaults, for the step's assignee."""
        target = enrollment._target()
        activity_type = step._activity_type()
        self.activities.append(
            (
                trace,
                {
                    **values,
                    "summary": values.get("summary")
                    or step_types.get(step.step_type).default_summary(step)
                    or activity_type.summary
                    or self.env._("%(type)s (%(sequence)s)", type=step._type_label(), sequence=step.sequence_id.name),
                    "note": values.get("note") or activity_type.default_note or False,
                    "res_model_id": self.env["ir.model"]._get_id(target._name),
                    "res_id": target.id,
                    "activity_type_id": activity_type.id,
                    **self._task_assignment(enrollment, step),
                    "sales_sequence_priority": step.task_priority,
                    "automated": True,
                },
            )
        )

    def _task_assignment(self, enrollment, step):
        """Who works the task of ``step`` and by when: its assignee, due the
        day the step fires plus the step's ``due_days``; an assignee on leave
        gets it counted from the day they are back, or the sequence owner gets
        it as usual (``sender_away_tasks``)."""
        assignee = self._assignee(enrollment, step)
        start = self.now
        back = self.back_at(enrollment, assignee)
        if back:
            owner = enrollment.sequence_id.user_id
            if enrollment.sequence_id.sender_away_tasks == "owner" and owner and not self.back_at(enrollment, owner):
                assignee = owner
            else:
                start = back
        day = enrollment._clock().local_date(start) + timedelta(days=step.due_days)
        return {"user_id": assignee.id, "date_deadline": day}

    @staticmethod
    def _assignee(enrollment, step):
        if step.assign_to == "owner" and step.sequence_id.user_id:
            return step.sequence_id.user_id
        if step.assign_to == "user" and step.assign_user_id:
            return step.assign_user_id
        return enrollment._target().user_id or enrollment.user_id

    def queue_text(self, trace, enrollment, step):
        """Queue the text message of ``step``, in the recipient's language."""
        values = self.template_values(enrollment)
        content = step.with_context(lang=recipient_lang(enrollment.lead_id, enrollment.partner_id, self.env.lang))
        self.texts.append(
            (
                trace,
                {
                    "number": self.phones[enrollment.id],
                    "body": self.composer.render(content.sms_body, values),
                    "partner_id": enrollment.partner_id.id,
                },
            )
        )

    # ------------------------------------------------------------------
    # Writes
    # ------------------------------------------------------------------

    def _set_reply_to(self):
        """Replies must reach Odoo: Reply-To is the record's alias, else the
        catchall (computed per model and sender, not per mail)."""
        groups = defaultdict(list)
        for __, values in self.mails:
            groups[values["model"], values["author_id"], values["email_from"]].append(values)
        for (model, author_id, email_from), group in groups.items():
            records = self.env[model].browse({values["res_id"] for values in group})
            reply_tos = records._notify_get_reply_to_batch(
                defaults=dict.fromkeys(records.ids, email_from),
                author_ids=dict.fromkeys(records.ids, author_id),
            )
            for values in group:
                values["reply_to"] = reply_tos[values["res_id"]]

    def _write(self):
        env = self.env
        self._set_reply_to()
        mails = self._create_mails()
        for (trace, __), mail in zip(self.mails, mails, strict=True):
            trace.update(mail_mail_id=mail.id, message_id=mail.message_id)
        # sudo: the tasks the steps give to their assignees
        activities = (
            env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create([values for __, values in self.activities])
        )
        for (trace, __), activity in zip(self.activities, activities, strict=True):
            trace["activity_id"] = activity.id
        if self.texts:
            # sudo: the texts composed with each sender's rights
            env["sms.sms"].sudo().create([values for __, values in self.texts])
            self._log_texts()
            # sudo: wake the SMS queue
            env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        # sudo: the engine's log
        env["sales.sequence.trace"].sudo().create(self.traces)
        self._move_enrollments()
        for (reason, detail), enrollments in self.failures.items():
            enrollments._fail(reason, detail)
        if mails:
            # sudo: wake the mail queue
            env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()

    def _create_mails(self):
        """Create the queued mails, in order: one ``create`` for those that
        go through the company's servers, one per sender for those that go
        through the sender's own server (Odoo sends through a personal
        server only the mails its owner created)."""
        owners = {server.id: sender_id for sender_id, server in self.mail_servers.items()}
        positions = defaultdict(list)
        for position, (__, values) in enumerate(self.mails):
            positions[owners.get(values["mail_server_id"])].append(position)
        created = [None] * len(self.mails)
        for owner_id, group in positions.items():
            # sudo: the engine queues the emails it composed with each sender's rights
            Mail = self.env["mail.mail"].with_user(owner_id).sudo() if owner_id else self.env["mail.mail"].sudo()
            for position, mail in zip(group, Mail.create([self.mails[position][1] for position in group]), strict=True):
                created[position] = mail
        return created

    def _log_texts(self):
        """The text messages on the chatter of their lead (or contact)."""
        by_model = defaultdict(dict)
        Enrollment = self.env["sales.sequence.enrollment"]
        for trace, values in self.texts:
            target = Enrollment.browse(trace["enrollment_id"])._target()
            by_model[target._name][target.id] = Markup("<p>%s</p><p>%s</p>") % (
                self.env._("Text message to %s:", values["number"]),
                values["body"],
            )
        for model, bodies in by_model.items():
            # sudo: the engine notes the texts it sent (an event of the engine)
            self.env[model].browse(bodies).sudo()._message_log_batch(bodies, message_type="sms")

    def _move_enrollments(self):
        """Move each enrollment on to its next step (or end it, completed),
        and set the deferred ones to wait: one ``write`` per distinct set of
        values, most enrollments of a batch moving alike."""
        completed, moves = [], defaultdict(list)
        for enrollment, next_step, waiting_trace in self.moves:
            waiting = waiting_trace["activity_id"] if waiting_trace else False
            if not next_step and not waiting:
                completed.append(enrollment.id)
                values = {"step_id": False, "last_run_at": self.now, **NOT_WAITING}
            else:
                values = {
                    "step_id": next_step.id,
                    "last_run_at": self.now,
                    "waiting_activity_id": waiting,
                    "next_run_at": False if waiting else enrollment._due(next_step, self.now),
                    **NOT_WAITING,
                }
            moves[tuple(values.items())].append(enrollment.id)
        for enrollment, deferral in self.deferrals:
            values = {
                "next_run_at": enrollment._next_opening(deferral.until),
                "waiting_reason": deferral.reason,
                "waiting_detail": self._waiting_detail(enrollment, deferral),
            }
            moves[tuple(values.items())].append(enrollment.id)
        Enrollment = self.enrollments.browse()
        for values, ids in moves.items():
            Enrollment.browse(ids).write(dict(values))
        Enrollment.browse(completed)._end("completed", "completed")

    def _waiting_detail(self, enrollment, deferral):
        """Why ``enrollment`` waits, in a sentence (``deferral``: the cap)."""
        sender, limit = enrollment.user_id.name, deferral.limit
        if deferral.reason == SENDER_AWAY:
            day = enrollment._clock().local_date(deferral.until)
            return self.env._("%(sender)s is on leave: back on %(day)s.", sender=sender, day=format_date(self.env, day))
        return {
            caps.SEQUENCE_DAILY: self.env._(
                "%(sender)s sent %(limit)s emails today, this sequence's daily limit.", sender=sender, limit=limit
            ),
            caps.SENDER_DAILY: self.env._(
                "%(sender)s sent %(limit)s sequence emails today, their daily limit.", sender=sender, limit=limit
            ),
            caps.WARMUP: self.env._(
                "%(sender)s is warming up their mailbox: %(limit)s emails today.", sender=sender, limit=limit
            ),
            caps.MAILBOX_RATE: self.env._(
                "%(sender)s's own mail server takes %(limit)s emails a minute.", sender=sender, limit=limit
            ),
            caps.THROTTLE: self.env._(
                "%(limit)s seconds between two emails of %(sender)s.", sender=sender, limit=limit
            ),
            caps.HOURLY: self.env._("All sequence emails together reached the cap of %s this hour.", limit),
            caps.DOMAIN: self.env._(
                "%(limit)s emails went to %(domain)s today, the cap per recipient domain.",
                limit=limit,
                domain=self.emails[enrollment.id].rpartition("@")[2],
            ),
        }[deferral.reason]


def engagement_met(condition, trace):
    """Whether an email ``trace`` (None: the email was never sent) meets
    ``condition``; a click counts as an open."""
    opened = bool(trace and (trace.opened_at or trace.clicked_at))
    clicked = bool(trace and trace.clicked_at)
    replied = bool(trace and trace.replied_at)
    return {
        "opened": opened,
        "not_opened": not opened,
        "clicked": clicked,
        "not_clicked": not clicked,
        "not_replied": not replied,
    }[condition]
