"""Execution of one batch of due steps, with one write per model.

``StepRunner(enrollments, now).execute()`` reads everything the batch needs in
a few grouped queries, prepares the values of every trace, mail and activity in
Python (a template error fails only its enrollment), then creates the mails,
the activities and the traces with one ``create`` each and moves every
enrollment to its next step.
"""
from collections import defaultdict
from collections.abc import Mapping

from markupsafe import Markup

from odoo import _
from odoo.tools import LazyTranslate, email_normalize, formataddr, html2plaintext, is_html_empty

from ..tools import ab, render, schedule
from .send_quota import load_send_quota
from .sales_sequence_step import ACTIVITY_STEP_TYPES

_lt = LazyTranslate(__name__)

SKIP_REASONS = {
    "condition": _lt("The step's condition does not match."),
    "engagement": _lt("The engagement condition is not met."),
    "suppressed": _lt("The address is on the suppression list (unsubscribed or blacklisted)."),
    "no_email": _lt("No valid email address."),
    "no_phone": _lt("No phone number."),
    "phone_suppressed": _lt("The number is on the SMS suppression list."),
}


class StepRunner:

    def __init__(self, enrollments, now):
        self.env = enrollments.env
        self.enrollments = enrollments
        self.now = now
        self.traces = []          # trace values, one per executed enrollment
        self.mails = []           # (trace index, mail.mail values)
        self.activities = []      # (trace index, mail.activity values)
        self.moves = []           # (enrollment, next step, waits for activity of trace index)
        self.deferrals = []       # (enrollment, earliest moment): over a sending cap
        self.texts = []           # (trace index, sms.sms values)
        self.failures = defaultdict(lambda: enrollments.browse())  # message -> enrollments
        self._sender_values = {}
        self.note_subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")

    # ------------------------------------------------------------------
    # Reads shared by the batch
    # ------------------------------------------------------------------

    def _prefetch(self):
        enrollments = self.enrollments
        self.condition_misses = self._condition_misses()
        self.engagement_misses = self._engagement_misses()
        self.emails = {e.id: email_normalize(e.lead_id.email_from or e.partner_id.email or "")
                       for e in enrollments}
        self.suppressed = self._suppressed(set(filter(None, self.emails.values())))
        self.previous_mails = self._previous_mails()
        self.already_run = self._already_run()
        self.quota = load_send_quota(enrollments, self.now)
        self.phones = {e.id: e.lead_id.phone_sanitized or e.partner_id.phone_sanitized
                       for e in enrollments if e.step_id.step_type == "sms"}
        self.blocked_phones = self._blocked_phones(set(filter(None, self.phones.values())))

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
        for step, enrollments in self.enrollments.grouped("step_id").items():
            domain = step._get_condition_domain() if step else []
            if domain:
                misses.update((enrollments - enrollments._matching(domain)).ids)
        return misses

    def _engagement_misses(self):
        """Enrollments whose step asks for an engagement (opened, not replied...)
        with an earlier email that the traces do not show."""
        conditional = self.enrollments.filtered(lambda e: e.step_id.engagement_condition)
        if not conditional:
            return set()
        references = {step: step._engagement_reference() for step in conditional.step_id}
        traces = self.env["sales.sequence.trace"].search_fetch(
            [("enrollment_id", "in", conditional.ids),
             ("step_id", "in", [ref.id for ref in references.values()])],
            ["enrollment_id", "step_id", "opened_at", "clicked_at", "replied_at"],
        )
        by_key = {(trace.enrollment_id.id, trace.step_id.id): trace for trace in traces}
        return {
            enrollment.id for enrollment in conditional
            if not engagement_met(
                enrollment.step_id.engagement_condition,
                by_key.get((enrollment.id, references[enrollment.step_id].id)),
            )
        }

    def _blocked_phones(self, numbers):
        if not numbers:
            return set()
        blocked = self.env["phone.blacklist"].sudo().search_fetch([("number", "in", list(numbers))], ["number"])
        return set(blocked.mapped("number"))

    def _suppressed(self, emails):
        if not emails:
            return set()
        blacklisted = self.env["mail.blacklist"].sudo().search_fetch(
            [("email", "in", list(emails))], ["email"],
        )
        return set(blacklisted.mapped("email"))

    def _previous_mails(self):
        """Last email sent per enrollment, for steps that reply in its thread."""
        threaded = self.enrollments.filtered(lambda e: e.step_id.thread_with_previous)
        if not threaded:
            return {}
        traces = self.env["sales.sequence.trace"].search_fetch(
            [("enrollment_id", "in", threaded.ids), ("message_id", "!=", False)],
            ["enrollment_id", "message_id", "mail_subject"], order="sent_at desc, id desc",
        )
        last = {}
        for trace in traces:
            last.setdefault(trace.enrollment_id.id, trace)
        return last

    # ------------------------------------------------------------------
    # Planning (no writes)
    # ------------------------------------------------------------------

    def execute(self):
        self._prefetch()
        for enrollment in self.enrollments:
            try:
                self._plan(enrollment)
            except render.TemplateError as error:
                self.failures[_("The step “%(step)s” does not render: %(error)s",
                                step=enrollment.step_id.name, error=error)] |= enrollment
        self._write()

    def _plan(self, enrollment):
        step = enrollment.step_id
        if not step:
            self.moves.append((enrollment, step, None))
            return
        if (enrollment.id, step.id) in self.already_run:
            self.moves.append((enrollment, step._next_step(), None))
            return
        sender_error = self._sender_error(enrollment)
        if step.step_type == "email" and sender_error:
            self.failures[sender_error] |= enrollment
            return
        skip = self._skip_reason(enrollment, step)
        if not skip and step.step_type == "email" and self._defer_over_cap(enrollment):
            return
        trace = {"enrollment_id": enrollment.id, "step_id": step.id, "sent_at": self.now,
                 "user_id": enrollment.user_id.id}
        index = len(self.traces)
        waits = None
        if skip:
            trace.update(state="skipped", skip_reason=str(SKIP_REASONS[skip]))
        elif step.step_type == "email":
            trace.update(state="sent", **self._plan_email(enrollment, step, index))
        elif step.step_type == "sms":
            trace["state"] = "sent"
            self.texts.append((index, self._sms_values(enrollment, step)))
        elif step.step_type in ACTIVITY_STEP_TYPES:
            trace["state"] = "task"
            self.activities.append((index, self._activity_values(enrollment, step)))
            waits = index if step.wait_for_completion else None
        else:  # wait
            trace["state"] = "done"
        self.traces.append(trace)
        self.moves.append((enrollment, step._next_step(), waits))

    def _skip_reason(self, enrollment, step):
        if enrollment.id in self.condition_misses:
            return "condition"
        if enrollment.id in self.engagement_misses:
            return "engagement"
        if step.step_type == "sms":
            number = self.phones.get(enrollment.id)
            if not number:
                return "no_phone"
            if number in self.blocked_phones:
                return "phone_suppressed"
        if step.step_type == "email":
            email = self.emails[enrollment.id]
            if not email:
                return "no_email"
            if email in self.suppressed:
                return "suppressed"
        return False

    def _defer_over_cap(self, enrollment):
        """True when a sending cap holds this email back (it is planned again
        at the earliest allowed moment)."""
        if not self.quota:
            return False
        sequence = enrollment.sequence_id
        slot = self.quota.reserve(
            sender=enrollment.user_id.id, daily_limit=sequence.daily_limit,
            throttle_seconds=sequence.throttle_seconds,
            domain=self.emails[enrollment.id].rpartition("@")[2],
        )
        if slot:
            self.deferrals.append((enrollment, slot))
        return bool(slot)

    def _sender_error(self, enrollment):
        sender = enrollment.user_id
        if not sender.active:
            return _("The sender %s is archived: choose another sender and resume.", sender.name)
        if not sender.email:
            return _("The sender %s has no email address: add one and resume.", sender.name)
        return False

    # ------------------------------------------------------------------
    # Emails
    # ------------------------------------------------------------------

    def _plan_email(self, enrollment, step, index):
        variants = step._variants_for_sending()
        variant = ab.pick_variant(variants, enrollment.id) if variants else None
        previous = self.previous_mails.get(enrollment.id)
        subject, body, values = self.render_email(enrollment, step, variant, previous)
        mail_values = self._mail_values(enrollment, subject, body, values, previous)
        # only the email carries the open pixel and tracked links, not the chatter copy
        mail_values["body_html"] = enrollment._tracked_body(body, step)
        self.mails.append((index, mail_values))
        return {"variant_id": variant.id if variant else False, "mail_subject": subject,
                "email_domain": self.emails[enrollment.id].rpartition("@")[2]}

    def render_email(self, enrollment, step, variant=None, previous=None):
        """Subject, body and template values of an email step for one
        enrollment, in the recipient's language, exactly as sent (footer and
        signature included; open and click tracking are added afterwards)."""
        content = (variant or step).with_context(lang=self._lang(enrollment))
        values = self._render_values(enrollment)
        subject = render.render(content.subject or "", values, html=False)
        body = Markup(render.render(content.body_html or "", values, html=True))
        if step.add_signature and not is_html_empty(enrollment.user_id.signature):
            body += Markup('<div class="o_signature">%s</div>') % enrollment.user_id.signature
        if "unsubscribe_link" not in (content.body_html or ""):
            body += self._footer(values["unsubscribe_link"])
        if step.thread_with_previous and previous:
            subject = previous.mail_subject if previous.mail_subject.lower().startswith("re:") \
                else _("Re: %s", previous.mail_subject)
        return subject, body, values

    def _lang(self, enrollment):
        return enrollment.lead_id.lang_code or enrollment.partner_id.lang or self.env.lang

    def _mail_values(self, enrollment, subject, body, values, previous):
        target, sender = enrollment._target(), enrollment.user_id
        message_id = self.env["mail.message"]._get_message_id({"model": target._name, "res_id": target.id})
        headers = {
            "List-Unsubscribe": "<%s>" % values["unsubscribe_link"],
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Sales-Sequence": str(enrollment.sequence_id.id),
        }
        references = message_id
        if previous:
            headers["In-Reply-To"] = previous.message_id
            references = "%s %s" % (previous.message_id, message_id)
        recipient_name = values["full_name"] or ""
        return {
            "model": target._name,
            "res_id": target.id,
            "author_id": sender.partner_id.id,
            "email_from": sender.email_formatted,
            "email_to": formataddr((recipient_name, self.emails[enrollment.id])),
            "subject": subject,
            "body": body,
            "body_html": body,
            "message_type": "email_outgoing",
            "subtype_id": self.note_subtype_id,
            "message_id": message_id,
            "references": references,
            "headers": repr(headers),
            "auto_delete": False,
            "is_notification": True,
            "state": "outgoing",
            "record_company_id": enrollment.company_id.id,
        }

    def _footer(self, unsubscribe_link):
        return Markup(
            '<p style="margin-top:24px;font-size:12px;color:#888888;">%s '
            '<a href="%s" style="color:#888888;">%s</a></p>'
        ) % (_("Not interested?"), unsubscribe_link, _("Unsubscribe"))

    # ------------------------------------------------------------------
    # Text messages
    # ------------------------------------------------------------------

    def _sms_values(self, enrollment, step):
        values = self._render_values(enrollment)
        text = render.render(step.with_context(lang=self._lang(enrollment)).sms_body or "", values)
        return {"number": self.phones[enrollment.id], "body": text, "partner_id": enrollment.partner_id.id}

    def _log_texts(self):
        """The text messages on the chatter of their lead (or contact)."""
        by_model = defaultdict(dict)
        for index, values in self.texts:
            target = self.env["sales.sequence.enrollment"].browse(self.traces[index]["enrollment_id"])._target()
            by_model[target._name][target.id] = Markup("<p>%s</p><p>%s</p>") % (
                _("Text message to %s:", values["number"]), values["body"])
        for model, bodies in by_model.items():
            self.env[model].browse(bodies).sudo()._message_log_batch(bodies, message_type="sms")

    # ------------------------------------------------------------------
    # Activities
    # ------------------------------------------------------------------

    def _activity_values(self, enrollment, step):
        target = enrollment._target()
        values = self._render_values(enrollment)
        summary = render.render(step.activity_summary or "", values) or self._default_summary(step)
        note = Markup(render.render(step.activity_note or "", values, html=True))
        if step.step_type == "call" and step.call_script:
            script = Markup(render.render(step.call_script, values, html=True))
            note += Markup("<p><strong>%s</strong></p><p>%s</p>") % (
                _("Call script"), Markup("<br/>").join(script.splitlines()))
        return {
            "res_model_id": self.env["ir.model"]._get_id(target._name),
            "res_id": target.id,
            "activity_type_id": step._default_activity_type().id,
            "summary": summary,
            "note": note,
            "date_deadline": schedule.local_date(self.now, enrollment._timezone()),
            "user_id": self._assignee(enrollment, step).id,
        }

    def _default_summary(self, step):
        if step.step_type == "linkedin":
            actions = dict(step._fields["linkedin_action"]._description_selection(step.env))
            return _("LinkedIn: %s", actions.get(step.linkedin_action, _("touch")))
        labels = dict(step._fields["step_type"]._description_selection(step.env))
        return _("%(type)s (%(sequence)s)", type=labels[step.step_type], sequence=step.sequence_id.name)

    def _assignee(self, enrollment, step):
        if step.assign_to == "owner" and step.sequence_id.user_id:
            return step.sequence_id.user_id
        if step.assign_to == "user" and step.assign_user_id:
            return step.assign_user_id
        return enrollment._target().user_id or enrollment.user_id

    # ------------------------------------------------------------------
    # Template values
    # ------------------------------------------------------------------

    def _render_values(self, enrollment):
        lead, partner = enrollment.lead_id, enrollment.partner_id
        person = partner if not partner.is_company else partner.browse()
        full_name = (lead.contact_name or person.name or "") if lead else (person.name or "")
        first_name, last_name = render.split_name(full_name)
        company = lead.partner_name if lead else ""
        company = company or partner.commercial_company_name or (partner.name if partner.is_company else "")
        return {
            "first_name": first_name,
            "last_name": last_name,
            "full_name": full_name,
            "company": company or "",
            "title": (lead.function if lead else "") or person.function or "",
            "city": (lead.city if lead else "") or partner.city or "",
            "industry": partner.industry_id.name or partner.commercial_partner_id.industry_id.name or "",
            "custom": RecordFields(lead or partner, partner if lead else None),
            "sender": self._sender(enrollment.user_id),
            "unsubscribe_link": enrollment._unsubscribe_url(),
        }

    def _sender(self, user):
        if user.id not in self._sender_values:
            first_name, last_name = render.split_name(user.name or "")
            self._sender_values[user.id] = {
                "first_name": first_name, "last_name": last_name, "name": user.name or "",
                "title": user.partner_id.function or "", "phone": user.phone or "",
                "email": user.email or "",
            }
        return self._sender_values[user.id]

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
        mails = env["mail.mail"].sudo().create([values for __, values in self.mails])
        for (index, __), mail in zip(self.mails, mails):
            self.traces[index].update(mail_mail_id=mail.id, message_id=mail.message_id)
        activities = env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [values for __, values in self.activities]
        )
        for (index, __), activity in zip(self.activities, activities):
            self.traces[index]["activity_id"] = activity.id
        if self.texts:
            env["sms.sms"].sudo().create([values for __, values in self.texts])
            self._log_texts()
            env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        env["sales.sequence.trace"].sudo().create(self.traces)
        self._move_enrollments()
        for message, enrollments in self.failures.items():
            enrollments._fail(message)
        if mails:
            env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()

    def _move_enrollments(self):
        completed = self.enrollments.browse()
        for enrollment, next_step, waits in self.moves:
            waiting = self.traces[waits]["activity_id"] if waits is not None else False
            if not next_step and not waiting:
                completed |= enrollment
                enrollment.write({"step_id": False, "last_run_at": self.now})
                continue
            enrollment.write({
                "step_id": next_step.id,
                "last_run_at": self.now,
                "waiting_activity_id": waiting,
                "next_run_at": False if waiting else enrollment._due(next_step, self.now),
            })
        completed._end("completed", "completed")
        for enrollment, slot in self.deferrals:
            enrollment.next_run_at = enrollment._next_opening(slot)


