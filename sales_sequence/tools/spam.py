"""Spam-risk score of an email: 0 (clean) to 100 (certain to be filtered).

Pure Python, no Odoo: the score adds up the points of the signals found in the
subject and the HTML body, capped at 100, and tells which band it falls in::

    >>> result = score("Quick question about {{ company }}",
    ...                "<p>Hi {{ first_name | default('there') }}, are you the right person "
    ...                "to talk to about hiring at {{ company }}?</p>")
    >>> result.score, result.band, result.reasons
    (0, 'green', ())
    >>> result = score("FREE TRIAL!!!", "<p>Click here: <a href='https://bit.ly/x'>offer</a></p>")
    >>> result.band, [reason.code for reason in result.reasons]
    ('red', ['caps_subject', 'spam_words', 'exclamations', 'link_ratio', 'shortener'])
    >>> str(result.reasons[1])
    'Spam-like words: free trial, click here.'

Jinja placeholders (``{{ ... }}``, ``{% ... %}``, ``{# ... #}``) are neither
text nor links: they are removed before the analysis, so a link whose address
is ``{{ unsubscribe_link }}`` is not a link.

The score is computed on every read of a steps list, on text a rep typed: it
takes time linear in the size of the email, whatever the text (no regular
expression here can backtrack over more than a few characters, the
placeholders are found by :func:`~.render.tag_spans`, and the HTML is tamed
before Python's ``HTMLParser``, which rescans the rest of the document from
every unfinished tag).

Reasons are :class:`Reason` objects: a stable ``code``, the ``points`` it
costs and ``params`` (strings and numbers) that fill its message;
``str(reason)`` is the English message (:data:`REASON_MESSAGES`), which the
ORM layer translates by code.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from .render import tag_spans

__all__ = [
    "AMBER_FROM",
    "RED_FROM",
    "REASON_MESSAGES",
    "Reason",
    "SpamScore",
    "band_of",
    "score",
    "worst",
]

# Bands: [0, AMBER_FROM) green, [AMBER_FROM, RED_FROM) amber, [RED_FROM, 100] red
AMBER_FROM = 30
RED_FROM = 60
MAX_SCORE = 100

# Points of each signal
POINTS_EMPTY_SUBJECT = 30
POINTS_CAPS_SUBJECT = 25
POINTS_SPAM_WORD_SUBJECT = 12  # per distinct phrase found in the subject
POINTS_SPAM_WORD_BODY = 6  # per distinct phrase found only in the body
MAX_POINTS_SPAM_WORDS = 60
POINTS_EXCLAMATIONS = 10  # per place (subject, body) with a run of "!!"
POINTS_LINK_RATIO = 20
POINTS_TOO_MANY_LINKS = 15
POINTS_SHORTENER = 30
POINTS_IMAGE_ONLY = 35
POINTS_MONEY = 10
POINTS_MONEY_MANY = 15  # from MONEY_MANY amounts on

# Thresholds
CAPS_MIN_LETTERS = 8  # shorter subjects ("ROI?") are not shouting
CAPS_RATIO = 0.8  # share of capital letters that is shouting
MAX_LINKS = 3
LINK_RATIO = 0.3  # share of the words that are link text
IMAGE_ONLY_MAX_WORDS = 10  # fewer words than this next to an image
MONEY_MANY = 3

SPAM_PHRASES = (
    "free",
    "100% free",
    "free gift",
    "free trial",
    "guarantee",
    "guaranteed",
    "act now",
    "100%",
    "winner",
    "you have been selected",
    "congratulations",
    "risk-free",
    "risk free",
    "urgent",
    "$$$",
    "click here",
    "click below",
    "buy now",
    "order now",
    "call now",
    "apply now",
    "limited time",
    "offer expires",
    "once in a lifetime",
    "last chance",
    "final notice",
    "no obligation",
    "no cost",
    "no credit check",
    "cash",
    "cash bonus",
    "earn money",
    "make money",
    "extra income",
    "double your",
    "work from home",
    "lowest price",
    "best price",
    "cheap",
    "discount",
    "special promotion",
    "prize",
    "bonus",
    "miracle",
    "incredible deal",
    "million dollars",
    "this is not spam",
    "not spam",
    "don't delete",
    "what are you waiting for",
    "as seen on",
)
# Ordinary phrases that contain a spam word: removed before matching
BENIGN_PHRASES = ("feel free", "free to reply", "free time", "toll-free", "toll free")
URL_SHORTENERS = (
    "bit.ly",
    "bitly.com",
    "tinyurl.com",
    "goo.gl",
    "t.co",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
    "rb.gy",
    "bit.do",
    "t.ly",
    "lnkd.in",
    "s.id",
    "v.gd",
    "qr.net",
    "shorte.st",
)

REASON_MESSAGES = {
    "empty_subject": "The subject is empty.",
    "caps_subject": "The subject is in capital letters.",
    "spam_words": "Spam-like words: %(words)s.",
    "exclamations": "Runs of exclamation marks (%(example)s).",
    "link_ratio": "Links make up %(percent)s%% of the text.",
    "too_many_links": "Too many links: %(count)s (at most %(limit)s).",
    "shortener": "Link shorteners hide the destination: %(domains)s.",
    "image_only": "The body is images with almost no text.",
    "money": "Prices or amounts of money: %(examples)s.",
}

_WORD = re.compile(r"[^\W_]+")
_EXCLAMATION_RUN = re.compile(r"[!¡](?: ?[!¡])+")
_BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_CURRENCY = r"(?:[$€£¥₹]|\b(?:USD|EUR|GBP|dollars?|euros?|bucks)\b)"
_CURRENCY_WIDTH = 9  # longest currency and its space ("dollars "), plus one
_AMOUNT = re.compile(r"\d+(?:[.,]+\d+)*")  # digits, separators inside: "1,000.50"
_CURRENCY_BEFORE = re.compile(rf"{_CURRENCY}\s?", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(rf"\s?{_CURRENCY}", re.IGNORECASE)
_TAG_START = re.compile(r"</?[A-Za-z]")
_SPAM_PATTERNS = tuple(
    (phrase, re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", re.IGNORECASE)) for phrase in SPAM_PHRASES
)
# The non-ASCII letters that re.IGNORECASE matches to ASCII ones (and lower() does not)
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_BENIGN = re.compile("|".join(re.escape(phrase) for phrase in BENIGN_PHRASES), re.IGNORECASE)
_SKIPPED_TAGS = ("script", "style", "head", "title")
_INLINE_TAGS = frozenset(
    (
        "a",
        "abbr",
        "b",
        "big",
        "code",
        "em",
        "font",
        "i",
        "mark",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "u",
    )
)


@dataclass(frozen=True)
class Reason:
    """One signal found: ``code`` (a key of :data:`REASON_MESSAGES`), the
    ``points`` it adds and the ``params`` of its message."""

    code: str
    points: int
    params: dict = field(default_factory=dict, compare=False)

    def __str__(self):
        return REASON_MESSAGES[self.code] % self.params


@dataclass(frozen=True)
class SpamScore:
    """``score`` 0-100, ``band`` (green, amber or red) and the ``reasons``."""

    score: int
    band: str
    reasons: tuple = ()


def band_of(points):
    """The band of a score.

    >>> band_of(0), band_of(AMBER_FROM), band_of(RED_FROM)
    ('green', 'amber', 'red')
    """
    if points >= RED_FROM:
        return "red"
    if points >= AMBER_FROM:
        return "amber"
    return "green"


def score(subject, body_html):
    """The spam-risk :class:`SpamScore` of an email (subject and HTML body may
    be ``None``, ``False`` or contain Jinja placeholders)."""
    subject = strip_placeholders(subject or "").strip()
    body = _BodyParser.parse(strip_placeholders(body_html or ""))
    reasons = [reason for check in _CHECKS for reason in [check(subject, body)] if reason]
    total = min(MAX_SCORE, sum(reason.points for reason in reasons))
    return SpamScore(total, band_of(total), tuple(reasons))


def worst(scores):
    """The highest of several :class:`SpamScore` (the first on a tie)."""
    return max(scores, key=lambda result: result.score)


def strip_placeholders(text):
    """Jinja tags and expressions are neither text nor links.

    >>> strip_placeholders('<a href="{{ unsubscribe_link }}">Hi {{ first_name }}</a>')
    '<a href=" ">Hi  </a>'
    """
    parts, done = [], 0
    for start, end, _opener in tag_spans(text):
        parts += (text[done:start], " ")
        done = end
    return "".join(parts) + text[done:] if parts else text


# ----------------------------------------------------------------------
# The body, as words, links and images
# ----------------------------------------------------------------------


class _BodyParser(HTMLParser):
    """Visible text, links (and the words of their text) and images of an HTML body."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self._parts = []
        self._anchors = []  # one bool per open <a>: is it a web link?
        self._in_links = 0  # how many of them are
        self._skipping = 0
        self.link_words = 0
        self.links = []  # host of every web link ("" when unknown)
        self.images = 0

    @classmethod
    def parse(cls, html):
        parser = cls()
        try:
            parser.feed(_tame(html))
            parser.close()
        except Exception:  # HTMLParser asserts on some malformed declarations
            parser = cls()
            parser.feed(html.replace("<", "&lt;"))
            parser.close()
        parser.text = " ".join("".join(parser._parts).split())
        parser.words = len(_WORD.findall(parser.text))
        return parser

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in _INLINE_TAGS:
            self._parts.append(" ")
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "img" and (attributes.get("src") or "").strip():
            self.images += 1
        elif tag == "a":
            host = _link_host(attributes.get("href"))
            if host is not None:
                self.links.append(host)
            self._anchors.append(host is not None)
            self._in_links += host is not None

    def handle_endtag(self, tag):
        if tag not in _INLINE_TAGS:
            self._parts.append(" ")
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "a" and self._anchors:
            self._in_links -= self._anchors.pop()

    def handle_data(self, data):
        if self._skipping:
            return
        self._parts.append(data)
        if self._in_links:
            self.link_words += len(_WORD.findall(data))
            return
        for url in _BARE_URL.findall(data):
            self.links.append(_link_host(url) or "")
            self.link_words += len(_WORD.findall(url))


