"""Build sales_sequence/README.rst from the readme/*.md fragments (as OCA does).

Run: python3 scripts/make_readme.py   (tests check that the README is up to date)
"""
import pathlib
import re

ADDON = pathlib.Path(__file__).resolve().parents[1] / "sales_sequence"
SECTIONS = [("DESCRIPTION.md", None), ("CONFIGURE.md", "Configuration"),
            ("USAGE.md", "Usage"), ("HISTORY.md", "Changelog")]


def md_to_rst(text):
    text = re.sub(r"`([^`]+)`", r"``\1``", text)          # inline code
    text = re.sub(r"\*\*([^*]+)\*\*", r"**\1**", text)
    lines = []
    for line in text.splitlines():
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading:
            lines += [heading.group(2), "~" * len(heading.group(2))]
        else:
            lines.append(line)
    return "\n".join(lines).strip() + "\n"


def build():
    title = "Sales Sequences"
    parts = ["=" * len(title), title, "=" * len(title), ""]
    for filename, heading in SECTIONS:
        body = md_to_rst((ADDON / "readme" / filename).read_text())
        if heading:
            parts += [heading, "=" * len(heading), ""]
        parts += [body]
    return "\n".join(parts)


if __name__ == "__main__":
    (ADDON / "README.rst").write_text(build())
