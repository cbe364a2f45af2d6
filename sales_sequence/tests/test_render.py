"""Unit tests for sales_sequence.tools.render (pure Python, no database)."""

import unittest

from odoo.addons.sales_sequence.tools import render

try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # hypothesis is optional
    given = None

SENDER = {
    "first_name": "Bob",
    "last_name": "Stone",
    "name": "Bob Stone",
    "title": "Account Executive",
    "phone": "+1 555 0100",
    "email": "bob@example.com",
}
VALUES = {
    "first_name": "Jane",
    "last_name": "van der Berg",
    "full_name": "Jane van der Berg",
    "company": "ACME",
    "title": "CTO",
    "city": "Utrecht",
    "industry": "Logistics",
    "custom": {"x_score": "42", "x_plan": "Gold"},
    "sender": SENDER,
    "unsubscribe_link": "https://example.com/u/abc",
}
LEAKS = ("<class", "object at", "<built-in", "<function", "<bound", "<generator")
ESCAPES = (
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ sender.__class__ }}",
    "{{ custom.__init__ }}",
    "{{ custom.__init__.__globals__ }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ custom['__class__'] }}",
    "{{ sender | attr('__class__') }}",
    "{{ custom.items }}",
    "{{ custom.items() }}",
    "{{ custom.keys | string }}",
    "{{ first_name.upper }}",
    "{{ first_name.upper | string }}",
    "{{ first_name.format }}",
    "{{ first_name | attr('upper') | string }}",
    "{{ custom | map('upper') | string }}",
    "{{ custom | reverse | string }}",
    "{{ custom | items ~ '' }}",
    "{{ sender.get('name') }}",
    "{{ self }}",
    "{{ range(10) }}",
    "{{ lipsum() }}",
    "{{ cycler }}",
    "{% macro m() %}{% endmacro %}{{ m }}",
    "{% for k in custom %}{{ loop.cycle }}{{ loop.cycle | string }}{% endfor %}",
    "{% for k in custom %}{{ loop ~ loop.changed }}{% endfor %}",
    "{% macro m() %}{{ caller | string }}{% endmacro %}{% call m() %}x{% endcall %}",
    "{{ custom | dictsort | groupby(0) | string }}",
    "{{ custom | pprint }}{{ sender.nope | pprint }}",
    "{% include 'x.html' %}",
    "{% import 'x.html' as x %}",
)


class RenderCase(unittest.TestCase):
    def assertRendersTo(self, source, expected, values=None, html=False):
        self.assertEqual(
            render.render(source, VALUES if values is None else values, html=html),
            expected,
        )

    def assertRefused(self, source, *fragments, lineno=None):
        with self.assertRaises(render.TemplateError) as caught:
            render.validate(source)
        err = caught.exception
        for fragment in fragments:
            self.assertIn(fragment, str(err))
        if lineno is not None:
            self.assertEqual(err.lineno, lineno)
            self.assertTrue(str(err).startswith(f"Line {lineno}: "), str(err))
        return err


class TestVariables(RenderCase):
    def test_each_top_level_variable(self):
        for name in render.TEMPLATE_VARIABLES:
            if name in ("custom", "sender"):
                continue
            with self.subTest(name=name):
                self.assertRendersTo("{{ %s }}" % name, VALUES[name])

    def test_each_sender_key(self):
        for key in render.SENDER_KEYS:
            with self.subTest(key=key):
                self.assertRendersTo("{{ sender.%s }}" % key, SENDER[key])
                self.assertRendersTo("{{ sender['%s'] }}" % key, SENDER[key])

    def test_custom_fields(self):
        self.assertRendersTo("{{ custom.x_score }}/{{ custom['x_plan'] }}", "42/Gold")

    def test_custom_key_shadowing_dict_method(self):
        values = dict(VALUES, custom={"items": "3 items", "keys": "K"})
        self.assertRendersTo("{{ custom.items }} {{ custom.keys }}", "3 items K", values)

    def test_custom_unknown_key_is_empty(self):
        self.assertRendersTo("[{{ custom.x_nope }}]", "[]")
        self.assertRendersTo("[{{ custom.x_nope }}]", "[]", {})

    def test_nested_undefined_is_empty(self):
        self.assertRendersTo("[{{ sender.missing.deeper }}]", "[]")
        self.assertRendersTo("[{{ sender.missing.deeper }}]", "[]", {})
        self.assertRendersTo("[{{ custom.a.b['c'].d }}]", "[]", {})

    def test_variable_help_documents_every_variable(self):
        snippets = " ".join(snippet for snippet, _desc in render.VARIABLE_HELP)
        for name in render.TEMPLATE_VARIABLES:
            self.assertIn(name, snippets)
        for key in render.SENDER_KEYS:
            self.assertIn("sender.%s" % key, snippets)
        self.assertIn("default(", snippets)
        self.assertIn("{% if", snippets)
        for snippet, description in render.VARIABLE_HELP:
            self.assertTrue(description)
            render.validate(snippet)  # every documented example is valid

    def test_loop_over_custom_fields(self):
        self.assertRendersTo(
            "{% for k, v in custom | dictsort %}{{ k }}={{ v }}"
            "{% if not loop.last %}, {% endif %}{% endfor %}",
            "x_plan=Gold, x_score=42",
        )

    def test_filters_and_string_indexing(self):
        self.assertRendersTo("{{ first_name | upper }} {{ company[0] }}", "JANE A")
        self.assertRendersTo("{{ company | lower | title }}", "Acme")


