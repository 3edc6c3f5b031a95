"""The README's Python examples are valid, and the runnable one runs as written."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_python_examples_compile() -> None:
    """Every ```python block parses (top-level await allowed, as in an asyncio REPL)."""
    assert len(BLOCKS) >= 2
    for block in BLOCKS:
        compile(block, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_readme_embedding_example_runs() -> None:
    """Each complete program in the README (one that calls asyncio.run) runs in a fresh process."""
    programs = [block for block in BLOCKS if "asyncio.run(" in block]
    assert programs, "README has no runnable example"
    for block in programs:
        result = subprocess.run(  # noqa: S603  (our own README, run by our interpreter)
            [sys.executable, "-c", block], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "final status: Filled" in result.stdout
