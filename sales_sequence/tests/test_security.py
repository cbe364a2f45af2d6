"""Who sees and changes what: groups, access rights, record rules, companies.

Rules under test (security/sales_sequence_security.xml):

* groups: every salesman is a "Sequences: User", every sales manager a
  "Sequences: Manager" (the sales groups imply ours);
* sequences: a user reads their own, their sales teams' and the team-less
  ones, and changes only their own; a manager, all of their companies;
* steps and variants follow their sequence;
* enrollments and traces: a user sees those they send, or whose lead (else
  contact) they are the salesperson of; a manager, all of their companies;
* companies: nobody sees another company's sequences, steps, variants,
  enrollments or traces;
* portal and public users: no access at all.
"""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import MONDAY_9AM, SalesSequenceCase

USER_GROUP = "sales_sequence.group_sales_sequence_user"
MANAGER_GROUP = "sales_sequence.group_sales_sequence_manager"


class SecurityCase(SalesSequenceCase):
    """Two reps in two teams, a manager, a manager of another company, a
    portal user, and sequences and enrollments of each kind."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_portal_user()
        cls.user_rep2 = mail_new_test_user(
            cls.env,
            login="rep2",
            name="Robin Rep",
            email="robin.rep@test.example.com",
            groups="sales_team.group_sale_salesman",
            tz="Europe/Brussels",
        )
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_other_company = mail_new_test_user(
            cls.env,
            login="othermanager",
            name="Olga Other",
            email="olga@b.example.com",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        Team = cls.env["crm.team"]
        cls.team_a = Team.create({"name": "Team A", "member_ids": [Command.set(cls.user_rep.ids)]})
        cls.team_b = Team.create({"name": "Team B", "member_ids": [Command.set(cls.user_rep2.ids)]})

        cls.seq_own = cls._create_sequence(
            [cls._email()], name="Rep's own", user_id=cls.user_rep.id, team_id=cls.team_a.id
        )
        cls.seq_team = cls._create_sequence(
            [cls._email()], name="Team A, by rep2", user_id=cls.user_rep2.id, team_id=cls.team_a.id
        )
        cls.seq_other_team = cls._create_sequence(
            [cls._email()], name="Team B", user_id=cls.user_rep2.id, team_id=cls.team_b.id
        )
        cls.seq_shared = cls._create_sequence(
            [cls._email(), cls._task("call", delay_days=1)], name="Shared", team_id=False
        )
        cls.seq_company_b = cls._create_sequence(
            [cls._email()],
            name="Company B",
            user_id=cls.user_other_company.id,
            team_id=False,
            company_id=cls.company_b.id,
        )
        cls.sequences = cls.seq_own | cls.seq_team | cls.seq_other_team | cls.seq_shared | cls.seq_company_b
        cls.seq_other_team.step_ids.write(
            {
                "variant_ids": [
                    Command.create(
                        {
                            "subject": "Variant {{ first_name }}",
                            "body_html": "<p>B</p>",
                        }
                    )
                ]
            }
        )

        cls.lead_rep2 = cls.env["crm.lead"].create(
            {
                "name": "Robin's deal",
                "email_from": "deal@robin.example.com",
                "user_id": cls.user_rep2.id,
            }
        )
        cls.partner_b = cls.env["res.partner"].create(
            {
                "name": "Bea B",
                "email": "bea@b.example.com",
                "company_id": cls.company_b.id,
            }
        )

        def enroll(sequence, record, sender):
            return sequence.enroll(record, user=sender, start_at=MONDAY_9AM)["enrolled"]

        # what the rep may see: sent by them, or their lead / their contact
        cls.enr_sent_by_rep = enroll(cls.seq_shared, cls.lead, cls.user_rep)
        cls.enr_rep_contact = enroll(cls.seq_team, cls.jane, cls.user_rep2)
        # what they may not: another rep's sending to a contact without salesperson, another rep's lead
        cls.enr_rep2_john = enroll(cls.seq_shared, cls.john, cls.user_rep2)
        cls.enr_rep2_lead = enroll(cls.seq_other_team, cls.lead_rep2, cls.user_rep2)
        cls.enr_company_b = enroll(cls.seq_company_b, cls.partner_b, cls.user_other_company)
        cls.enrollments = (
            cls.enr_sent_by_rep | cls.enr_rep_contact | cls.enr_rep2_john | cls.enr_rep2_lead | cls.enr_company_b
        )
        cls.env["sales.sequence.enrollment"]._cron_process_due(now=MONDAY_9AM)  # one trace each
        cls.traces = cls.enrollments.trace_ids

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _visible(self, records):
        """The part of ``records`` the current test user finds by search."""
        self.env.invalidate_all()
        return self.env[records._name].search([("id", "in", records.ids)])

    def _as_me(self, records):
        self.env.invalidate_all()
        return records.with_env(self.env)


@tagged("post_install", "-at_install")
class TestGroups(SecurityCase):
    def test_sales_groups_imply_sequence_groups(self):
        self.assertTrue(self.user_rep.has_group(USER_GROUP))
        self.assertFalse(self.user_rep.has_group(MANAGER_GROUP))
        self.assertTrue(self.user_manager.has_group(MANAGER_GROUP))
        self.assertTrue(self.user_manager.has_group(USER_GROUP))
        # the implication is declared on the sales groups, not only inherited by users
        salesman = self.env.ref("sales_team.group_sale_salesman")
        sales_manager = self.env.ref("sales_team.group_sale_manager")
        self.assertIn(self.env.ref(USER_GROUP), salesman.all_implied_ids)
        self.assertIn(self.env.ref(MANAGER_GROUP), sales_manager.all_implied_ids)
        # a user added to the sales team groups later is a sequence user at once
        newcomer = mail_new_test_user(self.env, login="newcomer", groups="base.group_user")
        self.assertFalse(newcomer.has_group(USER_GROUP))
        newcomer.group_ids = [Command.link(salesman.id)]
        self.assertTrue(newcomer.has_group(USER_GROUP))

    def test_groups_have_an_odoo19_privilege(self):
        user_group, manager_group = self.env.ref(USER_GROUP), self.env.ref(MANAGER_GROUP)
        privilege = user_group.privilege_id
        self.assertTrue(privilege)
        self.assertEqual(manager_group.privilege_id, privilege)
        self.assertEqual(privilege.category_id, self.env.ref("base.module_category_sales"))
        self.assertIn(user_group, manager_group.implied_ids)

    def test_portal_public_and_employees_are_not_sequence_users(self):
        for user in (self.user_portal, self.user_public, self.user_employee):
            with self.subTest(user=user.login):
                self.assertFalse(user.has_group(USER_GROUP))

    def test_contacts_stay_readable_without_sequence_rights(self):
        """The enrollment fields added to contacts and leads are for sequence
        users: an employee outside sales still reads every field of a contact."""
        employee = self.user_employee
        if "account.move" in self.env:  # the accounting fields of the form (test databases with account)
            employee.group_ids |= self.env.ref("account.group_account_readonly")
        john = self.john.with_user(employee)
        self.assertNotIn("sequence_enrollment_count", john.fields_get())
        self.assertNotIn("sequence_enrollment_ids", john.fields_get())
        form = self.env.ref("base.view_partner_form")
        spec = {name: {} for name in john.get_views([(form.id, "form")])["models"]["res.partner"]["fields"]}
        john.web_read(spec)  # the contact form loads without the sequence fields

    def test_every_model_is_covered_by_access_rights(self):
        models = [
            name for name in self.env.registry if name.startswith("sales.sequence") and not self.env[name]._abstract
        ]
        self.assertIn("sales.sequence.enroll.wizard", models)
        # the tracked links: every rep's URLs, read by the engine and the click route only
        managers_only = {"sales.sequence.link"}
        for name in models:
            with self.subTest(model=name):
                self.assertEqual(self.env[name].with_user(self.user_rep).has_access("read"), name not in managers_only)
                self.assertTrue(self.env[name].with_user(self.user_manager).has_access("read"))
                for user in (self.user_portal, self.user_public, self.user_employee):
                    self.assertFalse(self.env[name].with_user(user).has_access("read"), user.login)


@tagged("post_install", "-at_install")
class TestSequenceRules(SecurityCase):
    @users("rep")
    def test_user_reads_own_team_and_teamless_sequences(self):
        self.assertEqual(self._visible(self.sequences), self.seq_own | self.seq_team | self.seq_shared)
        with self.assertRaises(AccessError):
            self._as_me(self.seq_other_team).check_access("read")
        with self.assertRaises(AccessError):
            self._as_me(self.seq_company_b).check_access("read")
        # steps and variants follow their sequence
        steps = self.sequences.step_ids
        self.assertEqual(self._visible(steps), (self.seq_own | self.seq_team | self.seq_shared).step_ids)
        self.assertFalse(self._visible(self.seq_other_team.step_ids.variant_ids))

    @users("rep")
    def test_team_membership_is_read_live(self):
        self.assertFalse(self._visible(self.seq_other_team))
        self.team_b.sudo().member_ids = [Command.link(self.user_rep.id)]
        self.assertEqual(self._visible(self.seq_other_team), self.seq_other_team)

    @users("rep")
    def test_user_changes_only_own_sequences(self):
        own, team = self._as_me(self.seq_own), self._as_me(self.seq_team)
        own.write({"description": "mine"})
        own.action_pause()
        self.assertEqual(own.state, "paused")
        with self.assertRaises(AccessError):
            team.write({"description": "not mine"})
        with self.assertRaises(AccessError):
            team.action_pause()
        with self.assertRaises(AccessError):
            own.unlink()  # reps archive, managers delete
        # steps: added to one's own sequence only
        self.env["sales.sequence.step"].create({"sequence_id": own.id, "step_type": "call"})
        with self.assertRaises(AccessError):
            self.env["sales.sequence.step"].create({"sequence_id": team.id, "step_type": "call"})
        with self.assertRaises(AccessError):
            team.step_ids.write({"subject": "Hijacked"})
        self.env.invalidate_all()
        self.assertEqual(self.seq_team.state, "active")
        self.assertNotEqual(self.seq_team.step_ids.subject, "Hijacked")

    @users("rep")
    def test_user_creates_sequences_for_themselves_only(self):
        Sequence = self.env["sales.sequence"]
        mine = Sequence.create({"name": "My cadence"})
        self.assertEqual(mine.user_id, self.env.user)
        with self.assertRaises(AccessError):
            Sequence.create({"name": "For someone else", "user_id": self.user_rep2.id})
        # the owner sends for the automation rules: only a manager hands a sequence over (issue 14, finding 9)
        with self.assertRaisesRegex(AccessError, "Only a sequence manager"):
            mine.write({"user_id": self.user_rep2.id, "team_id": self.team_a.id})
        mine.with_user(self.user_manager).write({"user_id": self.user_rep2.id})
        with self.assertRaises(AccessError):
            mine.write({"name": "Taken back"})

    @users("seqmanager")
    def test_manager_manages_every_sequence_of_the_company(self):
        company_a = self.sequences - self.seq_company_b
        self.assertEqual(self._visible(self.sequences), company_a)
        self._as_me(company_a).write({"description": "reviewed"})
        self._as_me(self.seq_other_team).action_pause()
        self._as_me(self.seq_other_team.step_ids).write({"subject": "Edited by the manager"})
        with self.assertRaises(AccessError):
            self._as_me(self.seq_company_b).check_access("read")
        self._as_me(self.seq_own).unlink()
        self.assertFalse(self.seq_own.exists())

    @users("othermanager")
    def test_other_company_sees_only_its_own(self):
        self.assertEqual(self._visible(self.sequences), self.seq_company_b)
        self.assertEqual(self._visible(self.sequences.step_ids), self.seq_company_b.step_ids)
        self.assertFalse(self._visible(self.seq_other_team.step_ids.variant_ids))
        self.assertEqual(self._visible(self.enrollments), self.enr_company_b)
        self.assertEqual(self._visible(self.traces), self.enr_company_b.trace_ids)
        with self.assertRaises(AccessError):
            self._as_me(self.seq_shared).action_pause()
        with self.assertRaises(AccessError):
            self._as_me(self.seq_shared).enroll(self.partner_b)

    @users("portal_test", "public")
    def test_portal_and_public_have_no_access(self):
        for name in (
            "sales.sequence",
            "sales.sequence.step",
            "sales.sequence.step.variant",
            "sales.sequence.enrollment",
            "sales.sequence.trace",
            "sales.sequence.enroll.wizard",
        ):
            with self.subTest(model=name), self.assertRaises(AccessError):
                self.env[name].search([])
        with self.assertRaises(AccessError):
            self._as_me(self.seq_shared).read(["name"])
        with self.assertRaises(AccessError):
            self._as_me(self.seq_shared).enroll(self.env.user.partner_id)
        with self.assertRaises(AccessError):
            self._as_me(self.enr_sent_by_rep).action_exit()
        with self.assertRaises(AccessError):
            self.env["sales.sequence.enroll.wizard"].create({"sequence_id": self.seq_shared.id})
        self.assertEqual(self.enr_sent_by_rep.state, "active")


@tagged("post_install", "-at_install")
class TestEnrollmentRules(SecurityCase):
    @users("rep")
    def test_user_sees_enrollments_they_send_or_follow(self):
        mine = self.enr_sent_by_rep | self.enr_rep_contact
        self.assertEqual(self._visible(self.enrollments), mine)
        self.assertEqual(self._visible(self.traces), mine.trace_ids)
        self.assertEqual(len(mine.trace_ids), 2)
        for other in (self.enr_rep2_john, self.enr_rep2_lead, self.enr_company_b):
            with self.subTest(enrollment=other.display_name), self.assertRaises(AccessError):
                self._as_me(other).check_access("read")
        # the counters are the sequence's, as its analytics and the dashboard
        # count them (one definition), whoever looks; the lists show what one may see
        shared = self._as_me(self.seq_shared)
        self.assertEqual(
            (shared.enrollment_count, shared.active_enrollment_count), (shared.enrolled_count, shared.active_count)
        )
        self.assertEqual(shared.enrollment_count, 2)

    @users("rep")
    def test_lost_lead_stays_visible_to_its_salesperson(self):
        self.lead.sudo().action_set_lost()
        self.assertEqual(self._visible(self.enr_sent_by_rep), self.enr_sent_by_rep)

    @users("rep")
    def test_user_buttons_on_enrollments_of_others_are_refused(self):
        other = self._as_me(self.enr_rep2_john)
        for button in ("action_pause", "action_exit", "action_resume", "action_open_target"):
            with self.subTest(button=button), self.assertRaises(AccessError):
                self.env.invalidate_all()
                getattr(other, button)()
        # a navigation button only returns an action: what it would open stays hidden
        action = other.action_view_traces()
        self.assertTrue(self.enr_rep2_john.trace_ids)
        self.assertFalse(self.env[action["res_model"]].search(action["domain"]))
        with self.assertRaises(AccessError):
            self._as_me(self.enr_sent_by_rep).unlink()  # history is kept: no deletion by reps
        with self.assertRaises(AccessError):
            self._as_me(self.traces).write({"state": "failed"})
        self.env.invalidate_all()
        self.assertEqual(self.enr_rep2_john.state, "active")
        # their own ones work
        self._as_me(self.enr_sent_by_rep).action_pause()
        self.assertEqual(self.enr_sent_by_rep.state, "paused")

    @users("rep")
    def test_user_enrolls_into_readable_active_sequences(self):
        prospect = self.env["res.partner"].create({"name": "New Prospect", "email": "new@prospect.example.com"})
        team_sequence = self._as_me(self.seq_team)  # another rep's sequence, shared with the team
        # no salesperson: the sequence's owner would send, and a rep sends in their own name only
        result = team_sequence.enroll(prospect)
        self.assertEqual(result["failed"], prospect)
        self.assertIn("choose yourself as the sender", result["failure_reasons"][prospect.id])
        result = team_sequence.enroll(prospect, user=self.env.user)
        self.assertEqual(result["enrolled"].user_id, self.env.user)
        with self.assertRaises(AccessError):
            self._as_me(self.seq_other_team).enroll(prospect)
        with self.assertRaises(AccessError):
            self.env["sales.sequence.enroll.wizard"].create(
                {
                    "sequence_id": self.seq_other_team.id,
                    "partner_ids": [Command.set(prospect.ids)],
                }
            ).action_enroll()
        self.assertEqual(
            self.env["sales.sequence.enrollment"].sudo().search_count([("partner_id", "=", prospect.id)]), 1
        )

    @users("rep")
    def test_user_sends_in_their_own_name_only(self):
        sequence = self._as_me(self.seq_own)
        prospect = self.env["res.partner"].create({"name": "P", "email": "p@prospect.example.com"})
        result = sequence.enroll(prospect, user=self.user_rep2)
        self.assertEqual(result["failed"], prospect)
        self.assertIn(
            "Only a sequence manager can send in the name of Robin Rep", result["failure_reasons"][prospect.id]
        )
        # a contact followed by another rep: the default sender (that rep) is refused too...
        followed = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": "Robin's contact",
                    "email": "rc@example.com",
                    "user_id": self.user_rep2.id,
                }
            )
            .with_env(self.env)
        )
        self.assertEqual(sequence.enroll(followed)["failed"], followed)
        # ...but the rep may contact them in their own name
        self.assertEqual(sequence.enroll(followed, user=self.env.user)["enrolled"].user_id, self.env.user)

    @users("rep")
    def test_duplicate_sent_by_another_rep_is_detected(self):
        # John runs in "Shared", sent by rep2: invisible to the rep, yet a duplicate
        result = self._as_me(self.seq_shared).enroll(self.john, user=self.env.user)
        self.assertEqual(result["skipped_duplicates"], self.john)
        self.assertFalse(result["enrolled"])

    def test_resume_detects_a_duplicate_sent_by_another_rep(self):
        """John's old enrollment, sent by the rep, failed; rep2 enrolled him
        again since, unseen by the rep: resuming the old one is refused with a
        clear message, not a database error."""
        old = self.enr_rep2_john.sudo().copy({"user_id": self.user_rep.id, "state": "failed"})
        with self.assertRaisesRegex(UserError, "already running"), mute_logger("odoo.sql_db"):
            old.with_user(self.user_rep).action_resume()
            self.env.flush_all()
        self.assertEqual(old.state, "failed")

    @users("seqmanager")
    def test_manager_sees_and_manages_all_enrollments_of_the_company(self):
        company_a = self.enrollments - self.enr_company_b
        self.assertEqual(self._visible(self.enrollments), company_a)
        self.assertEqual(self._visible(self.traces), company_a.trace_ids)
        self._as_me(self.enr_rep2_john).action_exit()
        self.assertEqual(self.enr_rep2_john.state, "exited")
        # and sends in any rep's name
        prospect = self.env["res.partner"].create({"name": "P", "email": "p@prospect.example.com"})
        self.assertTrue(self._as_me(self.seq_shared).enroll(prospect, user=self.user_rep2)["enrolled"])


@tagged("post_install", "-at_install")
class TestMultiCompany(SecurityCase):
    def test_company_is_stored_on_sequences_steps_and_enrollments(self):
        self.assertEqual(self.seq_company_b.step_ids.company_id, self.company_b)
        self.assertEqual(self.enr_company_b.company_id, self.company_b)

    def test_records_of_another_company_are_refused(self):
        lead_b = self.env["crm.lead"].create(
            {"name": "B deal", "email_from": "b@b.example.com", "company_id": self.company_b.id}
        )
        for record in (self.partner_b, lead_b):
            with self.subTest(model=record._name):
                result = self.seq_shared.with_user(self.user_manager).enroll(record)
                self.assertEqual(result["failed"], record)
                self.assertIn("Company B", result["failure_reasons"][record.id])
                self.assertFalse(result["enrolled"])

    def test_sender_of_another_company_is_refused(self):
        prospects = self.acme | self.no_email
        result = self.seq_shared.enroll(prospects, user=self.user_other_company)
        self.assertEqual(result["failed"], prospects)
        self.assertIn("does not work for", result["failure_reasons"][self.acme.id])
        self.assertFalse(result["enrolled"])

    def test_owner_team_and_assignee_belong_to_the_company(self):
        with self.assertRaisesRegex(UserError, "company inconsistencies"), self.cr.savepoint():
            self.seq_shared.user_id = self.user_other_company
        team_b_company = self.env["crm.team"].create({"name": "B team", "company_id": self.company_b.id})
        with self.assertRaisesRegex(UserError, "company inconsistencies"), self.cr.savepoint():
            self.seq_shared.team_id = team_b_company
        with self.assertRaisesRegex(UserError, "company inconsistencies"), self.cr.savepoint():
            self.seq_shared.step_ids[1].write({"assign_to": "user", "assign_user_id": self.user_other_company.id})
        with self.assertRaisesRegex(UserError, "company inconsistencies"), self.cr.savepoint():
            self.seq_shared.company_id = self.company_b  # its owner does not follow
        self.assertEqual(self.seq_shared.company_id, self.env.company)

    def test_multi_company_user_sees_the_companies_they_activate(self):
        Sequence = self.env["sales.sequence"].with_user(self.user_manager)
        company_a_only = Sequence.with_context(allowed_company_ids=self.env.company.ids)
        self.user_manager.company_ids = [Command.link(self.company_b.id)]
        self.assertEqual(company_a_only.search([("id", "in", self.sequences.ids)]), self.sequences - self.seq_company_b)
        both = Sequence.with_context(allowed_company_ids=[self.env.company.id, self.company_b.id])
        self.assertEqual(both.search([("id", "in", self.sequences.ids)]), self.sequences)
        with self.assertRaises(AccessError):  # a company the user does not belong to
            Sequence.with_user(self.user_rep).with_context(allowed_company_ids=self.company_b.ids).search([])
