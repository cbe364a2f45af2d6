from datetime import datetime, timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import MONDAY_9AM, SalesSequenceCase

TUESDAY_9AM = MONDAY_9AM + timedelta(days=1)


class AudienceCase(SalesSequenceCase):
    """Contacts tagged "Webinar" (some with a salesperson), and a sequence
    whose live audience is them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = cls.env["res.partner.category"].create({"name": "Webinar (seq)"})
        cls.other_rep = mail_new_test_user(
            cls.env,
            login="rep2",
            name="Otto Other",
            email="otto@test.example.com",
            groups="sales_team.group_sale_salesman",
            tz="Europe/Brussels",
        )
        Partner = cls.env["res.partner"]
        cls.attendees = Partner.create(
            [
                {
                    "name": "Attendee %s" % index,
                    "email": "attendee%s@webinar.example.com" % index,
                    "category_id": [(4, cls.tag.id)],
                }
                for index in range(4)
            ]
        )
        cls.attendees[0].user_id = cls.user_rep
        cls.outsider = Partner.create({"name": "Not There", "email": "outsider@example.com"})

    @classmethod
    def _audience_sequence(cls, domain=None, activate=True, **values):
        return cls._create_sequence(
            [cls._email(delay_days=1)],
            activate=activate,
            name=values.pop("name", "Webinar follow-up"),
            audience_model=values.pop("audience_model", "res.partner"),
            audience_domain=repr(domain if domain is not None else [("category_id", "in", cls.tag.ids)]),
            auto_enroll=values.pop("auto_enroll", True),
            **values,
        )

    def _enrollments(self, sequence):
        return self.env["sales.sequence.enrollment"].search([("sequence_id", "=", sequence.id)], order="id")


@tagged("post_install", "-at_install")
class TestAudienceSync(AudienceCase):
    def test_each_run_enrolls_the_new_matches_once(self):
        sequence = self._audience_sequence()
        self._run(MONDAY_9AM)
        enrollments = self._enrollments(sequence)
        self.assertEqual(enrollments.partner_id, self.attendees)
        self.assertTrue(all(enrollments.mapped("from_audience")))
        self.assertEqual(set(enrollments.mapped("enrolled_at")), {MONDAY_9AM})
        self.assertEqual(sequence.audience_synced_at, MONDAY_9AM)
        self.assertIn("Enrolled in the sequence Webinar follow-up", self.attendees[1].message_ids[0].body)
        # nothing new: nothing happens
        self._run(MONDAY_9AM + timedelta(minutes=5))
        self.assertEqual(self._enrollments(sequence), enrollments)
        # a record that went through does not come back by itself
        enrollments[1].action_exit()
        enrollments[2].action_exit("reply")
        self.attendees[1].write({"phone": "+32 2 555 00 00"})
        self._run(MONDAY_9AM + timedelta(minutes=10))
        self.assertEqual(self._enrollments(sequence), enrollments)
        # a newly matching record enters at the next run
        self.outsider.category_id = self.tag
        self._run(MONDAY_9AM + timedelta(minutes=15))
        new = self._enrollments(sequence) - enrollments
        self.assertEqual(new.partner_id, self.outsider)

    def test_reenrollment_after_leaving_and_changing(self):
        sequence = self._audience_sequence(allow_reenroll=True)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = %s WHERE id IN %s",
            [MONDAY_9AM - timedelta(days=1), tuple(self.attendees.ids)],
        )
        with freeze_time(MONDAY_9AM):
            self._run(MONDAY_9AM)
        first = self._enrollments(sequence)
        with freeze_time(MONDAY_9AM + timedelta(minutes=1)):
            first[:2].action_exit()
        self._run(MONDAY_9AM + timedelta(minutes=5))
        self.assertEqual(self._enrollments(sequence), first, "unchanged since it left: it does not come back")
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = %s WHERE id = %s",
            [MONDAY_9AM + timedelta(hours=1), self.attendees[0].id],
        )
        self.env.invalidate_all()
        self._run(MONDAY_9AM + timedelta(hours=2))
        again = self._enrollments(sequence) - first
        self.assertEqual(again.partner_id, self.attendees[0])
        self.assertEqual(again.state, "active")

    def test_daily_limit(self):
        sequence = self._audience_sequence(daily_enroll_limit=3)
        self.outsider.category_id = self.tag
        self._run(MONDAY_9AM)
        self.assertEqual(len(self._enrollments(sequence)), 3)
        self.assertEqual(sequence.audience_day_count, 3)
        self._run(MONDAY_9AM + timedelta(hours=3))
        self.assertEqual(len(self._enrollments(sequence)), 3)
        # Brussels midnight is a new day
        self._run(datetime(2026, 3, 2, 23, 5))
        self.assertEqual(self._enrollments(sequence).partner_id, self.attendees | self.outsider)
        self.assertEqual(sequence.audience_day_count, 2)

    def test_checks_set_records_aside_without_holding_the_others(self):
        sequence = self._audience_sequence(name="Follow-up")
        suppressed, same_address, busy, fine = self.attendees
        self.env["mail.blacklist"]._add(suppressed.email)
        self.env["crm.lead"].create({"name": "Same person", "email_from": same_address.email, "type": "lead"})
        sequence.enroll(self.env["crm.lead"].search([("email_from", "=", same_address.email)]), user=self.user_rep)
        urgent = self._create_sequence([self._email(delay_days=3)], name="Urgent", priority=1, allow_concurrent=False)
        urgent.enroll(busy, user=self.user_rep)
        self.env["ir.config_parameter"].set_param("sales_sequence.enroll_chunk_size", 1)
        self._run(MONDAY_9AM)
        entered = self._enrollments(sequence).filtered("from_audience")
        self.assertEqual(entered.partner_id, fine)
        skips = self.env["sales.sequence.audience.skip"].search([("sequence_id", "=", sequence.id)])
        reasons = {skip.res_id: skip.reason for skip in skips}
        self.assertEqual(set(reasons), {suppressed.id, same_address.id, busy.id})
        self.assertIn("suppression list", reasons[suppressed.id])
        self.assertIn("same address", reasons[same_address.id])
        self.assertIn("Urgent", reasons[busy.id])
        self.assertEqual(sequence.audience_skip_count, 3)
        self.assertEqual(
            skips.mapped("record_name"), skips.mapped(lambda skip: self.env["res.partner"].browse(skip.res_id).name)
        )
        # passed over until the next day, then tried again
        self.env["mail.blacklist"]._remove(suppressed.email)
        self._run(MONDAY_9AM + timedelta(hours=2))
        self.assertEqual(self._enrollments(sequence).filtered("from_audience").partner_id, fine)
        self._run(TUESDAY_9AM + timedelta(minutes=1))
        self.assertEqual(self._enrollments(sequence).filtered("from_audience").partner_id, fine | suppressed)

    def test_sender_is_the_salesperson_else_the_owner(self):
        portal = mail_new_test_user(self.env, login="portal_seq", name="Portal Pete", groups="base.group_portal")
        self.attendees[1].user_id = portal
        self.attendees[2].user_id = self.other_rep
        archived = mail_new_test_user(
            self.env, login="gone_seq", name="Gone Rep", groups="sales_team.group_sale_salesman"
        )
        archived.action_archive()
        self.attendees[3].user_id = archived
        sequence = self._audience_sequence()  # owner: the sales manager
        self._run(MONDAY_9AM)
        senders = {e.partner_id: e.user_id for e in self._enrollments(sequence)}
        self.assertEqual(
            senders,
            {
                self.attendees[0]: self.user_rep,
                self.attendees[1]: self.user_manager,
                self.attendees[2]: self.other_rep,
                self.attendees[3]: self.user_manager,
            },
        )
        odoobot = self.env.ref("base.user_root")
        self.assertNotIn(odoobot, self._enrollments(sequence).user_id)

    def test_preview(self):
        sequence = self._audience_sequence(auto_enroll=False)
        self.env["mail.blacklist"]._add(self.attendees[3].email)
        self.assertEqual((sequence.audience_match_count, sequence.audience_new_count), (4, 3))
        sequence.enroll(self.attendees[0])
        sequence.invalidate_recordset(["audience_match_count", "audience_new_count"])
        self.assertEqual((sequence.audience_match_count, sequence.audience_new_count), (4, 2))
        with Form(sequence) as form:
            form.audience_domain = repr([("email", "ilike", "example.com")])
            self.assertEqual(
                form.audience_match_count,
                self.env["res.partner"].with_user(self.user_manager).search_count([("email", "ilike", "example.com")]),
            )
            form.audience_model = "crm.lead"
            form.audience_domain = repr([("id", "=", self.lead.id)])
            self.assertEqual((form.audience_match_count, form.audience_new_count), (1, 1))

    def test_enroll_new_matches_now(self):
        sequence = self._audience_sequence()
        with self.assertRaises(AccessError):
            sequence.with_user(self.user_rep).action_sync_audience()
        result = sequence.with_user(self.user_manager).action_sync_audience()
        self.assertIn("4 enrolled", result["params"]["message"])


@tagged("post_install", "-at_install")
class TestAudienceTrust(AudienceCase):
    """The audience is rep-written input: read with the owner's rights."""

    def test_owner_rights_limit_the_audience(self):
        Lead = self.env["crm.lead"]
        mine = Lead.create({"name": "Mine", "email_from": "m@lead.example.com", "user_id": self.user_rep.id})
        theirs = Lead.create({"name": "Theirs", "email_from": "t@lead.example.com", "user_id": self.other_rep.id})
        domain = [("email_from", "ilike", "@lead.example.com")]
        sequence = self._create_sequence([self._email(delay_days=1)], name="Rep's own", user_id=self.user_rep.id)
        sequence.with_user(self.user_rep).write(
            {
                "audience_model": "crm.lead",
                "audience_domain": repr(domain),
                "auto_enroll": True,
            }
        )
        self.assertEqual(sequence.audience_match_count, 1)
        self._run(MONDAY_9AM)
        self.assertEqual(self._enrollments(sequence).lead_id, mine)
        self.assertNotIn(theirs, self._enrollments(sequence).lead_id)

    def test_fields_the_owner_cannot_read_are_refused(self):
        sequence = self._audience_sequence(domain=[("signup_type", "=", "signup")])
        self.attendees.signup_type = "signup"
        self._run(MONDAY_9AM)
        self.assertFalse(self._enrollments(sequence))
        self.assertTrue(sequence.audience_error)
        # the others still run
        other = self._audience_sequence(name="Fine")
        self._run(MONDAY_9AM + timedelta(minutes=5))
        self.assertEqual(self._enrollments(other).partner_id, self.attendees)
        self.assertTrue(sequence.audience_error)

    def test_domain_on_unknown_fields_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            self._audience_sequence(domain=[("no_such_field", "=", 1)])

    def test_domain_cannot_call_methods(self):
        with self.assertRaises(ValidationError):
            self._audience_sequence(domain="[('id', '=', env.user.id)]")
        with self.assertRaises(ValidationError):
            self._create_sequence([self._email()], audience_domain="[('id', '=', uid.__class__)]")

    def test_only_the_owner_or_a_manager_sets_it_up(self):
        sequence = self._create_sequence([self._email()], name="Rep's", user_id=self.user_rep.id)
        as_rep = sequence.with_user(self.user_rep)
        as_rep.write({"audience_domain": repr([("category_id", "in", self.tag.ids)]), "auto_enroll": True})
        with self.assertRaises(AccessError):
            as_rep.write({"user_id": self.user_manager.id})  # borrowing the manager's rights
        sequence.with_user(self.user_manager).write({"audience_domain": "[('id', '=', 0)]"})

    def test_empty_audience_cannot_enroll_everyone(self):
        with self.assertRaises(ValidationError):
            self._audience_sequence(domain=[])

    def test_owner_must_be_able_to_send(self):
        owner = mail_new_test_user(
            self.env,
            login="leaving",
            name="Leaving Owner",
            email="leaving@test.example.com",
            groups="sales_team.group_sale_manager",
        )
        sequence = self._audience_sequence(user_id=owner.id)
        owner.action_archive()
        self._run(MONDAY_9AM)
        self.assertFalse(self._enrollments(sequence))
        self.assertIn("owner", sequence.audience_error)


