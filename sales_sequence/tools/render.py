"""Rep-facing Jinja templates for sales-sequence email subjects and bodies.

Sales reps write templates such as::

    Hi {{ first_name | default("there") }},
    {% if company %}I saw {{ company }} is hiring.{% endif %}

They are rendered in a locked-down Jinja sandbox::

    >>> render('Hi {{ first_name | default("there") }}!', {"first_name": None})
    'Hi there!'
    >>> render("<p>{{ company }}</p>", {"company": "<b>ACME</b>"}, html=True)
    '<p>&lt;b&gt;ACME&lt;/b&gt;</p>'
    >>> render("<p>{{ custom.x_note }}</p>", {"custom": {"x_note": "a\\n<b>"}}, html=True)
    '<p>a<br/>&lt;b&gt;</p>'
    >>> try:
    ...     validate("Hi {{ frist_name }}")
    ... except TemplateError as err:
    ...     print(err.lineno, "|", err)
    1 | Line 1: Unknown variable 'frist_name' (did you mean 'first_name'?)
    >>> print(validate_error("Hi\\n{% macro m() %}{% endmacro %}"))
    Line 2: '{% macro %}' is not allowed

Threat model
------------
A template is written by a sales rep and rendered for recipients chosen by
that rep, in the worker that sends every company's email, and previewed in the
browser of colleagues and managers.  A rep is trusted with the text of their
own emails, and with nothing else: a template must not reach Python objects,
must not turn values or literals into markup, and must not be able to slow
down or exhaust the worker.  This module enforces all three.  What it cannot
enforce is that the *template's own HTML* stays safe once Jinja conditions
and loops have cut and re-assembled it (``<p title="{% if x %}">...{% endif
%}" onclick="...``), nor that an escaped value is a harmless link
(``href="{{ custom.x_site }}"`` holding ``javascript:...``): **the caller
sanitizes the rendered HTML** (Odoo's ``html_sanitize``) before it is
previewed, stored or sent. The sandbox and its bounds live in ``sandbox.py``;
this module validates, compiles and renders.

Rules
-----
* **Variables.**  Only the names in :data:`TEMPLATE_VARIABLES` and their
  aliases (:data:`VARIABLE_ALIASES`: ``company_name``, ``owner_first_name``,
  ``owner_email``, ... as Hiveku names them) may be used; anything else is
  refused by :func:`validate` (and by :func:`render`, which validates too).
  A missing, ``None`` or unknown value (``custom.no_such_field``,
  ``sender.missing.deeper``) renders as an empty string, never ``None``, and is
  falsy in ``{% if %}``.  ``default(x)`` / ``d(x)`` also replaces ``None`` and
  ``''``, not only undefined values.
* **Escaping.**  ``html=True`` escapes every inserted value and keeps its line
  breaks as ``<br/>``; the template text itself is the rep's (sanitized) HTML
  and is kept as is.  ``html=False`` (subjects, plain text) never escapes.
  No filter, test or tag can mark text as safe markup (no ``safe``,
  ``escape``, ``urlize``, ``xmlattr``, ``tojson``, no ``{% autoescape %}``), so
  a string literal such as ``'\\x3cimg ...\\x3e'`` comes out escaped too.  Text
  captured by ``{% set x %}...{% endset %}`` or ``{% filter %}`` is markup
  made of the template's own HTML: filters and subscripts see its *text*
  (tags dropped), never its markup, so they cannot cut a tag in two.
* **Objects.**  Dotted access (``sender.name``) and subscripts only look
  *items* up in mappings: no Python attribute, method or private name is
  reachable, nothing can be called, and an expression that is not a plain
  string or number renders (and converts with ``~``, ``string`` or ``join``)
  as ``''``, so no Python object repr can leak into an email.
* **Constructs.**  Refused, with the line and the construct
  (``Line 3: '{% macro %}' is not allowed``): ``{% macro %}``, ``{% call %}``,
  ``{% autoescape %}``, ``{% block %}``, ``{% for ... recursive %}``,
  ``{% include %}``, ``{% extends %}``, ``{% import %}``,
  ``{% set x | filter %}`` blocks, calls (``x.upper()``), keys starting
  with ``_`` (``x.__class__``), filters and tests outside
  :data:`ALLOWED_FILTERS` and :data:`ALLOWED_TESTS` (also as
  ``{% filter ... %}`` blocks); ``%`` formatting of text fails when rendered.  The Jinja globals (``range``,
  ``dict``, ``lipsum``, ``namespace``, ...) are removed.
* **Filters** (:data:`ALLOWED_FILTERS`): ``default``/``d``, ``upper``,
  ``lower``, ``title``, ``capitalize``, ``trim``, ``truncate``, ``replace``,
  ``wordcount``, ``urlencode`` and ``string`` for text; ``round``, ``int``,
  ``float``, ``abs`` for numbers (``round`` and ``abs`` read numeric text,
  and a missing value stays empty); ``length``/``count``, ``first``,
  ``last``, ``join``, ``list``, ``reverse`` and ``dictsort`` for lists.  Left
  out: everything that marks markup safe or reaches attributes (``safe``,
  ``attr``, ``escape``/``e``, ``forceescape``, ``xmlattr``, ``urlize``,
  ``tojson``, ``pprint``), filters that apply other filters or tests by name
  (``map``, ``select``, ``reject``, ``selectattr``, ``rejectattr``,
  ``groupby``), and the layout and formatting ones no email needs
  (``format``, ``center``, ``indent``, ``wordwrap``, ``batch``, ``slice``,
  ``filesizeformat``, ``random``, ...).
* **Bounds** (each a :class:`TemplateError` naming the line when known):
  the source is at most :data:`MAX_TEMPLATE_SIZE` characters; the output at
  most ``max_output`` (:data:`MAX_OUTPUT_SIZE`), counted *while* it streams
  out of the template and in every ``{% set %}``/``{% filter %}`` capture; no
  operator or filter builds a string or list longer than
  :data:`MAX_TEXT_SIZE` (checked before building it: ``join``, ``replace``,
  ``*``, ``+``, ``~``, ``list``, slices), nor more than
  :data:`MAX_BUILT_SIZE` characters in total; integers stay under
  :data:`MAX_INT_BITS` bits; all loops together run at most
  :data:`MAX_LOOP_ITERATIONS` iterations; and a render gets ``time_limit``
  seconds of CPU (:data:`TIME_LIMIT`), checked at every loop iteration,
  filter, operator and capture, and as the output streams.
* **Links.**  An HTML sanitizer URL-encodes the whitespace and non-ASCII
  characters of a tag written in a link (``href="{{%20unsubscribe_link%20}}"``);
  only those escapes are undone, and only inside ``{{ }}`` and ``{% %}``: a
  ``%3C`` or ``%22`` stays as typed, so the decoding can never create markup.
* Block tags swallow the newline that follows them (``trim_blocks``, like
  Odoo's historical mail templates), so ``{% if %}`` on its own line does not
  leave blank lines behind.
* Every failure is raised as :class:`TemplateError` (a ``ValueError``) with a
  human message, prefixed with ``Line N:`` when the line is known.

Helpers for the builder: :func:`validate_error` (the error of a template, or
None, for inline warnings), :func:`empty_variables` (variables printed without
a fallback that are empty for a record: "Hi , I noticed..."),
:func:`plain_title` (a template as one line of readable text, variables shown
as ``‹company›``, for step names), :func:`tag_spans` and :func:`split_name`.

Templates are compiled once per distinct source (:func:`_compile` is an LRU
cache), since one step renders the same template for thousands of recipients.
"""

