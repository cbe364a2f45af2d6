"""The kinds of step, each declared once.

A step type says what its steps are (label, icon, the sections of the step
form), what they need before the sequence can be activated, why the engine
may skip them, and how the engine executes them. The step model's selection,
the step form, the runner, activation and analytics all read from here: a new
kind of step is one class in this module (plus its own fields and form section
when it has some).

The engine calls, for each due enrollment whose step has not run yet::

    reason = step_type.skip_reason(runner, enrollment, step)
    waits = step_type.execute(runner, enrollment, step, trace)

``execute`` fills the trace values (``state`` at least) and queues on the
runner what the step produces (``runner.queue_mail``, ``queue_activity``,
``queue_text``); it returns True when the enrollment must wait for the
activity it created before going on.
"""

from markupsafe import Markup, escape

from odoo.exceptions import UserError
from odoo.tools import is_html_empty

REGISTRY = {}


def register(cls):
    """Class decorator: make ``cls`` (a ``StepType``) a step type."""
    REGISTRY[cls.code] = cls()
    return cls


def get(code):
    """The step type of ``code`` (the plain ``StepType`` for an unknown code)."""
    return REGISTRY.get(code) or StepType()


def selection():
    """``[(code, label)]`` of every step type, for the step's selection field."""
    return [(step_type.code, step_type.label) for step_type in REGISTRY.values()]


def codes(**flags):
    """The codes of the step types whose attributes equal ``flags``.

    >>> codes(creates_activity=True)
    ('manual_email', 'call', 'linkedin', 'task')
    """
    return tuple(
        code
        for code, step_type in REGISTRY.items()
        if all(getattr(step_type, name) == value for name, value in flags.items())
    )


def labelled_block(label, text):
    """``text`` (Markup, line breaks kept) under a bold ``label``."""
    return Markup("<p><strong>%s</strong></p><p>%s</p>") % (label, Markup("<br/>").join(text.splitlines()))


def labelled_html(label, html):
    """``html`` (sanitized Markup) under a bold ``label``."""
    return Markup("<p><strong>%s</strong></p>%s") % (label, html)


def labelled_line(label, value):
    """One line: a bold ``label``, then ``value`` (escaped unless Markup)."""
    return Markup("<p><strong>%s</strong> %s</p>") % (label, value)


def call_number(lead, partner):
    """The number a rep calls: the lead's, else its contact's ('' when none)."""
    return (lead.phone if lead else "") or partner.phone or ""


def phone_link(number):
    """A click-to-dial ``tel:`` link to ``number`` (Markup)."""
    dial = "".join(char for char in number if char.isdigit() or char == "+")
    return Markup('<a href="tel:%s">%s</a>') % (dial, escape(number))


class StepType:
    """What a kind of step is and does (base: does nothing, never skipped)."""

    code = None
    label = None
    icon = "fa-circle"
    # the email of the step is sent by the engine (sender email, caps,
    # suppression list, tracking and unsubscribe apply)
    sends_email = False
    # the step has an email: subject, body, variants, templates, preview, spam score
    has_email = False
    # the step creates an activity for its assignee (due on the day it fires,
    # plus the step's due_days)
    creates_activity = False
    # the rep logs how the call went (sales.sequence.trace call_outcome)
    logs_call = False
    default_activity_type = "mail.mail_activity_data_todo"
    # counts as a touch of the prospect in analytics (everything but waits)
    is_touch = True
    # fields of the step rendered as templates
    template_fields = ()
    # form sections shown for the type (see sales.sequence.step's show_* fields)
    sections = frozenset()

    def check_ready(self, step):
        """Raise UserError when ``step`` cannot run yet (activation)."""

    def prefetch(self, runner, enrollments):
        """Read what ``skip_reason`` and ``execute`` need for ``enrollments``
        (all due at a step of this type) at once, onto ``runner``."""

    def skip_reason(self, runner, enrollment, step):
        """A skip reason code (``sales.sequence.trace`` ``skip_reason``), or False."""
        return False

    def execute(self, runner, enrollment, step, trace):
        """Run ``step`` for ``enrollment``: fill ``trace`` and queue what it
        produces on ``runner``. Return True to wait for the step's activity."""
        trace["state"] = "done"
        return False


class EmailContentMixin:
    """Steps with an email (subject and body, Cc and Bcc, attachments, variants)."""

    has_email = True
    template_fields = ("subject", "body_html", "email_cc", "email_bcc")

    def check_ready(self, step):
        contents = [(step.subject, step.body_html)] + [
            (variant.subject, variant.body_html) for variant in step.variant_ids
        ]
        if any(not subject or is_html_empty(body) for subject, body in contents):
            raise UserError(step.env._("The email step “%s” needs a subject and a body.", step.name))


class ActivityStepType(StepType):
    """Steps that create a task (an activity) for whoever works them."""

    creates_activity = True
    template_fields = ("activity_summary", "activity_note")
    sections = frozenset({"activity"})

    def execute(self, runner, enrollment, step, trace):
        trace["state"] = "task"
        runner.queue_activity(trace, enrollment, step, self.activity_values(runner, enrollment, step))
        return step.wait_for_completion

    def activity_values(self, runner, enrollment, step):
        """``mail.activity`` values (the runner adds the record, type, deadline
        and priority). The rep's instructions come first, under a label."""
        values = runner.template_values(enrollment)
        note = runner.composer.render(step.activity_note, values, html=True)
        return {
            "summary": runner.composer.render(step.activity_summary, values),
            "note": labelled_html(step.env._("Instructions"), note) if note else Markup(),
        }

    def default_summary(self, step):
        """The summary of the step's activity when the step has none and the
        activity type gives none either (None: a generic one)."""
        return None


