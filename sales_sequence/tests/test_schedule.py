"""Unit tests for sales_sequence/tools/schedule.py.

Plain ``unittest`` test cases (no database), run by pytest-odoo with the rest.
All datetimes passed to and returned by the module are naive UTC.

Useful 2026 dates: Mon 5 Jan, Tue 6 Jan, Fri 9 Jan, Sat 10 Jan.
DST: Europe/Brussels changes on Sun 29 March (01:00 UTC, CET -> CEST) and
Sun 25 October (01:00 UTC, CEST -> CET); America/New_York on Sun 8 March
(07:00 UTC, EST -> EDT) and Sun 1 November (06:00 UTC, EDT -> EST).
"""

import doctest
import unittest
from datetime import date, datetime, timedelta

from odoo.addons.sales_sequence.tools import schedule

try:
    import hypothesis
    from hypothesis import strategies as st
except ImportError:
    hypothesis = None

BRUSSELS = "Europe/Brussels"
NEW_YORK = "America/New_York"


def brussels_local(*args):
    """Aware Europe/Brussels datetime for the given wall-clock fields."""
    return schedule.get_timezone(BRUSSELS).localize(datetime(*args))


class TestAddBusinessDays(unittest.TestCase):
    def test_friday_plus_two_is_tuesday_same_wall_clock(self):
        friday = brussels_local(2026, 1, 9, 14, 45)
        result = schedule.add_business_days(friday, 2)
        self.assertEqual(result.replace(tzinfo=None), datetime(2026, 1, 13, 14, 45))

    def test_friday_plus_one_is_monday(self):
        friday = brussels_local(2026, 1, 9, 10, 0)
        result = schedule.add_business_days(friday, 1)
        self.assertEqual(result.replace(tzinfo=None), datetime(2026, 1, 12, 10, 0))

    def test_weekend_start_rolls_to_monday(self):
        saturday = brussels_local(2026, 1, 10, 10, 0)
        sunday = brussels_local(2026, 1, 11, 10, 0)
        monday = datetime(2026, 1, 12, 10, 0)
        tuesday = datetime(2026, 1, 13, 10, 0)
        self.assertEqual(schedule.add_business_days(saturday, 1).replace(tzinfo=None), monday)
        self.assertEqual(schedule.add_business_days(saturday, 2).replace(tzinfo=None), tuesday)
        self.assertEqual(schedule.add_business_days(sunday, 1).replace(tzinfo=None), monday)

    def test_five_business_days_is_one_week(self):
        wednesday = brussels_local(2026, 1, 7, 8, 0)
        result = schedule.add_business_days(wednesday, 5)
        self.assertEqual(result.replace(tzinfo=None), datetime(2026, 1, 14, 8, 0))

    def test_zero_days_returns_input_unchanged(self):
        saturday = brussels_local(2026, 1, 10, 10, 0)
        self.assertIs(schedule.add_business_days(saturday, 0), saturday)

    def test_negative_days_go_back(self):
        monday = brussels_local(2026, 1, 12, 10, 0)
        result = schedule.add_business_days(monday, -1)
        self.assertEqual(result.replace(tzinfo=None), datetime(2026, 1, 9, 10, 0))

    def test_offset_is_recomputed_across_dst(self):
        friday_cet = brussels_local(2026, 3, 27, 10, 0)
        result = schedule.add_business_days(friday_cet, 1)
        self.assertEqual(result.replace(tzinfo=None), datetime(2026, 3, 30, 10, 0))
        self.assertEqual(result.utcoffset(), timedelta(hours=2))


