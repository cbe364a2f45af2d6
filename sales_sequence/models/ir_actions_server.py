from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

from .sales_sequence import ENROLLABLE_MODELS
from .sales_sequence_guard_mixin import is_manager

SEQUENCE_STATES = ("sales_sequence_enroll", "sales_sequence_exit")
# the contact of a document, by default (calendar events: their attendees)
DEFAULT_CONTACT_FIELDS = ("partner_id", "partner_ids")


class IrActionsServer(models.Model):
    """Enroll in / exit from a sales sequence, as a server action: usable from
    the Actions menu and from automation rules (base_automation), on contacts
    and leads and on any other model through a field path to the contact
    (a quotation's customer, an invoice's partner, an event registration's
    attendee, a meeting's attendees)."""

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[
            ("sales_sequence_enroll", "Enroll in Sales Sequence"),
            ("sales_sequence_exit", "Exit Sales Sequence"),
        ],
        ondelete={"sales_sequence_enroll": "cascade", "sales_sequence_exit": "cascade"},
    )
    sales_sequence_id = fields.Many2one(
        "sales.sequence",
        compute="_compute_sales_sequence_id",
        readonly=False,
        store=True,
        ondelete="restrict",
        index="btree_not_null",
        help="Enroll: the sequence to enroll the record into. "
        "Exit: the sequence to leave; empty to leave every sequence.",
    )
    sales_sequence_state = fields.Selection(related="sales_sequence_id.state", string="Sequence Status")
    sales_sequence_partner_path = fields.Char(
        "Contact Field",
        compute="_compute_sales_sequence_partner_path",
        readonly=False,
        store=True,
        help="The field (or path of fields, e.g. partner_id or order_id.partner_id) that leads from the "
        "record to the contact(s) to enroll or exit. Empty on a contact or a lead: the record itself.",
    )

    @api.depends("state")
    def _compute_sales_sequence_id(self):
        self.filtered(lambda action: action.state not in SEQUENCE_STATES).sales_sequence_id = False

    @api.depends("state", "model_id")
    def _compute_sales_sequence_partner_path(self):
        """Kept while it leads to contacts from the action's model; else the
        model's own contact field (none on contacts and leads: the record)."""
        for action in self:
            if action.state not in SEQUENCE_STATES or not action.model_id:
                action.sales_sequence_partner_path = False
            elif not action._leads_to_partners(action.sales_sequence_partner_path):
                action.sales_sequence_partner_path = (
                    False if action.model_id.model in ENROLLABLE_MODELS else action._default_partner_path()
                )

    def _leads_to_partners(self, path):
        """Whether ``path`` (dotted field names) leads from the action's model to contacts."""
        if not path or self.model_id.model not in self.env:
            return False
        model = self.env[self.model_id.model]
        for name in path.split("."):
            field = model._fields.get(name)
            if not field or not field.relational:
                return False
            model = self.env[field.comodel_name]
        return model._name == "res.partner"

    def _default_partner_path(self):
        """``partner_id`` or ``partner_ids`` when the model has such a contact
        field of its own (not one related to a user, as a meeting's organiser)."""
        fields_ = self.env[self.model_id.model]._fields
        for name in DEFAULT_CONTACT_FIELDS:
            field = fields_.get(name)
            # a related partner is someone else's (a meeting's organiser): not the contact
            if (
                field
                and field.type in ("many2one", "many2many")
                and field.comodel_name == "res.partner"
                and not field.related
            ):
                return name
        return False

    @api.constrains("state", "model_id", "sales_sequence_partner_path")
    def _check_sales_sequence_partner_path(self):
        for action in self.filtered(lambda a: a.state in SEQUENCE_STATES and a.sales_sequence_partner_path):
            if not action._leads_to_partners(action.sales_sequence_partner_path):
                raise ValidationError(
                    self.env._(
                        "The contact field of the action “%(action)s” must lead to contacts (a field to Contact, "
                        "e.g. partner_id), not to “%(path)s”.",
                        action=action.name,
                        path=action.sales_sequence_partner_path,
                    )
                )

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
        return super()._warning_depends() + ["model_id", "state", "sales_sequence_id", "sales_sequence_partner_path"]

    def _get_warning_messages(self):
        self.ensure_one()
        warnings = super()._get_warning_messages()
        if (
            self.state in SEQUENCE_STATES
            and self.model_id.model not in ENROLLABLE_MODELS
            and not self.sales_sequence_partner_path
        ):
            warnings.append(
                self.env._(
                    "Choose the contact field: sales sequences run on contacts and leads, reached from "
                    "this record through a field such as partner_id."
                )
            )
        if self.state == "sales_sequence_enroll" and not self.sales_sequence_id:
            warnings.append(self.env._("Choose the sales sequence to enroll into."))
        return warnings

    # ------------------------------------------------------------------
    # Runners
    # ------------------------------------------------------------------

    def _sequence_targets(self, eval_context):
        """The contacts or leads the action works on: the records themselves
        (contacts, leads), or the contacts their contact field leads to.
        Contacts of our own users (e.g. the organiser of a meeting) are not
        prospects: they are left out."""
        records = eval_context.get("records") or eval_context.get("record")
        if not records or self._is_recompute():
            return None
        if not self.sales_sequence_partner_path:
            return records if records._name in ENROLLABLE_MODELS else None
        partners = self._partners_of(records)
        return partners or None

    def _partners_of(self, records):
        partners = records.mapped(self.sales_sequence_partner_path)
        if partners._name != "res.partner":
            raise UserError(self.env._("The contact field of the action “%s” does not lead to contacts.", self.name))
        # sudo: who our users are is known even to a user who may not read users
        internal = partners.sudo().filtered(lambda p: any(not user.share for user in p.user_ids))
        return partners - internal.with_env(partners.env)

    def _run_action_sales_sequence_enroll_multi(self, eval_context=None):
        """Only enrolls: the first step runs later, from the engine's cron,
        never inside the transaction that triggered the rule."""
        eval_context = eval_context or {}
        targets = self._sequence_targets(eval_context)
        if not targets:
            return False
        sequence = self._enrolling_sequence(targets)
        if self.usage == "base_automation" and not sequence._is_open_for_enrollment():
            # an automation rule must not block the change that triggered it
            source = eval_context.get("records") or targets
            if "message_ids" in source._fields:
                # sudo: the note explains the rule's silence, whoever triggered it
                source.sudo()._message_log_batch(
                    {
                        record.id: self.env._(
                            "Not enrolled in the sequence %(sequence)s by the rule %(rule)s: "
                            "the sequence is not active.",
                            sequence=sequence.name,
                            rule=self.base_automation_id.name,
                        )
                        for record in source
                    }
                )
            return False
        result = self._enroll_targets(sequence, targets, eval_context.get("records"))
        if self.usage == "base_automation":
            return False
        return sequence._enroll_result_notification(result)

    def _enroll_targets(self, sequence, targets, records):
        """Enroll ``targets``; reached through a document that has a
        salesperson (a quotation's, an invoice's), they are sent by that
        salesperson when an active internal user, else as ``enroll`` decides."""
        senders = self._document_senders(records, targets) if self.sales_sequence_partner_path else {}
        # run by hand from the Actions menu, a rep sends in their own name (as in the Enroll dialog)
        by_hand = targets.env.user if self.usage != "base_automation" and not is_manager(targets.env) else None
        result = {
            "enrolled": self.env["sales.sequence.enrollment"],
            "skipped_duplicates": targets.browse(),
            "failed": targets.browse(),
            "failure_reasons": {},
        }
        groups = {}
        for target in targets:
            groups.setdefault(senders.get(target.id) or by_hand, []).append(target.id)
        for sender, ids in groups.items():
            done = sequence.enroll(targets.browse(ids), user=sender)
            for key in ("enrolled", "skipped_duplicates", "failed"):
                result[key] |= done[key]
            result["failure_reasons"].update(done["failure_reasons"])
        return result

    def _document_senders(self, records, partners):
        """``{partner id: res.users}``: the salesperson (``user_id``) of the
        document that leads to each partner, when it has one."""
        field = records._fields.get("user_id")
        if not field or field.type != "many2one" or field.comodel_name != "res.users":
            return {}
        senders = {}
        for record in records:
            user = record.user_id
            if user and user.active and not user.share:
                for partner in record.mapped(self.sales_sequence_partner_path) & partners:
                    senders.setdefault(partner.id, user)
        return senders

    def _enrolling_sequence(self, records):
        """The sequence, in the environment that enrolls ``records``. A rule
        fired by a portal or public user (e.g. a website form creating a lead)
        or by the system (a time-based rule run by the cron as OdooBot) must
        not make that user the sender: records without a salesperson are then
        sent by the sequence owner."""
        sequence = self.sales_sequence_id.with_env(records.env)
        user = records.env.user
        if (user.share or not user.active or user._is_superuser()) and sequence.user_id:
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
