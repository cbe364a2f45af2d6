"""The Jinja sandbox behind ``render``: what a template may do, and what
one render may spend.

Dotted access is an item lookup in mappings and nothing else; only the
filters of ``FILTERS`` and the value tests exist; every string or list a
filter or an operator builds is measured before it is built, every loop
iteration and output chunk is counted, and the CPU clock is read as the
render goes (``Budget``). ``render.py`` compiles templates in these
environments and turns ``LimitError`` into ``TemplateError``.
"""

import contextlib
import contextvars
import numbers
import time
from collections.abc import Mapping

from jinja2 import filters as jinja_filters
from jinja2 import nodes, pass_context
from jinja2 import tests as jinja_tests
from jinja2.compiler import CodeGenerator
from jinja2.runtime import ChainableUndefined, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

ALLOWED_FILTERS = (
    # text
    "default",
    "d",
    "upper",
    "lower",
    "title",
    "capitalize",
    "trim",
    "truncate",
    "replace",
    "wordcount",
    "urlencode",
    "string",
    # numbers
    "round",
    "int",
    "float",
    "abs",
    # lists
    "length",
    "count",
    "first",
    "last",
    "join",
    "list",
    "reverse",
    "dictsort",
)
ALLOWED_TESTS = (
    "defined",
    "undefined",
    "none",
    "string",
    "number",
    "integer",
    "float",
    "boolean",
    "true",
    "false",
    "even",
    "odd",
    "divisibleby",
    "lower",
    "upper",
    "in",
    "eq",
    "equalto",
    "==",
    "ne",
    "!=",
    "lt",
    "lessthan",
    "<",
    "le",
    "<=",
    "gt",
    "greaterthan",
    ">",
    "ge",
    ">=",
)

# Bounds: a template is written by a rep, rendered in the worker that sends
# everybody's email; one bad template must not freeze it or eat its memory.
MAX_OUTPUT_SIZE = 500_000  # characters rendered (default of render(max_output=))
MAX_TEXT_SIZE = 100_000  # length of one string or list built by a filter or operator
MAX_BUILT_SIZE = 2_000_000  # characters built by filters and operators, in total
MAX_INT_BITS = 4096  # size of integer results (a * b, a ** b)
MAX_LOOP_ITERATIONS = 10_000  # iterations of all loops of one render together
TIME_LIMIT = 0.3  # seconds of CPU per render (default of render(time_limit=))
CLOCK_EVERY = 64  # budget ticks between two reads of the clock

_LOOP_ATTRIBUTES = frozenset(
    (
        "index",
        "index0",
        "revindex",
        "revindex0",
        "first",
        "last",
        "length",
        "depth",
        "depth0",
        "previtem",
        "nextitem",  # data only, no methods
    )
)


# ---------------------------------------------------------------------------
# Budget of one render
# ---------------------------------------------------------------------------


class LimitError(Exception):
    """A bound of the budget is exceeded (its message is for the rep)."""

    def __init__(self, message, lineno=None):
        super().__init__(message)
        self.lineno = lineno


class Budget:
    """What one render may still spend: loop iterations, characters built,
    output and CPU time.  The clock is read every ``CLOCK_EVERY`` ticks only,
    from the first such read on (so a short render never reads it)."""

    __slots__ = ("time_limit", "deadline", "ticks", "next_check", "built", "iterations", "max_output", "empty")

    def __init__(self, time_limit=TIME_LIMIT, max_output=MAX_OUTPUT_SIZE):
        self.time_limit = time_limit
        self.deadline = None
        self.ticks = 0
        self.next_check = CLOCK_EVERY
        self.built = 0
        self.iterations = 0
        self.max_output = max_output
        self.empty = []  # filled by the probes of empty_variables()

    def tick(self, cost=1):
        self.ticks += cost
        if self.ticks >= self.next_check:
            self.next_check = self.ticks + CLOCK_EVERY
            now = time.thread_time()
            if self.deadline is None:
                self.deadline = now + self.time_limit
            elif now > self.deadline:
                raise LimitError(f"The template takes too long to render (more than {self.time_limit:g} s).")

    def charge(self, size):
        """``size`` more characters (or items) were built."""
        self.built += size
        if self.built > MAX_BUILT_SIZE:
            raise LimitError(f"The template builds too much text (more than {MAX_BUILT_SIZE} characters).")
        self.tick(1 + (size >> 10))

    def iterate(self, iterable):
        for item in iterable:
            self.iterations += 1
            if self.iterations > MAX_LOOP_ITERATIONS:
                raise LimitError(f"The template loops too often (more than {MAX_LOOP_ITERATIONS} times).")
            self.tick()
            yield item


