from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged

from .common import SalesSequenceCase

T0 = datetime(2026, 3, 2, 8, 0)
METRICS = (
    "enrolled_count",
    "active_count",
    "completed_count",
    "contacted_count",
    "sent_count",
    "opened_count",
    "clicked_count",
    "replied_count",
    "bounced_count",
    "unsubscribed_count",
    "meeting_count",
    "dropped_count",
    "task_count",
    "task_done_count",
    "won_count",
    "won_revenue",
    "open_rate",
    "click_rate",
    "reply_rate",
)


def day(n, hour=0):
    return T0 + timedelta(days=n, hours=hour)


class AnalyticsCase(SalesSequenceCase):
    @classmethod
    def _partners(cls, count, prefix):
        return cls.env["res.partner"].create(
            [
                {"name": "%s %s" % (prefix, i), "email": "%s.%s@analytics.example.com" % (prefix.lower(), i)}
                for i in range(count)
            ]
        )

    @classmethod
    def _enrollment(cls, sequence, target, state="exited", reason=False, step=False, ended=None):
        is_lead = target._name == "crm.lead"
        ended_at = ended if ended is not None else (day(9) if state not in ("active", "paused") else False)
        return (
            cls.env["sales.sequence.enrollment"]
            .with_context(mail_create_nolog=True)
            .create(
                {
                    "sequence_id": sequence.id,
                    "lead_id": target.id if is_lead else False,
                    "partner_id": target.partner_id.id if is_lead else target.id,
                    "user_id": cls.user_rep.id,
                    "state": state,
                    "exit_reason": reason or ("completed" if state == "completed" else False),
                    "step_id": step.id if step else False,
                    "enrolled_at": T0,
                    "ended_at": ended_at,
                }
            )
        )

    @classmethod
    def _trace(cls, enrollment, step, state, at, **values):
        if step.step_type == "email" and state in ("sent", "failed"):
            values.setdefault("message_id", "<%s.%s@analytics.test>" % (enrollment.id, step.id))
        return cls.env["sales.sequence.trace"].create(
            {
                "enrollment_id": enrollment.id,
                "step_id": step.id,
                "state": state,
                "sent_at": at,
                **values,
            }
        )

    def assertMetrics(self, record, expected):
        """``expected``: the metrics that must have these values (rates to 0.1)."""
        actual = {name: record[name] for name in expected}
        rounded = {name: round(value, 1) if isinstance(value, float) else value for name, value in actual.items()}
        self.assertEqual(rounded, expected, record.display_name)