def _tame(html):
    """``html`` with every ``<`` that does not open a complete tag escaped, and
    comments, declarations and processing instructions dropped (none is
    visible text).  Python's HTMLParser rescans the rest of the document from
    each unfinished construct ("<a <a <a ...": quadratic) and asserts on some
    declarations ("<![x"); a browser shows such a "<" as text anyway.

    >>> _tame('<p>1 < 2 <b>x</b><!-- c --><!DOCTYPE html><a href="#">y</a> <3</p>')
    '<p>1 &lt; 2 <b>x</b><a href="#">y</a> &lt;3</p>'
    """
    parts, done, size = [], 0, len(html)
    close = -1  # the first ">" after the current "<" (size: none)
    start = html.find("<")
    while start >= 0:
        if html.startswith("<!--", start):
            end = html.find("-->", start + 4)
            parts.append(html[done:start])
            done = size if end < 0 else end + 3
            start = html.find("<", done)
            continue
        following = html.find("<", start + 1)
        if close <= start:
            close = html.find(">", start + 1) % (size + 1)  # -1 -> size
        if close >= (size if following < 0 else following):
            parts += (html[done:start], "&lt;")  # never closed before the next "<"
            done = start + 1
        elif not _TAG_START.match(html, start):
            parts.append(html[done:start])  # <!...>, <?...>, </ ...>, < b>
            done = close + 1 if html[start + 1] in "!?/" else start
            if done == start:
                parts.append("&lt;")
                done += 1
        start = following
    return "".join(parts) + html[done:]


