"""Rep-facing Jinja templates for sales-sequence email subjects and bodies.

Sales reps write templates such as::

    Hi {{ first_name | default("there") }},
    {% if company %}I saw {{ company }} is hiring.{% endif %}

They are rendered in a locked-down Jinja sandbox::

    >>> render('Hi {{ first_name | default("there") }}!', {"first_name": None})
    'Hi there!'
    >>> render("<p>{{ company }}</p>", {"company": "<b>ACME</b>"}, html=True)
    '<p>&lt;b&gt;ACME&lt;/b&gt;</p>'
    >>> try:
    ...     validate("Hi {{ frist_name }}")
    ... except TemplateError as err:
    ...     print(err.lineno, "|", err)
    1 | Line 1: Unknown variable 'frist_name' (did you mean 'first_name'?)

Rules
-----
* Only the names in :data:`TEMPLATE_VARIABLES` may be used; anything else is
  refused by :func:`validate` (and by :func:`render`, which validates too).
* A missing, ``None`` or unknown value (``custom.no_such_field``,
  ``sender.missing.deeper``) renders as an empty string, never ``None``, and is
  falsy in ``{% if %}``.  ``default(x)`` / ``d(x)`` also replaces ``None`` and
  ``''``, not only undefined values.
* ``html=True`` escapes inserted values; the template text itself is trusted
  HTML written by the rep and is kept as is.  ``html=False`` (subjects, plain
  text) never escapes.
* Dotted access (``sender.name``) and subscripts only look *items* up in
  mappings: no Python attribute, method or private name is reachable, and an
  expression that is not a plain string/number renders empty, so no Python
  object repr can leak into an email.  ``{% include %}``/``{% extends %}``/
  ``{% import %}`` are refused, and the Jinja globals (``range``, ``dict``,
  ``lipsum``, ...) are removed.
* Block tags swallow the newline that follows them (``trim_blocks``, like
  Odoo's historical mail templates), so ``{% if %}`` on its own line does not
  leave blank lines behind.
* Every failure is raised as :class:`TemplateError` (a ``ValueError``) with a
  human message, prefixed with ``Line N:`` when the line is known.

Templates are compiled once per distinct source (:func:`_compile` is an LRU
cache), since one step renders the same template for thousands of recipients.
"""

import difflib
import functools
import numbers
import re
from collections.abc import Iterator, Mapping
from urllib.parse import unquote

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.runtime import ChainableUndefined, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

__all__ = [
    "MAX_TEMPLATE_SIZE",
    "TEMPLATE_VARIABLES",
    "SENDER_KEYS",
    "VARIABLE_HELP",
    "TemplateError",
    "render",
    "split_name",
    "validate",
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
MAX_TEMPLATE_SIZE = 100_000

# Resource guards: templates are written by (trusted-ish) users, but one bad
# template must not freeze a worker or eat its memory.
MAX_REPEAT_SIZE = 100_000     # len(result) allowed for "ab" * n / [..] * n
MAX_POWER_BITS = 4096         # size of int results allowed for a ** b
MAX_FILTER_WIDTH = 1_000      # int arguments of size-driving filters
SIZE_ARG_FILTERS = ("batch", "center", "indent", "slice")
_HUGE_FORMAT = re.compile(r"%[^a-zA-Z%]*?(\d{5,}|\*)")
_LOOP_ATTRIBUTES = frozenset((
    "index", "index0", "revindex", "revindex0", "first", "last", "length",
    "depth", "depth0", "previtem", "nextitem",  # data only, no methods
))
_UNSUPPORTED_TAGS = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
}