import difflib
import functools
import re
from collections import namedtuple
from collections.abc import Mapping

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2 import filters as jinja_filters
from jinja2 import tests as jinja_tests
from jinja2.sandbox import SecurityError

from .sandbox import (
    ALLOWED_FILTERS,
    ALLOWED_TESTS,
    CLOCK_EVERY,
    CURRENT_BUDGET,
    ENVIRONMENTS,
    ITERATE,
    MAX_OUTPUT_SIZE,
    PROBE,
    TIME_LIMIT,
    Budget,
    LimitError,
)

__all__ = [
    "ALLOWED_FILTERS",
    "ALLOWED_TESTS",
    "MAX_OUTPUT_SIZE",
    "MAX_TEMPLATE_SIZE",
    "PLACEHOLDER",
    "SENDER_KEYS",
    "TEMPLATE_VARIABLES",
    "TIME_LIMIT",
    "VARIABLE_ALIASES",
    "VARIABLE_HELP",
    "TemplateError",
    "empty_variables",
    "plain_title",
    "render",
    "split_name",
    "tag_spans",
    "validate",
    "validate_error",
]

TEMPLATE_VARIABLES = (
    "first_name",
    "last_name",
    "full_name",
    "company",
    "title",
    "city",
    "industry",
    "custom",
    "sender",
    "unsubscribe_link",
)
SENDER_KEYS = ("first_name", "last_name", "name", "title", "phone", "email")
# Other names for the same values (Hiveku's): alias -> "variable" or "variable.key".
# A value given under the alias itself wins.
VARIABLE_ALIASES = {
    "company_name": "company",
    "owner_first_name": "sender.first_name",
    "owner_last_name": "sender.last_name",
    "owner_name": "sender.name",
    "owner_title": "sender.title",
    "owner_phone": "sender.phone",
    "owner_email": "sender.email",
}
KNOWN_VARIABLES = TEMPLATE_VARIABLES + tuple(VARIABLE_ALIASES)

