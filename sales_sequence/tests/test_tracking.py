import re
from datetime import datetime
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .common import MONDAY_9AM, SalesSequenceCase

BODY = (
    '<p>Hi {{ first_name }}, see <a href="https://www.example.com/pricing">our pricing</a>'
    ' or <a href="mailto:sales@example.com">write to us</a>.</p>'
)
EARLIER = datetime(2026, 3, 2, 10, 0)


@tagged("post_install", "-at_install")
class TestTracking(SalesSequenceCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(body=BODY), cls._email(body=BODY, delay_days=2)])
        cls.enrollment = cls.sequence.enroll(cls.jane, start_at=MONDAY_9AM, user=cls.user_rep)["enrolled"]
        cls.other = cls.sequence.enroll(cls.john, start_at=MONDAY_9AM, user=cls.user_rep)["enrolled"]
        link_tracker_class = type(cls.env["link.tracker"])
        with patch.object(link_tracker_class, "_get_title_from_url", side_effect=AssertionError("no network")):
            cls.env["sales.sequence.enrollment"]._cron_process_due(now=MONDAY_9AM)
        cls.trace = cls.enrollment.trace_ids
        cls.body = cls.trace.mail_mail_id.body_html
        cls.pixel_url = re.search(r'src="[^"]*(/sales_sequence/o/[^"]+\.gif)"', cls.body).group(1)
        cls.click_url = re.search(r'href="[^"]*(/r/[^"]+/ss/[^"]+)"', cls.body).group(1)

    def assertCounts(self, trace, opens, clicks):
        self.assertEqual((trace.open_count, trace.click_count), (opens, clicks))

    # ------------------------------------------------------------------
    # Links and pixel at send time
    # ------------------------------------------------------------------

    def test_body_is_tracked_at_send_time(self):
        step = self.sequence.step_ids[0]
        token = self.enrollment._tracking_token(step.id)
        self.assertEqual(self.pixel_url, "/sales_sequence/o/%s/%s/%s.gif" % (self.enrollment.id, step.id, token))
        code = re.match(r"/r/(\w+)/ss/", self.click_url).group(1)
        self.assertEqual(
            self.click_url,
            "/r/%s/ss/%s/%s/%s" % (code, self.enrollment.id, step.id, self.enrollment._tracking_token(step.id, code)),
        )
        link = self.env["sales.sequence.link"].search([("code", "=", code)])
        self.assertEqual((link.url, link.label), ("https://www.example.com/pricing", "our pricing"))
        self.assertFalse(
            self.env["link.tracker"].search([("url", "like", "www.example.com")]),
            "no public redirect (/r/<code>) for a URL a rep wrote",
        )
        self.assertIn('href="mailto:sales@example.com"', self.body)
        self.assertIn('href="%s"' % self.enrollment._unsubscribe_url(), self.body, "unsubscribe stays untracked")
        self.assertNotIn("/mail/track/", self.body)

    def test_one_tracker_per_distinct_link_for_the_batch(self):
        other_body = self.other.trace_ids.mail_mail_id.body_html
        codes = set(re.findall(r"/r/(\w+)/ss/", self.body + other_body))
        self.assertEqual(len(codes), 1)
        self.assertIn("/ss/%s/" % self.other.id, other_body)

    def test_tracking_can_be_turned_off(self):
        sequence = self._create_sequence(
            [self._email(body=BODY)], name="Untracked", track_opens=False, track_clicks=False
        )
        enrollment = sequence.enroll(self.jane | self.john, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        self._run(MONDAY_9AM)
        body = enrollment.trace_ids.mail_mail_id.mapped("body_html")
        self.assertTrue(body)
        for html in body:
            self.assertIn('href="https://www.example.com/pricing"', html)
            self.assertNotIn("/sales_sequence/o/", html)

    # ------------------------------------------------------------------
    # Open pixel
    # ------------------------------------------------------------------

    def test_open_pixel_stamps_the_first_open_and_counts_all(self):
        response = self.url_open(self.pixel_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertTrue(response.content.startswith(b"GIF89a"))
        self.assertTrue(self.trace.opened_at)
        self.assertCounts(self.trace, 1, 0)
        self.trace.opened_at = EARLIER
        self.url_open(self.pixel_url)
        self.assertEqual(self.trace.opened_at, EARLIER, "only the first open is stamped")
        self.assertCounts(self.trace, 2, 0)
        self.assertFalse(self.trace.clicked_at)

    def test_open_by_a_logged_in_user_is_not_counted(self):
        self.authenticate("rep", "rep")
        response = self.url_open(self.pixel_url)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.trace.opened_at)
        self.assertCounts(self.trace, 0, 0)

    # ------------------------------------------------------------------
    # Clicks
    # ------------------------------------------------------------------

    def test_click_redirects_stamps_and_implies_an_open(self):
        response = self.url_open(self.click_url, allow_redirects=False)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers["Location"], "https://www.example.com/pricing")
        self.assertTrue(self.trace.clicked_at)
        self.assertTrue(self.trace.opened_at, "a click implies an open")
        self.assertCounts(self.trace, 1, 1)
        # a second click counts, stamps nothing new, and is not a second open
        self.trace.write({"clicked_at": EARLIER, "opened_at": EARLIER})
        self.url_open(self.click_url, allow_redirects=False)
        self.assertEqual((self.trace.clicked_at, self.trace.opened_at), (EARLIER, EARLIER))
        self.assertCounts(self.trace, 1, 2)

    # ------------------------------------------------------------------
    # Forged and altered URLs
    # ------------------------------------------------------------------

    def test_forged_urls_are_404_and_change_nothing(self):
        step = self.sequence.step_ids[0]
        token = self.enrollment._tracking_token(step.id)
        forged_token = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
        code = re.match(r"/r/(\w+)/ss/", self.click_url).group(1)
        link_token = self.enrollment._tracking_token(step.id, code)
        forged = [
            "/sales_sequence/o/%s/%s/%s.gif" % (self.enrollment.id, step.id, forged_token),
            "/sales_sequence/o/%s/%s/%s.gif" % (self.other.id, step.id, token),  # another enrollment
            "/sales_sequence/o/%s/%s/%s.gif" % (self.enrollment.id, self.sequence.step_ids[1].id, token),
            "/sales_sequence/o/%s/%s/%s.gif" % (999999, step.id, token),
            "/r/%s/ss/%s/%s/%s" % (code, self.enrollment.id, step.id, forged_token),
            "/r/%s/ss/%s/%s/%s" % (code, self.other.id, step.id, link_token),
            "/r/%s/ss/%s/%s/%s" % (code, self.enrollment.id, step.id, token),  # the pixel's token
            "/r/%s/ss/%s/%s/%s" % ("nosuchcode", self.enrollment.id, step.id, link_token),  # another link
        ]
        for url in forged:
            response = self.url_open(url, allow_redirects=False)
            self.assertEqual(response.status_code, 404, url)
        traces = self.enrollment.trace_ids | self.other.trace_ids
        self.assertFalse(any(traces.mapped("opened_at") + traces.mapped("clicked_at")))
        self.assertEqual(sum(traces.mapped("open_count")) + sum(traces.mapped("click_count")), 0)