class TestApplyDelay(unittest.TestCase):
    def test_all_zero_returns_anchor(self):
        anchor = datetime(2026, 10, 25, 1, 30, 15, 123456)  # in the fall-back overlap
        self.assertEqual(schedule.apply_delay(anchor, BRUSSELS), anchor)

    def test_business_days_in_local_time(self):
        # Friday 23:30 UTC is already Saturday 00:30 in Brussels: +1 -> Monday.
        anchor = datetime(2026, 1, 9, 23, 30)
        result = schedule.apply_delay(anchor, BRUSSELS, business_days=1)
        self.assertEqual(result, datetime(2026, 1, 11, 23, 30))

    def test_friday_plus_two_business_days_utc(self):
        anchor = datetime(2026, 1, 9, 10, 0)
        result = schedule.apply_delay(anchor, "UTC", business_days=2)
        self.assertEqual(result, datetime(2026, 1, 13, 10, 0))

    def test_one_day_across_spring_change_keeps_wall_clock(self):
        # Sat 28 March 10:00 CET -> Sun 29 March 10:00 CEST.
        anchor = datetime(2026, 3, 28, 9, 0)
        result = schedule.apply_delay(anchor, BRUSSELS, days=1)
        self.assertEqual(result, datetime(2026, 3, 29, 8, 0))

    def test_24_hours_across_spring_change_shifts_wall_clock(self):
        # Sat 28 March 10:00 CET + 24h -> Sun 29 March 11:00 CEST.
        anchor = datetime(2026, 3, 28, 9, 0)
        result = schedule.apply_delay(anchor, BRUSSELS, hours=24)
        self.assertEqual(result, datetime(2026, 3, 29, 9, 0))

    def test_one_day_across_fall_change_keeps_wall_clock(self):
        # Sat 24 October 10:00 CEST -> Sun 25 October 10:00 CET.
        anchor = datetime(2026, 10, 24, 8, 0)
        result = schedule.apply_delay(anchor, BRUSSELS, days=1)
        self.assertEqual(result, datetime(2026, 10, 25, 9, 0))

    def test_new_york_day_versus_24_hours_on_fall_change(self):
        # Sat 31 October 10:00 EDT = 14:00 UTC.
        anchor = datetime(2026, 10, 31, 14, 0)
        one_day = schedule.apply_delay(anchor, NEW_YORK, days=1)
        one_day_in_hours = schedule.apply_delay(anchor, NEW_YORK, hours=24)
        self.assertEqual(one_day, datetime(2026, 11, 1, 15, 0))  # 10:00 EST
        self.assertEqual(one_day_in_hours, datetime(2026, 11, 1, 14, 0))  # 09:00 EST

    def test_new_york_one_day_across_spring_change(self):
        # Sat 7 March 10:00 EST = 15:00 UTC -> Sun 8 March 10:00 EDT.
        anchor = datetime(2026, 3, 7, 15, 0)
        result = schedule.apply_delay(anchor, NEW_YORK, days=1)
        self.assertEqual(result, datetime(2026, 3, 8, 14, 0))

    def test_delays_stack_in_order(self):
        # Fri 9 Jan 16:00 UTC: +1 business day -> Mon 12, +1 day -> Tue 13,
        # +2h30 -> 18:30.
        anchor = datetime(2026, 1, 9, 16, 0)
        result = schedule.apply_delay(anchor, "UTC", business_days=1, days=1, hours=2, minutes=30)
        self.assertEqual(result, datetime(2026, 1, 13, 18, 30))

    def test_calendar_day_landing_in_dst_gap(self):
        # Sat 28 March 02:30 CET; Sun 29 March 02:30 does not exist -> 03:00 CEST.
        anchor = datetime(2026, 3, 28, 1, 30)
        result = schedule.apply_delay(anchor, BRUSSELS, days=1)
        self.assertEqual(result, datetime(2026, 3, 29, 1, 0))


