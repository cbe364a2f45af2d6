from datetime import date, datetime

from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, freeze_time, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.sales_sequence.tools.mail_reports import Complaint

from .common import MONDAY_9AM, SalesSequenceCase


@tagged("post_install", "-at_install")
class TestSendingHealth(SalesSequenceCase):
    """Sent, bounced, complaints and unsubscribes per sequence and sender over
    the last 7 and 30 days, with the caps and the warm-up stage."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._email(delay_days=60)])
        cls.other = cls._create_sequence([cls._email()], name="Nurture", daily_limit=30)
        cls.prospects = cls.env["res.partner"].create(
            [{"name": "Prospect %s" % i, "email": "p%s@health.example.com" % i} for i in range(4)]
        )

    def _rows(self, user=None):
        Health = self.env["sales.sequence.sending.health"]
        rows = (Health.with_user(user) if user else Health).search([])
        # the demo data has sequences and senders of its own
        return {(row.sequence_id, row.user_id): row for row in rows if row.sequence_id in self.sequence | self.other}

    def _history(self):
        """4 emails of the rep on 2 March: one bounces that day, one
        unsubscribes, one is reported as spam on the 12th; the manager sends
        2 emails on the 11th."""
        enrollments = self.sequence.enroll(self.prospects, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        bounced, unsubscribed, complained, __ = enrollments
        with freeze_time(datetime(2026, 3, 2, 10, 0)):
            bounced.trace_ids._set_bounced("550 5.1.1 no such user")
        with freeze_time(datetime(2026, 3, 2, 11, 0)):
            unsubscribed._action_unsubscribe()
        eleventh = datetime(2026, 3, 11, 9, 0)
        self.other.enroll(self.jane | self.john, start_at=eleventh, user=self.user_manager)
        with self.mock_mail_gateway():
            self._run(eleventh)
        with freeze_time(datetime(2026, 3, 12, 9, 0)):
            self.env["sales.sequence.trace"]._on_complaint(
                Complaint("arf", "abuse", (), (complained.trace_ids.message_id,))
            )
        return enrollments

    def test_last_7_and_30_days(self):
        self._history()
        with freeze_time(datetime(2026, 3, 13, 12, 0)):
            rows = self._rows()
            rep = rows[self.sequence, self.user_rep]
            self.assertEqual(
                [rep.sent_7d, rep.bounced_7d, rep.complaint_7d, rep.unsubscribed_7d, rep.running_count], [0, 0, 1, 0, 1]
            )
            self.assertEqual([rep.sent_30d, rep.bounced_30d, rep.complaint_30d, rep.unsubscribed_30d], [4, 1, 1, 1])
            self.assertEqual((rep.bounce_rate_30d, rep.complaint_rate_30d), (25.0, 25.0))
            manager = rows[self.other, self.user_manager]
            self.assertEqual([manager.sent_7d, manager.sent_30d, manager.running_count], [2, 2, 0])
            self.assertEqual(manager.sequence_daily_limit, 30)
            # per sender, all sequences together
            totals = self.env["sales.sequence.sending.health"]._read_group(
                [], ["user_id"], ["sent_30d:sum", "complaint_30d:sum"]
            )
            self.assertIn((self.user_rep, 4, 1), totals)
        with freeze_time(datetime(2026, 4, 20, 12, 0)):
            rows = self._rows()
            # older than 30 days: no numbers, but the rep still has a prospect running
            self.assertEqual(rows[self.sequence, self.user_rep].sent_30d, 0)
            self.assertNotIn((self.other, self.user_manager), rows)

    def test_caps_and_warmup_stage_beside_the_numbers(self):
        self.user_rep.write(
            {
                "sales_sequence_daily_limit": 100,
                "sales_sequence_warmup": True,
                "sales_sequence_warmup_start": 20,
                "sales_sequence_warmup_increment": 10,
                "sales_sequence_warmup_date": date(2026, 3, 2),
            }
        )
        self._history()
        with freeze_time(datetime(2026, 3, 4, 12, 0)):
            row = self._rows()[self.sequence, self.user_rep]
            self.assertEqual(row.sender_limit_today, 40)
            self.assertEqual(row.sender_stage, "Warm-up, day 3: 40 emails today")
            self.assertEqual(row.sender_mailbox_rate, 0)

    def test_reps_see_their_own_emails_managers_all(self):
        self._history()
        with freeze_time(datetime(2026, 3, 13, 12, 0)):
            self.assertEqual(set(self._rows(self.user_rep)), {(self.sequence, self.user_rep)})
            everything = self.env["sales.sequence.sending.health"].with_user(self.user_rep).search([])
            self.assertEqual(everything.user_id, self.user_rep)
            self.assertEqual(
                set(self._rows(self.user_manager)), {(self.sequence, self.user_rep), (self.other, self.user_manager)}
            )

    def test_opened_from_the_dashboard_and_the_sequence(self):
        self._history()
        Sequence = self.env["sales.sequence"]
        with freeze_time(datetime(2026, 3, 13, 12, 0)):
            data = Sequence.with_user(self.user_manager).get_dashboard_data([("id", "=", self.sequence.id)])
            self.assertEqual((data["show_sending_health"], data["bounced_30d"], data["complaint_30d"]), (True, 1, 1))
            self.assertFalse(Sequence.with_user(self.user_rep).get_dashboard_data([])["show_sending_health"])
        action = Sequence.with_user(self.user_manager).action_open_sending_health([("name", "=", "Nurture")])
        self.assertEqual(action["res_model"], "sales.sequence.sending.health")
        self.assertEqual(action["domain"], [("sequence_id", "in", self.other.ids)])
        profile = self.env["sales.sequence.sending.health"].search([("user_id", "=", self.user_rep.id)], limit=1)
        self.assertEqual(profile.action_open_sending_profile()["res_id"], self.user_rep.id)


@tagged("post_install", "-at_install")
class TestSendingProfile(SalesSequenceCase):
    """Who sets a sender's daily limit and warm-up: sequence managers (and
    user administrators) for the internal users of their companies; a rep
    reads their own, and changes neither theirs nor anyone else's."""

    def test_a_rep_reads_but_does_not_change_limits(self):
        other_rep = mail_new_test_user(
            self.env,
            login="rep2",
            name="Robin Rep",
            email="robin@test.example.com",
            groups="sales_team.group_sale_salesman",
        )
        as_rep = self.user_rep.with_user(self.user_rep)
        self.assertEqual(
            as_rep.read(["sales_sequence_limit_today", "sales_sequence_sending_stage"])[0][
                "sales_sequence_sending_stage"
            ],
            "No daily limit",
        )
        for target in (self.user_rep, other_rep):
            with self.assertRaises(AccessError):
                target.with_user(self.user_rep).write({"sales_sequence_daily_limit": 5000})
            with self.assertRaises(AccessError):
                target.with_user(self.user_rep).write({"sales_sequence_warmup": False})

    def test_the_rep_sees_their_profile_in_their_preferences(self):
        self.user_rep.write({"sales_sequence_daily_limit": 80})
        Users = self.env["res.users"].with_user(self.user_rep)
        view = self.env.ref("base.view_users_form_simple_modif")
        arch = Users.get_views([(view.id, "form")])["views"]["form"]["arch"]
        self.assertIn('name="sales_sequence_sending_stage"', arch)
        fields_spec = {
            name: {}
            for name in (
                "sales_sequence_daily_limit",
                "sales_sequence_sending_stage",
                "sales_sequence_limit_today",
                "sales_sequence_warmup",
            )
        }
        values = Users.browse(self.user_rep.id).web_read(fields_spec)[0]
        self.assertEqual(
            (values["sales_sequence_daily_limit"], values["sales_sequence_sending_stage"]), (80, "80 emails a day")
        )

    @freeze_time("2026-03-04 22:30:00")  # 23:30 in Brussels, the rep's timezone
    def test_a_manager_sets_a_reps_warmup(self):
        form = Form(
            self.user_rep.with_user(self.user_manager), view="sales_sequence.res_users_view_form_sending_profile"
        )
        form.sales_sequence_daily_limit = 200
        form.sales_sequence_warmup = True
        self.assertEqual(form.sales_sequence_warmup_start, 20)  # the defaults of the settings
        form.save()
        self.assertEqual(self.user_rep.sales_sequence_daily_limit, 200)
        self.assertEqual(
            (
                self.user_rep.sales_sequence_warmup_start,
                self.user_rep.sales_sequence_warmup_increment,
                self.user_rep.sales_sequence_warmup_date,
            ),
            (20, 10, date(2026, 3, 4)),
        )
        # through the API too, the defaults come from the settings
        self.env["ir.config_parameter"].sudo().set_param("sales_sequence.warmup_start", 5)
        self.user_rep.with_user(self.user_manager).write({"sales_sequence_warmup": False})
        self.user_rep.write({"sales_sequence_warmup_start": 0})
        self.user_rep.with_user(self.user_manager).write({"sales_sequence_warmup": True})
        self.assertEqual(self.user_rep.sales_sequence_warmup_start, 5)
        self.assertEqual(self.user_rep.sales_sequence_sending_stage, "Warm-up, day 1: 5 emails today")

    def test_a_manager_changes_nothing_else(self):
        with self.assertRaises(AccessError):
            self.user_rep.with_user(self.user_manager).write({"sales_sequence_daily_limit": 10, "name": "Renamed"})
        company = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        stranger = mail_new_test_user(
            self.env,
            login="stranger",
            name="Sam Stranger",
            email="sam@elsewhere.example.com",
            groups="sales_team.group_sale_salesman",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        with self.assertRaises(AccessError):
            stranger.with_user(self.user_manager).write({"sales_sequence_daily_limit": 10})


@tagged("post_install", "-at_install")
class TestSendingProfileApi(HttpCase):
    """The same rights through Odoo's public JSON-RPC API, as the form saves."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = new_test_user(
            cls.env,
            login="ss_api_rep",
            password="ss_api_rep_pw",
            name="Api Rep",
            email="api.rep@example.com",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.manager = new_test_user(
            cls.env,
            login="ss_api_manager",
            password="ss_api_manager_pw",
            name="Api Manager",
            email="api.manager@example.com",
            groups="base.group_user,sales_team.group_sale_manager",
        )

    def _web_save(self, login, user, vals):
        self.authenticate(login, login + "_pw")
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.users/web_save",
            {
                "model": "res.users",
                "method": "web_save",
                "args": [[user.id], vals],
                "kwargs": {"specification": {"sales_sequence_daily_limit": {}, "sales_sequence_sending_stage": {}}},
            },
        )

    def test_save_the_sending_profile(self):
        with self.assertRaises(JsonRpcException), mute_logger("odoo.http"):
            self._web_save("ss_api_rep", self.rep, {"sales_sequence_daily_limit": 9999})
        saved = self._web_save("ss_api_manager", self.rep, {"sales_sequence_daily_limit": 150})
        self.assertEqual(saved[0]["sales_sequence_sending_stage"], "150 emails a day")
        with self.assertRaises(JsonRpcException), mute_logger("odoo.http"):
            self._web_save("ss_api_manager", self.rep, {"sales_sequence_daily_limit": 150, "login": "hijacked"})
        self.assertEqual(self.rep.login, "ss_api_rep")
