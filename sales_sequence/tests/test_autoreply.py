import doctest
import unittest
from datetime import date

from odoo.addons.sales_sequence.tools import autoreply

MONDAY = date(2026, 3, 2)


class TestAutoReply(unittest.TestCase):
    def test_doctests(self):
        self.assertEqual(doctest.testmod(autoreply).failed, 0)

    def test_detection(self):
        cases = [
            ({"Auto-Submitted": "auto-replied"}, "Re: Hello", True),
            ({"Auto-Submitted": "auto-generated"}, "Hello", True),
            ({"Auto-Submitted": "no"}, "Re: Hello", False),
            ({"X-Autoreply": "yes"}, "Re: Hello", True),
            ({}, "Automatic reply: Hello", True),
            ({}, "Out of Office: Re: Hello", True),
            ({}, "Réponse automatique : Bonjour", True),
            ({}, "Re: Out of office plans for the team", False),
            ({}, "Re: Hello", False),
        ]
        for headers, subject, expected in cases:
            with self.subTest(subject=subject, headers=headers):
                self.assertEqual(autoreply.is_auto_reply(headers, subject), expected)

    def test_return_dates(self):
        cases = [
            ("I am out of the office until March 13 and will reply when back.", date(2026, 3, 14)),
            ("Back on 16/03.", date(2026, 3, 16)),
            ("Je suis absent jusqu'au 20 mars 2026.", date(2026, 3, 21)),
            ("I return 2026-03-10, thanks!", date(2026, 3, 10)),
            ("Away from 3 March through March 9th, 2026.", date(2026, 3, 10)),
            ("I will be back 5 January.", date(2027, 1, 5)),  # next year's
            ("Thanks for your email. I was born on 1 April 1990.", None),
            ("Thanks for your email.", None),
            ("Back on 31/02.", None),  # no such day
        ]
        for text, expected in cases:
            with self.subTest(text=text):
                self.assertEqual(autoreply.find_return_date(text, MONDAY), expected)

    def test_cap_return_date(self):
        cases = [
            (date(2026, 3, 14), 60, date(2026, 3, 14)),  # within the cap: unchanged
            (date(2026, 5, 1), 60, date(2026, 5, 1)),  # exactly at the cap
            (date(2026, 5, 2), 60, date(2026, 5, 1)),  # one day over
            (date(2099, 12, 31), 60, date(2026, 5, 1)),  # "back on 31/12/2099"
            (date(2099, 12, 31), 0, date(2099, 12, 31)),  # 0: no cap
            (None, 60, None),  # no date found
        ]
        for found, max_days, expected in cases:
            with self.subTest(found=found, max_days=max_days):
                self.assertEqual(autoreply.cap_return_date(found, MONDAY, max_days), expected)

    def test_far_return_date_capped(self):
        """The finding as written: the parser reads 2099, the cap brings it back."""
        found = autoreply.find_return_date("Out of office, back on 31/12/2099.", MONDAY)
        self.assertEqual(found, date(2099, 12, 31))
        self.assertEqual(autoreply.cap_return_date(found, MONDAY, 60), date(2026, 5, 1))