MAX_TEMPLATE_SIZE = 100_000  # characters of source (the other bounds: sandbox.py)
_REFUSED_TAGS = {
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.EvalContextModifier: "{% autoescape %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.Block: "{% block %}",
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
}
PLACEHOLDER = "‹%s›"  # how plain_title() shows a variable

VARIABLE_HELP = [
    ("{{ first_name }}", "Recipient first name"),
    ("{{ last_name }}", "Recipient last name"),
    ("{{ full_name }}", "Recipient full name"),
    ("{{ company }}", "Recipient company name"),
    ("{{ title }}", "Recipient job position"),
    ("{{ city }}", "Recipient city"),
    ("{{ industry }}", "Recipient industry"),
    (
        "{{ custom.x_field }}",
        "Any other recipient field, by technical name (empty when the field is unknown or not set)",
    ),
    ("{{ sender.first_name }}", "Your first name"),
    ("{{ sender.last_name }}", "Your last name"),
    ("{{ sender.name }}", "Your full name"),
    ("{{ sender.title }}", "Your job position"),
    ("{{ sender.phone }}", "Your phone number"),
    ("{{ sender.email }}", "Your email address"),
    ("{{ unsubscribe_link }}", "Link the recipient can follow to unsubscribe"),
    (
        "{{ company_name }} {{ owner_first_name }} {{ owner_email }}",
        "Other names of the same values: company_name is company, owner_first_name, "
        "owner_last_name, owner_name, owner_title, owner_phone and owner_email are sender.*",
    ),
    ('{{ first_name | default("there") }}', "Fallback: 'there' when the first name is missing or empty"),
    (
        "{% if company %}I saw {{ company }} ...{% endif %}",
        "Conditional: the text only appears when the company is known",
    ),
    ("{% if title %}As {{ title }}, ...{% else %}...{% endif %}", "Conditional with an alternative text"),
]