class TestNextOpening(unittest.TestCase):
    def test_saturday_night_defers_to_monday_morning(self):
        result = schedule.next_opening(datetime(2026, 1, 10, 3, 0), "UTC")
        self.assertEqual(result, datetime(2026, 1, 12, 9, 0))

    def test_after_closing_defers_to_next_morning(self):
        result = schedule.next_opening(datetime(2026, 1, 6, 17, 30), "UTC")
        self.assertEqual(result, datetime(2026, 1, 7, 9, 0))

    def test_closing_time_is_excluded(self):
        result = schedule.next_opening(datetime(2026, 1, 6, 17, 0), "UTC")
        self.assertEqual(result, datetime(2026, 1, 7, 9, 0))

    def test_before_opening_defers_to_same_morning(self):
        result = schedule.next_opening(datetime(2026, 1, 6, 7, 0), "UTC")
        self.assertEqual(result, datetime(2026, 1, 6, 9, 0))

    def test_inside_window_is_unchanged(self):
        for when in (datetime(2026, 1, 6, 9, 0), datetime(2026, 1, 6, 12, 34, 56), datetime(2026, 1, 6, 16, 59, 59)):
            self.assertEqual(schedule.next_opening(when, "UTC"), when)

    def test_friday_evening_defers_to_monday(self):
        result = schedule.next_opening(datetime(2026, 1, 9, 18, 0), "UTC")
        self.assertEqual(result, datetime(2026, 1, 12, 9, 0))

    def test_half_hour_window_start(self):
        early = schedule.next_opening(datetime(2026, 1, 6, 9, 15), "UTC", 9.5, 17.5)
        late = schedule.next_opening(datetime(2026, 1, 6, 17, 15), "UTC", 9.5, 17.5)
        self.assertEqual(early, datetime(2026, 1, 6, 9, 30))
        self.assertEqual(late, datetime(2026, 1, 6, 17, 15))

    def test_weekend_allowed_when_not_weekdays_only(self):
        saturday_noon = datetime(2026, 1, 10, 12, 0)
        saturday_early = datetime(2026, 1, 10, 3, 0)
        self.assertEqual(schedule.next_opening(saturday_noon, "UTC", weekdays_only=False), saturday_noon)
        self.assertEqual(schedule.next_opening(saturday_early, "UTC", weekdays_only=False), datetime(2026, 1, 10, 9, 0))

    def test_window_end_24_means_end_of_day(self):
        late = datetime(2026, 1, 6, 23, 59, 59)
        self.assertEqual(schedule.next_opening(late, "UTC", 9.0, 24.0), late)

    def test_always_open(self):
        saturday_night = datetime(2026, 1, 10, 3, 0)
        result = schedule.next_opening(saturday_night, "UTC", 0.0, 24.0, False)
        self.assertEqual(result, saturday_night)

    def test_invalid_windows_raise_value_error(self):
        for start, end in ((17.0, 9.0), (9.0, 9.0), (-1.0, 17.0), (9.0, 25.0)):
            with self.subTest(start=start, end=end):
                with self.assertRaises(ValueError):
                    schedule.next_opening(datetime(2026, 1, 6, 12, 0), "UTC", start, end)

    def test_window_is_evaluated_in_local_time(self):
        # Tue 08:30 UTC = 09:30 CET: open in Brussels, still closed in UTC.
        when = datetime(2026, 1, 6, 8, 30)
        self.assertEqual(schedule.next_opening(when, BRUSSELS), when)
        self.assertEqual(schedule.next_opening(when, "UTC"), datetime(2026, 1, 6, 9, 0))

    def test_local_saturday_while_utc_friday(self):
        # Fri 23:30 UTC is Sat 00:30 in Brussels -> Mon 09:00 CET = 08:00 UTC.
        result = schedule.next_opening(datetime(2026, 1, 9, 23, 30), BRUSSELS)
        self.assertEqual(result, datetime(2026, 1, 12, 8, 0))


