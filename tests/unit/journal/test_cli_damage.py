"""`hydra journal` tells the operator where a journal's chain breaks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hydra.adapters.journal import JsonlJournal


def test_hydra_journal_names_the_first_break_on_stderr(tmp_path: Path) -> None:
    """A removed record is reported on stderr by line; the records still list on stdout."""
    path = tmp_path / "audit.jsonl"
    with JsonlJournal(path, account="DU123456") as journal:
        for n in range(3):
            journal.append({"kind": "decision", "seq": n, "outcome": "allowed"})
    kept = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(kept[0] + kept[2])
    result = subprocess.run(  # noqa: S603  (our own entry point, fixed arguments)
        [sys.executable, "-m", "hydra.cli", "journal", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "chain damaged: line 2: records removed or reordered" in result.stderr
    assert '"seq": 2' in result.stdout