def engagement_met(condition, trace):
    """Whether an email ``trace`` (None: the email was never sent) meets
    ``condition``; a click counts as an open."""
    opened = bool(trace and (trace.opened_at or trace.clicked_at))
    clicked = bool(trace and trace.clicked_at)
    replied = bool(trace and trace.replied_at)
    return {
        "opened": opened, "not_opened": not opened,
        "clicked": clicked, "not_clicked": not clicked,
        "not_replied": not replied,
    }[condition]


class RecordFields(Mapping):
    """``{{ custom.<field> }}``: any field of the lead (or contact), shown as text.

    A mapping the sandbox can only index: unknown, restricted or binary fields
    render empty, relations by their names.
    """

    def __init__(self, record, fallback=None):
        self._record = record
        self._fallback = fallback

    def __getitem__(self, name):
        for record in (self._record, self._fallback):
            if record and _readable_field(record, name):
                value = _display(record, name)
                if value:
                    return value
        return ""

    def __iter__(self):
        return iter(())  # fields are reached by name only

    def __len__(self):
        return 0


def _readable_field(record, name):
    field = record._fields.get(name) if isinstance(name, str) else None
    return bool(field) and not name.startswith("_") and not field.groups \
        and field.type not in ("binary", "image", "json", "properties")


def _display(record, name):
    field, value = record._fields[name], record[name]
    if field.type in ("many2one", "one2many", "many2many"):
        return ", ".join(value.mapped("display_name"))
    if field.type == "selection":
        return dict(field._description_selection(record.env)).get(value, "")
    if field.type == "boolean":
        return _("Yes") if value else ""
    if field.type == "html":
        return "" if is_html_empty(value) else html2plaintext(value)
    if value is False or value is None:
        return ""
    return str(value)
