from odoo import api, fields, models
from odoo.fields import Domain

from .sales_sequence import ENROLLABLE_MODELS

SEQUENCE_STATES = ("sales_sequence_enroll", "sales_sequence_exit")


class IrActionsServer(models.Model):
    """Enroll in / exit from a sales sequence, as a server action: usable from
    the Actions menu and from automation rules (base_automation)."""

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[
            ("sales_sequence_enroll", "Enroll in Sales Sequence"),
            ("sales_sequence_exit", "Exit Sales Sequence"),
        ],
        ondelete={"sales_sequence_enroll": "cascade", "sales_sequence_exit": "cascade"},
    )
    sales_sequence_id = fields.Many2one(
        "sales.sequence", string="Sales Sequence",
        compute="_compute_sales_sequence_id", readonly=False, store=True,
        ondelete="restrict", index="btree_not_null",
        help="Enroll: the sequence to enroll the record into. "
        "Exit: the sequence to leave; empty to leave every sequence.",
    )
    sales_sequence_state = fields.Selection(related="sales_sequence_id.state", string="Sequence Status")

    @api.depends("state")
    def _compute_sales_sequence_id(self):
        self.filtered(lambda action: action.state not in SEQUENCE_STATES).sales_sequence_id = False

    @api.depends("state")
    def _compute_available_model_ids(self):
        """Contacts and leads only (and, in a rule, the rule's model)."""
        super()._compute_available_model_ids()
        sequence_actions = self.filtered(lambda action: action.state in SEQUENCE_STATES)
        if sequence_actions:
            enrollable = self.env["ir.model"].search([("model", "in", ENROLLABLE_MODELS)])
            for action in sequence_actions:
                action.available_model_ids = action.available_model_ids & enrollable

    def _name_depends(self):
        return [*super()._name_depends(), "sales_sequence_id"]

    def _generate_action_name(self):
        self.ensure_one()
        if self.state == "sales_sequence_enroll" and self.sales_sequence_id:
            return self.env._("Enroll in %(sequence)s", sequence=self.sales_sequence_id.name)
        if self.state == "sales_sequence_exit":
            if self.sales_sequence_id:
                return self.env._("Exit %(sequence)s", sequence=self.sales_sequence_id.name)
            return self.env._("Exit all sales sequences")
        return super()._generate_action_name()

    @api.model
    def _warning_depends(self):
        return super()._warning_depends() + ["model_id", "state", "sales_sequence_id"]

    def _get_warning_messages(self):
        self.ensure_one()
        warnings = super()._get_warning_messages()
        if self.state in SEQUENCE_STATES and self.model_id.model not in ENROLLABLE_MODELS:
            warnings.append(self.env._("Sales sequences only work on contacts and leads."))
        if self.state == "sales_sequence_enroll" and not self.sales_sequence_id:
            warnings.append(self.env._("Choose the sales sequence to enroll into."))
        return warnings

    # ------------------------------------------------------------------
    # Runners
    # ------------------------------------------------------------------

    def _sequence_targets(self, eval_context):
        records = eval_context.get("records") or eval_context.get("record")
        if not records or records._name not in ENROLLABLE_MODELS or self._is_recompute():
            return None
        return records

    def _run_action_sales_sequence_enroll_multi(self, eval_context=None):
        """Only enrolls: the first step runs later, from the engine's cron,
        never inside the transaction that triggered the rule."""
        records = self._sequence_targets(eval_context or {})
        if not records:
            return False
        sequence = self._enrolling_sequence(records)
        if self.usage == "base_automation" and not sequence._is_open_for_enrollment():
            # an automation rule must not block the change that triggered it
            records._message_log_batch({record.id: self.env._(
                "Not enrolled in the sequence %(sequence)s by the rule %(rule)s: "
                "the sequence is not active.",
                sequence=sequence.name, rule=self.base_automation_id.name,
            ) for record in records})
            return False
        result = sequence.enroll(records)
        if self.usage == "base_automation":
            return False
        return sequence._enroll_result_notification(result)

    def _enrolling_sequence(self, records):
        """The sequence, in the environment that enrolls ``records``. A rule
        fired by a portal or public user (e.g. a website form creating a lead)
        must not make that user the sender: records without a salesperson
        are then sent by the sequence owner."""
        sequence = self.sales_sequence_id.with_env(records.env)
        user = records.env.user
        if (user.share or not user.active) and sequence.user_id:
            sequence = sequence.with_user(sequence.user_id).sudo(records.env.su)
        return sequence

    def _run_action_sales_sequence_exit_multi(self, eval_context=None):
        records = self._sequence_targets(eval_context or {})
        if not records:
            return False
        # sudo: the rule (an administrator's) exits every sender's enrollments of the record
        running = self.env["sales.sequence.enrollment"].sudo().search(self._exit_domain(records))
        running.action_exit(self._exit_reason())
        return False

    def _exit_domain(self, records):
        """Running enrollments of ``records``: a lead's own, or every
        enrollment of a contact (directly or through one of its leads)."""
        domain = self.env["sales.sequence.enrollment"]._running_domain(records)
        if self.sales_sequence_id:
            domain &= Domain("sequence_id", "=", self.sales_sequence_id.id)
        return domain

    def _exit_reason(self):
        """``stage_changed`` for a "stage is set to" rule, ``condition`` for any
        other rule (an admin-defined condition), ``manual`` when run by hand."""
        if self.usage != "base_automation":
            return "manual"
        if self.base_automation_id.trigger == "on_stage_set":
            return "stage_changed"
        return "condition"
