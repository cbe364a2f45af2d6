"""Unit tests for sales_sequence.tools.ab (pure Python, no database)."""

import doctest
import unittest
from collections import Counter

from odoo.addons.sales_sequence.tools import ab


def chi_square_2x2(successes_a, n_a, successes_b, n_b):
    """Pearson's chi-square of the 2x2 table (no continuity correction):
    an independent oracle, since z² of the pooled test equals it."""
    a, b = successes_a, n_a - successes_a
    c, d = successes_b, n_b - successes_b
    total = a + b + c + d
    return total * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))


class TestTwoProportionZ(unittest.TestCase):
    def test_doctests(self):
        self.assertEqual(doctest.testmod(ab).failed, 0)

    def test_known_values(self):
        # reference: R, prop.test(c(s_a, s_b), c(n_a, n_b), correct = FALSE)
        cases = [
            # (s_a, n_a, s_b, n_b, z, p)
            (30, 100, 15, 100, 2.5400, 0.01109),  # X-squared = 6.4516
            (120, 1000, 100, 1000, 1.4293, 0.1529),  # X-squared = 2.0429
            (45, 150, 30, 150, 2.0, 0.04550),  # X-squared = 4
            (10, 100, 10, 100, 0.0, 1.0),
        ]
        for s_a, n_a, s_b, n_b, z_expected, p_expected in cases:
            with self.subTest((s_a, n_a, s_b, n_b)):
                z, p = ab.two_proportion_z(s_a, n_a, s_b, n_b)
                self.assertAlmostEqual(z, z_expected, places=3)
                self.assertAlmostEqual(p, p_expected, places=4)
                self.assertAlmostEqual(z * z, chi_square_2x2(s_a, n_a, s_b, n_b), places=9)

    def test_sign_and_symmetry(self):
        z_ab, p_ab = ab.two_proportion_z(30, 100, 15, 100)
        z_ba, p_ba = ab.two_proportion_z(15, 100, 30, 100)
        self.assertGreater(z_ab, 0)
        self.assertAlmostEqual(z_ab, -z_ba)
        self.assertAlmostEqual(p_ab, p_ba)

    def test_no_variance(self):
        self.assertEqual(ab.two_proportion_z(0, 10, 0, 20), (0.0, 1.0))
        self.assertEqual(ab.two_proportion_z(10, 10, 20, 20), (0.0, 1.0))

    def test_p_shrinks_with_sample_size(self):
        p_small = ab.two_proportion_z(6, 20, 3, 20)[1]
        p_large = ab.two_proportion_z(300, 1000, 150, 1000)[1]
        self.assertGreater(p_small, 0.05)
        self.assertLess(p_large, 1e-9)

    def test_invalid_counts(self):
        for args in ((1, 0, 1, 10), (11, 10, 1, 10), (-1, 10, 1, 10), (1, 10, 1, -5)):
            with self.subTest(args), self.assertRaises(ValueError):
                ab.two_proportion_z(*args)


class TestPickWinner(unittest.TestCase):
    def test_clear_winner(self):
        decision = ab.pick_winner({"A": (15, 100), "B": (30, 100)}, 0.95, 100)
        self.assertEqual(decision.winner, "B")
        self.assertEqual(decision.reason, "winner")
        self.assertEqual(decision.runner_up, "A")
        self.assertEqual(decision.rates, {"A": 0.15, "B": 0.30})
        self.assertAlmostEqual(decision.z, 2.5400, places=3)
        self.assertAlmostEqual(decision.p, 0.01109, places=4)
        self.assertAlmostEqual(decision.alpha, 0.05)

    def test_confidence_levels(self):
        stats = {"A": (30, 100), "B": (15, 100)}  # p = 0.0111
        self.assertEqual(ab.pick_winner(stats, 0.90, 100).winner, "A")
        self.assertEqual(ab.pick_winner(stats, 0.95, 100).winner, "A")
        self.assertIsNone(ab.pick_winner(stats, 0.99, 100).winner)
        self.assertEqual(ab.pick_winner(stats, 0.99, 100).reason, "not_significant")

    def test_minimum_sends_per_variant(self):
        stats = {"A": (60, 200), "B": (15, 99)}
        decision = ab.pick_winner(stats, 0.95, 100)
        self.assertEqual((decision.winner, decision.reason), (None, "not_enough_sends"))
        self.assertIsNone(decision.p)
        self.assertEqual(ab.pick_winner(stats, 0.95, 99).winner, "A")

    def test_too_few_variants(self):
        self.assertEqual(ab.pick_winner({"A": (50, 100)}, 0.95, 10).reason, "too_few_variants")
        self.assertEqual(ab.pick_winner({}, 0.95, 10).reason, "too_few_variants")

    def test_no_difference(self):
        decision = ab.pick_winner({"A": (20, 100), "B": (20, 100)}, 0.90, 100)
        self.assertIsNone(decision.winner)
        self.assertEqual(decision.p, 1.0)

    def test_bonferroni_with_three_variants(self):
        """p = 0.048 wins a two-way test at 95%, not a three-way one
        (each comparison must beat 0.05 / 2)."""
        two = {"A": (45, 150), "B": (30, 150)}
        three = dict(two, C=(20, 150))
        self.assertEqual(ab.pick_winner(two, 0.95, 100).winner, "A")
        decision = ab.pick_winner(three, 0.95, 100)
        self.assertIsNone(decision.winner)
        self.assertEqual(decision.runner_up, "B")
        self.assertAlmostEqual(decision.alpha, 0.025)

    def test_winner_must_beat_every_variant(self):
        stats = {"A": (60, 200), "B": (20, 200), "C": (25, 200)}
        decision = ab.pick_winner(stats, 0.99, 200)
        self.assertEqual(decision.winner, "A")
        self.assertEqual(decision.runner_up, "C")  # the closest contender decides

    def test_zero_min_sends_still_needs_a_send(self):
        self.assertEqual(ab.pick_winner({"A": (0, 0), "B": (5, 10)}, 0.95, 0).reason, "not_enough_sends")

    def test_invalid_confidence(self):
        for confidence in (0, 1, 95):
            with self.subTest(confidence), self.assertRaises(ValueError):
                ab.pick_winner({"A": (1, 10), "B": (2, 10)}, confidence, 1)


class TestPickVariant(unittest.TestCase):
    def test_stable_and_weighted(self):
        picks = [ab.pick_index([1, 3], seed) for seed in range(4000)]
        self.assertEqual(picks, [ab.pick_index([1, 3], seed) for seed in range(4000)])
        share = Counter(picks)[1] / len(picks)
        self.assertAlmostEqual(share, 0.75, delta=0.03)

    def test_single_weight_always_wins(self):
        self.assertEqual({ab.pick_index([5], seed) for seed in range(50)}, {0})
        self.assertIsNone(ab.pick_index([0], 1))
