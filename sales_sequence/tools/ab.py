"""A/B variants: deterministic weighted assignment, and the auto-winner test.

>>> pick_index([1, 1], 7) == pick_index([1, 1], 7)
True
>>> pick_index([0, 3], 12345)
1
"""

import hashlib
import math
from dataclasses import dataclass, field


def stable_fraction(seed):
    """A number in [0, 1) that depends only on ``seed`` (stable across runs and retries)."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick_index(weights, seed):
    """Index of the weight chosen for ``seed``; None when every weight is zero."""
    total = sum(max(weight, 0) for weight in weights)
    if total <= 0:
        return None
    point = stable_fraction(seed) * total
    for index, weight in enumerate(weights):
        point -= max(weight, 0)
        if point < 0:
            return index
    return len(weights) - 1


def pick_variant(variants, seed):
    """The variant (a recordset of one) assigned to ``seed``, or None."""
    index = pick_index(variants.mapped("weight"), seed)
    return variants[index] if index is not None else None


# ----------------------------------------------------------------------
# Auto-winner: two-proportion z-test
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """Outcome of :func:`pick_winner`.

    ``winner``: key of the winning variant, or None; ``reason``: ``winner``,
    ``too_few_variants``, ``not_enough_sends`` or ``not_significant``;
    ``rates``: {key: success rate}; ``runner_up``: the closest other variant;
    ``z`` and ``p``: the test of the best variant against the runner-up;
    ``alpha``: the significance level each comparison had to beat
    (Bonferroni-corrected when more than two variants compete).
    """

    winner: object
    reason: str
    rates: dict = field(default_factory=dict)
    runner_up: object = None
    z: float = None
    p: float = None
    alpha: float = None


def two_proportion_z(successes_a, n_a, successes_b, n_b):
    """Pooled two-proportion z-test of rate A against rate B.

    :return: ``(z, p)``: z > 0 when A is higher; p is two-sided.

    >>> z, p = two_proportion_z(30, 100, 15, 100)
    >>> round(z, 3), round(p, 4)
    (2.54, 0.0111)
    >>> two_proportion_z(0, 50, 0, 50)
    (0.0, 1.0)
    """
    for successes, total in ((successes_a, n_a), (successes_b, n_b)):
        if total <= 0 or not 0 <= successes <= total:
            raise ValueError("need 0 <= successes <= n and n > 0, got %s of %s" % (successes, total))
    pooled = (successes_a + successes_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if not spread:  # both rates 0% or both 100%: no difference to test
        return 0.0, 1.0
    z = (successes_a / n_a - successes_b / n_b) / spread
    return z, 1 - math.erf(abs(z) / math.sqrt(2))


def pick_winner(stats, confidence, min_sends):
    """The variant that beats every other one at ``confidence``, if any.

    :param stats: ``{key: (successes, sends)}`` of the competing variants
    :param confidence: 0.90, 0.95 or 0.99
    :param min_sends: sends every variant needs before any decision
    :rtype: Decision

    >>> pick_winner({"A": (30, 100), "B": (15, 100)}, 0.95, 100).winner
    'A'
    >>> pick_winner({"A": (30, 100), "B": (15, 100)}, 0.99, 100).reason
    'not_significant'
    >>> pick_winner({"A": (30, 100), "B": (15, 99)}, 0.95, 100).reason
    'not_enough_sends'
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1, got %s" % confidence)
    if len(stats) < 2:
        return Decision(None, "too_few_variants")
    rates = {key: (successes / sends if sends else 0.0) for key, (successes, sends) in stats.items()}
    if any(sends < max(min_sends, 1) for __, sends in stats.values()):
        return Decision(None, "not_enough_sends", rates)
    alpha = (1 - confidence) / (len(stats) - 1)
    best = max(stats, key=lambda key: rates[key])
    tests = {key: two_proportion_z(*stats[best], *stats[key]) for key in stats if key != best}
    runner_up = max(tests, key=lambda key: tests[key][1])
    z, p = tests[runner_up]
    significant = all(z_other > 0 and p_other < alpha for z_other, p_other in tests.values())
    return Decision(
        best if significant else None,
        "winner" if significant else "not_significant",
        rates,
        runner_up,
        z,
        p,
        alpha,
    )
