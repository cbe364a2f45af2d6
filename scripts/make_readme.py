"""Build each addon's README.rst from its readme/*.md fragments (as OCA does).

Run: python3 scripts/make_readme.py [addon ...]   (default: every addon of the repository)
"""

import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTIONS = [
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("HISTORY.md", "Changelog"),
]


TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


def inline(line):
    """Markdown inline code and links, as reStructuredText."""
    line = re.sub(r"`([^`]+)`", r"``\1``", line)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"`\1 <\2>`__", line)


def table_to_rst(rows):
    """A Markdown pipe table (its lines) as a ``list-table`` directive."""
    cells = [
        [inline(cell.strip()) or "\\ " for cell in TABLE_ROW.match(row).group(1).split("|")]
        for row in rows
        if not TABLE_RULE.match(row)
    ]
    indent = rows[0][: len(rows[0]) - len(rows[0].lstrip())]  # a table inside a list item stays in it
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in cells:
        lines.append("   * - " + row[0])
        lines += ["     - " + cell for cell in row[1:]]
    return [indent + line if line else "" for line in lines] + [""]


def md_to_rst(text):
    lines, table = [], []
    in_code = False
    for line in text.splitlines() + [""]:
        if not in_code and TABLE_ROW.match(line):
            table.append(line)
            continue
        if table:
            lines += [""] + table_to_rst(table)
            table = []
        if line.startswith("```"):  # fenced block -> literal block
            in_code = not in_code
            lines += ["::", ""] if in_code else [""]
            continue
        if in_code:
            lines.append("   " + line if line else "")
            continue
        line = inline(line)
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading:
            lines += [heading.group(2), "~" * len(heading.group(2))]
        else:
            lines.append(line)
    return "\n".join(lines).strip() + "\n"


def build(addon):
    title = ast.literal_eval((addon / "__manifest__.py").read_text())["name"]
    parts = ["=" * len(title), title, "=" * len(title), ""]
    for filename, heading in SECTIONS:
        if not (addon / "readme" / filename).exists():
            continue
        body = md_to_rst((addon / "readme" / filename).read_text())
        if heading:
            parts += [heading, "=" * len(heading), ""]
        parts += [body]
    return "\n".join(parts)


def addons(names):
    if names:
        return [ROOT / name for name in names]
    return sorted(path.parent for path in ROOT.glob("*/readme") if (path.parent / "__manifest__.py").exists())


if __name__ == "__main__":
    for addon in addons(sys.argv[1:]):
        (addon / "README.rst").write_text(build(addon))