class TestDaylightSavingTime(unittest.TestCase):
    def test_brussels_opening_before_spring_change(self):
        # Fri 27 March 07:00 CET (06:00 UTC) -> 09:00 CET = 08:00 UTC.
        result = schedule.next_opening(datetime(2026, 3, 27, 6, 0), BRUSSELS)
        self.assertEqual(result, datetime(2026, 3, 27, 8, 0))

    def test_brussels_opening_after_spring_change(self):
        # Sat 28 March -> Mon 30 March 09:00 CEST = 07:00 UTC.
        result = schedule.next_opening(datetime(2026, 3, 28, 10, 0), BRUSSELS)
        self.assertEqual(result, datetime(2026, 3, 30, 7, 0))

    def test_brussels_opening_around_fall_change(self):
        before = schedule.next_opening(datetime(2026, 10, 23, 5, 0), BRUSSELS)
        after = schedule.next_opening(datetime(2026, 10, 24, 10, 0), BRUSSELS)
        self.assertEqual(before, datetime(2026, 10, 23, 7, 0))  # 09:00 CEST
        self.assertEqual(after, datetime(2026, 10, 26, 8, 0))  # 09:00 CET

    def test_new_york_opening_around_spring_change(self):
        before = schedule.next_opening(datetime(2026, 3, 6, 12, 0), NEW_YORK)
        after = schedule.next_opening(datetime(2026, 3, 6, 23, 0), NEW_YORK)
        self.assertEqual(before, datetime(2026, 3, 6, 14, 0))  # 09:00 EST
        self.assertEqual(after, datetime(2026, 3, 9, 13, 0))  # 09:00 EDT

    def test_new_york_opening_around_fall_change(self):
        before = schedule.next_opening(datetime(2026, 10, 30, 12, 0), NEW_YORK)
        after = schedule.next_opening(datetime(2026, 10, 30, 22, 0), NEW_YORK)
        self.assertEqual(before, datetime(2026, 10, 30, 13, 0))  # 09:00 EDT
        self.assertEqual(after, datetime(2026, 11, 2, 14, 0))  # 09:00 EST

    def test_sunday_window_on_spring_change_day(self):
        result = schedule.next_opening(datetime(2026, 3, 28, 20, 0), BRUSSELS, weekdays_only=False)
        self.assertEqual(result, datetime(2026, 3, 29, 7, 0))  # 09:00 CEST

    def test_non_existent_opening_resolves_after_gap_brussels(self):
        # Sun 29 March 02:30 does not exist: first valid instant is 03:00 CEST.
        result = schedule.next_opening(datetime(2026, 3, 28, 20, 0), BRUSSELS, 2.5, 17.0, False)
        self.assertEqual(result, datetime(2026, 3, 29, 1, 0))

    def test_non_existent_opening_resolves_after_gap_new_york(self):
        # Sun 8 March 02:30 does not exist: first valid instant is 03:00 EDT.
        result = schedule.next_opening(datetime(2026, 3, 7, 23, 0), NEW_YORK, 2.5, 17.0, False)
        self.assertEqual(result, datetime(2026, 3, 8, 7, 0))

    def test_window_entirely_in_gap_skips_to_next_day(self):
        # 02:00-02:45 never happens on 29 March -> Monday 30 March 02:00 CEST.
        result = schedule.next_opening(datetime(2026, 3, 28, 20, 0), BRUSSELS, 2.0, 2.75, False)
        self.assertEqual(result, datetime(2026, 3, 30, 0, 0))

    def test_ambiguous_opening_uses_first_occurrence(self):
        # Sun 25 October 02:30 happens twice; the first is 02:30 CEST.
        result = schedule.next_opening(datetime(2026, 10, 24, 20, 0), BRUSSELS, 2.5, 17.0, False)
        self.assertEqual(result, datetime(2026, 10, 25, 0, 30))

    def test_ambiguous_opening_after_its_first_occurrence_uses_the_second(self):
        # 02:00 CET (01:00 UTC) is after the first 02:30 (CEST) but before the
        # second (CET): the window opens at 01:30 UTC that same night, not a day
        # later (found by test_next_opening_is_monotonic).
        result = schedule.next_opening(datetime(2026, 10, 25, 1, 0), BRUSSELS, 2.5, 17.0, False)
        self.assertEqual(result, datetime(2026, 10, 25, 1, 30))

    def test_localize_wall_clock_never_raises(self):
        tz = schedule.get_timezone(BRUSSELS)
        gap = schedule.localize_wall_clock(datetime(2026, 3, 29, 2, 30), tz)
        overlap = schedule.localize_wall_clock(datetime(2026, 10, 25, 2, 30), tz)
        self.assertEqual(gap.isoformat(), "2026-03-29T03:00:00+02:00")
        self.assertEqual(overlap.isoformat(), "2026-10-25T02:30:00+02:00")


