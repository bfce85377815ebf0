"""Every reference in the repository resolves inside it (issue 19, "Docs that stand alone").

A user who clones the repository has only its tracked files, so no tracked file may point outside it (the
team's notes and the paper text lived in a sibling folder during development), every docs/<page>.md it names must
exist, and every section it cites as `docs/theory.md §N` or `docs/paper-setup.md §N` must be a numbered section
(`## N.`) of that page. The check reads `git ls-files` of the checkout the tests run in (CI runs in a clone);
this file, which spells out the patterns, is the one file it skips."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Places outside the repository, by the forms in which they were cited.
OUTSIDE = re.compile(r"\.\./shared|/work/shared|\bshared/(?:docs|bench-peers)\b|\.\./paper/|reference-setup\.md")
DOC_PAGE = re.compile(r"\bdocs/([A-Za-z0-9_-]+)\.md")
# Any mention of the two physics pages; it must carry the docs/ prefix so that it resolves from the root.
PHYSICS_PAGE = re.compile(r"(?<![\w./-])(?:(docs/)|[\w./-]*?)(theory|paper-setup)\.md")
# "docs/theory.md §5", "§2-4", "§2–3", "§3 and §5", "§2, §4".
SECTION_REF = re.compile(r"\b(theory|paper-setup)\.md((?:\s*(?:,|and)?\s*§\d+(?:\s*[-–]\s*\d+)?)+)")
SECTION_NUMBER = re.compile(r"§(\d+)(?:\s*[-–]\s*(\d+))?")
APPENDIX_REF = re.compile(r"\btheory\.md,?\s+(App\.\s+[A-Z](?:\.\d+)?)")
HEADING = re.compile(r"^## (\d+)\.", re.MULTILINE)


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if out.returncode != 0:
        pytest.fail(f"git ls-files failed in {ROOT} (the test needs a git checkout): {out.stderr.decode().strip()}")
    return [ROOT / name for name in out.stdout.decode().split("\0") if name]


def text_lines(path: Path):
    """(line number, line) of a tracked text file; nothing for binary, unreadable or deleted files."""
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if b"\0" in data:
        return []
    try:
        return list(enumerate(data.decode("utf-8").splitlines(), start=1))
    except UnicodeDecodeError:
        return []


def sections(page: str) -> set[int]:
    path = ROOT / "docs" / f"{page}.md"
    return {int(n) for n in HEADING.findall(path.read_text(encoding="utf-8"))} if path.is_file() else set()


def line_violations(line: str, known: dict, theory_text: str) -> list[str]:
    """What is wrong with one line: one message per broken reference."""
    bad = []
    if OUTSIDE.search(line):
        bad.append("refers to a file outside the repository")
    for page in DOC_PAGE.findall(line):
        if not (ROOT / "docs" / f"{page}.md").is_file():
            bad.append(f"docs/{page}.md does not exist")
    for m in PHYSICS_PAGE.finditer(line):
        if m.group(1) is None:
            bad.append(f"'{m.group(0)}' should be docs/{m.group(2)}.md")
    for m in SECTION_REF.finditer(line):
        page = m.group(1)
        for first, last in SECTION_NUMBER.findall(m.group(2)):
            if any(n not in known[page] for n in range(int(first), int(last or first) + 1)):
                bad.append(f"docs/{page}.md has no section §{first}{'-' + last if last else ''} "
                           f"(it has §{', §'.join(map(str, sorted(known[page])))})")
    for appendix in APPENDIX_REF.findall(line):
        if " ".join(appendix.split()) not in theory_text:
            bad.append(f"docs/theory.md does not mention {appendix}")
    return bad


def physics_pages() -> tuple[dict, str]:
    theory = ROOT / "docs" / "theory.md"
    return ({"theory": sections("theory"), "paper-setup": sections("paper-setup")},
            theory.read_text(encoding="utf-8") if theory.is_file() else "")


def test_physics_pages_have_the_cited_sections():
    # The numbering other files cite: theory §1-§6 in the paper's order plus §7-§8, paper-setup §1-§4.
    assert sections("theory") == set(range(1, 9))
    assert sections("paper-setup") == set(range(1, 5))


def test_every_reference_resolves_inside_the_repository():
    files = tracked_files()
    assert len(files) > 100, f"git ls-files listed only {len(files)} files"
    known, theory_text = physics_pages()
    bad = []
    for path in files:
        if path.resolve() == Path(__file__).resolve():
            continue
        for number, line in text_lines(path):
            bad += [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:160]}\n    {why}"
                    for why in line_violations(line, known, theory_text)]
    assert not bad, f"{len(bad)} reference(s) that do not resolve:\n" + "\n".join(bad)


@pytest.mark.parametrize("line, expected", [
    ("see ../shared/docs/x for it", 1),                            # outside the repository
    ("formulas: reference-setup.md §2", 1),                        # the old name of docs/paper-setup.md
    ("see docs/no-such-page.md", 1),                               # no such page
    ("as theory.md §5 says", 1),                                   # not resolvable from the root
    ("docs/theory.md §9", 1),                                      # no such section
    ("docs/paper-setup.md §5", 1),
    ("docs/theory.md §2-9", 1),                                    # a range running past the last section
    ("docs/theory.md App. Z.9", 1),                                # an appendix the page does not mention
    ("docs/theory.md §2-4 and §6, docs/paper-setup.md §1", 0),
    ("docs/theory.md App. D.4", 0),
])
def test_the_checker_reports_each_kind_of_broken_reference(line, expected):
    known, theory_text = physics_pages()
    assert len(line_violations(line, known, theory_text)) == expected, line_violations(line, known, theory_text)