@tagged("post_install", "-at_install")
class TestAudienceQueries(AudienceCase):
    """The sync costs the same few queries whatever the number of matches
    and of records that already went through."""

    def _contacts(self, count, start=0):
        return self.env["res.partner"].create(
            [
                {
                    "name": "Match %s" % index,
                    "email": "match%s@bulk.example.com" % index,
                    "category_id": [(4, self.tag.id)],
                    "user_id": self.user_rep.id,
                }
                for index in range(start, start + count)
            ]
        )

    def test_query_count_of_the_sync(self):
        sequence = self._audience_sequence()
        Sequence = self.env["sales.sequence"]
        Sequence._sync_audiences(MONDAY_9AM)  # warm-up: the 4 attendees
        for size in (5, 40):
            contacts = self._contacts(size, start=size)
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(__system__=43):
                enrolled = Sequence._sync_audiences(MONDAY_9AM)
            self.assertEqual(enrolled, size)
            entered = self._enrollments(sequence).filtered(lambda e: e.partner_id in contacts)
            self.assertEqual(entered.partner_id, contacts)
        # nothing new: a handful of queries, whatever went through before
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=10):
            self.assertEqual(Sequence._sync_audiences(MONDAY_9AM), 0)

    def test_query_count_of_the_exit_checks(self):
        sequence = self._audience_sequence(
            exit_on_deal_created=True, exit_on_stage_change=True, exit_domain=repr([("email", "=like", "nobody%")])
        )
        for size in (5, 40):
            enrollments = sequence.enroll(self._contacts(size, start=100 * size), user=self.user_rep)["enrolled"]
            self.env["crm.lead"].create(
                [
                    {"name": "Deal", "type": "opportunity", "partner_id": enrollment.partner_id.id}
                    for enrollment in enrollments[:2]
                ]
            )
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(__system__=14):
                exits = enrollments._find_exits()
            self.assertEqual(exits["deal_created"], enrollments[:2])