class TestFallbacks(RenderCase):
    TEMPLATE = 'Hi {{ first_name | default("there") }},'

    def test_fallback_when_missing_none_or_empty(self):
        for values in ({}, {"first_name": None}, {"first_name": ""}):
            with self.subTest(values=values):
                self.assertRendersTo(self.TEMPLATE, "Hi there,", values)

    def test_fallback_alias_d(self):
        self.assertRendersTo('{{ company | d("your team") }}', "your team", {"company": None})

    def test_fallback_not_used_when_value_present(self):
        self.assertRendersTo(self.TEMPLATE, "Hi Jane,")

    def test_fallback_on_sender_and_custom(self):
        values = {"sender": {"phone": None}, "custom": {}}
        self.assertRendersTo(
            '{{ sender.phone | default("n/a") }} {{ custom.x_a | default("-") }}',
            "n/a -", values,
        )

    def test_missing_value_renders_empty_never_none(self):
        for values in ({}, {"company": None}, None):
            with self.subTest(values=values):
                out = render.render("[{{ company }}][{{ sender.name }}]", values)
                self.assertEqual(out, "[][]")
                self.assertNotIn("None", out)

    def test_none_inside_mapping_renders_empty(self):
        values = {"sender": {"name": None}, "custom": {"x_a": None}}
        self.assertRendersTo("[{{ sender.name }}{{ custom.x_a }}]", "[]", values)

    def test_conditional_company_line(self):
        source = "Hi{% if company %}, I saw {{ company }} is hiring{% endif %}."
        self.assertRendersTo(source, "Hi, I saw ACME is hiring.")
        for values in ({}, {"company": None}, {"company": ""}):
            with self.subTest(values=values):
                self.assertRendersTo(source, "Hi.", values)

    def test_conditional_on_own_lines_leaves_no_blank_line(self):
        source = "Hi,\n{% if company %}\nI saw {{ company }}.\n{% endif %}\nBye"
        self.assertRendersTo(source, "Hi,\nI saw ACME.\nBye")
        self.assertRendersTo(source, "Hi,\nBye", {})

    def test_missing_values_are_falsy(self):
        self.assertRendersTo("{% if sender.nope or custom.x %}yes{% else %}no{% endif %}", "no", {})

    def test_unknown_extra_values_are_ignored(self):
        self.assertRendersTo("{{ company }}", "ACME", dict(VALUES, password="x"))


class TestEscaping(RenderCase):
    EVIL = "<script>alert(1)</script>"

    def test_html_escapes_values(self):
        values = {"company": self.EVIL, "custom": {"x_a": self.EVIL}, "sender": {"name": self.EVIL}}
        out = render.render("{{ company }}|{{ custom.x_a }}|{{ sender.name }}", values, html=True)
        self.assertNotIn("<script>", out)
        self.assertEqual(out.count("&lt;script&gt;alert(1)&lt;/script&gt;"), 3)

    def test_text_does_not_escape(self):
        self.assertRendersTo("{{ company }}", self.EVIL, {"company": self.EVIL}, html=False)
        self.assertRendersTo("{{ company }}", "A & B", {"company": "A & B"})

    def test_template_html_is_kept(self):
        source = '<p class="x">Hi <b>{{ first_name }}</b> &amp; co<br/></p>'
        self.assertRendersTo(
            source, '<p class="x">Hi <b>&lt;i&gt;</b> &amp; co<br/></p>',
            {"first_name": "<i>"}, html=True,
        )

    def test_html_fallback_and_unsubscribe_link(self):
        self.assertRendersTo(
            '<a href="{{ unsubscribe_link }}">{{ first_name | default("there") }}</a>',
            '<a href="https://x.test/u?a=1&amp;b=2">there</a>',
            {"unsubscribe_link": "https://x.test/u?a=1&b=2"}, html=True,
        )

    def test_render_returns_plain_str(self):
        out = render.render("{{ company }}", VALUES, html=True)
        self.assertIs(type(out), str)


