from odoo.tests import tagged

from .common import SalesSequenceCase


@tagged("post_install", "-at_install")
class TestConflicts(SalesSequenceCase):
    """Priority (1 = highest), allow_concurrent and the company cap, settled
    in ``enroll()`` (issue 3, item 11)."""

    def _sequence(self, name, priority, allow_concurrent=True):
        return self._create_sequence(
            [self._email(delay_days=2)],
            name=name,
            priority=priority,
            allow_concurrent=allow_concurrent,
        )

    def _enroll(self, sequence, records):
        return sequence.enroll(records, user=self.user_rep)

    def test_exclusive_higher_priority_pushes_lower_ones_out(self):
        nurture = self._sequence("Nurture", 20)
        newsletter = self._sequence("Newsletter", 30)
        urgent = self._sequence("Urgent", 1, allow_concurrent=False)
        low = self._enroll(nurture, self.jane | self.john)["enrolled"]
        low |= self._enroll(newsletter, self.jane)["enrolled"]
        result = self._enroll(urgent, self.jane)
        self.assertEqual(result["enrolled"].partner_id, self.jane)
        self.assertFalse(result["failed"])
        for enrollment in low.filtered(lambda e: e.partner_id == self.jane):
            self.assertExited(enrollment, "other_sequence")
        self.assertEqual(low.filtered(lambda e: e.partner_id == self.john).state, "active")
        self.assertIn("Exited (Other Sequence)", self.jane.message_ids[1].body)

    def test_any_sequence_yields_to_a_higher_priority_exclusive_one(self):
        urgent = self._sequence("Urgent", 1, allow_concurrent=False)
        nurture = self._sequence("Nurture", 20)
        running = self._enroll(urgent, self.jane)["enrolled"]
        result = self._enroll(nurture, self.jane | self.john)
        self.assertEqual(result["failed"], self.jane)
        self.assertIn("Urgent", result["failure_reasons"][self.jane.id])
        self.assertIn("priority", result["failure_reasons"][self.jane.id])
        self.assertEqual(result["enrolled"].partner_id, self.john)
        self.assertEqual(running.state, "active")

    def test_exclusive_newcomer_yields_to_higher_or_equal_priority(self):
        important = self._sequence("Important", 5)
        exclusive = self._sequence("Exclusive", 10, allow_concurrent=False)
        same = self._sequence("Same level", 10)
        self._enroll(important, self.jane)
        self._enroll(same, self.john)
        result = self._enroll(exclusive, self.jane | self.john)
        self.assertEqual(result["failed"], self.jane | self.john)  # a tie keeps the running one
        self.assertFalse(result["enrolled"])

    def test_higher_priority_newcomer_ends_a_lower_exclusive_one(self):
        exclusive = self._sequence("Exclusive", 20, allow_concurrent=False)
        important = self._sequence("Important", 5)
        running = self._enroll(exclusive, self.jane)["enrolled"]
        self.assertTrue(self._enroll(important, self.jane)["enrolled"])
        self.assertExited(running, "other_sequence")

    def test_concurrent_sequences_share_contacts(self):
        first, second = self._sequence("First", 1), self._sequence("Second", 2)
        running = self._enroll(first, self.jane)["enrolled"]
        self.assertTrue(self._enroll(second, self.jane)["enrolled"])
        self.assertEqual(running.state, "active")

    def test_a_lead_conflicts_through_its_contact(self):
        exclusive = self._sequence("Exclusive", 1, allow_concurrent=False)
        nurture = self._sequence("Nurture", 20)
        on_contact = self._enroll(nurture, self.jane)["enrolled"]
        self.assertTrue(self._enroll(exclusive, self.lead)["enrolled"])  # the lead of Jane
        self.assertExited(on_contact, "other_sequence")
        result = self._enroll(nurture, self.jane)
        self.assertEqual(result["failed"], self.jane)

    def test_company_cap_on_concurrent_sequences(self):
        settings = self.env["res.config.settings"].create({"sales_sequence_max_concurrent": 2})
        settings.execute()
        self.assertEqual(self.env.company.sales_sequence_max_concurrent, 2)
        first, second, third = (self._sequence(name, 10) for name in ("First", "Second", "Third"))
        self._enroll(first, self.jane | self.john)
        self._enroll(second, self.jane)
        result = self._enroll(third, self.jane | self.john)
        self.assertEqual(result["failed"], self.jane)
        self.assertIn("already in 2 sequences", result["failure_reasons"][self.jane.id])
        self.assertEqual(result["enrolled"].partner_id, self.john)
        # a sequence it leaves frees a place; paused enrollments still count
        self.env["sales.sequence.enrollment"].search(
            [
                ("partner_id", "=", self.jane.id),
                ("sequence_id", "=", second.id),
            ]
        ).action_exit()
        self.assertTrue(self._enroll(third, self.jane)["enrolled"])

    def test_exclusive_newcomer_is_not_counted_against_the_cap_it_frees(self):
        self.env.company.sales_sequence_max_concurrent = 1
        nurture = self._sequence("Nurture", 20)
        exclusive = self._sequence("Exclusive", 1, allow_concurrent=False)
        running = self._enroll(nurture, self.jane)["enrolled"]
        self.assertTrue(self._enroll(exclusive, self.jane)["enrolled"])
        self.assertExited(running, "other_sequence")

    def test_queries_do_not_grow_with_the_records(self):
        """Conflicts are read once for the whole selection (grouped reads, one create)."""
        counts = []
        for size in (5, 10, 40):  # the first one warms the caches up
            partners = self.env["res.partner"].create(
                [{"name": "P%s-%s" % (size, i), "email": "p%s.%s@example.com" % (size, i)} for i in range(size)]
            )
            low = self._sequence("Low %s" % size, 20)
            exclusive = self._sequence("Exclusive %s" % size, 1, allow_concurrent=False)
            self._enroll(low, partners[: size // 2])
            self.env.flush_all()
            self.env.invalidate_all()
            queries_before = self.cr.sql_log_count
            result = self._enroll(exclusive, partners)
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - queries_before)
            self.assertEqual(len(result["enrolled"]), size)
        self.assertEqual(counts[1], counts[2], "enroll() queries must not depend on the number of records")
        self.assertLessEqual(counts[2], 34)  # + one address per sequence (3), deals at enrollment (1)