# The budget of the render in progress.  Unset while compiling, so any
# constant folding that would spend it is abandoned (done at run time).
CURRENT_BUDGET = contextvars.ContextVar("sales_sequence_render_budget")


def _check_size(size):
    """Refuse to build a string or list of ``size`` characters or items."""
    if size > MAX_TEXT_SIZE:
        raise LimitError(
            f"The template builds a text or list that is too long ({size} characters, at most {MAX_TEXT_SIZE})."
        )
    CURRENT_BUDGET.get().charge(size)


def _charged(result):
    if isinstance(result, (str, list, tuple)):
        _check_size(len(result))
    else:
        CURRENT_BUDGET.get().tick()
    return result


# ---------------------------------------------------------------------------
# Text conversions and filters
# ---------------------------------------------------------------------------


class _EmptyUndefined(ChainableUndefined):
    """Missing value: renders '', is falsy, and chains (``a.b.c`` is empty)."""

    __slots__ = ()

    def __repr__(self):
        return ""


def _as_text(value):
    """What a value reads as when joined to text: text (markup included) as
    is, numbers in digits, anything else (missing values, lists, mappings,
    loops...) ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Number):
        return str(value)
    return ""


def _plain(value):
    """The value a filter works on: markup reads as its text, tags dropped
    (a filter can never cut a tag in two); a missing value is ''."""
    if isinstance(value, Markup):
        return value.striptags()
    if isinstance(value, Undefined):
        return ""
    return value


def _plain_text(value):
    """The text a text filter works on (see :func:`_plain` and :func:`_as_text`)."""
    return _as_text(_plain(value))


def _number(value):
    """A number, from a number or numeric text; '' for a missing value."""
    value = _plain(value)
    if value is None or value == "" or isinstance(value, numbers.Number):
        return "" if value is None else value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
        with contextlib.suppress(ValueError):
            return float(value)
    raise ValueError("a number is needed")


def _default(value, default_value="", boolean=False):
    """``default`` filter that also replaces ``None`` and ``''``."""
    CURRENT_BUDGET.get().tick()
    if isinstance(value, Undefined) or value is None or value == "":
        return default_value
    if boolean and not value:
        return default_value
    return value


def _text_filter(func):
    """A filter of Jinja's that takes text: give it plain text, check what it builds."""

    def text_filter(value, *args, **kwargs):
        return _charged(func(_plain_text(value), *args, **kwargs))

    text_filter.__name__ = func.__name__
    return text_filter


def _string(value):
    return _charged(_as_text(value))


def _truncate(value, length=255, killwords=False, end="...", leeway=None):
    value, end = _plain_text(value), _as_text(end)
    return _charged(jinja_filters.do_truncate(ENVIRONMENTS[False], value, length, killwords, end, leeway))


def _replace(value, old, new, count=None):
    value, old, new = _plain_text(value), _plain_text(old), _plain_text(new)
    found = value.count(old) if old else len(value) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    _check_size(len(value) + found * (len(new) - len(old)))
    return value.replace(old, new, -1 if count is None else count)


def _round(value, precision=0, method="common"):
    value = _number(value)
    return value if value == "" else _charged(jinja_filters.do_round(value, precision, method))


def _abs(value):
    value = _number(value)
    return value if value == "" else _charged(abs(value))


def _length(value):
    CURRENT_BUDGET.get().tick()
    return len(_plain(value))


