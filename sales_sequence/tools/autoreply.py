"""Out-of-office detection: is an incoming email an automatic reply, and when
is its sender back?

>>> is_auto_reply({"Auto-Submitted": "auto-replied"}, "Re: hello")
True
>>> is_auto_reply({"Auto-Submitted": "no"}, "Re: hello")
False
>>> find_return_date("I am back on 14 March 2026.", date(2026, 3, 2))
datetime.date(2026, 3, 14)
>>> cap_return_date(date(2099, 12, 31), date(2026, 3, 2), 60)
datetime.date(2026, 5, 1)
"""

import re
from datetime import date, timedelta

AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|out of (the )?office|ooo\b|"
    r"absence|abwesenheit|réponse automatique|respuesta automática|risposta automatica|"
    r"afwezig|automatisch antwoord|on vacation|away from)",
    re.IGNORECASE,
)
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan", "janvier", "januar", "enero", "januari"),
            ("february", "feb", "février", "fevrier", "februar", "febrero", "februari"),
            ("march", "mar", "mars", "märz", "marzo", "maart"),
            ("april", "apr", "avril", "abril"),
            ("may", "mai", "mayo", "mei"),
            ("june", "jun", "juin", "juni", "junio"),
            ("july", "jul", "juillet", "juli", "julio"),
            ("august", "aug", "août", "aout", "agosto", "augustus"),
            ("september", "sep", "sept", "septembre", "septiembre"),
            ("october", "oct", "octobre", "oktober", "octubre"),
            ("november", "nov", "novembre", "noviembre"),
            ("december", "dec", "décembre", "decembre", "dezember", "diciembre"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>%s)\.?" % "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?:,?\s+(?P<year>20\d\d))?"
DATE_PATTERNS = [
    re.compile(r"(?P<year>20\d\d)-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)"),  # 2026-03-14
    re.compile(r"\b(?P<day>[0-3]?\d)[./](?P<month>[01]?\d)(?:[./](?P<year>20\d\d))?\b"),  # 14/03/2026
    re.compile(r"\b%s\s+%s%s" % (_DAY, _MONTH, _YEAR), re.IGNORECASE),  # 14 March 2026
    re.compile(r"\b%s\s+%s\b%s" % (_MONTH, _DAY, _YEAR), re.IGNORECASE),  # March 14, 2026
]
UNTIL_WORDS = re.compile(r"\b(until|till|through|jusqu|bis|hasta|fino|tot)", re.IGNORECASE)
# a date counts as a return date only near words saying so
RETURN_WORDS = re.compile(
    r"(back|return|returning|retour|zurück|de vuelta|di ritorno|terug|until|till|through|"
    r"jusqu|bis|hasta|fino|tot|from|à partir|ab |away)",
    re.IGNORECASE,
)


def is_auto_reply(headers, subject):
    """True for automatic replies: ``Auto-Submitted`` other than ``no`` (RFC
    3834), the usual vendor headers, or an out-of-office subject."""
    auto_submitted = (headers.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(headers.get(name) for name in AUTO_REPLY_HEADERS):
        return True
    return bool(AUTO_REPLY_SUBJECT.match(subject or ""))


def find_return_date(text, today):
    """When the sender is back, from the first sentence of ``text`` that names
    a future date near a "back / until" word: its latest date, the day after
    when the sentence says "until" ("until the 13th" means back on the 14th).
    None when no such sentence."""
    for sentence in re.split(r"(?<=[.!?\n])\s+", text or ""):
        if not RETURN_WORDS.search(sentence):
            continue
        future = [found for found in _dates_in(sentence, today) if found > today]
        if future:
            back = max(future)
            return back + timedelta(days=1) if UNTIL_WORDS.search(sentence) else back
    return None


def cap_return_date(found, today, max_days):
    """``found`` (a return date, or None), at most ``max_days`` days after
    ``today``: an out-of-office reply saying "back on 31/12/2099" must not
    pause an enrollment for decades. ``max_days`` 0 (or None) means no cap."""
    if found is None or not max_days:
        return found
    return min(found, today + timedelta(days=max_days))


def _dates_in(sentence, today):
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(sentence):
            found = _to_date(match, today)
            if found:
                yield found


def _to_date(match, today):
    month = match.group("month")
    month = int(month) if month.isdigit() else MONTHS.get(month.lower().rstrip("."))
    year = int(match.group("year")) if match.group("year") else today.year
    try:
        found = date(year, month, int(match.group("day")))
    except (TypeError, ValueError):
        return None
    if not match.group("year") and found < today:
        found = found.replace(year=year + 1)  # "back on 5 January" written in December
    return found
