from markupsafe import Markup

from odoo import api, fields, models, tools

SUPPRESSION_REASONS = [
    ("unsubscribed", "Unsubscribed"),
    ("bounced", "Bounced"),
    ("complaint", "Spam complaint"),
    ("manual", "Added by hand"),
]


class MailBlacklist(models.Model):
    """The suppression list of sales sequences is Odoo's email blacklist,
    with why and since when each address is on it."""

    _inherit = "mail.blacklist"

    suppression_reason = fields.Selection(
        SUPPRESSION_REASONS,
        "Reason",
        default="manual",
        tracking=True,
        index=True,
        help="Why the address is suppressed: it unsubscribed, bounced (the address does not exist), "
        "reported an email as spam, or someone added it by hand or in an imported list.",
    )
    suppression_sequence_id = fields.Many2one(
        "sales.sequence",
        "From Sequence",
        ondelete="set null",
        index="btree_not_null",
        help="The sales sequence whose email the recipient unsubscribed from, bounced or complained about.",
    )
    suppressed_at = fields.Datetime(
        "Suppressed Since",
        default=fields.Datetime.now,
        tracking=True,
        help="When the address was (last) added to the list.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Adding an address that was removed before (archived) puts it back
        on the list, with the new reason (Odoo would return the archived
        entry unchanged, and an imported list would silently not apply)."""
        self.check_access("create")
        self._restore_removed(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        """An entry put back on the list (unarchived) is suppressed since now."""
        if vals.get("active") and "suppressed_at" not in vals:
            restored = self.filtered(lambda entry: not entry.active)
            if restored:
                super(MailBlacklist, restored).write({"suppressed_at": fields.Datetime.now()})
        return super().write(vals)

    def _restore_removed(self, vals_list):
        removed = {}
        for vals in vals_list:
            email = tools.email_normalize(vals.get("email"))
            if email and vals.get("active", True):
                removed.setdefault(email, vals)
        if not removed:
            return
        # sudo: whoever may add to the list (checked) puts back an address removed before
        archived = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [("email", "in", list(removed)), ("active", "=", False)],
            )
        )
        for entry in archived:
            vals = removed[entry.email]
            entry.write(
                {
                    "active": True,
                    "suppression_reason": vals.get("suppression_reason") or "manual",
                    "suppression_sequence_id": vals.get("suppression_sequence_id", False),
                    **({"suppressed_at": vals["suppressed_at"]} if vals.get("suppressed_at") else {}),
                }
            )

    @api.model
    def _sales_sequence_suppressed(self, emails):
        """The addresses among ``emails`` (normalized) on the suppression
        list, whoever asks (sudo: the list is the company's, not the rep's)."""
        emails = [email for email in emails if email]
        if not emails:
            return set()
        # sudo: the suppression list is the company's, whoever asks
        return set(
            self.sudo()
            .with_context(active_test=True)
            .search_fetch(
                [("email", "in", emails)],
                ["email"],
            )
            .mapped("email")
        )

    @api.model
    def _sales_sequence_suppress(self, email, reason, sequence=None, message=None):
        """Put ``email`` on the suppression list for ``reason`` (a
        ``suppression_reason`` code) coming from ``sequence``, noting
        ``message`` on the entry. An address already on the list keeps its
        first reason. Returns the entry (empty for an invalid address)."""
        normalized = tools.email_normalize(email)
        if not normalized:
            return self.browse()
        # sudo: the engine, the gateway and the public unsubscribe route fill the list
        Blacklist = self.sudo().with_context(active_test=False)
        entry = Blacklist.search([("email", "=", normalized)])
        if not entry.active:
            entry = Blacklist.create(
                {
                    "email": normalized,
                    "suppression_reason": reason,
                    "suppression_sequence_id": sequence.id if sequence else False,
                }
            )
        if message:
            entry.with_context(mail_post_autofollow_author_skip=True).message_post(
                body=Markup("<p>%s</p>") % message,
                subtype_xmlid="mail.mt_note",
            )
        return entry
