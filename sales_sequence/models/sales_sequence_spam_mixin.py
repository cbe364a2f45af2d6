from odoo import fields, models

from ..tools import spam

SPAM_BANDS = [("green", "Low"), ("amber", "Medium"), ("red", "High")]


class SalesSequenceSpamMixin(models.AbstractModel):
    """The spam risk of an email (subject and body): a score from 0 to 100,
    a band and the reasons, computed by ``tools.spam`` on the riskiest of the
    record's contents (``_spam_contents``). Inheriting models declare what
    the score depends on."""

    _name = "sales.sequence.spam.mixin"
    _description = "Spam Risk of an Email"

    spam_score = fields.Integer("Spam Risk Score", compute="_compute_spam")
    spam_band = fields.Selection(SPAM_BANDS, "Spam Risk", compute="_compute_spam")
    spam_reasons = fields.Text("Spam Risk Reasons", compute="_compute_spam")

    def _spam_contents(self):
        """The records (with ``subject`` and ``body_html``) to score; the
        riskiest one gives the score. Empty: nothing to score."""
        self.ensure_one()
        return [self]

    def _compute_spam(self):
        for record in self:
            contents = record._spam_contents()
            if not contents:
                record.update({"spam_score": 0, "spam_band": False, "spam_reasons": False})
                continue
            results = [spam.score(content.subject, content.body_html) for content in contents]
            worst = spam.worst(results)
            record.spam_score = worst.score
            record.spam_band = worst.band
            record.spam_reasons = record._spam_reasons_text(worst, contents[results.index(worst)])

    def _spam_reasons_text(self, result, source):
        """The reasons of ``result``, translated, one a line (after the
        source's name when it is not the record itself, e.g. a variant)."""
        messages = self._spam_reason_messages()
        lines = [messages[reason.code] % reason.params for reason in result.reasons]
        if lines and source != self:
            lines.insert(0, self.env._("%s:", source.display_name))
        return "\n".join(lines) or False

    def _spam_reason_messages(self):
        """``{reason code: translated message}`` (the codes of ``tools.spam``)."""
        return {
            "empty_subject": self.env._("The subject is empty."),
            "caps_subject": self.env._("The subject is in capital letters."),
            "spam_words": self.env._("Spam-like words: %(words)s."),
            "exclamations": self.env._("Runs of exclamation marks (%(example)s)."),
            "link_ratio": self.env._("Links make up %(percent)s%% of the text."),
            "too_many_links": self.env._("Too many links: %(count)s (at most %(limit)s)."),
            "shortener": self.env._("Link shorteners hide the destination: %(domains)s."),
            "image_only": self.env._("The body is images with almost no text."),
            "money": self.env._("Prices or amounts of money: %(examples)s."),
        }
