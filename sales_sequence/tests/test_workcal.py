import doctest
import unittest
from datetime import datetime

from odoo.addons.sales_sequence.tools import clock, workcal

WEEKDAYS_9_TO_17 = tuple((day, 9.0, 17.0) for day in range(5))


class TestWorkCalendar(unittest.TestCase):
    def test_doctests(self):
        self.assertEqual(doctest.testmod(workcal).failed, 0)

    def test_business_days_skip_holidays_and_days_off(self):
        cal = workcal.WorkCalendar(
            "Europe/Brussels", WEEKDAYS_9_TO_17, holidays=((datetime(2026, 3, 2, 23, 0), datetime(2026, 3, 3, 23, 0)),)
        )
        friday_10am = datetime(2026, 2, 27, 9, 0)
        # Friday + 1 = Monday; + 2 skips the Tuesday holiday: Wednesday
        self.assertEqual(cal.add_business_days(friday_10am, 1), datetime(2026, 3, 2, 9, 0))
        self.assertEqual(cal.add_business_days(friday_10am, 2), datetime(2026, 3, 4, 9, 0))

    def test_opening_inside_window_and_hours(self):
        cal = workcal.WorkCalendar("UTC", ((0, 7.0, 11.0), (0, 14.0, 19.0)))
        monday = datetime(2026, 3, 2, 6, 0)
        self.assertEqual(cal.next_opening(monday, 9.0, 17.0), datetime(2026, 3, 2, 9, 0))
        self.assertEqual(cal.next_opening(datetime(2026, 3, 2, 11, 30), 9.0, 17.0), datetime(2026, 3, 2, 14, 0))
        self.assertEqual(cal.next_opening(datetime(2026, 3, 2, 17, 0), 9.0, 17.0), datetime(2026, 3, 9, 9, 0))

    def test_holiday_in_the_middle_of_a_day(self):
        cal = workcal.WorkCalendar(
            "UTC", WEEKDAYS_9_TO_17, holidays=((datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 2, 12, 0)),)
        )
        self.assertEqual(cal.next_opening(datetime(2026, 3, 2, 10, 30)), datetime(2026, 3, 2, 12, 0))
        self.assertTrue(cal.is_working_day(datetime(2026, 3, 2).date()))

    def test_no_working_time_raises(self):
        with self.assertRaises(ValueError):
            workcal.WorkCalendar("UTC", ()).next_opening(datetime(2026, 3, 2))

    def test_compute_due_dst(self):
        cal = workcal.WorkCalendar("Europe/Brussels", WEEKDAYS_9_TO_17)
        # Friday 27 March 09:00 CET + 1 working day = Monday 30 March 09:00 CEST (07:00 UTC)
        self.assertEqual(
            workcal.compute_due(datetime(2026, 3, 27, 8, 0), cal, business_days=1), datetime(2026, 3, 30, 7, 0)
        )


class TestClock(unittest.TestCase):
    """One clock for every scheduling question: the window, or the calendar."""

    def test_doctests(self):
        result = doctest.testmod(clock)
        self.assertGreater(result.attempted, 0)
        self.assertEqual(result.failed, 0)

    def test_calendar_clock_follows_the_calendar(self):
        cal = workcal.WorkCalendar("UTC", WEEKDAYS_9_TO_17, holidays=((datetime(2026, 3, 3), datetime(2026, 3, 4)),))
        on_calendar = clock.Clock("UTC", 9.0, 17.0, calendar=cal)
        # Monday 17:00 + 1 business day: Tuesday is a holiday, so Wednesday
        self.assertEqual(on_calendar.due(datetime(2026, 3, 2, 16, 0), business_days=1), datetime(2026, 3, 4, 16, 0))
        self.assertEqual(on_calendar.next_opening(datetime(2026, 3, 3, 10, 0)), datetime(2026, 3, 4, 9, 0))

    def test_local_date_is_the_recipients(self):
        tokyo = clock.Clock("Asia/Tokyo")
        self.assertEqual(str(tokyo.local_date(datetime(2026, 3, 2, 20, 0))), "2026-03-03")


class TestAway(unittest.TestCase):
    """When someone on leave is back (pure date logic of issue 16, item 6)."""

    LEAVE = (datetime(2026, 3, 1, 23, 0), datetime(2026, 3, 6, 23, 0))  # Mon-Fri in Brussels

    def test_away_until(self):
        monday_noon = datetime(2026, 3, 2, 11, 0)
        self.assertEqual(workcal.away_until((self.LEAVE,), monday_noon), self.LEAVE[1])
        self.assertIsNone(workcal.away_until((self.LEAVE,), self.LEAVE[1]), "the end is the return")
        self.assertIsNone(workcal.away_until((self.LEAVE,), datetime(2026, 3, 1, 22, 59)))
        self.assertIsNone(workcal.away_until((), monday_noon))
        # overlapping and touching absences, in any order, are one
        more = (
            (datetime(2026, 3, 9, 12, 0), datetime(2026, 3, 10, 0, 0)),
            (datetime(2026, 3, 5, 0, 0), datetime(2026, 3, 9, 12, 0)),
            self.LEAVE,
        )
        self.assertEqual(workcal.away_until(more, monday_noon), datetime(2026, 3, 10, 0, 0))
        # a gap ends it
        gap = (self.LEAVE, (datetime(2026, 3, 7, 0, 0), datetime(2026, 3, 8, 0, 0)))
        self.assertEqual(workcal.away_until(gap, monday_noon), self.LEAVE[1])

    def test_back_at_the_next_opening_after_the_leave(self):
        brussels = clock.Clock("Europe/Brussels", 9.0, 17.0)
        monday_noon = datetime(2026, 3, 2, 11, 0)
        # Friday evening: the weekend is closed, Monday 9:00 (CET)
        self.assertEqual(brussels.back_at(monday_noon, (self.LEAVE,)), datetime(2026, 3, 9, 8, 0))
        # not away: the moment itself (or the next opening)
        self.assertEqual(brussels.back_at(monday_noon), monday_noon)
        self.assertEqual(brussels.back_at(datetime(2026, 3, 2, 17, 0)), datetime(2026, 3, 3, 8, 0))
        # a second leave starting right when the window opens again is followed
        monday_off = (datetime(2026, 3, 8, 23, 0), datetime(2026, 3, 9, 23, 0))
        self.assertEqual(brussels.back_at(monday_noon, (self.LEAVE, monday_off)), datetime(2026, 3, 10, 8, 0))

    def test_back_at_on_a_working_calendar(self):
        cal = workcal.WorkCalendar(
            "Europe/Brussels", WEEKDAYS_9_TO_17, holidays=((datetime(2026, 3, 8, 23, 0), datetime(2026, 3, 9, 23, 0)),)
        )
        on_calendar = clock.Clock("Europe/Brussels", 9.0, 17.0, calendar=cal)
        # back on Friday night, the following Monday is a public holiday: Tuesday
        self.assertEqual(on_calendar.back_at(datetime(2026, 3, 2, 11, 0), (self.LEAVE,)), datetime(2026, 3, 10, 8, 0))
