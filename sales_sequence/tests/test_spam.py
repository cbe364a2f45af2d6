"""Unit tests for sales_sequence.tools.spam (pure Python, no database)."""

import doctest
import re
import time
import unittest

from odoo.addons.sales_sequence.tools import render, spam

from .test_render import cpu_bound

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # hypothesis is optional
    given = None

CLEAN_BODY = (
    "<p>Hi {{ first_name | default('there') }},</p>"
    "<p>I noticed {% if company %}{{ company }} is{% else %}you are{% endif %} hiring engineers. "
    "We help teams like yours onboard new hires in half the time.</p>"
    "<p>Would a short call next week make sense?</p><p>{{ sender.first_name }}</p>"
)

# (label, subject, body, expected band, expected reason codes)
EXAMPLES = [
    ("plain personal note", "Quick question about {{ company }}", CLEAN_BODY, "green", []),
    ("placeholders only in subject", "{{ first_name }}, {{ company }}", CLEAN_BODY, "green", []),
    (
        "one link in real text",
        "Our case study",
        CLEAN_BODY + '<p>Here is the <a href="https://example.com/case">case study</a>.</p>',
        "green",
        [],
    ),
    (
        "placeholder links are not links",
        "Following up",
        CLEAN_BODY + '<p><a href="{{ unsubscribe_link }}">Unsubscribe</a> '
        '<a href="{{ custom.website }}">{{ custom.website }}</a></p>',
        "green",
        [],
    ),
    (
        "mailto and anchors are not links",
        "Following up",
        CLEAN_BODY + '<p><a href="mailto:me@example.com">me@example.com</a> <a href="#top">top</a></p>',
        "green",
        [],
    ),
    ("feel free is not spam", "Following up", CLEAN_BODY + "<p>Feel free to reply.</p>", "green", []),
    (
        "a price alone",
        "Pricing for {{ company }}",
        CLEAN_BODY + "<p>Plans start at $49 per seat.</p>",
        "green",
        ["money"],
    ),
    ("short acronym subject", "ROI of SSO", CLEAN_BODY, "green", []),
    ("empty subject", "", CLEAN_BODY, "amber", ["empty_subject"]),
    ("placeholder-only subject is empty", "{{ custom.x_hook }}", CLEAN_BODY, "amber", ["empty_subject"]),
    ("image-only body", "Our new brochure", '<p><img src="https://example.com/b.png"/></p>', "amber", ["image_only"]),
    (
        "too many links",
        "Resources",
        CLEAN_BODY
        + "<ul>%s</ul>"
        % "".join(
            '<li>See <a href="https://example.com/%s">this article</a> about onboarding remote engineers '
            "and keeping them for years</li>" % n
            for n in range(5)
        ),
        "green",
        ["too_many_links"],
    ),
    (
        "link-heavy body",
        "Have a look",
        '<p><a href="https://example.com/a">Our brand new platform tour</a> and '
        '<a href="https://example.com/b">pricing page</a></p>',
        "green",
        ["link_ratio"],
    ),
    (
        "shortener",
        "Our case study",
        CLEAN_BODY + '<p>Read it: <a href="https://bit.ly/3abc">https://bit.ly/3abc</a></p>',
        "amber",
        ["shortener"],
    ),
    (
        "bare shortener url in text",
        "Our case study",
        CLEAN_BODY + "<p>Read it at tinyurl.com/x or https://tinyurl.com/abc today.</p>",
        "amber",
        ["shortener"],
    ),
    ("exclamation runs", "Great news!!", CLEAN_BODY + "<p>See you soon!!!</p>", "green", ["exclamations"]),
    ("all caps subject", "IMPORTANT UPDATE FOR YOUR TEAM", CLEAN_BODY, "green", ["caps_subject"]),
    (
        "spam vocabulary",
        "Act now: free trial, guaranteed results",
        CLEAN_BODY + "<p>Click here to claim your prize. 100% risk-free!</p>",
        "red",
        ["spam_words"],
    ),
    (
        "the full spam package",
        "FREE MONEY!!! ACT NOW",
        '<p><img src="https://example.com/banner.png"/><a href="http://bit.ly/win">Click here</a> '
        "$$$ winner €1,000</p>",
        "red",
        ["caps_subject", "spam_words", "exclamations", "link_ratio", "shortener", "image_only", "money"],
    ),
    (
        "urgent price list",
        "Urgent: lowest price",
        CLEAN_BODY + "<p>Only $499, then $399, then 299 EUR.</p>",
        "amber",
        ["spam_words", "money"],
    ),
]


