#!/usr/bin/env python3
"""Throughput of the rep-facing renderer (sales_sequence/tools/render.py and sandbox.py).

Renders a typical sequence email body (6 variables, a conditional and a
``default`` fallback, HTML autoescaped) for different recipients, the way the
engine does for every email it sends (compiled once, then cached), and prints
the median of a few timed rounds::

    python3 bench/render_bench.py [--seconds 1.0] [--rounds 5]

Last line: ``renders_per_s: N``. Pure Python: no database, no Odoo import.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

TOOLS_PATH = Path(__file__).resolve().parents[1] / "sales_sequence" / "tools"

BODY = """<p>Hi {{ first_name | default("there") }},</p>
<p>{% if company %}I noticed {{ company }} is hiring in {{ city }}, and as {{ title }} you are
probably the one feeling it.{% else %}I noticed your team is growing.{% endif %}</p>
<p>We help teams onboard new engineers in half the time. Would a 15-minute call next week
make sense?</p>
<p>{{ sender.first_name }}<br/>{{ sender.title }}</p>
<p><a href="{{ unsubscribe_link }}">Unsubscribe</a></p>
"""

RECIPIENTS = [
    {"first_name": "Jane", "company": "Acme & Sons", "city": "Ghent", "title": "CTO"},
    {"first_name": "", "company": "", "city": "", "title": ""},
    {"first_name": "Łukasz", "company": "<Globex>", "city": "Kraków", "title": "VP Engineering"},
    {"first_name": "Ana", "company": "Initech", "city": "Lisbon", "title": ""},
]
SENDER = {
    "first_name": "Sam",
    "last_name": "Seller",
    "name": "Sam Seller",
    "title": "Account Executive",
    "phone": "+32 2 000 00 00",
    "email": "sam@example.com",
}


def load_render():
    """``tools.render`` loaded as part of a stand-alone ``tools`` package (no Odoo)."""
    spec = importlib.util.spec_from_file_location(
        "sales_sequence_tools", TOOLS_PATH / "__init__.py", submodule_search_locations=[str(TOOLS_PATH)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    return importlib.import_module("sales_sequence_tools.render")


def values_for(recipient, index):
    return {
        "first_name": recipient["first_name"],
        "last_name": "",
        "full_name": recipient["first_name"],
        "company": recipient["company"],
        "title": recipient["title"],
        "city": recipient["city"],
        "industry": "",
        "custom": {},
        "sender": SENDER,
        "unsubscribe_link": "https://example.com/sales_sequence/unsubscribe/%s/token" % index,
    }


def one_round(render, values_list, seconds):
    """Renders per second over about ``seconds``."""
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for values in values_list:
            render.render(BODY, values, html=True)
        count += len(values_list)
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    render = load_render()
    values_list = [values_for(recipient, index) for index, recipient in enumerate(RECIPIENTS * 25)]
    sample = render.render(BODY, values_list[2], html=True)
    assert "&lt;Globex&gt;" in sample and "Hi there" in render.render(BODY, values_list[1], html=True)
    one_round(render, values_list, 0.2)  # warm-up (compile cache, CPU caches)
    rates = [one_round(render, values_list, args.seconds) for __ in range(args.rounds)]
    print("rounds: %s x %.1fs, min %.0f, max %.0f" % (args.rounds, args.seconds, min(rates), max(rates)))
    print("renders_per_s: %d" % statistics.median(rates))


if __name__ == "__main__":
    main()
