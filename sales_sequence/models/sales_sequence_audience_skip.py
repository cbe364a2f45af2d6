from odoo import api, fields, models


class SalesSequenceAudienceSkip(models.Model):
    """A record of a sequence's live audience that could not enter (a check
    refused it: suppressed, already running under another address, its
    sender, a sequence with priority...). The audience sync passes it over
    until ``retry_at``, so that it never holds the other matches back."""

    _name = "sales.sequence.audience.skip"
    _description = "Sales Sequence Audience: Not Enrolled"
    _order = "id desc"

    sequence_id = fields.Many2one("sales.sequence", required=True, ondelete="cascade", index=True)
    res_model = fields.Selection(related="sequence_id.audience_model", string="Model")
    res_id = fields.Integer("Record ID", required=True)
    record_name = fields.Char("Record", compute="_compute_record_name")
    reason = fields.Char(required=True)
    retry_at = fields.Datetime("Next Try", required=True)

    _sequence_record = models.Index("(sequence_id, res_id, retry_at)")

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        """The record's name when the user may read it, else its id."""
        names = {}
        for model, skips in self.grouped("res_model").items():
            if model:
                readable = self.env[model].browse(skips.mapped("res_id")).exists()._filtered_access("read")
                names.update({(model, record.id): record.display_name for record in readable})
        for skip in self:
            skip.record_name = names.get((skip.res_model, skip.res_id)) or str(skip.res_id)

    @api.model
    def _forget(self, sequences, before=None):
        """Drop the set-aside records of ``sequences`` (those due again by
        ``before``, or all of them: the audience changed)."""
        domain = [("sequence_id", "in", sequences.ids)]
        if before:
            domain.append(("retry_at", "<=", before))
        # sudo: the engine's bookkeeping
        self.sudo().search(domain).unlink()
