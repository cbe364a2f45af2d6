"""Build each addon's README.rst from its readme/*.md fragments (as OCA does).

Run: python3 scripts/make_readme.py [addon ...]   (default: every addon of the repository)
"""
import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTIONS = [("DESCRIPTION.md", None), ("CONFIGURE.md", "Configuration"),
            ("USAGE.md", "Usage"), ("HISTORY.md", "Changelog")]


def md_to_rst(text):
    lines = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):                        # fenced block -> literal block
            in_code = not in_code
            lines += ["::", ""] if in_code else [""]
            continue
        if in_code:
            lines.append("   " + line if line else "")
            continue
        line = re.sub(r"`([^`]+)`", r"``\1``", line)      # inline code
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