class TestValidation(RenderCase):
    def test_valid_templates(self):
        for source in ("", "plain text", 'Hi {{ first_name | default("there") }},'
                       "{% if company %} I saw {{ company }}...{% endif %}"):
            self.assertIsNone(render.validate(source))

    def test_none_is_empty_template(self):
        self.assertIsNone(render.validate(None))
        self.assertEqual(render.render(None, VALUES), "")

    def test_syntax_error_reports_line(self):
        err = self.assertRefused("Hi {{ first_name }},\nthanks\n{{ company } }", lineno=3)
        self.assertIsInstance(err, ValueError)

    def test_unclosed_block_reports_line(self):
        self.assertRefused("a\n{% if company %}\nb", "if", lineno=3)

    def test_unknown_variable_named(self):
        err = self.assertRefused("Hello\n{{ frist_name }}", "Unknown variable 'frist_name'", lineno=2)
        self.assertIn("first_name", err.reason)  # suggestion

    def test_unknown_variable_in_condition(self):
        self.assertRefused("{% if revenue %}x{% endif %}", "'revenue'", lineno=1)

    def test_locally_declared_names_are_fine(self):
        render.validate("{% set greeting = 'Hi' %}{{ greeting }} {% for k in custom %}{{ k }}{% endfor %}")

    def test_size_limit(self):
        limit = render.MAX_TEMPLATE_SIZE
        self.assertEqual(limit, 100_000)
        render.validate("x" * limit)
        self.assertRefused("x" * (limit + 1), "too long")
        with self.assertRaises(render.TemplateError):
            render.render("x" * (limit + 1), VALUES)

    def test_non_text_refused(self):
        self.assertRefused(42, "text")

    def test_render_refuses_invalid_template(self):
        with self.assertRaises(render.TemplateError) as caught:
            render.render("{{ nope }}", VALUES)
        self.assertIn("'nope'", str(caught.exception))

    def test_error_attributes(self):
        err = render.TemplateError("boom", 2)
        self.assertEqual((err.lineno, str(err), err.message), (2, "Line 2: boom", "Line 2: boom"))
        err = render.TemplateError("boom")
        self.assertEqual((err.lineno, str(err)), (None, "boom"))


class TestSandbox(RenderCase):
    def assertSafe(self, source, values=VALUES):
        for html in (False, True):
            try:
                out = render.render(source, values, html=html)
            except render.TemplateError as err:
                out = str(err)
            except Exception as err:  # pragma: no cover - failure path
                self.fail(f"{source!r} raised {type(err).__name__}: {err}")
            for leak in LEAKS:
                self.assertNotIn(leak, out, source)

    def test_escapes_never_expose_python_objects(self):
        for source in ESCAPES:
            with self.subTest(source=source):
                self.assertSafe(source)
                self.assertSafe(source, {})

    def test_dunder_access_refused_at_validation(self):
        for source in ESCAPES[:7]:
            with self.subTest(source=source):
                self.assertRefused(source, "not allowed", lineno=1)

    def test_includes_refused(self):
        self.assertRefused("x\n{% include 'y' %}", "include", lineno=2)
        self.assertRefused("{% extends 'y' %}", "extends")

    def test_method_call_is_template_error(self):
        with self.assertRaises(render.TemplateError):
            render.render("{{ first_name.upper() }}", VALUES)

    def test_render_errors_are_template_errors(self):
        for source in (
            "{{ 1 / 0 }}",
            "{{ company + 1 }}",
            "{{ first_name | round }}",
            "{{ custom.x_score > 5 }}",
            "{{ sender.nope() }}",
            "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
            "{{ 'a' * 10000000 }}",
            "{{ 2 ** 100000 }}",
            "{{ '%099999999d' | format(1) }}",
            "{{ '%099999999d' % 1 }}",
            "{{ first_name | center(100000000) }}",
            "{{ custom | batch(100000000, 'x') | list }}",
        ):
            with self.subTest(source=source):
                with self.assertRaises(render.TemplateError):
                    render.render(source, VALUES)

    def test_render_error_line_number(self):
        with self.assertRaises(render.TemplateError) as caught:
            render.render("a\nb\n{{ 1 / 0 }}", VALUES)
        self.assertEqual(caught.exception.lineno, 3)


