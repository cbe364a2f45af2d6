"""A/B variants: deterministic weighted assignment.

>>> pick_index([1, 1], 7) == pick_index([1, 1], 7)
True
>>> pick_index([0, 3], 12345)
1
"""
import hashlib


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