def _first(value):
    CURRENT_BUDGET.get().tick()
    for item in _plain(value):
        return item
    return _EmptyUndefined("no first item")


def _last(value):
    CURRENT_BUDGET.get().tick()
    value = _plain(value)
    if isinstance(value, Mapping):
        value = list(value)
    return value[-1] if len(value) else _EmptyUndefined("no last item")


def _items(value):
    """The items of a string, list or mapping (keys), at most MAX_TEXT_SIZE."""
    value = _plain(value)
    if not isinstance(value, (str, list, tuple, Mapping)):
        raise TypeError("a text, a list or a mapping is needed")
    _check_size(len(value))
    return list(value)


def _list(value):
    return _items(value)


def _reverse(value):
    value = _plain(value)
    if isinstance(value, str):
        return _charged(value[::-1])
    items = _items(value)
    items.reverse()
    return items


def _join(value, d=""):
    texts = [_as_text(item) for item in _items(value)]
    separator = _as_text(d)
    _check_size(sum(map(len, texts)) + len(separator) * max(0, len(texts) - 1))
    if any(isinstance(text, Markup) for text in (separator, *texts)):
        return Markup(separator).join(texts)  # escapes the plain ones
    return separator.join(texts)


def _dictsort(value, case_sensitive=False, by="key", reverse=False):
    value = _plain(value)
    if value == "":
        return []
    if not isinstance(value, Mapping):
        raise TypeError("dictsort needs a mapping")
    _check_size(len(value))
    return jinja_filters.do_dictsort(value, case_sensitive, by, reverse)


_FILTERS = {
    "default": _default,
    "d": _default,
    "upper": _text_filter(jinja_filters.do_upper),
    "lower": _text_filter(jinja_filters.do_lower),
    "title": _text_filter(jinja_filters.do_title),
    "capitalize": _text_filter(jinja_filters.do_capitalize),
    "trim": _text_filter(jinja_filters.do_trim),
    "truncate": _truncate,
    "replace": _replace,
    "wordcount": _text_filter(jinja_filters.do_wordcount),
    "urlencode": _text_filter(jinja_filters.do_urlencode),
    "string": _string,
    "round": _round,
    "int": _text_filter(jinja_filters.do_int),
    "float": _text_filter(jinja_filters.do_float),
    "abs": _abs,
    "length": _length,
    "count": _length,
    "first": _first,
    "last": _last,
    "join": _join,
    "list": _list,
    "reverse": _reverse,
    "dictsort": _dictsort,
}
assert set(_FILTERS) == set(ALLOWED_FILTERS)


# Internal filters, inserted by _instrument(): names no template can spell.
ITERATE = " iterate"
PROBE = " probe"


@pass_context  # never folded at compile time
def _iterate(context, iterable):
    if isinstance(iterable, Markup):
        iterable = iterable.striptags()
    return CURRENT_BUDGET.get().iterate(iterable)


@pass_context
def _probe(context, value, name):
    if _is_empty(value):
        CURRENT_BUDGET.get().empty.append(name)
    return value


def _is_empty(value):
    if isinstance(value, Undefined) or value is None:
        return True
    return isinstance(value, str) and not value.strip()


# ---------------------------------------------------------------------------
# Sandbox
# ---------------------------------------------------------------------------


def _finalize(value):
    """Only plain strings and numbers reach the output; anything else is ''."""
    if value.__class__ is str or isinstance(value, (str, numbers.Number, Undefined)):
        return value
    return ""