class TestSplitName(unittest.TestCase):
    def test_split_name(self):
        cases = {
            "Jane van der Berg": ("Jane", "van der Berg"),
            "Jane": ("Jane", ""),
            "": ("", ""),
            "   ": ("", ""),
            "  Jane   van  der Berg  ": ("Jane", "van der Berg"),
            None: ("", ""),
            False: ("", ""),
        }
        for full_name, expected in cases.items():
            with self.subTest(full_name=full_name):
                self.assertEqual(render.split_name(full_name), expected)


class TestCache(unittest.TestCase):
    def test_same_source_compiled_once(self):
        render._compile.cache_clear()
        source = "Hi {{ first_name }} #cache-test"
        outputs = [render.render(source, {"first_name": n}) for n in ("A", "B", "C")]
        render.validate(source)
        self.assertEqual(outputs, ["Hi A #cache-test", "Hi B #cache-test", "Hi C #cache-test"])
        info = render._compile.cache_info()
        self.assertEqual((info.misses, info.hits), (1, 3))
        self.assertEqual(info.currsize, 1)

    def test_html_and_text_compiled_separately(self):
        render._compile.cache_clear()
        for _ in range(2):
            render.render("{{ company }}", {"company": "<b>"})
            render.render("{{ company }}", {"company": "<b>"}, html=True)
        info = render._compile.cache_info()
        self.assertEqual((info.misses, info.hits), (2, 2))


if given is not None:

    class TestProperties(unittest.TestCase):
        def _check(self, source):
            for html in (False, True):
                try:
                    render.validate(source)
                    out = render.render(source, VALUES, html=html)
                except render.TemplateError as err:
                    self.assertIsInstance(str(err), str)
                    continue
                self.assertIsInstance(out, str)
                self.assertNotIn("<class", out)
                self.assertNotIn(" object at 0x", out)

        @settings(max_examples=300, deadline=None)
        @given(st.text())
        def test_arbitrary_text(self, source):
            self._check(source)

        @settings(max_examples=300, deadline=None)
        @given(st.lists(st.sampled_from([
            "{{", "}}", "{%", "%}", "{#", "#}", " if ", " for ", " in ", " endif ",
            " endfor ", " else ", "first_name", "company", "custom", "sender", ".",
            "__class__", "|", "default", "(", ")", "'x'", "[", "]", "loop", " set ",
            "=", "~", "*", "9", "\n", "<b>", "attr", "string", "map", ",",
        ])).map("".join))
        def test_template_like_text(self, source):
            self._check(source)


    class TestValueProperties(unittest.TestCase):
        """Whatever the recipient's data, it is data: never evaluated, escaped
        in HTML, verbatim in text; text without template syntax is kept as is
        (Jinja only normalizes line ends to ``\\n``)."""

        @settings(max_examples=300, deadline=None)
        @given(st.text())
        def test_values_are_never_evaluated_and_escaped_in_html(self, value):
            values = {"company": value, "custom": {"x_note": value}, "sender": {"name": value}}
            source = "{{ company }}|{{ custom.x_note }}|{{ sender.name }}"
            self.assertEqual(render.render(source, values), "|".join([value] * 3))
            html = render.render(source, values, html=True)
            escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            escaped = escaped.replace('"', "&#34;").replace("'", "&#39;")
            self.assertEqual(html, "|".join([escaped] * 3))
            self.assertNotIn("<", html)

        @settings(max_examples=300, deadline=None)
        @given(st.text().filter(lambda text: "{" not in text))
        def test_text_without_template_syntax_is_kept(self, source):
            render.validate(source)
            expected = source.replace("\r\n", "\n").replace("\r", "\n")
            self.assertEqual(render.render(source, VALUES), expected)
            self.assertEqual(render.render(source, VALUES, html=True), expected)

        @settings(max_examples=100, deadline=None)
        @given(st.text(min_size=1, max_size=40))
        def test_oversized_text_is_always_refused(self, chunk):
            source = chunk * (render.MAX_TEMPLATE_SIZE // len(chunk) + 1)
            for call in (render.validate, lambda text: render.render(text, VALUES, html=True)):
                with self.assertRaisesRegex(render.TemplateError, "too long"):
                    call(source)


if __name__ == "__main__":
    unittest.main()
