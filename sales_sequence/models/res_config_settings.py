from odoo import fields, models

from ..engine.settings import SETTINGS


def _setting(field_type, name, string, help_text):
    """A settings field stored in the config parameter of ``engine.settings``."""
    param, __, default = SETTINGS[name]
    return field_type(string, config_parameter=param, default=default, help=help_text)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sales_sequence_max_concurrent = fields.Integer(
        related="company_id.sales_sequence_max_concurrent",
        readonly=False,
    )
    sales_sequence_hourly_cap = _setting(
        fields.Integer,
        "hourly_cap",
        "Emails per Hour",
        "At most this many sequence emails leave per hour, all senders together (0: no limit). "
        "Emails over the cap wait for the next free slot.",
    )
    sales_sequence_domain_daily_cap = _setting(
        fields.Integer,
        "domain_daily_cap",
        "Emails per Recipient Domain per Day",
        "At most this many sequence emails a day to one recipient domain, e.g. acme.com (0: no limit).",
    )
    sales_sequence_bounce_guard_sends = _setting(
        fields.Integer,
        "bounce_guard_sends",
        "Bounce Guard: Last Emails",
        "The bounce guard looks at the last this many emails of a sequence.",
    )
    sales_sequence_bounce_guard_rate = _setting(
        fields.Float,
        "bounce_guard_rate",
        "Bounce Guard: Maximum Rate (%)",
        "A sequence whose last emails bounce more than this pauses, and its owner gets a task.",
    )
    sales_sequence_complaint_rate = _setting(
        fields.Float,
        "complaint_rate",
        "Bounce Guard: Maximum Complaint Rate (%)",
        "A sequence whose last emails draw more spam complaints than this pauses, and its owner gets a task. "
        "Mailbox providers start filtering a sender above 0.3%: one complaint in the last 50 emails is 2%.",
    )
    sales_sequence_sender_daily_limit = _setting(
        fields.Integer,
        "sender_daily_limit",
        "Emails per Sender per Day",
        "At most this many sequence emails a day from one sender, all sequences together, unless the "
        "sender's own sending profile says otherwise (0: no limit). Counted in the sender's timezone.",
    )
    sales_sequence_warmup_start = _setting(
        fields.Integer,
        "warmup_start",
        "Warm-up: Emails on Day 1",
        "A sender whose mailbox warms up sends this many sequence emails on the first day "
        "(the default of new warm-ups; each sender's profile can say otherwise).",
    )
    sales_sequence_warmup_increment = _setting(
        fields.Integer,
        "warmup_increment",
        "Warm-up: More Each Day",
        "Then this many more each day, up to the sender's daily limit.",
    )
    sales_sequence_ooo_max_days = _setting(
        fields.Integer,
        "ooo_max_days",
        "Out-of-Office Pause (max days)",
        "An out-of-office reply pauses the enrollment until the return date it gives (else the "
        "sequence's delay), never longer than this many days (0: no limit but ten years).",
    )
    sales_sequence_batch_size = _setting(
        fields.Integer,
        "batch_size",
        "Engine Batch Size",
        "How many due steps the engine runs per transaction.",
    )
    sales_sequence_enroll_async_threshold = _setting(
        fields.Integer,
        "enroll_async_threshold",
        "Background Enrollment Above",
        "A bulk enrollment of more records than this runs in the background, in chunks.",
    )
