from odoo import api, fields, models


class SalesSequenceTargetMixin(models.AbstractModel):
    """What contacts and leads share as enrollable records: the smart button
    count and the two actions of their forms."""

    _name = "sales.sequence.target.mixin"
    _description = "Enrollable in Sales Sequences"
    _sequence_enrollment_field = None  # the enrollment field pointing at the record

    sequence_enrollment_count = fields.Integer(
        "Sequences",
        compute="_compute_sequence_enrollment_count",
        groups="sales_sequence.group_sales_sequence_user",
    )

    def _compute_sequence_enrollment_count(self):
        field_name = self._sequence_enrollment_field
        counts = dict(
            self.env["sales.sequence.enrollment"]._read_group(
                [(field_name, "in", self.ids)],
                [field_name],
                ["__count"],
            )
        )
        for record in self:
            record.sequence_enrollment_count = counts.get(record, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_exit_sequence_enrollments(self):
        self.env["sales.sequence.enrollment"]._exit_on_target_deleted(self)

    def action_view_sequence_enrollments(self):
        return self.env["sales.sequence.enrollment"]._action_for_targets(
            self._sequence_enrollment_field,
            self,
        )

    def action_enroll_in_sequence(self):
        return self.env["sales.sequence.enroll.wizard"]._action_open(self)