class TestComputeDue(unittest.TestCase):
    def test_delay_then_window(self):
        # Fri 16:00 + 2 hours = 18:00, after closing -> Monday 09:00.
        result = schedule.compute_due(datetime(2026, 1, 9, 16, 0), "UTC", hours=2)
        self.assertEqual(result, datetime(2026, 1, 12, 9, 0))

    def test_delay_inside_window_is_kept(self):
        result = schedule.compute_due(datetime(2026, 1, 9, 10, 0), "UTC", business_days=2, minutes=15)
        self.assertEqual(result, datetime(2026, 1, 13, 10, 15))

    def test_zero_delay_defers_only_to_window(self):
        result = schedule.compute_due(datetime(2026, 1, 10, 3, 0), BRUSSELS)
        self.assertEqual(result, datetime(2026, 1, 12, 8, 0))

    def test_window_arguments_are_passed_through(self):
        result = schedule.compute_due(
            datetime(2026, 1, 10, 3, 0), "UTC", window_start=10.5, window_end=12.0, weekdays_only=False
        )
        self.assertEqual(result, datetime(2026, 1, 10, 10, 30))


class TestTimezoneFallback(unittest.TestCase):
    def test_unknown_timezone_falls_back_to_utc(self):
        when = datetime(2026, 1, 10, 3, 0)
        expected = schedule.compute_due(when, "UTC", hours=1)
        for tz_name in ("Mars/Olympus_Mons", None, "", False):
            with self.subTest(tz_name=tz_name):
                self.assertEqual(schedule.compute_due(when, tz_name, hours=1), expected)
                self.assertEqual(schedule.local_date(when, tz_name), date(2026, 1, 10))


class TestLocalDate(unittest.TestCase):
    def test_brussels_is_already_tomorrow(self):
        result = schedule.local_date(datetime(2026, 1, 5, 23, 30), BRUSSELS)
        self.assertEqual(result, date(2026, 1, 6))

    def test_new_york_is_still_yesterday(self):
        result = schedule.local_date(datetime(2026, 1, 6, 3, 0), NEW_YORK)
        self.assertEqual(result, date(2026, 1, 5))

    def test_brussels_summer_midnight(self):
        self.assertEqual(schedule.local_date(datetime(2026, 7, 1, 21, 59), BRUSSELS), date(2026, 7, 1))
        self.assertEqual(schedule.local_date(datetime(2026, 7, 1, 22, 0), BRUSSELS), date(2026, 7, 2))


class TestDelayParts(unittest.TestCase):
    """The parts of a delay the step form puts in words (translated there)."""

    def test_parts(self):
        cases = [
            ({}, []),
            ({"business_days": 1}, [("business_days", 1)]),
            ({"days": 1, "hours": 3}, [("days", 1), ("hours", 3)]),
            ({"business_days": 2, "days": 1, "minutes": 30}, [("business_days", 2), ("days", 1), ("minutes", 30)]),
            ({"hours": 1.5}, [("hours", 1.5)]),
        ]
        for kwargs, expected in cases:
            with self.subTest(kwargs=kwargs):
                self.assertEqual(schedule.delay_parts(**kwargs), expected)


class TestDocstrings(unittest.TestCase):
    def test_doctests(self):
        result = doctest.testmod(schedule, optionflags=doctest.ELLIPSIS)
        self.assertGreater(result.attempted, 0)
        self.assertEqual(result.failed, 0)