VARIABLE_HELP = [
    ("{{ first_name }}", "Recipient first name"),
    ("{{ last_name }}", "Recipient last name"),
    ("{{ full_name }}", "Recipient full name"),
    ("{{ company }}", "Recipient company name"),
    ("{{ title }}", "Recipient job position"),
    ("{{ city }}", "Recipient city"),
    ("{{ industry }}", "Recipient industry"),
    ("{{ custom.x_field }}", "Any other recipient field, by technical name "
                             "(empty when the field is unknown or not set)"),
    ("{{ sender.first_name }}", "Your first name"),
    ("{{ sender.last_name }}", "Your last name"),
    ("{{ sender.name }}", "Your full name"),
    ("{{ sender.title }}", "Your job position"),
    ("{{ sender.phone }}", "Your phone number"),
    ("{{ sender.email }}", "Your email address"),
    ("{{ unsubscribe_link }}", "Link the recipient can follow to unsubscribe"),
    ('{{ first_name | default("there") }}',
     "Fallback: 'there' when the first name is missing or empty"),
    ("{% if company %}I saw {{ company }} ...{% endif %}",
     "Conditional: the text only appears when the company is known"),
    ("{% if title %}As {{ title }}, ...{% else %}...{% endif %}",
     "Conditional with an alternative text"),
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
# Sandbox
# ---------------------------------------------------------------------------

class _EmptyUndefined(ChainableUndefined):
    """Missing value: renders '', is falsy, and chains (``a.b.c`` is empty)."""

    __slots__ = ()

    def __repr__(self):
        return ""


def _default(value, default_value="", boolean=False):
    """``default`` filter that also replaces ``None`` and ``''``."""
    if isinstance(value, Undefined) or value is None or value == "":
        return default_value
    if boolean and not value:
        return default_value
    return value


def _finalize(value):
    """Only plain strings and numbers reach the output; anything else is ''."""
    if isinstance(value, (str, numbers.Number, Undefined)):
        return value
    return ""


def _check_filter_args(name, args, kwargs):
    if name == "format" and args:
        _check_format(args[0])
    if name not in SIZE_ARG_FILTERS:
        return
    for arg in (*args[1:], *kwargs.values()):
        if isinstance(arg, int) and abs(arg) > MAX_FILTER_WIDTH:
            raise SecurityError(
                f"the '{name}' filter is limited to {MAX_FILTER_WIDTH}")


def _guard_filter(name, func):
    """Wrap a filter: check size arguments, turn lazy iterators into lists.

    Lists keep ``| string`` / ``~`` from printing ``<generator object ...>``.
    """
    @functools.wraps(func)  # keeps jinja_pass_arg (pass_context & co)
    def wrapper(*args, **kwargs):
        _check_filter_args(name, _value_args(func, args), kwargs)
        result = func(*args, **kwargs)
        if isinstance(result, Iterator) and not isinstance(result, str):
            result = list(result)
        return result
    return wrapper


def _value_args(func, args):
    """Drop the context/environment argument Jinja passes first, if any."""
    return args[1:] if getattr(func, "jinja_pass_arg", None) else args


def _check_format(fmt):
    if isinstance(fmt, str) and _HUGE_FORMAT.search(fmt):
        raise SecurityError("format width/precision too large")


def _check_repeat(left, right):
    for seq, count in ((left, right), (right, left)):
        if (isinstance(seq, (str, list, tuple)) and isinstance(count, int)
                and len(seq) * count > MAX_REPEAT_SIZE):
            raise SecurityError("repeated text too large")


def _check_power(left, right):
    if isinstance(right, numbers.Real) and abs(right) > MAX_POWER_BITS:
        raise SecurityError("exponent too large")
    if (isinstance(left, int) and isinstance(right, int)
            and abs(left).bit_length() * abs(right) > MAX_POWER_BITS):
        raise SecurityError("number too large")


class _Environment(ImmutableSandboxedEnvironment):
    """Sandbox where dotted access is item lookup in mappings and nothing else."""

    intercepted_binops = frozenset(("*", "**", "%"))

    def __init__(self, html):
        super().__init__(
            autoescape=html,
            undefined=_EmptyUndefined,
            finalize=_finalize,
            trim_blocks=True,
            keep_trailing_newline=True,
        )
        self.globals.clear()
        self.filters["default"] = self.filters["d"] = _default
        self.filters = {
            name: _guard_filter(name, func) for name, func in self.filters.items()
        }

    def is_safe_attribute(self, obj, attr, value):
        return False  # only reached through the ``attr`` filter: never allowed

    def getattr(self, obj, attribute):
        if isinstance(obj, Mapping):
            return self._lookup(obj, attribute)
        if isinstance(obj, LoopContext) and attribute in _LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        return self._missing(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(obj, Mapping):
            return self._lookup(obj, argument)
        if isinstance(obj, (str, list, tuple)) and isinstance(argument, (int, slice)):
            try:
                return obj[argument]
            except IndexError:
                pass
        return self._missing(obj, argument)

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%":
            _check_format(left)
        return super().call_binop(context, operator, left, right)

    def _lookup(self, mapping, key):
        try:
            value = mapping[key]
        except (LookupError, TypeError):
            return self._missing(mapping, key)
        return self._missing(mapping, key) if value is None else value

    def _missing(self, obj, name):
        if isinstance(obj, Undefined):
            return obj
        return self.undefined(obj=obj, name=name)


_ENVIRONMENTS = {False: _Environment(html=False), True: _Environment(html=True)}


# ---------------------------------------------------------------------------
# Validation & compilation
# ---------------------------------------------------------------------------

def _as_source(source):
    if source is None or source is False:
        return ""
    if not isinstance(source, str):
        raise TemplateError("The template must be text.")
    if len(source) > MAX_TEMPLATE_SIZE:
        raise TemplateError(
            f"The template is too long ({len(source)} characters, "
            f"maximum {MAX_TEMPLATE_SIZE}).")
    return _unquote_tags(source)


_TAG = re.compile(r"(\{\{|\{%)(.*?)(\}\}|%\})", re.DOTALL)


def _unquote_tags(source):
    """Undo the URL-encoding an HTML sanitizer applies to a tag written in a
    link (``href="{{%20unsubscribe_link%20}}"``): template code never holds
    percent-escapes of its own.

    >>> _unquote_tags('<a href="?who={{%20first_name%20|%20default(%22you%22)%20}}">')
    '<a href="?who={{ first_name | default("you") }}">'
    """
    if "%" not in source:
        return source
    return _TAG.sub(lambda match: match[1] + unquote(match[2]) + match[3], source)


def _parse(env, source):
    try:
        return env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(exc.message or "syntax error", exc.lineno) from None
    except RecursionError:
        raise TemplateError("The template is nested too deeply.") from None


def _first_line(ast, name):
    lines = [node.lineno for node in ast.find_all(nodes.Name)
             if node.name == name and node.ctx == "load"]
    return min(lines, default=None)


def _check_variables(ast):
    unknown = sorted(meta.find_undeclared_variables(ast) - set(TEMPLATE_VARIABLES))
    if not unknown:
        return
    name = min(unknown, key=lambda n: (_first_line(ast, n) or 0, n))
    message = f"Unknown variable '{name}'"
    close = difflib.get_close_matches(name, TEMPLATE_VARIABLES, n=1)
    if close:
        message += f" (did you mean '{close[0]}'?)"
    raise TemplateError(message, _first_line(ast, name))


def _private_name(node):
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return node.arg.value
    if isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        arg = node.args[0]
        return arg.value if isinstance(arg, nodes.Const) else None
    return None


def _check_nodes(ast):
    for node in ast.find_all(nodes.Node):
        if isinstance(node, nodes.Name) and node.name == "self":
            raise TemplateError("Unknown variable 'self'", node.lineno)
        tag = _UNSUPPORTED_TAGS.get(type(node))
        if tag:
            raise TemplateError(f"'{{% {tag} %}}' is not supported", node.lineno)
        name = _private_name(node)
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateError(f"Access to '{name}' is not allowed", node.lineno)


@functools.lru_cache(maxsize=512)
def _compile(source, html=False):
    """Validate and compile ``source`` once; raises :class:`TemplateError`."""
    env = _ENVIRONMENTS[bool(html)]
    ast = _parse(env, source)
    _check_nodes(ast)
    _check_variables(ast)
    try:
        return env.from_string(ast)
    except TemplateSyntaxError as exc:
        raise TemplateError(exc.message or "syntax error", exc.lineno) from None
    except RecursionError:
        raise TemplateError("The template is nested too deeply.") from None


def validate(source):
    """Raise :class:`TemplateError` unless ``source`` is a usable template."""
    _compile(_as_source(source), False)  # same cache key as render(html=False)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

def _context(values):
    values = values if isinstance(values, Mapping) else {}
    return {
        name: values[name]
        for name in TEMPLATE_VARIABLES
        if values.get(name) is not None
    }


def _template_line(exc):
    """Template line where a render error happened (Jinja rewrites frames)."""
    lineno, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def _render_error(exc):
    if isinstance(exc, SecurityError):
        reason = f"Not allowed: {exc}"
    elif isinstance(exc, RecursionError):
        reason = "The template calls itself too deeply."
    elif isinstance(exc, MemoryError):
        reason = "The template produces too much text."
    else:
        detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        reason = f"Cannot render the template: {detail}"
    return TemplateError(reason, _template_line(exc))


def render(source, values, html=False):
    """Render ``source`` with ``values`` (a dict of TEMPLATE_VARIABLES).

    ``html=True`` escapes the inserted values (HTML bodies); ``html=False``
    (subjects, plain text) does not.  Raises only :class:`TemplateError`.
    """
    template = _compile(_as_source(source), bool(html))
    try:
        return str(template.render(_context(values)))
    except Exception as exc:  # any failure inside rep-written code
        raise _render_error(exc) from None


def split_name(full_name):
    """``"Jane van der Berg"`` -> ``("Jane", "van der Berg")``."""
    parts = (full_name or "").split(None, 1)
    if not parts:
        return "", ""
    rest = " ".join(parts[1].split()) if len(parts) > 1 else ""
    return parts[0], rest