@tagged("post_install", "-at_install")
class TestAnalytics(AnalyticsCase):
    """Metrics on a fixed dataset: one sequence (email, call, email, with a
    variant on the first email) and ten enrollments, each an ending of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence(
            [cls._email(), cls._task("call", delay_days=1), cls._email(delay_days=2)],
            name="Alpha",
        )
        cls.s1, cls.s2, cls.s3 = cls.sequence.step_ids
        cls.variant = cls.env["sales.sequence.step.variant"].create(
            {"step_id": cls.s1.id, "subject": "Other {{ first_name }}", "body_html": "<p>B</p>"},
        )
        p = cls._partners(9, "Prospect")
        cls.won_lead = cls.env["crm.lead"].create(
            {
                "name": "Big deal",
                "type": "opportunity",
                "partner_id": p[8].id,
                "email_from": p[8].email,
                "expected_revenue": 10000,
                "user_id": cls.user_rep.id,
            }
        )
        cls.won_lead.action_set_won()
        cls.won_lead.date_closed = day(5)
        s1, s2, s3, v = cls.s1, cls.s2, cls.s3, cls.variant
        enroll, trace = cls._enrollment, cls._trace
        # e1 completed: s1 (variant, opened, clicked), s2 done, s3 opened
        cls.e1 = e1 = enroll(cls.sequence, p[0], "completed")
        trace(e1, s1, "sent", day(0), variant_id=v.id, opened_at=day(0, 1), clicked_at=day(0, 2))
        trace(e1, s2, "done", day(1))
        trace(e1, s3, "sent", day(3), opened_at=day(3, 1))
        # e2 replied to s3
        e2 = enroll(cls.sequence, p[1], "exited", "reply")
        trace(e2, s1, "sent", day(0), opened_at=day(0, 3))
        trace(e2, s2, "done", day(1))
        trace(e2, s3, "sent", day(3), opened_at=day(3, 2), replied_at=day(4))
        # e3 bounced on s1
        e3 = enroll(cls.sequence, p[2], "exited", "bounce")
        trace(e3, s1, "failed", day(0), bounced_at=day(0, 1))
        # e4 unsubscribed after s1 (variant, opened, clicked)
        e4 = enroll(cls.sequence, p[3], "exited", "unsubscribed")
        trace(e4, s1, "sent", day(0), variant_id=v.id, opened_at=day(0, 1), clicked_at=day(0, 1))
        # e5 booked a meeting while the call of s2 was pending
        cls.e5 = e5 = enroll(cls.sequence, p[4], "exited", "meeting")
        trace(e5, s1, "sent", day(0))
        trace(e5, s2, "task", day(1))
        # e6 active, waits at s2 (variant, opened)
        e6 = enroll(cls.sequence, p[5], "active", step=s2)
        trace(e6, s1, "sent", day(0), variant_id=v.id, opened_at=day(0, 5))
        # e7 paused at s3
        e7 = enroll(cls.sequence, p[6], "paused", step=s3)
        trace(e7, s1, "sent", day(0))
        trace(e7, s2, "done", day(1))
        # e8 active, nothing ran yet
        enroll(cls.sequence, p[7], "active", step=s1)
        # e9 exited by hand after s1 (s2 skipped by its condition)
        e9 = enroll(cls.sequence, cls._partners(1, "Manual"), "exited", "manual")
        trace(e9, s1, "sent", day(0))
        trace(e9, s2, "skipped", day(1), skip_reason="condition")
        # e10 on the lead won on day 5: last touch before the win is s2 (s3 came after)
        e10 = enroll(cls.sequence, cls.won_lead, "exited", "won")
        trace(e10, s1, "sent", day(0), opened_at=day(0, 1))
        trace(e10, s2, "done", day(2))
        trace(e10, s3, "sent", day(6))

    def test_sequence_metrics(self):
        self.assertMetrics(
            self.sequence,
            {
                "enrolled_count": 10,
                "active_count": 3,
                "completed_count": 1,
                "contacted_count": 8,
                "sent_count": 12,
                "opened_count": 7,
                "clicked_count": 2,
                "replied_count": 1,
                "bounced_count": 1,
                "unsubscribed_count": 1,
                "meeting_count": 1,
                "dropped_count": 3,
                "task_count": 5,
                "task_done_count": 4,
                "won_count": 1,
                "won_revenue": 10000.0,
                "open_rate": 58.3,
                "click_rate": 16.7,
                "reply_rate": 12.5,
            },
        )

    def test_step_metrics_funnel(self):
        self.assertEqual(self.sequence.funnel_step_ids, self.s1 | self.s2 | self.s3)
        self.assertEqual(self.sequence.funnel_step_ids.ids, [self.s1.id, self.s2.id, self.s3.id])
        self.assertMetrics(
            self.s1,
            {
                "enrolled_count": 9,
                "active_count": 1,
                "sent_count": 9,
                "opened_count": 5,
                "clicked_count": 2,
                "replied_count": 0,
                "bounced_count": 1,
                "contacted_count": 8,
                "unsubscribed_count": 1,
                "dropped_count": 3,
                "meeting_count": 0,
                "won_count": 0,
                "open_rate": 55.6,
                "click_rate": 22.2,
            },
        )
        self.assertMetrics(
            self.s2,
            {
                "enrolled_count": 6,
                "active_count": 1,
                "sent_count": 0,
                "task_count": 5,
                "task_done_count": 4,
                "contacted_count": 5,
                "meeting_count": 1,
                "dropped_count": 0,
                "won_count": 1,
                "won_revenue": 10000.0,
            },
        )
        self.assertMetrics(
            self.s3,
            {
                "enrolled_count": 3,
                "active_count": 1,
                "sent_count": 3,
                "opened_count": 2,
                "replied_count": 1,
                "reply_rate": 33.3,
                "completed_count": 1,
                "dropped_count": 0,
                "won_count": 0,
            },
        )
        # every ending is counted once, at one step
        steps = self.sequence.funnel_step_ids
        for fname in ("dropped_count", "unsubscribed_count", "meeting_count", "completed_count", "won_count"):
            self.assertEqual(sum(steps.mapped(fname)), self.sequence[fname], fname)

    def test_variant_metrics(self):
        self.assertEqual(self.sequence.funnel_variant_ids, self.variant)
        self.assertMetrics(
            self.variant,
            {
                "enrolled_count": 3,
                "active_count": 1,
                "sent_count": 3,
                "opened_count": 3,
                "clicked_count": 2,
                "open_rate": 100.0,
                "click_rate": 66.7,
                "unsubscribed_count": 1,
                "dropped_count": 1,
            },
        )

    def test_archived_step_stays_in_the_funnel(self):
        new_step = self.env["sales.sequence.step"].create(
            {
                "sequence_id": self.sequence.id,
                "sequence": 100,
                "step_type": "task",
            }
        )
        self.s3.unlink()  # it ran: archived, its history kept
        self.assertFalse(self.s3.active)
        self.sequence.invalidate_recordset(["funnel_step_ids"])
        self.assertEqual(self.sequence.funnel_step_ids.ids, [self.s1.id, self.s2.id, self.s3.id, new_step.id])
        new_step.unlink()  # never ran: gone from the funnel
        self.sequence.invalidate_recordset(["funnel_step_ids"])
        self.assertEqual(self.sequence.funnel_step_ids.ids, [self.s1.id, self.s2.id, self.s3.id])

    @freeze_time("2026-03-20 10:00:00")
    def test_dashboard(self):
        self.e5.ended_at = datetime(2026, 3, 10)
        other = self._create_sequence([self._email()], name="Beta", activate=False)
        data = self.env["sales.sequence"].get_dashboard_data([("id", "in", (self.sequence | other).ids)])
        self.assertEqual(data["active_sequences"], 1)
        self.assertEqual(data["enrolled_now"], 3)
        self.assertEqual(data["reply_rate"], 12.5)
        self.assertEqual(data["meetings_this_month"], 1)
        self.assertIn("10,000.00", data["won_revenue"])
        self.e5.ended_at = datetime(2026, 2, 27)
        data = self.env["sales.sequence"].get_dashboard_data([("id", "=", self.sequence.id)])
        self.assertEqual(data["meetings_this_month"], 0, "a meeting of last month")
        self.assertEqual(
            self.env["sales.sequence"].get_dashboard_data([("id", "=", other.id)]),
            {
                "active_sequences": 0,
                "enrolled_now": 0,
                "reply_rate": 0.0,
                "meetings_this_month": 0,
                "won_revenue": data["won_revenue"].replace("10,000.00", "0.00"),
                "show_sending_health": True,
                "bounced_30d": 0,
                "complaint_30d": 0,
            },
        )

    def test_compare(self):
        other = self._create_sequence([self._email()], name="Beta")
        with self.assertRaises(UserError):
            self.sequence.action_compare()
        action = (self.sequence | other).action_compare()
        self.assertEqual(action["res_model"], "sales.sequence.comparison")
        self.assertEqual(action["view_mode"], "graph,pivot,list", "a chart first")
        rows = self.env["sales.sequence.comparison"].search(action["domain"])
        self.assertEqual(rows.sequence_id, self.sequence | other)
        replies = {row.sequence_id: row.value for row in rows if row.metric == "reply_rate"}
        self.assertEqual(replies, {self.sequence: 12.5, other: 0.0}, "the analytics' own numbers")
        enrolled = {row.sequence_id: row.value for row in rows if row.metric == "enrolled_count"}
        self.assertEqual(enrolled, {self.sequence: self.sequence.enrolled_count, other: 0.0})
        # the chart groups by metric and sequence: the full names are the legend
        graph = self.env["sales.sequence.comparison"].formatted_read_group(
            action["domain"] + [("kind", "=", "rate")], ["metric", "sequence_id"], ["value:sum"]
        )
        self.assertEqual(len(graph), 5 * 2)  # reply, positive reply, open, click and connect rates

    def test_metrics_are_the_sequence_s_for_any_viewer(self):
        """A rep sees the sequence's numbers, not only those of the
        enrollments they may read."""
        self.env["sales.sequence.enrollment"].search([("sequence_id", "=", self.sequence.id)]).user_id = self.user_admin
        self.sequence.team_id = False  # shared: every rep reads it
        sequence = self.sequence.with_user(self.user_rep)
        sequence.invalidate_recordset()
        self.assertEqual((sequence.enrolled_count, sequence.reply_rate), (10, 12.5))


@tagged("post_install", "-at_install")
class TestRevenueAttribution(AnalyticsCase):
    """A won lead's expected revenue goes to its last touch before the win,
    across sequences, on the lead or on its contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha = cls._create_sequence([cls._email(), cls._task("call", delay_days=1)], name="Alpha")
        cls.beta = cls._create_sequence([cls._email(), cls._email(delay_days=2)], name="Beta")
        cls.a1, cls.a2 = cls.alpha.step_ids
        cls.b1, cls.b2 = cls.beta.step_ids
        cls.contacts = cls._partners(4, "Buyer")

    def _lead(self, partner, revenue, won_on=None, lost=False):
        lead = self.env["crm.lead"].create(
            {
                "name": "Deal %s" % partner.name,
                "type": "opportunity",
                "partner_id": partner.id,
                "email_from": partner.email,
                "expected_revenue": revenue,
                "user_id": self.user_rep.id,
            }
        )
        if won_on:
            lead.action_set_won()
            lead.date_closed = won_on
        if lost:
            lead.action_set_lost()
        return lead

    def test_last_touch_before_the_win(self):
        # won on day 5: Alpha touched on days 0 and 2, Beta on day 4 (and day 7, after the win)
        lead = self._lead(self.contacts[0], 5000, won_on=day(5))
        in_alpha = self._enrollment(self.alpha, lead, "exited", "won")
        self._trace(in_alpha, self.a1, "sent", day(0))
        self._trace(in_alpha, self.a2, "done", day(2))
        in_beta = self._enrollment(self.beta, lead, "exited", "won")
        self._trace(in_beta, self.b1, "sent", day(4))
        self._trace(in_beta, self.b2, "sent", day(7))
        self.assertMetrics(self.alpha, {"won_count": 0, "won_revenue": 0.0})
        self.assertMetrics(self.beta, {"won_count": 1, "won_revenue": 5000.0})
        self.assertMetrics(self.b1, {"won_count": 1, "won_revenue": 5000.0})
        self.assertMetrics(self.b2, {"won_count": 0, "won_revenue": 0.0})

    def test_contact_enrollment_gets_the_win_of_its_lead(self):
        contact = self.contacts[1]
        on_contact = self._enrollment(self.alpha, contact, "completed")
        self._trace(on_contact, self.a1, "sent", day(0))
        self._trace(on_contact, self.a2, "done", day(1))
        self._lead(contact, 2000, won_on=day(3))
        self.assertMetrics(self.a2, {"won_count": 1, "won_revenue": 2000.0})
        self.assertMetrics(self.alpha, {"won_count": 1, "won_revenue": 2000.0})

    def test_no_credit_without_a_touch_before_the_win(self):
        lost = self._lead(self.contacts[2], 3000, lost=True)
        enrollment = self._enrollment(self.alpha, lost, "exited", "lost")
        self._trace(enrollment, self.a1, "sent", day(0))
        early = self._lead(self.contacts[3], 4000, won_on=day(1))
        enrollment = self._enrollment(self.beta, early, "exited", "won")
        self._trace(enrollment, self.b1, "skipped", day(0), skip_reason="condition")  # not a touch
        self._trace(enrollment, self.b2, "sent", day(2))  # after the win
        self.assertMetrics(self.alpha, {"won_count": 0, "won_revenue": 0.0})
        self.assertMetrics(self.beta, {"won_count": 0, "won_revenue": 0.0})