def _link_host(href):
    """Host name of a link; "" for a web link whose host is unknown; None when
    ``href`` is not a web link (empty, an anchor, mailto:, tel:...)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    if href.lower().startswith("www."):
        href = "http://" + href
    parts = urlsplit(href)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


# ----------------------------------------------------------------------
# Checks: (subject, body) -> Reason or None
# ----------------------------------------------------------------------


def _check_empty_subject(subject, body):
    if not subject:
        return Reason("empty_subject", POINTS_EMPTY_SUBJECT)
    return None


def _check_caps_subject(subject, body):
    letters = [char for char in subject if char.isalpha()]
    capitals = sum(1 for char in letters if char.isupper())
    if len(letters) >= CAPS_MIN_LETTERS and capitals >= CAPS_RATIO * len(letters):
        return Reason("caps_subject", POINTS_CAPS_SUBJECT)
    return None


def _check_spam_words(subject, body):
    in_subject = _spam_phrases(subject)
    in_body = [phrase for phrase in _spam_phrases(body.text) if phrase not in in_subject]
    if not in_subject and not in_body:
        return None
    points = min(
        MAX_POINTS_SPAM_WORDS,
        POINTS_SPAM_WORD_SUBJECT * len(in_subject) + POINTS_SPAM_WORD_BODY * len(in_body),
    )
    return Reason("spam_words", points, {"words": ", ".join(in_subject + in_body)})


def _spam_phrases(text):
    """The spam phrases found in ``text``, in the order of :data:`SPAM_PHRASES`,
    without those contained in a longer phrase found too ("100%" in "100% free")."""
    text = _BENIGN.sub(" ", text)
    folded = text.translate(_ASCII_FOLD).lower()  # a fast first look: the phrases are rare
    found = [phrase for phrase, pattern in _SPAM_PATTERNS if phrase in folded and pattern.search(text)]
    return [phrase for phrase in found if not any(phrase != other and phrase in other for other in found)]


def _check_exclamations(subject, body):
    runs = [match for text in (subject, body.text) for match in [_EXCLAMATION_RUN.search(text)] if match]
    if not runs:
        return None
    return Reason("exclamations", POINTS_EXCLAMATIONS * len(runs), {"example": "“%s”" % runs[0].group()})


def _check_link_ratio(subject, body):
    if not body.links or not body.words:
        return None
    ratio = body.link_words / body.words
    if ratio < LINK_RATIO:
        return None
    return Reason("link_ratio", POINTS_LINK_RATIO, {"percent": round(100 * ratio)})


def _check_too_many_links(subject, body):
    if len(body.links) <= MAX_LINKS:
        return None
    return Reason("too_many_links", POINTS_TOO_MANY_LINKS, {"count": len(body.links), "limit": MAX_LINKS})


def _check_shortener(subject, body):
    hosts = [host for host in body.links if _is_shortener(host)]
    for url in _BARE_URL.findall(subject):
        host = _link_host(url)
        if host and _is_shortener(host):
            hosts.append(host)
    if not hosts:
        return None
    return Reason("shortener", POINTS_SHORTENER, {"domains": ", ".join(dict.fromkeys(hosts))})


def _is_shortener(host):
    return any(host == domain or host.endswith("." + domain) for domain in URL_SHORTENERS)


def _check_image_only(subject, body):
    if body.images and body.words < IMAGE_ONLY_MAX_WORDS:
        return Reason("image_only", POINTS_IMAGE_ONLY)
    return None


def _check_money(subject, body):
    amounts = [amount.strip() for text in (subject, body.text) for amount in _money(text)]
    if not amounts:
        return None
    points = POINTS_MONEY_MANY if len(amounts) >= MONEY_MANY else POINTS_MONEY
    return Reason("money", points, {"examples": ", ".join(dict.fromkeys(amounts[:3]))})


def _money(text):
    """The amounts of money in ``text``, each with its currency before or
    after it ("$49", "299 EUR"), left to right, none sharing a currency."""
    done = 0
    for match in _AMOUNT.finditer(text):
        start, end = match.span()
        before = _currency_before(text, max(done, start - _CURRENCY_WIDTH), start)
        if before is not None:
            done = end
            yield text[before:end]
            continue
        after = _CURRENCY_AFTER.match(text, end)
        if after:
            done = after.end()
            yield text[start:done]


def _currency_before(text, lo, start):
    """Where the currency that ends right before ``start`` begins (from ``lo`` on)."""
    for pos in range(lo, start):
        match = _CURRENCY_BEFORE.match(text, pos)
        if match and match.end() == start:
            return pos
    return None


_CHECKS = (
    _check_empty_subject,
    _check_caps_subject,
    _check_spam_words,
    _check_exclamations,
    _check_link_ratio,
    _check_too_many_links,
    _check_shortener,
    _check_image_only,
    _check_money,
)
