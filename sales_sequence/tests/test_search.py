"""Every search field of the addon's search views, and the autocomplete of
every model, work: as a manager and as a rep, with the domain the web client
builds (the field's ``filter_domain`` or ``ilike``/``=`` on it)."""

from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import MONDAY_9AM, SalesSequenceCase

ADDON_MODELS = (
    "sales.sequence",
    "sales.sequence.step",
    "sales.sequence.step.variant",
    "sales.sequence.template",
    "sales.sequence.enrollment",
    "sales.sequence.trace",
    "sales.sequence.enroll.batch",
)


@tagged("post_install", "-at_install")
class TestSearch(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._task("call", activity_summary="Call {{ first_name }}")])
        cls.sequence.enroll(cls.jane | cls.john)
        cls.sequence.enroll(cls.lead)

    def _domain_for(self, Model, node, text):
        """The domain the web client builds when ``text`` is typed for ``node``."""
        name = node.get("name")
        if node.get("filter_domain"):
            return safe_eval(node.get("filter_domain"), {"self": text, "raw_value": text})
        field = Model._fields[name]
        if field.type == "selection":
            return [(name, "=", field.get_values(Model.env)[0])]
        if field.type in ("integer", "float", "monetary"):
            return [(name, "=", 1)]
        if field.type in ("date", "datetime", "boolean"):
            return [(name, "!=", False)]
        return [(name, "ilike", text)]

    def test_every_search_view_field_searches(self):
        models_with_views = set()
        for user in (self.user_manager, self.user_rep):
            for view in (
                self.env["ir.ui.view"]
                .search([("type", "=", "search")])
                .filtered(lambda v: v.model in ADDON_MODELS or v.xml_id.startswith("sales_sequence."))
            ):
                Model = self.env[view.model].with_user(user)
                arch = etree.fromstring(Model.get_view(view.id, "search")["arch"])
                models_with_views.add(view.model)
                for node in arch.iter("field"):
                    with self.subTest(user=user.login, model=view.model, field=node.get("name")):
                        Model.search(self._domain_for(Model, node, "Jane"), limit=5)
        self.assertTrue({"sales.sequence", "sales.sequence.enrollment", "sales.sequence.trace"} <= models_with_views)

    def test_autocomplete_of_every_model(self):
        for user in (self.user_manager, self.user_rep):
            for model in ADDON_MODELS:
                with self.subTest(user=user.login, model=model):
                    self.env[model].with_user(user).name_search("Ja", limit=5)

    def test_autocomplete_finds_by_what_is_shown(self):
        Enrollment = self.env["sales.sequence.enrollment"]
        jane = Enrollment.search([("partner_id", "=", self.jane.id), ("lead_id", "=", False)])
        found = [record_id for record_id, __ in Enrollment.name_search("Jane Doe")]
        self.assertIn(jane.id, found, "an enrollment is found by its contact's name")
        call = self.sequence.step_ids.filtered(lambda s: s.step_type == "call")
        self.assertIn(call.id, [r for r, __ in self.env["sales.sequence.step"].name_search("Call {{")])
        traces = self.env["sales.sequence.trace"].search([("enrollment_id", "ilike", "Jane Doe")])
        self.assertEqual(traces, traces.filtered(lambda t: "Jane Doe" in t.enrollment_id.display_name))

    def test_activity_search_box_finds_a_subject(self):
        """Typing in the Sequence Activity search box looks up the prospect,
        the sequence and the email subject at once (a subject used to be
        found only by picking its line in the autocomplete)."""
        self._run(MONDAY_9AM)
        view = self.env.ref("sales_sequence.sales_sequence_trace_view_search")
        Trace = self.env["sales.sequence.trace"].with_user(self.user_manager)
        first = etree.fromstring(Trace.get_view(view.id, "search")["arch"]).find(".//field")
        sent = Trace.search([("mail_subject", "!=", False)])
        self.assertTrue(sent)
        word = sent[0].mail_subject.split()[0]
        self.assertIn(sent[0], Trace.search(self._domain_for(Trace, first, word)))
        own = Trace.search([("sequence_id", "=", self.sequence.id)])
        self.assertEqual(own, own & Trace.search(self._domain_for(Trace, first, self.sequence.name)), "by sequence")

    def test_copy_honours_default(self):
        self.assertEqual(self.sequence.copy({"name": "Warm Outbound"}).name, "Warm Outbound")
        self.assertEqual(self.sequence.copy().name, "Outbound (copy)")
