from odoo import api, fields, models

from ..engine import settings
from ..tools import caps, schedule

# the sending profile: what a sequence manager may set on any internal user of
# their companies (``write``), and what a user reads, but may not change, on
# their own preferences
SENDING_PROFILE_FIELDS = frozenset(
    {
        "sales_sequence_daily_limit",
        "sales_sequence_warmup",
        "sales_sequence_warmup_start",
        "sales_sequence_warmup_increment",
        "sales_sequence_warmup_date",
    }
)
SENDING_STATUS_FIELDS = frozenset(
    {
        "sales_sequence_limit_today",
        "sales_sequence_sending_stage",
        "sales_sequence_mailbox_rate",
    }
)


class ResUsers(models.Model):
    """The sending profile of a sequence sender: a daily limit across all
    their sequences and a warm-up, counted in the sender's timezone."""

    _inherit = "res.users"

    sales_sequence_daily_limit = fields.Integer(
        "Daily Sequence Emails",
        default=0,
        help="The most sequence emails this user sends a day, all sequences together "
        "(0: the default of CRM › Settings › Sales Sequences). Emails over it wait for the next day.",
    )
    sales_sequence_warmup = fields.Boolean(
        "Mailbox Warm-up",
        help="A new mailbox earns its reputation: send few emails on the first day, "
        "then a few more each day, up to the daily limit.",
    )
    sales_sequence_warmup_start = fields.Integer(
        "Warm-up: Emails on Day 1",
        help="Emails allowed on the first day of the warm-up.",
    )
    sales_sequence_warmup_increment = fields.Integer(
        "Warm-up: More Each Day",
        help="Emails added to the daily allowance every day of the warm-up.",
    )
    sales_sequence_warmup_date = fields.Date(
        "Warm-up Started On",
        help="Day 1 of the warm-up (in the user's timezone).",
    )
    sales_sequence_limit_today = fields.Integer(
        "Sequence Emails Allowed Today",
        compute="_compute_sales_sequence_sending",
        help="The daily limit of today, warm-up included (0: no limit).",
    )
    sales_sequence_sending_stage = fields.Char(
        "Sending Stage",
        compute="_compute_sales_sequence_sending",
        help="Where the user's mailbox stands: warm-up day and allowance, or the daily limit.",
    )
    sales_sequence_mailbox_rate = fields.Integer(
        "Own Mail Server: Emails per Minute",
        compute="_compute_sales_sequence_sending",
        help="The user sends through their own outgoing mail server, which takes this many emails "
        "a minute (0: the company's servers). The engine paces the user's emails to it.",
    )

    _sales_sequence_profile_positive = models.Constraint(
        "CHECK (sales_sequence_daily_limit >= 0 AND sales_sequence_warmup_start >= 0 "
        "AND sales_sequence_warmup_increment >= 0)",
        "Sending limits cannot be negative.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + sorted(SENDING_PROFILE_FIELDS | SENDING_STATUS_FIELDS)

    def _compute_sales_sequence_sending(self):
        now = fields.Datetime.now()
        servers = self._sales_sequence_mail_servers()
        for user in self:
            allowance = user._sales_sequence_allowance(now)
            user.sales_sequence_limit_today = allowance.limit
            user.sales_sequence_sending_stage = user._sales_sequence_stage_label(allowance)
            server = servers.get(user.id)
            user.sales_sequence_mailbox_rate = server._get_personal_mail_servers_limit() if server else 0

    def _sales_sequence_allowance(self, now, tz_name=None):
        """The ``tools.caps.Allowance`` of this sender on the local day of
        ``now`` (naive UTC) in ``tz_name`` (default: the user's timezone)."""
        self.ensure_one()
        limit = self.sales_sequence_daily_limit or settings.get(self.env, "sender_daily_limit")
        warmup = (
            caps.Warmup(
                self.sales_sequence_warmup_start or settings.get(self.env, "warmup_start"),
                self.sales_sequence_warmup_increment or settings.get(self.env, "warmup_increment"),
                self.sales_sequence_warmup_date,
            )
            if self.sales_sequence_warmup
            else None
        )
        today = schedule.local_date(now, tz_name or self.tz or "UTC")
        return caps.sender_allowance(limit, today, warmup)

    def _sales_sequence_stage_label(self, allowance):
        if allowance.reason == caps.WARMUP:
            return self.env._(
                "Warm-up, day %(day)s: %(today)s emails today",
                day=allowance.day,
                today=allowance.limit,
            )
        if allowance.limit:
            return self.env._("%s emails a day", allowance.limit)
        return self.env._("No daily limit")

    def _sales_sequence_mail_servers(self):
        """{user id: their own outgoing mail server} for these users, when
        Odoo would send their emails through it (active, for their address,
        personal servers not disabled): one query."""
        # sudo: system parameters and mail servers are the administrator's; the engine only reads them
        if not self or self.env["ir.config_parameter"].sudo().get_param("mail.disable_personal_mail_servers"):
            return {}
        servers = (
            self.env["ir.mail_server"]
            .sudo()
            .search_fetch(
                [("owner_user_id", "in", self.ids)],
                ["owner_user_id", "from_filter", "smtp_user"],
            )
        )
        # the conditions of res.users._compute_outgoing_mail_server_id, that
        # ir.mail_server._check_forced_mail_server checks again at sending
        return {
            server.owner_user_id.id: server
            for server in servers
            if server.owner_user_id.email_normalized
            and server.from_filter == server.owner_user_id.email_normalized
            and server.smtp_user == server.owner_user_id.email
        }

    # ------------------------------------------------------------------
    # Who edits the sending profile
    # ------------------------------------------------------------------

    @api.onchange("sales_sequence_warmup")
    def _onchange_sales_sequence_warmup(self):
        for user in self.filtered("sales_sequence_warmup"):
            user.update(user._sales_sequence_warmup_defaults(restart=not user._origin.sales_sequence_warmup))

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        for user in users.filtered("sales_sequence_warmup"):
            defaults = user._sales_sequence_warmup_defaults()
            if defaults:
                # the plain write: the defaults need none of write()'s checks
                super(ResUsers, user).write(defaults)  # pylint: disable=super-method-mismatch
        return users

    def write(self, vals):
        # sudo: a sequence manager sets the sending profile only (checked), not the rest of the user
        users = self.sudo() if self._sales_sequence_profile_only(vals) else self
        started = users.filtered(lambda u: not u.sales_sequence_warmup) if vals.get("sales_sequence_warmup") else None
        result = super(ResUsers, users).write(vals)
        if started is not None:
            for user in users:
                defaults = user._sales_sequence_warmup_defaults(
                    restart=user in started and "sales_sequence_warmup_date" not in vals,
                )
                if defaults:
                    super(ResUsers, user).write(defaults)
        return result

    def _sales_sequence_profile_only(self, vals):
        """True when ``vals`` change only the sending profile and the current
        user is a sequence manager who may set it on these users: internal
        users sharing one of the manager's companies. (Everyone else writes
        users with their own rights: a user administrator may, a rep may not,
        not even their own profile.)"""
        env_user = self.env.user
        if not vals or self.env.su or not set(vals) <= SENDING_PROFILE_FIELDS:
            return False
        if not env_user.has_group("sales_sequence.group_sales_sequence_manager"):
            return False
        # sudo: the target users' companies, which a manager may not read on every user
        return all(not user.share and user.company_ids & env_user.company_ids for user in self.sudo())

    def _sales_sequence_warmup_defaults(self, restart=False):
        """The warm-up values this user lacks: the settings' first day and
        daily increase, and today (the user's) as day 1 when the warm-up
        (re)starts."""
        self.ensure_one()
        values = {}
        if not self.sales_sequence_warmup_start:
            values["sales_sequence_warmup_start"] = settings.get(self.env, "warmup_start")
        if not self.sales_sequence_warmup_increment:
            values["sales_sequence_warmup_increment"] = settings.get(self.env, "warmup_increment")
        if restart or not self.sales_sequence_warmup_date:
            values["sales_sequence_warmup_date"] = schedule.local_date(fields.Datetime.now(), self.tz or "UTC")
        return values

    def action_sales_sequence_sending_profile(self):
        """Open the sending profile of this user (a small form)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sending Profile"),
            "res_model": "res.users",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("sales_sequence.res_users_view_form_sending_profile").id, "form")],
            "target": "new",
        }