def _finalize_html(value):
    """:func:`_finalize`, and the line breaks of a value kept as ``<br/>``."""
    if value.__class__ is str:  # a value (markup is the template's own HTML)
        if "\n" in value or "\r" in value:
            lines = str(escape(value)).replace("\r\n", "\n").replace("\r", "\n")
            return Markup(lines.replace("\n", "<br/>"))
        return value
    return _finalize(value)


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``~``, slices and the captures of
    ``{% set %}`` / ``{% filter %}`` going through the environment (and so
    through the budget), and the result of a ``{% filter %}`` block escaped
    like any other output (Jinja writes it as is)."""

    def buffer(self, frame):
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.capture_buffer()")

    def visit_Concat(self, node, frame):
        self.write("environment.concat_checked((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_Getitem(self, node, frame):
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        self.write("environment.getitem(")  # Jinja slices the object directly
        self.visit(node.node, frame)
        self.write(", slice(")
        for part in (node.arg.start, node.arg.stop, node.arg.step):
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def visit_FilterBlock(self, node, frame):
        filter_frame = frame.inner()
        filter_frame.symbols.analyze_node(node)
        self.enter_frame(filter_frame)
        self.buffer(filter_frame)
        self.blockvisit(node.body, filter_frame)
        self.start_write(frame, node)
        self.write("environment.block_output(")
        self.visit_Filter(node.filter, filter_frame)
        self.write(")")
        self.end_write(frame)
        self.leave_frame(filter_frame)


class _CaptureBuffer(list):
    """The output of a ``{% set %}`` or ``{% filter %}`` block, bounded like
    the output itself."""

    __slots__ = ("size",)

    def append(self, text):
        self.extend((text,))

    def extend(self, texts):
        texts = tuple(texts)
        self.size = getattr(self, "size", 0) + sum(map(len, texts))
        budget = CURRENT_BUDGET.get()
        if self.size > budget.max_output:
            raise LimitError(f"The template produces too much text (more than {budget.max_output} characters).")
        budget.tick(len(texts))
        return super().extend(texts)


class _Environment(ImmutableSandboxedEnvironment):
    """Sandbox where dotted access is item lookup in mappings and nothing else."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset(("*", "+", "**", "%"))

    def __init__(self, html):
        super().__init__(
            autoescape=html,
            undefined=_EmptyUndefined,
            finalize=_finalize_html if html else _finalize,
            trim_blocks=True,
            keep_trailing_newline=True,
        )
        self.globals.clear()
        self.filters = dict(_FILTERS, **{ITERATE: _iterate, PROBE: _probe})
        self.tests = {name: jinja_tests.TESTS[name] for name in ALLOWED_TESTS}

    @staticmethod
    def capture_buffer():
        return _CaptureBuffer()

    def block_output(self, value):
        """What a ``{% filter %}`` block writes: its result, as any output."""
        value = self.finalize(value)
        return escape(value) if self.autoescape else str(value)

    def concat_checked(self, values):
        """``a ~ b ~ ...``: Jinja's ``markup_join`` / ``str_join``, with the
        size checked before joining."""
        texts = [_as_text(value) for value in values]
        _check_size(sum(map(len, texts)))
        if self.autoescape and any(isinstance(text, Markup) for text in texts):
            return Markup("").join(texts)  # escapes the plain ones
        return "".join(texts)

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
        obj = _plain(obj)
        if isinstance(obj, (str, list, tuple)):
            if isinstance(argument, slice):
                return _charged(obj[argument])
            if isinstance(argument, int):
                with contextlib.suppress(IndexError):
                    return obj[argument]
        return self._missing(obj, argument)

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            _check_product(left, right)
        elif operator == "+":
            _check_sum(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            raise SecurityError("'%' formatting of text; join texts with '~' instead")
        CURRENT_BUDGET.get().tick()
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


def _check_product(left, right):
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
            _check_size(len(seq) * max(count, 0))
    if isinstance(left, int) and isinstance(right, int):
        _check_bits(abs(left).bit_length() + abs(right).bit_length())


def _check_sum(left, right):
    if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        _check_size(len(left) + len(right))


def _check_power(left, right):
    if isinstance(right, numbers.Real) and abs(right) > MAX_INT_BITS:
        raise SecurityError("exponent too large")
    if isinstance(left, int) and isinstance(right, int):
        _check_bits(abs(left).bit_length() * abs(right))


def _check_bits(bits):
    if bits > MAX_INT_BITS:
        raise SecurityError("number too large")


ENVIRONMENTS = {False: _Environment(html=False), True: _Environment(html=True)}
