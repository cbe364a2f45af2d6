from odoo import api, fields, models

from ..models.sales_sequence_metrics_mixin import metric_values

# the metrics compared side by side (rates first: they compare sequences of
# different sizes), with the labels the chart shows
COMPARED_RATES = [
    ("reply_rate", "Reply rate (%)"),
    ("positive_reply_rate", "Positive reply rate (%)"),
    ("open_rate", "Open rate (%)"),
    ("click_rate", "Click rate (%)"),
    ("connect_rate", "Connect rate (%)"),
]
COMPARED_COUNTS = [
    ("enrolled_count", "Enrolled"),
    ("active_count", "In progress"),
    ("contacted_count", "Contacted"),
    ("sent_count", "Emails sent"),
    ("replied_count", "Replied"),
    ("positive_reply_count", "Positive replies"),
    ("meeting_count", "Meetings"),
    ("won_count", "Won"),
    ("completed_count", "Completed"),
    ("bounced_count", "Bounced"),
    ("unsubscribed_count", "Opted out"),
    ("dropped_count", "Dropped"),
]


class SalesSequenceComparison(models.TransientModel):
    """Sequences side by side on the same metrics, one row per (sequence,
    metric), for a chart: the values are the sequences' analytics
    (``sales.sequence.metrics.mixin``), computed once when the comparison is
    opened."""

    _name = "sales.sequence.comparison"
    _description = "Sales Sequence Comparison"
    _order = "id"

    sequence_id = fields.Many2one("sales.sequence", required=True, ondelete="cascade")
    metric = fields.Selection(COMPARED_RATES + COMPARED_COUNTS, required=True)
    kind = fields.Selection([("rate", "Rate"), ("count", "Count")], required=True)
    value = fields.Float(digits=(16, 1), aggregator="sum")

    @api.model
    def _create_for(self, sequences):
        """The rows comparing ``sequences``."""
        totals = sequences._metric_totals()
        return self.create(
            [
                {"sequence_id": sequence.id, "metric": metric, "kind": kind, "value": value}
                for sequence in sequences
                for metric, value, kind in self._rows(metric_values(totals.get(sequence.id, {})))
            ]
        )

    @staticmethod
    def _rows(values):
        for metric, __ in COMPARED_RATES:
            yield metric, round(values[metric], 1), "rate"
        for metric, __ in COMPARED_COUNTS:
            yield metric, values[metric], "count"