class TestComputeDueProperties(unittest.TestCase):
    TIMEZONES = [BRUSSELS, NEW_YORK, "UTC", "Asia/Kolkata", "Australia/Sydney"]
    WINDOWS = [(9.0, 17.0), (9.5, 17.5), (0.0, 24.0), (2.5, 17.0), (22.0, 24.0)]

    @unittest.skipIf(hypothesis is None, "hypothesis is not installed")
    def test_due_is_after_delay_and_inside_window(self):

        @hypothesis.settings(max_examples=300, deadline=None, database=None)
        @hypothesis.given(
            anchor=st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59)),
            tz_name=st.sampled_from(self.TIMEZONES),
            window=st.sampled_from(self.WINDOWS),
            weekdays_only=st.booleans(),
            business_days=st.integers(0, 10),
            days=st.integers(0, 10),
            hours=st.integers(0, 48),
            minutes=st.integers(0, 59),
        )
        def check(anchor, tz_name, window, weekdays_only, business_days, days, hours, minutes):
            start, end = window
            delayed = schedule.apply_delay(anchor, tz_name, business_days, days, hours, minutes)
            due = schedule.compute_due(anchor, tz_name, business_days, days, hours, minutes, start, end, weekdays_only)
            self.assertGreaterEqual(due, delayed)
            local_due = schedule.to_local(due, schedule.get_timezone(tz_name))
            self.assertTrue(
                schedule.Window(start, end, weekdays_only).contains(local_due),
                "%s local is outside the window" % local_due,
            )
            if weekdays_only:
                self.assertLess(local_due.weekday(), 5)
            hours_of_day = local_due.hour + local_due.minute / 60
            self.assertTrue(start <= hours_of_day < end)
            self.assertEqual(schedule.next_opening(due, tz_name, start, end, weekdays_only), due)

        check()


# DST changes of 2026 (naive UTC instant, zone), to aim the properties at them
DST_CHANGES = [
    (datetime(2026, 3, 29, 1, 0), BRUSSELS),
    (datetime(2026, 10, 25, 1, 0), BRUSSELS),
    (datetime(2026, 3, 8, 7, 0), NEW_YORK),
    (datetime(2026, 11, 1, 6, 0), NEW_YORK),
    (datetime(2026, 4, 4, 16, 0), "Australia/Sydney"),
    (datetime(2026, 10, 3, 16, 0), "Australia/Sydney"),
]
WINDOWS = [(9.0, 17.0), (9.5, 17.5), (0.0, 24.0), (2.5, 17.0), (22.0, 24.0), (2.0, 3.0)]


def _near_dst_change(draw_minutes, change):
    """An instant within three days of a DST change."""
    moment, tz_name = change
    return moment + timedelta(minutes=draw_minutes), tz_name


