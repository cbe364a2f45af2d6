from odoo import api, fields, models


class SalesSequenceTemplate(models.Model):
    """A reusable email (subject and body) that reps start email steps from.

    Personal by default: only its owner sees it. A shared template is visible
    to the members of its sales team (to everyone of the company when it has
    no team); only its owner (or a sequence manager) changes it.
    """

    _name = "sales.sequence.template"
    _description = "Sales Sequence Email Template"
    _inherit = ["sales.sequence.spam.mixin"]
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    subject = fields.Char()
    body_html = fields.Html("Body", sanitize_attributes=False, sanitize_overridable=True)
    user_id = fields.Many2one(
        "res.users",
        "Owner",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    shared = fields.Boolean(
        "Shared with the Team",
        help="Shared templates are visible to the members of the sales team (to everyone when "
        "there is no team). Otherwise only the owner sees the template.",
    )
    team_id = fields.Many2one(
        "crm.team",
        "Sales Team",
        index="btree_not_null",
        default=lambda self: self.env.user.sale_team_id,
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
    )

    @api.constrains("subject", "body_html")
    def _check_templates(self):
        Step = self.env["sales.sequence.step"]
        for template in self:
            for field_name in ("subject", "body_html"):
                Step._validate_source(template[field_name], template._fields[field_name], template.name)

    @api.depends("subject", "body_html")
    def _compute_spam(self):
        return super()._compute_spam()

    def copy_data(self, default=None):
        """A copy is the copier's own, personal "(copy)", unless ``default`` says otherwise."""
        default = default or {}
        vals_list = super().copy_data(default=default)
        for template, vals in zip(self, vals_list, strict=True):
            copy_defaults = {
                "name": self.env._("%s (copy)", template.name),
                "user_id": self.env.uid,
                "shared": False,
            }
            vals.update({key: value for key, value in copy_defaults.items() if key not in default})
        return vals_list