class TestSpamScore(unittest.TestCase):
    def test_doctests(self):
        self.assertEqual(doctest.testmod(spam).failed, 0)

    def test_examples(self):
        for label, subject, body, band, codes in EXAMPLES:
            with self.subTest(label):
                result = spam.score(subject, body)
                self.assertEqual([reason.code for reason in result.reasons], codes)
                self.assertEqual(result.band, band, result)
                self.assertEqual(result.score, min(100, sum(r.points for r in result.reasons)))

    def test_bands_follow_thresholds(self):
        self.assertLess(0, spam.AMBER_FROM)
        self.assertLess(spam.AMBER_FROM, spam.RED_FROM)
        self.assertLessEqual(spam.RED_FROM, spam.MAX_SCORE)
        self.assertEqual(spam.band_of(spam.AMBER_FROM - 1), "green")
        self.assertEqual(spam.band_of(spam.AMBER_FROM), "amber")
        self.assertEqual(spam.band_of(spam.RED_FROM - 1), "amber")
        self.assertEqual(spam.band_of(spam.RED_FROM), "red")
        self.assertEqual(spam.band_of(100), "red")

    def test_score_is_capped(self):
        subject = "FREE CASH WINNER!!! ACT NOW $$$ 100% GUARANTEED"
        body = (
            "".join('<a href="https://bit.ly/%s">Click here $%s</a>' % (n, n) for n in range(10))
            + '<img src="https://example.com/x.png"/>'
        )
        self.assertEqual(spam.score(subject, body).score, 100)

    def test_missing_values(self):
        for subject, body in ((None, None), (False, False), ("", "<p><br></p>")):
            result = spam.score(subject, body)
            self.assertEqual([reason.code for reason in result.reasons], ["empty_subject"])
            self.assertEqual(result.score, spam.POINTS_EMPTY_SUBJECT)

    def test_placeholders_are_not_text(self):
        """A template made of placeholders has no text: it cannot be link-heavy
        or shout in capitals, whatever the variables are called."""
        body = '<p>{{ FIRST_NAME }} <a href="https://example.com">{{ custom.LINK_TEXT }} demo</a></p>'
        result = spam.score("{{ COMPANY_NAME }} update", body)
        self.assertEqual([reason.code for reason in result.reasons], ["link_ratio"])
        self.assertEqual(result.reasons[0].params, {"percent": 100})

    def test_spam_words_in_subject_cost_more(self):
        in_subject = spam.score("Free guide", CLEAN_BODY)
        in_body = spam.score("A guide", CLEAN_BODY + "<p>It is free.</p>")
        self.assertEqual(in_subject.score, spam.POINTS_SPAM_WORD_SUBJECT)
        self.assertEqual(in_body.score, spam.POINTS_SPAM_WORD_BODY)

    def test_spam_words_whole_words_only(self):
        for text in ("freedom", "cashier", "prizes?", "contact now", "winners"[:-1] + "ing"):
            with self.subTest(text):
                reasons = spam.score("Hello", "<p>%s</p>" % text).reasons
                self.assertNotIn("spam_words", [reason.code for reason in reasons])

    def test_spam_words_listed_once_longest_first(self):
        reason = spam.score("100% free", CLEAN_BODY + "<p>risk-free, free</p>").reasons[0]
        self.assertEqual(reason.params["words"], "100% free, risk-free")

    def test_spam_words_across_inline_tags(self):
        reasons = spam.score("Hello", "<p><b>Click</b>  <i>here</i></p>").reasons
        self.assertEqual(reasons[0].params["words"], "click here")

    def test_block_tags_separate_words_inline_tags_do_not(self):
        self.assertEqual(spam.score("Hello", "<p>free</p><p>dom</p>").reasons[0].params["words"], "free")
        self.assertEqual(spam.score("Hello", "<p><b>free</b>dom</p>").reasons, ())

    def test_scripts_and_styles_are_not_text(self):
        body = "<style>p { color: red } /* FREE */</style><script>var urgent = 1;</script>" + CLEAN_BODY
        self.assertEqual(spam.score("Hello", body).reasons, ())

    def test_reason_messages(self):
        self.assertEqual(
            set(spam.REASON_MESSAGES),
            {
                "empty_subject",
                "caps_subject",
                "spam_words",
                "exclamations",
                "link_ratio",
                "too_many_links",
                "shortener",
                "image_only",
                "money",
            },
        )
        result = spam.score("", '<p>A <a href="https://bit.ly/a">b</a> <a href="https://t.co/b">c</a></p>')
        messages = [str(reason) for reason in result.reasons]
        self.assertIn("Link shorteners hide the destination: bit.ly, t.co.", messages)
        self.assertIn("Links make up 67% of the text.", messages)

    def test_shortener_subdomain(self):
        self.assertTrue(spam._is_shortener("go.bit.ly"))
        self.assertFalse(spam._is_shortener("notbit.ly"))
        self.assertFalse(spam._is_shortener("example.com"))

    def test_worst(self):
        scores = [spam.score("Hello", CLEAN_BODY), spam.score("", CLEAN_BODY), spam.score("Hi", CLEAN_BODY)]
        self.assertIs(spam.worst(scores), scores[1])

    def test_malformed_html_does_not_raise(self):
        for body in (
            "<p>unclosed <a href='https://x.com'>link",
            "</a></p><<>>",
            "<a href=>x</a>",
            "<img>",
            "&bogus; &#xZZ; text",
            "{{ unclosed",
            "{% if %}",
        ):
            with self.subTest(body):
                result = spam.score("Hello", body)
                self.assertIn(result.band, ("green", "amber", "red"))

    def test_malformed_declaration_does_not_raise(self):
        """Python's HTMLParser raises AssertionError on "<![" not followed by a name."""
        for body in ("<![<![x", "<p>a <![ b</p>", "<!DOCTYPE", "<?x", "<!-- open"):
            with self.subTest(body):
                self.assertIn(spam.score("Hello", body).band, ("green", "amber", "red"))