class TemplateError(ValueError):
    """A template that cannot be validated or rendered.

    ``lineno`` is the 1-based template line (or ``None`` when unknown);
    ``message`` (also ``str(err)``) is the human message, ``"Line N: ..."``
    when the line is known.
    """

    def __init__(self, message, lineno=None):
        self.lineno = lineno if isinstance(lineno, int) and lineno > 0 else None
        self.reason = message
        self.message = f"Line {self.lineno}: {message}" if self.lineno else message
        super().__init__(self.message)

    def __str__(self):
        return self.message


# ---------------------------------------------------------------------------
# Source: size, tags, percent-escapes
# ---------------------------------------------------------------------------

_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


def tag_spans(text, kinds=("{{", "{%", "{#")):
    """``(start, end, opener)`` of each Jinja tag of ``text`` (``{{ }}``,
    ``{% %}``, ``{# #}``, as in ``kinds``), left to right, each ending at the
    first closer of its kind.  Linear in ``len(text)``: an opener without a
    closer is skipped, and so is every later one of its kind.

    >>> [(s, e, o) for s, e, o in tag_spans("a {{ b }} {% c %} {{ d")]
    [(2, 9, '{{'), (10, 17, '{%')]
    """
    pos, unclosed = 0, set()
    while True:
        start = text.find("{", pos)
        if start < 0:
            return
        opener = text[start : start + 2]
        pos = start + 1
        if opener not in kinds or opener in unclosed:
            continue
        end = text.find(_CLOSERS[opener], start + 2)
        if end < 0:
            unclosed.add(opener)
            continue
        pos = end + 2
        yield start, pos, opener


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_WHITESPACE_BYTES = frozenset(b" \t\n\r\f\v")


def _unquote_tags(source):
    """Undo the URL-encoding an HTML sanitizer applies to a tag written in a
    link (``href="{{%20unsubscribe_link%20}}"``): inside ``{{ }}`` and
    ``{% %}``, the escapes of whitespace and non-ASCII characters are decoded
    (libxml2 escapes nothing else); any other escape is kept as typed.

    >>> _unquote_tags('<a href="?who={{%20first_name%20|%20default(%22you%22)%20}}">')
    '<a href="?who={{ first_name | default(%22you%22) }}">'
    >>> _unquote_tags('<a href="{{%20custom.x_caf%C3%A9%20}}">%20</a>')
    '<a href="{{ custom.x_café }}">%20</a>'
    """
    if "%" not in source:
        return source
    parts, done = [], 0
    for start, end, _opener in tag_spans(source, ("{{", "{%")):
        inner = source[start + 2 : end - 2]
        if "%" in inner:
            parts += (source[done : start + 2], _ESCAPES.sub(_decode_escapes, inner))
            done = end - 2
    return "".join(parts) + source[done:] if parts else source


def _decode_escapes(match):
    """A run of ``%XX``: whitespace and valid UTF-8 sequences of non-ASCII
    characters decoded, every other escape kept."""
    run = match.group()
    data = bytes.fromhex(run.replace("%", ""))
    out, index = [], 0
    while index < len(data):
        byte = data[index]
        size = 1
        if byte in _WHITESPACE_BYTES:
            out.append(chr(byte))
        elif byte >= 0xC2:
            size = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            try:
                out.append(data[index : index + size].decode("utf-8"))
            except UnicodeDecodeError:
                size = 1
                out.append(run[3 * index : 3 * index + 3])
        else:
            out.append(run[3 * index : 3 * index + 3])
        index += size
    return "".join(out)


def _as_source(source):
    if source is None or source is False:
        return ""
    if not isinstance(source, str):
        raise TemplateError("The template must be text.")
    if len(source) > MAX_TEMPLATE_SIZE:
        raise TemplateError(f"The template is too long ({len(source)} characters, maximum {MAX_TEMPLATE_SIZE}).")
    return str(source)  # an Html field's Markup: its slices and sums would escape


# ---------------------------------------------------------------------------
# Validation & compilation
# ---------------------------------------------------------------------------


