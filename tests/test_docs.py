"""The documentation runs: every Python block in README.md and docs/, and the demo.

Blocks in one file share a namespace, as for a reader going top to bottom. When a
```text block directly follows a ```python block, it is that block's exact output.
A block preceded by ``<!-- fragment -->`` is not run.
"""

from __future__ import annotations

import contextlib
import io
import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
BLOCK = re.compile(
    r"(?P<marker><!-- fragment -->\s*\n)?```python\n(?P<code>.*?)```\n"
    r"(?:\s*```text\n(?P<output>.*?)```)?",
    re.DOTALL,
)


def blocks(page: Path) -> list[tuple[str, str | None]]:
    return [
        (m["code"], m["output"])
        for m in BLOCK.finditer(page.read_text(encoding="utf-8"))
        if not m["marker"]
    ]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs_and_prints_what_it_says(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, (code, expected) in enumerate(blocks(page), start=1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page.name}#block{number}", "exec"), namespace)
        if expected is not None:
            assert out.getvalue().rstrip() == expected.rstrip(), f"{page.name} block {number}"


def test_readme_has_a_quickstart_that_runs() -> None:
    assert blocks(ROOT / "README.md"), "README.md should show runnable Python"


def test_demo_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        runpy.run_path(str(ROOT / "examples" / "webchat_team.py"), run_name="__main__")
    finally:
        sys.path.remove(str(ROOT / "examples"))
    printed = capsys.readouterr().out
    assert "Operators at" in printed
    assert "queued" in printed
    assert "rebuilt the Router exactly" in printed
