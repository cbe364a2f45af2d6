"""``create`` and ``write`` of the run-time records as a public API.

Every public method is reachable through JSON-RPC with the caller's rights, so
the records the engine runs on (enrollments, traces, bulk batches) defend
what the product's own actions enforce:

* The trusted paths (``sales.sequence.enroll()``, the buttons, the server
  actions, the engine) check the user's rights first, then write with
  ``sudo()``. ``env.su`` is the only way past these checks: a context key
  would not do, the caller of JSON-RPC sets the context.
* Anyone else (a rep, a manager, a script) may give only the fields of
  ``_user_create_fields`` / ``_user_write_fields`` unless they are a sequence
  manager; then the resulting records are checked (``_check_trust``) with the
  caller's rights: read access, company, sender, step of the sequence...
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError

MANAGER_GROUP = "sales_sequence.group_sales_sequence_manager"


def is_manager(env):
    """The superuser (the engine) or a sequence manager."""
    return env.su or env.user.has_group(MANAGER_GROUP)


class SalesSequenceGuardMixin(models.AbstractModel):
    _name = "sales.sequence.guard.mixin"
    _description = "Sales Sequence Guarded Records"

    is_sequence_manager = fields.Boolean(
        compute="_compute_is_sequence_manager", help="The current user may change what the engine decides."
    )

    # fields a sequence user (not a manager) may give when creating a record
    # directly; None: users create through the product's actions only
    _user_create_fields = None
    # fields a sequence user may write directly (the mail.thread ones come on top)
    _user_write_fields = ()

    @api.depends_context("uid")
    def _compute_is_sequence_manager(self):
        self.is_sequence_manager = is_manager(self.env)

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.su:
            return super().create(vals_list)
        if not is_manager(self.env):
            if self._user_create_fields is None:
                raise AccessError(self._guard_create_message())
            for vals in vals_list:
                self._refuse_fields(set(vals) - set(self._user_create_fields))
        records = super().create(vals_list)
        records._check_trust(None)
        return records

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        if not is_manager(self.env):
            self._refuse_fields(set(vals) - set(self._user_write_fields) - self._mail_thread_fields())
        result = super().write(vals)
        self._check_trust(set(vals))
        return result

    def _mail_thread_fields(self):
        return set(self.env["mail.thread"]._fields) if "message_ids" in self._fields else set()

    def _refuse_fields(self, names):
        if names:
            labels = sorted(
                self._fields[name]._description_string(self.env) if name in self._fields else name for name in names
            )
            raise AccessError(
                self.env._(
                    "Only the engine or a sequence manager may set %(fields)s of %(model)s. %(hint)s",
                    fields=", ".join("“%s”" % label for label in labels),
                    model=self._description,
                    hint=self._guard_hint(),
                )
            )

    def _guard_create_message(self):
        return self.env._(
            "%(model)s records are not created directly. %(hint)s", model=self._description, hint=self._guard_hint()
        )

    def _guard_hint(self):
        """What to do instead (the product's action), for the error messages."""
        return ""

    def _check_trust(self, fnames):
        """Check, with the caller's rights, the records just created
        (``fnames`` None) or the fields ``fnames`` just written; raise
        AccessError or UserError."""
        return
