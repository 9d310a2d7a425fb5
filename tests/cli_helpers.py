"""Run the ``ikgraph`` command as a subprocess, the way a maintainer does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
IKGRAPH = str(Path(sys.executable).parent / "ikgraph")


def run(
    *args: str,
    store: Path | str | None = None,
    check: bool = False,
    env: dict[str, str] | None = None,
    **kwargs,
) -> subprocess.CompletedProcess:
    cmd = [IKGRAPH]
    if store is not None:
        cmd += ["--store", f"oxigraph:{store}"]
    cmd += list(args)
    full_env = {**os.environ, "IKGRAPH_CONTRIBUTOR": "test-suite", **(env or {})}
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=300, **kwargs
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def dump(store: Path) -> str:
    """The whole store as sorted N-Quads lines, to compare before and after."""
    out = run("export", "--format", "nq", store=store, check=True).stdout
    return "\n".join(sorted(out.splitlines()))