@unittest.skipIf(hypothesis is None, "hypothesis is not installed")
class TestScheduleProperties(unittest.TestCase):
    """Properties around DST changes (random instants of the year rarely fall
    on one): the wall clock is kept, elapsed time is exact, the window is
    always honoured and its next opening is the earliest one."""

    settings = dict(max_examples=250, deadline=None, database=None)

    def near_dst(self):
        return st.builds(
            _near_dst_change,
            st.integers(-3 * 24 * 60, 3 * 24 * 60),
            st.sampled_from(DST_CHANGES),
        )

    def test_days_keep_the_local_wall_clock_across_dst(self):

        @hypothesis.settings(**self.settings)
        @hypothesis.given(self.near_dst(), st.integers(0, 5), st.integers(0, 5))
        def check(anchor_tz, business_days, days):
            anchor, tz_name = anchor_tz
            tz = schedule.get_timezone(tz_name)
            result = schedule.apply_delay(anchor, tz_name, business_days=business_days, days=days)
            if not business_days and not days:
                self.assertEqual(result, anchor)
                return
            local_anchor = schedule.to_local(anchor, tz).replace(tzinfo=None)
            wall = schedule.shift_business_days(local_anchor, business_days) + timedelta(days=days)
            local_result = schedule.to_local(result, tz).replace(tzinfo=None)
            try:
                tz.localize(wall, is_dst=None)
            except schedule.pytz.NonExistentTimeError:
                # in the spring-forward gap: the first instant after it
                self.assertGreater(local_result, wall)
                self.assertLessEqual(local_result - wall, timedelta(hours=1))
                return
            except schedule.pytz.AmbiguousTimeError:
                self.assertEqual(local_result, wall)
                self.assertEqual(result, schedule.to_naive_utc(tz.localize(wall, is_dst=True)))
                return
            self.assertEqual(local_result, wall)
            if business_days and not days:
                self.assertLess(local_result.weekday(), 5)

        check()

    def test_hours_and_minutes_are_elapsed_time_across_dst(self):

        @hypothesis.settings(**self.settings)
        @hypothesis.given(self.near_dst(), st.integers(0, 72), st.integers(0, 59))
        def check(anchor_tz, hours, minutes):
            anchor, tz_name = anchor_tz
            result = schedule.apply_delay(anchor, tz_name, hours=hours, minutes=minutes)
            self.assertEqual(result - anchor, timedelta(hours=hours, minutes=minutes))

        check()

    def test_due_is_after_the_delay_and_inside_the_window_across_dst(self):

        @hypothesis.settings(**self.settings)
        @hypothesis.given(
            self.near_dst(),
            st.sampled_from(WINDOWS),
            st.booleans(),
            st.integers(0, 3),
            st.integers(0, 3),
            st.integers(0, 30),
        )
        def check(anchor_tz, window, weekdays_only, business_days, days, hours):
            anchor, tz_name = anchor_tz
            start, end = window
            delayed = schedule.apply_delay(anchor, tz_name, business_days, days, hours)
            due = schedule.compute_due(anchor, tz_name, business_days, days, hours, 0, start, end, weekdays_only)
            self.assertGreaterEqual(due, delayed)
            local_due = schedule.to_local(due, schedule.get_timezone(tz_name))
            self.assertTrue(schedule.Window(start, end, weekdays_only).contains(local_due))

        check()

    def test_next_opening_is_the_earliest_opening(self):
        """Nothing between the instant and its next opening is inside the window."""

        @hypothesis.settings(**self.settings)
        @hypothesis.given(self.near_dst(), st.sampled_from(WINDOWS), st.booleans())
        def check(when_tz, window, weekdays_only):
            when, tz_name = when_tz
            tz = schedule.get_timezone(tz_name)
            rule = schedule.Window(*window, weekdays_only)
            opening = schedule.next_opening(when, tz_name, *window, weekdays_only)
            self.assertGreaterEqual(opening, when)
            self.assertTrue(rule.contains(schedule.to_local(opening, tz)))
            probe = when
            while probe < opening:
                self.assertFalse(rule.contains(schedule.to_local(probe, tz)), probe)
                probe += timedelta(minutes=30)
            before = opening - timedelta(seconds=1)
            if before >= when:
                self.assertFalse(rule.contains(schedule.to_local(before, tz)))

        check()

    def test_next_opening_is_monotonic(self):

        @hypothesis.settings(**self.settings)
        @hypothesis.given(self.near_dst(), st.integers(0, 3 * 24 * 60), st.sampled_from(WINDOWS), st.booleans())
        def check(when_tz, later_by, window, weekdays_only):
            when, tz_name = when_tz
            later = when + timedelta(minutes=later_by)
            self.assertLessEqual(
                schedule.next_opening(when, tz_name, *window, weekdays_only),
                schedule.next_opening(later, tz_name, *window, weekdays_only),
            )

        check()


if __name__ == "__main__":
    unittest.main()
