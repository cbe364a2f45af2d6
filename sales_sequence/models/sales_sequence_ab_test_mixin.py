from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import step_types
from ..tools import ab, actions

AB_METRICS = [("reply", "Reply rate"), ("open", "Open rate"), ("click", "Click rate")]
AB_CONFIDENCE_LEVELS = [("0.90", "90%"), ("0.95", "95%"), ("0.99", "99%")]


class SalesSequenceAbTestMixin(models.AbstractModel):
    """The A/B test of an email step between its variants (inherited by
    ``sales.sequence.step``, which has the ``variant_ids``): the metric and
    confidence it is decided on, the daily automatic decision (a
    two-proportion z-test, ``tools.ab``), a manual pick, and the winner every
    new enrollment then gets."""

    _name = "sales.sequence.ab.test.mixin"
    _description = "Sales Sequence A/B Test"

    ab_metric = fields.Selection(
        AB_METRICS,
        "Winning Metric",
        default="reply",
        required=True,
        help="The rate the A/B test compares between the variants.",
    )
    ab_confidence = fields.Selection(
        AB_CONFIDENCE_LEVELS,
        "Confidence",
        default="0.95",
        required=True,
        help="How sure the test must be that the best variant is really better before it wins.",
    )
    ab_min_sends = fields.Integer(
        "Minimum Sends per Variant",
        default=100,
        help="No winner is picked before every variant has been sent this many times.",
    )
    ab_winner_id = fields.Many2one(
        "sales.sequence.step.variant",
        "A/B Winner",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="Once a variant wins, every new enrollment gets it.",
    )

    @api.constrains("ab_winner_id", "variant_ids")
    def _check_ab_winner(self):
        for step in self.filtered("ab_winner_id"):
            if step.ab_winner_id.step_id != step:
                raise ValidationError(self.env._("The A/B winner of “%s” must be one of its variants.", step.name))
            if step.ab_winner_id.weight <= 0:
                raise ValidationError(
                    self.env._(
                        "%(variant)s cannot win the A/B test of “%(step)s”: its weight is 0.",
                        variant=step.ab_winner_id.name,
                        step=step.name,
                    )
                )

    def _variants_for_sending(self):
        """The variants the engine draws from: the A/B winner alone once
        there is one, else every variant."""
        self.ensure_one()
        return self.ab_winner_id or self.variant_ids

    def _ab_counts(self):
        """Sends and engagement per variant of these steps, from their traces
        in one grouped query.

        :return: ``{variant: {"sent": n, "reply": n, "open": n, "click": n}}``
        """
        # sudo: the statistics count every sender's traces, not only those the user sees
        groups = (
            self.env["sales.sequence.trace"]
            .sudo()
            ._read_group(
                [("step_id", "in", self._origin.ids), ("variant_id", "!=", False), ("state", "=", "sent")],
                ["variant_id"],
                ["__count", "replied_at:count", "opened_at:count", "clicked_at:count"],
            )
        )
        return {
            variant.with_env(self.env): {"sent": sent, "reply": replied, "open": opened, "click": clicked}
            for variant, sent, replied, opened, clicked in groups
        }

    def _ab_stats(self, counts):
        """``{variant: (successes, sends)}`` of the competing variants
        (weight above 0) on the step's metric."""
        self.ensure_one()
        empty = dict.fromkeys(("sent", "reply", "open", "click"), 0)
        return {
            variant: (counts.get(variant, empty)[self.ab_metric], counts.get(variant, empty)["sent"])
            for variant in self.variant_ids.filtered(lambda v: v.weight > 0)
        }

    def _ab_decide(self, counts):
        """The ``ab.Decision`` of this step's A/B test on ``counts``."""
        self.ensure_one()
        return ab.pick_winner(self._ab_stats(counts), float(self.ab_confidence), self.ab_min_sends)

    def _ab_pick_winners(self):
        """Decide the A/B tests of these steps that have no winner yet and
        promote the significant winners (logged on the sequence's chatter).

        :return: ``{step: ab.Decision}``
        """
        sending = step_types.codes(sends_email=True)
        running = self.filtered(lambda step: step.step_type in sending and not step.ab_winner_id)
        counts = running._ab_counts()
        decisions = {}
        for step in running:
            decisions[step] = decision = step._ab_decide(counts)
            if decision.winner:
                step._set_ab_winner(decision.winner, counts, decision)
        return decisions

    def _set_ab_winner(self, variant, counts, decision=None):
        """Make ``variant`` the winner and log why: the test ``decision``, or
        a manual choice of the current user when there is none."""
        self.ensure_one()
        self.ab_winner_id = variant
        # sudo: whoever may edit the step may log on its sequence
        self.sequence_id.sudo().message_post(
            body=self._ab_winner_note(variant, counts, decision),
            subtype_xmlid="mail.mt_note",
        )

    def _ab_winner_note(self, variant, counts, decision):
        if decision:
            intro = self.env._(
                "A/B test of “%(step)s”: %(variant)s wins on %(metric)s at %(confidence)s confidence "
                "(z = %(z)s, p = %(p)s against %(runner_up)s). Every new enrollment now gets %(variant)s.",
                step=self.name,
                variant=variant.name,
                metric=self._ab_metric_phrase(),
                confidence=self._ab_confidence_label(),
                z="%.2f" % decision.z,
                p="%.4f" % decision.p,
                runner_up=decision.runner_up.name,
            )
        else:
            intro = self.env._(
                "A/B test of “%(step)s”: %(user)s picked %(variant)s as the winner. "
                "Every new enrollment now gets %(variant)s.",
                step=self.name,
                user=self.env.user.name,
                variant=variant.name,
            )
        return Markup("<p>%s</p><ul>%s</ul>") % (intro, self._ab_rates_html(counts))

    def _ab_rates_html(self, counts):
        empty = dict.fromkeys(("sent", "reply", "open", "click"), 0)
        lines = []
        for variant in self.variant_ids:
            count = counts.get(variant, empty)
            rate = 100.0 * count[self.ab_metric] / count["sent"] if count["sent"] else 0.0
            lines.append(
                Markup("<li>%s</li>")
                % self.env._(
                    "%(variant)s: %(rate)s%% %(metric)s (%(successes)s of %(sent)s sent)",
                    variant=variant.name,
                    rate="%.1f" % rate,
                    metric=self._ab_metric_phrase(),
                    successes=count[self.ab_metric],
                    sent=count["sent"],
                )
            )
        return Markup().join(lines)

    def _ab_metric_phrase(self):
        """The step's metric, as written inside a sentence."""
        return {
            "reply": self.env._("reply rate"),
            "open": self.env._("open rate"),
            "click": self.env._("click rate"),
        }[self.ab_metric]

    def _ab_confidence_label(self):
        return dict(self._fields["ab_confidence"]._description_selection(self.env))[self.ab_confidence]

    def action_ab_pick_winner(self):
        """Run the A/B test now: promote the winner if it is significant, else
        say why not."""
        self.ensure_one()
        self.check_access("write")
        if self.ab_winner_id:
            raise UserError(
                self.env._(
                    "%(variant)s already won the A/B test of “%(step)s”: resume the test first.",
                    variant=self.ab_winner_id.name,
                    step=self.name,
                )
            )
        decision = self._ab_pick_winners()[self]
        return self._ab_decision_notification(decision)

    def _ab_decision_notification(self, decision):
        if decision.winner:
            kind, message = (
                "success",
                self.env._(
                    "%(variant)s wins (p = %(p)s): every new enrollment now gets it.",
                    variant=decision.winner.name,
                    p="%.4f" % decision.p,
                ),
            )
        elif decision.reason == "not_enough_sends":
            stats = self._ab_stats(self._ab_counts())
            kind, message = (
                "info",
                self.env._(
                    "Not enough data yet: every variant needs %(minimum)s sent emails (%(sent)s).",
                    minimum=self.ab_min_sends,
                    sent=", ".join("%s: %s" % (variant.name, sent) for variant, (__, sent) in stats.items()),
                ),
            )
        elif decision.reason == "not_significant":
            kind, message = (
                "info",
                self.env._(
                    "No significant difference yet at %(confidence)s confidence: %(best)s %(best_rate)s%% "
                    "against %(other)s %(other_rate)s%% (p = %(p)s).",
                    confidence=self._ab_confidence_label(),
                    best=max(decision.rates, key=decision.rates.get).name,
                    best_rate="%.1f" % (100 * max(decision.rates.values())),
                    other=decision.runner_up.name,
                    other_rate="%.1f" % (100 * decision.rates[decision.runner_up]),
                    p="%.4f" % decision.p,
                ),
            )
        else:
            kind, message = "warning", self.env._("An A/B test needs at least two variants with a weight above 0.")
        return actions.notification(self.env._("A/B test of %s", self.name), message, kind)

    def action_ab_reset_winner(self):
        """Resume the A/B test: new enrollments are split between the variants again."""
        for step in self.filtered("ab_winner_id"):
            step.ab_winner_id = False
            # sudo: whoever may edit the step may log on its sequence
            step.sequence_id.sudo().message_post(
                body=self.env._(
                    "A/B test of “%(step)s” resumed by %(user)s: new enrollments are split between the variants again.",
                    step=step.name,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    @api.model
    def _cron_ab_pick_winners(self):
        """Daily: decide the A/B tests of the running sequences."""
        steps = self.search(
            [
                ("step_type", "in", step_types.codes(sends_email=True)),
                ("ab_winner_id", "=", False),
                ("sequence_id.state", "=", "active"),
                ("variant_ids.weight", ">", 0),
            ]
        )
        steps.filtered(lambda step: len(step.variant_ids.filtered("weight")) >= 2)._ab_pick_winners()