def _first_line(ast, name):
    lines = [node.lineno for node in ast.find_all(nodes.Name) if node.name == name and node.ctx == "load"]
    return min(lines, default=None)


def _check_variables(ast, used):
    unknown = sorted(used - set(KNOWN_VARIABLES))
    if not unknown:
        return
    name = min(unknown, key=lambda n: (_first_line(ast, n) or 0, n))
    raise TemplateError(f"Unknown variable '{name}'{_did_you_mean(name, KNOWN_VARIABLES)}", _first_line(ast, name))


def _did_you_mean(name, choices):
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _private_name(node):
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return node.arg.value
    return None


def _refusal(node):
    """Why ``node`` is not allowed (a message), or None."""
    tag = _REFUSED_TAGS.get(type(node))
    if tag:
        return f"'{tag}' is not allowed"
    if isinstance(node, nodes.For) and node.recursive:
        return "'{% for ... recursive %}' is not allowed"
    if isinstance(node, nodes.FilterBlock) and node.filter.name not in ALLOWED_FILTERS:
        return f"'{{% filter {node.filter.name} %}}' is not allowed"
    if isinstance(node, nodes.AssignBlock) and node.filter is not None:
        return "'{% set ... | filter %}' is not allowed (use {% filter %} inside the block)"
    if isinstance(node, nodes.Filter):
        return _refused_name(node.name, "filter", ALLOWED_FILTERS, jinja_filters.FILTERS)
    if isinstance(node, nodes.Test):
        return _refused_name(node.name, "test", ALLOWED_TESTS, jinja_tests.TESTS)
    if isinstance(node, nodes.Call):
        return f"Calling '{_dotted(node.node)}' is not allowed"
    if isinstance(node, nodes.Name) and node.name == "self":
        return "Unknown variable 'self'"
    name = _private_name(node)
    if isinstance(name, str) and name.startswith("_"):
        return f"Access to '{name}' is not allowed"
    return None


def _refused_name(name, kind, allowed, known):
    if name in allowed:
        return None
    if name in known:
        return f"The '{name}' {kind} is not allowed"
    return f"Unknown {kind} '{name}'{_did_you_mean(name, allowed)}"