@tagged("post_install", "-at_install")
class TestAnalyticsPerformance(AnalyticsCase):
    """The metrics of a page of sequences (and of their steps) cost a fixed
    number of grouped queries, whatever the number of sequences: 4 for the
    sequences (traces, enrollments, prospects, won leads), 5 for their steps
    (traces, waiting enrollments, endings, won leads, the steps' rows)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequences = cls.env["sales.sequence"]
        partners = cls._partners(50, "Perf")
        for index in range(50):
            sequence = cls._create_sequence(
                [cls._email(), cls._task("call", delay_days=1)],
                name="Perf %s" % index,
            )
            enrollment = cls._enrollment(sequence, partners[index], "exited", "reply")
            cls._trace(enrollment, sequence.step_ids[0], "sent", day(0), opened_at=day(0, 1), replied_at=day(1))
            cls._trace(enrollment, sequence.step_ids[1], "task", day(1))
            cls.sequences |= sequence

    def _read_metrics(self, sequences):
        self.env.invalidate_all()
        return self.env["sales.sequence"].browse(sequences.ids).read(list(METRICS))

    def test_query_count_of_50_sequences(self):
        self.env.flush_all()
        for sequences in (self.sequences[:5], self.sequences):
            with self.assertQueryCount(__system__=4):
                values = self._read_metrics(sequences)
            self.assertEqual({(v["replied_count"], v["reply_rate"], v["task_count"]) for v in values}, {(1, 100.0, 1)})
        steps = self.sequences.step_ids
        for step_ids in (steps[:10].ids, steps.ids):
            self.env.invalidate_all()
            with self.assertQueryCount(__system__=5):
                self.env["sales.sequence.step"].browse(step_ids).read(list(METRICS))


@tagged("post_install", "-at_install")
class TestAnalyticsUi(AnalyticsCase, HttpCase):
    """In the web client: summary cards on the sequences kanban and list,
    the Analytics tab's funnel, and the queue of sequence tasks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="ss_analytics_tour",
            name="Ann Alytics",
            email="ann@example.com",
            tz="Europe/Brussels",
            groups="base.group_user,sales_team.group_sale_manager",
        )
        sequence = cls._create_sequence([cls._email(), cls._task("call", delay_days=1)], name="Tour Analytics")
        first, call = sequence.step_ids
        replied, running = cls._partners(2, "Tour")
        enrollment = cls._enrollment(sequence, replied, "exited", "reply")
        cls._trace(enrollment, first, "sent", day(0), opened_at=day(0, 1), replied_at=day(1))
        cls._trace(cls._enrollment(sequence, running, "active", step=call), first, "sent", day(0))
        nora = cls.env["res.partner"].create({"name": "Nora Northwind", "email": "nora@northwind.example.com"})
        lead = cls.env["crm.lead"].create(
            {"name": "Northwind: 40 seats", "partner_id": nora.id, "email_from": nora.email, "user_id": cls.manager.id}
        )
        cls.call = lead.activity_schedule(
            "mail.mail_activity_data_call",
            summary="Call Nora",
            note="<p>Ask about the budget</p>",
            user_id=cls.manager.id,
            date_deadline=fields.Date.today(),
        )
        on_lead = cls._enrollment(sequence, lead, "active", step=call)
        cls.call_trace = cls._trace(on_lead, call, "task", day(1), activity_id=cls.call.id)

    def test_dashboard_funnel_and_queue(self):
        self.start_tour("/odoo/crm", "sales_sequence_analytics_tour", login=self.manager.login, timeout=300)
        self.assertFalse(self.call.active, "the call was marked done from the queue")
        self.assertEqual(self.call_trace.state, "done")