class TestLinearTime(unittest.TestCase):
    """Issue 14, finding 10: the score is computed on every read of a steps
    list; each of these bodies (or subjects) of ~100k characters took from
    seconds to minutes (quadratic); each now scores in milliseconds."""

    SIZE = render.MAX_TEMPLATE_SIZE

    def assertScoresFast(self, text, valid_template=True):
        text = text[: self.SIZE]
        if valid_template:
            render.validate(text)  # a body a rep can save
        with cpu_bound(self, 1.0):
            spam.score("Hello", text)
        with cpu_bound(self, 1.0):
            spam.score(text, "<p>Hello</p>")

    def repeat(self, chunk):
        return chunk * (self.SIZE // len(chunk))

    def test_long_numbers(self):
        """The amount-of-money pattern backtracked over every run of digits."""
        for chunk in ("1", "1,", "1.0 ", "$1", "1 USD1"):
            with self.subTest(chunk=chunk):
                self.assertScoresFast(self.repeat(chunk))

    def test_unclosed_placeholders(self):
        """Stripping "{{ ... }}" rescanned to the end from every unclosed "{{"."""
        self.assertScoresFast("{% raw %}" + self.repeat("{{")[:-30] + "{% endraw %}")
        for chunk in ("{%", "{#", "{{%"):
            with self.subTest(chunk=chunk):
                self.assertScoresFast(self.repeat(chunk), valid_template=False)

    def test_unfinished_tags(self):
        """HTMLParser rescanned the rest of the document from every unfinished tag."""
        for chunk in ("<a ", "<a", "<div a='", "</", "<?", "<!", "<![", "<!-"):
            with self.subTest(chunk=chunk):
                self.assertScoresFast(self.repeat(chunk))

    def test_nested_links(self):
        """The link-text counter looked at every open <a> for every text: a
        body of open links cost several times a body of open <b> (a C-speed
        quadratic, so compared to that rather than to a fixed time)."""
        self.assertScoresFast(self.repeat("<a>x"))

        def cpu(body):
            times = []
            for _attempt in range(3):
                started = time.thread_time()
                spam.score("Hello", body)
                times.append(time.thread_time() - started)
            return min(times)

        self.assertLess(cpu(self.repeat("<a>x")), 3 * cpu(self.repeat("<b>x")))


class TestTame(unittest.TestCase):
    def test_examples(self):
        cases = {
            "<p>a</p>": "<p>a</p>",
            "1 < 2 <b>x</b>": "1 &lt; 2 <b>x</b>",
            "<a <b>": "&lt;a <b>",
            "x<!-- c -->y<!-- open": "xy",
            "<!DOCTYPE html><?php x ?><![CDATA[y]]></ b>z": "z",
            "a <": "a &lt;",
        }
        for html, expected in cases.items():
            with self.subTest(html):
                self.assertEqual(spam._tame(html), expected)


# What these were before they were made linear: exact, but quadratic on long runs.
_FORMER_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_FORMER_CURRENCY = r"(?:[$€£¥₹]|\b(?:USD|EUR|GBP|dollars?|euros?|bucks)\b)"
_FORMER_AMOUNT = r"\d[\d.,]*\d|\d"
_FORMER_MONEY = re.compile(
    rf"{_FORMER_CURRENCY}\s?(?:{_FORMER_AMOUNT})|(?:{_FORMER_AMOUNT})\s?{_FORMER_CURRENCY}", re.IGNORECASE
)

if given is not None:

    class TestSameResults(unittest.TestCase):
        """The linear versions find what the former regular expressions found."""

        @settings(max_examples=500, deadline=None)
        @given(
            st.lists(
                st.sampled_from(
                    [
                        "1",
                        "2",
                        ",",
                        ".",
                        " ",
                        "\n",
                        "$",
                        "€",
                        "USD",
                        "usd",
                        "dollars",
                        "dollar",
                        "EUR",
                        "euro",
                        "bucks",
                        "a",
                        "x",
                        "9",
                    ]
                ),
                max_size=14,
            ).map("".join)
        )
        def test_money(self, text):
            self.assertEqual(list(spam._money(text)), [match.group() for match in _FORMER_MONEY.finditer(text)])

        @settings(max_examples=500, deadline=None)
        @given(
            st.lists(
                st.sampled_from(["{", "}", "%", "#", "{{", "}}", "{%", "%}", "{#", "#}", "x", " ", "\n"]), max_size=16
            ).map("".join)
        )
        def test_placeholders(self, text):
            self.assertEqual(spam.strip_placeholders(text), _FORMER_PLACEHOLDER.sub(" ", text))

        @settings(max_examples=300, deadline=None)
        @given(
            st.lists(
                st.sampled_from(
                    [
                        "<p>",
                        "</p>",
                        "<b>",
                        "</b>",
                        "<br/>",
                        '<a href="https://x.example.com/a">',
                        '<a href="#top">',
                        "</a>",
                        '<img src="https://x.example.com/i.png"/>',
                        "&amp;",
                        "&lt;",
                        "free",
                        "word ",
                        "Click here",
                        "$5",
                        "!!",
                        "<style>p{}</style>",
                    ]
                ),
                max_size=20,
            ).map("".join)
        )
        def test_well_formed_html_is_read_as_before(self, html):
            """On sanitized HTML (every "<" opens a tag, no comments), taming
            changes nothing that is read.  (A comment inside a link used to
            split its text into two link words, "free<!-- -->free".)"""

            def read(parser_input):
                parser = spam._BodyParser()
                parser.feed(parser_input)
                parser.close()
                return "".join(parser._parts).split(), parser.links, parser.images, parser.link_words

            self.assertEqual(read(spam._tame(html)), read(html))