def _dotted(node):
    """``sender.name``-like text of an expression, for messages."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}[{node.arg.value!r}]"
    if isinstance(node, nodes.Const):
        return repr(node.value)
    if isinstance(node, nodes.Call):
        return f"{_dotted(node.node)}(...)"
    return "..."


def _check_nodes(ast):
    for node in ast.find_all(nodes.Node):
        message = _refusal(node)
        if message:
            raise TemplateError(message, node.lineno)


def _instrument(ast, probe=False):
    """Route every loop through the budget (and, with ``probe``, every printed
    variable through the empty-value probe)."""
    for loop in ast.find_all(nodes.For):
        loop.iter = _filter_node(loop.iter, ITERATE)
    if probe:
        for output in ast.find_all(nodes.Output):
            output.nodes = [_probed(child) for child in output.nodes]
    ast.set_environment(ast.environment)


def _filter_node(node, name, *args):
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)


def _probed(node):
    """``node`` with the variables it prints (without a fallback) probed."""
    if isinstance(node, nodes.Filter):
        if node.name not in ("default", "d") and node.node is not None:
            node.node = _probed(node.node)
        return node
    if isinstance(node, nodes.Concat):
        node.nodes = [_probed(child) for child in node.nodes]
        return node
    if isinstance(node, nodes.CondExpr):
        node.expr1 = _probed(node.expr1)
        node.expr2 = _probed(node.expr2) if node.expr2 is not None else None
        return node
    name = _variable_name(node)
    return _filter_node(node, PROBE, nodes.Const(name)) if name else node


def _variable_name(node):
    """``first_name``, ``custom.x_plan``, ``sender.phone``... for a reference
    to a template variable, else None."""
    if isinstance(node, nodes.Name):
        known = node.name in KNOWN_VARIABLES and node.name not in ("custom", "sender")
        return node.name if known else None
    if isinstance(node, (nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        parent = node.node
        if isinstance(parent, nodes.Name) and parent.name in ("custom", "sender") and isinstance(key, str):
            return f"{parent.name}.{key}"
    return None


_Compiled = namedtuple("_Compiled", "template names")


def _build(source, html, probe=False):
    env = ENVIRONMENTS[bool(html)]
    try:
        ast = env.parse(_unquote_tags(source))
        _check_nodes(ast)
        used = meta.find_undeclared_variables(ast)
        _check_variables(ast, used)
        _instrument(ast, probe)
        return _Compiled(env.from_string(ast), tuple(sorted(used)))
    except TemplateSyntaxError as exc:
        raise TemplateError(exc.message or "syntax error", exc.lineno) from None
    except (RecursionError, SyntaxError, MemoryError):  # SyntaxError: Python's own nesting limits
        raise TemplateError("The template is nested too deeply.") from None


@functools.lru_cache(maxsize=512)
def _compile(source, html=False):
    """Validate and compile ``source`` once; raises :class:`TemplateError`."""
    return _build(source, html)


@functools.lru_cache(maxsize=128)
def _compile_probed(source):
    return _build(source, False, probe=True)


def validate(source):
    """Raise :class:`TemplateError` unless ``source`` is a usable template."""
    _compile(_as_source(source), False)  # same cache key as render(html=False)


def validate_error(source):
    """The :class:`TemplateError` that :func:`validate` would raise, or None
    (for inline warnings)."""
    try:
        validate(source)
    except TemplateError as error:
        return error
    return None


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _context(values, names):
    """The values of the variables ``names`` (aliases resolved), None left out."""
    values = values if isinstance(values, Mapping) else {}
    context = {}
    for name in names:
        value = values.get(name)
        if value is None and name in VARIABLE_ALIASES:
            value = _alias_value(values, VARIABLE_ALIASES[name])
        if value is not None:
            context[name] = value
    return context


def _alias_value(values, path):
    head, _dot, key = path.partition(".")
    value = values.get(head)
    if key:
        return value.get(key) if isinstance(value, Mapping) else None
    return value


def _template_line(exc):
    """Template line where a render error happened (Jinja rewrites frames)."""
    lineno, tb = getattr(exc, "lineno", None), exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _render_error(exc):
    if isinstance(exc, LimitError):
        reason = str(exc)
    elif isinstance(exc, SecurityError):
        reason = f"Not allowed: {exc}"
    elif isinstance(exc, RecursionError):
        reason = "The template is nested too deeply."
    elif isinstance(exc, MemoryError):
        reason = "The template produces too much text."
    else:
        detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        reason = f"Cannot render the template: {detail}"
    return TemplateError(reason, _template_line(exc))


def _run(compiled, context, budget):
    """Render, streaming: the output is counted chunk by chunk, and the clock
    read every ``CLOCK_EVERY`` chunks."""
    template = compiled.template
    token = CURRENT_BUDGET.set(budget)
    try:
        chunks = template.root_render_func(template.new_context(context))
        parts, size, limit = [], 0, budget.max_output
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                line = template.get_corresponding_lineno(chunks.gi_frame.f_lineno)
                raise LimitError(f"The template produces too much text (more than {limit} characters).", line)
            parts.append(chunk)
            if not len(parts) % CLOCK_EVERY:
                budget.tick(CLOCK_EVERY)
        return "".join(parts)
    except Exception:
        try:
            template.environment.handle_exception()  # template line numbers in the traceback
        except Exception as exc:  # any failure inside rep-written code
            raise _render_error(exc) from None
    finally:
        CURRENT_BUDGET.reset(token)


def render(source, values, html=False, *, time_limit=TIME_LIMIT, max_output=MAX_OUTPUT_SIZE):
    """Render ``source`` with ``values`` (a dict of TEMPLATE_VARIABLES).

    ``html=True`` escapes the inserted values and keeps their line breaks
    (HTML bodies); ``html=False`` (subjects, plain text) does not.  At most
    ``time_limit`` seconds of CPU and ``max_output`` characters.  Raises only
    :class:`TemplateError`.
    """
    compiled = _compile(_as_source(source), bool(html))
    return _run(compiled, _context(values, compiled.names), Budget(time_limit, max_output))


def empty_variables(source, values):
    """The variables that ``source`` prints without a fallback and that are
    empty for ``values`` ("Hi , I noticed..."), in the order printed.

    A variable counts when it is printed (``{{ first_name }}``, also through
    filters or ``~``) and renders empty; not behind ``default(...)``, nor in
    an ``{% if %}`` branch that does not render.  Names are as written:
    ``first_name``, ``owner_email``, ``custom.x_plan``, ``sender.phone``.

    >>> empty_variables("Hi {{ first_name }}, {% if company %}{{ company }}{% endif %}"
    ...                 "{{ city | default('') }} {{ sender.phone }}", {"first_name": " "})
    ['first_name', 'sender.phone']

    Raises :class:`TemplateError` like :func:`render`.
    """
    compiled = _compile_probed(_as_source(source))
    budget = Budget()
    _run(compiled, _context(values, compiled.names), budget)
    return list(dict.fromkeys(budget.empty))


class _Placeholders(Mapping):
    """``custom`` / ``sender`` for :func:`plain_title`: any key reads as ``‹custom.key›``."""

    def __init__(self, prefix):
        self._prefix = prefix

    def __getitem__(self, key):
        return PLACEHOLDER % f"{self._prefix}.{key}"

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


def plain_title(source):
    """``source`` as one line of readable text, for titles and step names:
    each variable shows as :data:`PLACEHOLDER` (its fallback and its
    conditions see a value), whitespace is collapsed, and no ``{{ }}`` or
    ``{% %}`` is ever left, even for a template that does not validate.

    >>> plain_title("Quick question about {{ company | default('your team') }}")
    'Quick question about ‹company›'
    >>> plain_title("{% if first_name %}{{ first_name }}, {% endif %}{{ sender.first_name }} here")
    '‹first_name›, ‹sender.first_name› here'
    >>> plain_title("Hi {{ first_name | nope }} {% if %}")
    'Hi ‹first_name›'
    """
    if not isinstance(source, str):
        return ""
    try:
        compiled = _compile(_as_source(source), False)
        context = {
            name: _Placeholders(name) if name in ("custom", "sender") else PLACEHOLDER % name for name in compiled.names
        }
        text = _run(compiled, context, Budget())
    except TemplateError:
        text = _title_fallback(source)
    for delimiter in _DELIMITERS:  # also typed as text: a title shows no template code
        text = text.replace(delimiter, " ")
    return " ".join(text.split())


_FIRST_NAME = re.compile(r"[A-Za-z_][\w.]*")
_DELIMITERS = ("{{", "}}", "{%", "%}", "{#", "#}")


def _title_fallback(source):
    """Text of a template that does not render: ``{{ x | ... }}`` as ``‹x›``,
    statements and comments dropped."""
    parts, done = [], 0
    for start, end, opener in tag_spans(source):
        parts.append(source[done:start])
        name = _FIRST_NAME.search(source, start + 2, end - 2) if opener == "{{" else None
        parts.append(PLACEHOLDER % name.group() if name else " ")
        done = end
    return "".join(parts) + source[done:]


def split_name(full_name):
    """``"Jane van der Berg"`` -> ``("Jane", "van der Berg")``."""
    parts = (full_name or "").split(None, 1)
    if not parts:
        return "", ""
    rest = " ".join(parts[1].split()) if len(parts) > 1 else ""
    return parts[0], rest
