"""The sales sequence settings (CRM › Settings › Sales Sequences), read in
one place. Each is an ``ir.config_parameter`` (``res.config.settings`` shows
them); a missing, empty or malformed value means the default."""

SETTINGS = {
    # name: (config parameter, type, default)
    "hourly_cap": ("sales_sequence.hourly_cap", int, 0),
    "domain_daily_cap": ("sales_sequence.domain_daily_cap", int, 0),
    "bounce_guard_sends": ("sales_sequence.bounce_guard_sends", int, 50),
    "bounce_guard_rate": ("sales_sequence.bounce_guard_rate", float, 5.0),
    "complaint_rate": ("sales_sequence.complaint_rate", float, 0.3),
    "sender_daily_limit": ("sales_sequence.sender_daily_limit", int, 0),
    "warmup_start": ("sales_sequence.warmup_start", int, 20),
    "warmup_increment": ("sales_sequence.warmup_increment", int, 10),
    "ooo_max_days": ("sales_sequence.ooo_max_days", int, 60),
    "batch_size": ("sales_sequence.batch_size", int, 200),
    "enroll_chunk_size": ("sales_sequence.enroll_chunk_size", int, 500),
    "enroll_async_threshold": ("sales_sequence.enroll_async_threshold", int, 1000),
}


def key(name):
    """The config parameter of setting ``name``."""
    return SETTINGS[name][0]


def get(env, name):
    """The value of setting ``name`` (sudo: settings are the company's)."""
    param, type_, default = SETTINGS[name]
    # sudo: the settings are the company's, read by anyone
    raw = env["ir.config_parameter"].sudo().get_param(param)
    if raw in (None, False, ""):
        return default
    try:
        value = type_(raw)
    except (TypeError, ValueError):
        return default
    return value if value >= 0 else default