@tagged("post_install", "-at_install")
class TestTrackingPerformance(SalesSequenceCase):
    """Tracked links cost queries per distinct link of the batch, not per email
    (measured: 52 queries for 5 emails whose 2 links get new trackers, with
    cold caches; 31 for 40 emails whose links exist)."""

    def _batch(self, size):
        body = (
            '<p>{{ company }} <a href="https://www.example.com/a">A</a> <a href="https://www.example.com/b">B</a></p>'
        )
        sequence = self._create_sequence(
            [self._email(body=body), self._task("call", delay_days=1)], name="Tracked %s" % size
        )
        partners = self.env["res.partner"].create(
            [{"name": "Contact %s-%s" % (size, i), "email": "t%s.%s@example.com" % (size, i)} for i in range(size)]
        )
        sequence.enroll(partners, start_at=MONDAY_9AM, user=self.user_rep)
        self.env.flush_all()
        self.env.invalidate_all()
        return sequence

    def test_query_count_does_not_grow_with_the_batch(self):
        for size in (5, 40):
            self._batch(size)
            with self.mock_mail_gateway(), self.assertQueryCount(__system__=58):
                processed = self._run(MONDAY_9AM)
            self.assertEqual(processed, size)
        self.assertEqual(self.env["sales.sequence.link"].search_count([("url", "like", "https://www.example.com/")]), 2)