@register
class EmailStep(EmailContentMixin, StepType):
    code = "email"
    label = "Automatic Email"
    icon = "fa-envelope"
    sends_email = True
    sections = frozenset({"email"})

    def prefetch(self, runner, enrollments):
        runner.load_emails(enrollments)

    def skip_reason(self, runner, enrollment, step):
        email = runner.emails[enrollment.id]
        if not email:
            return "no_email"
        if email in runner.suppressed:
            return "suppressed"
        return False

    def execute(self, runner, enrollment, step, trace):
        trace["state"] = "sent"
        runner.queue_mail(trace, enrollment, step)
        return False


@register
class ManualEmailStep(EmailContentMixin, ActivityStepType):
    code = "manual_email"
    label = "Manual Email"
    icon = "fa-pencil-square-o"
    default_activity_type = "mail.mail_activity_data_email"
    template_fields = EmailContentMixin.template_fields + ActivityStepType.template_fields
    sections = frozenset({"email", "activity"})

    def check_ready(self, step):
        """Nothing is required: the rep writes (or edits) the email in the
        composer when working the task."""


@register
class CallStep(ActivityStepType):
    """A call for the rep: the number to dial (a ``tel:`` link), the expected
    duration, the script and the voicemail script on the task; the rep logs
    the outcome (``sales.sequence.trace.action_log_call``)."""

    code = "call"
    label = "Call"
    icon = "fa-phone"
    default_activity_type = "mail.mail_activity_data_call"
    logs_call = True
    template_fields = ActivityStepType.template_fields + ("call_script", "voicemail_script")
    sections = frozenset({"activity", "call"})

    def activity_values(self, runner, enrollment, step):
        values = super().activity_values(runner, enrollment, step)
        template_values = runner.template_values(enrollment)
        env = step.env
        header = Markup()
        number = call_number(enrollment.lead_id, enrollment.partner_id)
        if number:
            header += labelled_line(env._("Phone:"), phone_link(number))
        if step.call_duration:
            header += labelled_line(env._("Expected duration:"), env._("%s min", step.call_duration))
        blocks = Markup()
        for field_name, label in (
            ("call_script", env._("Call script")),
            ("voicemail_script", env._("Voicemail script")),
        ):
            if step[field_name]:
                text = runner.composer.render(step[field_name], template_values, html=True)
                blocks += labelled_block(label, text)
        values["note"] = header + values["note"] + blocks
        return values


@register
class LinkedinStep(ActivityStepType):
    """A LinkedIn touch (connection request, InMail, message, profile view,
    comment, engagement) with the copy the rep may paste, rendered for the
    prospect."""

    code = "linkedin"
    label = "LinkedIn"
    icon = "fa-linkedin"
    default_activity_type = "sales_sequence.mail_activity_type_linkedin"
    template_fields = ActivityStepType.template_fields + ("linkedin_copy",)
    sections = frozenset({"activity", "linkedin"})

    def default_summary(self, step):
        actions = dict(step._fields["linkedin_action"]._description_selection(step.env))
        return step.env._("LinkedIn: %s", actions.get(step.linkedin_action) or step.env._("touch"))

    def activity_values(self, runner, enrollment, step):
        values = super().activity_values(runner, enrollment, step)
        if step.linkedin_copy:
            text = runner.composer.render(step.linkedin_copy, runner.template_values(enrollment), html=True)
            values["note"] += labelled_block(step.env._("Suggested copy"), text)
        return values

    @staticmethod
    def suggested_copy(env, action):
        """The copy proposed for a LinkedIn ``action`` (a template), or ''."""
        return {
            "connect": env._(
                "Hi {{ first_name | default('there') }}, I work with teams like "
                "{{ company | default('yours') }} and would be glad to connect. {{ sender.first_name }}"
            ),
            "inmail": env._(
                "Hi {{ first_name | default('there') }}, a quick question about how "
                "{{ company | default('your team') }} handles its sales follow-ups: would a 15-minute "
                "call next week be useful? {{ sender.first_name }}"
            ),
            "message": env._(
                "Thanks for connecting, {{ first_name | default('there') }}! Happy to share what "
                "similar teams do, if useful. {{ sender.first_name }}"
            ),
            "view": env._("Look at {{ first_name | default('their') }}'s recent posts and role before the next touch."),
            "comment": env._("Great point, {{ first_name | default('') }}. We see the same at the teams we work with."),
            "engage": env._(
                "Like or share a recent post of {{ first_name | default('the contact') }} or of "
                "{{ company | default('their company') }}."
            ),
        }.get(action, "")


@register
class TaskStep(ActivityStepType):
    code = "task"
    label = "Task"
    icon = "fa-check-square-o"


@register
class WaitStep(StepType):
    code = "wait"
    label = "Wait"
    icon = "fa-hourglass-half"
    is_touch = False
    sections = frozenset({"wait"})


@register
class SmsStep(StepType):
    code = "sms"
    label = "SMS"
    icon = "fa-mobile"
    template_fields = ("sms_body",)
    sections = frozenset({"sms"})

    def check_ready(self, step):
        if not (step.sms_body or "").strip():
            raise UserError(step.env._("The SMS step “%s” needs a text.", step.name))

    def prefetch(self, runner, enrollments):
        runner.load_phones(enrollments)

    def skip_reason(self, runner, enrollment, step):
        number = runner.phones.get(enrollment.id)
        if not number:
            return "no_phone"
        if number in runner.blocked_phones:
            return "phone_suppressed"
        return False

    def execute(self, runner, enrollment, step, trace):
        trace["state"] = "sent"
        runner.queue_text(trace, enrollment, step)
        return False
