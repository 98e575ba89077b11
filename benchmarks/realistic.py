"""The realistic repository the template and prebuild benchmarks both measure on.

A project rendered by ``devkit new`` filled like a real one: a realistic dependency set (a
compiled package, numpy; a compiled core, pydantic; the usual pure-Python trees, requests and
rich), 200 source files in four packages, a README, a ``.env`` with a secret, and a git
history of about 60 MB of incompressible blobs (added and later dropped, so the work tree
stays small while ``.git`` is heavy, as in a long-lived repository).
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

#: The CA bundle the builds trust to reach PyPI through this network's proxy.
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
PYPI_DEPS = ["numpy==2.2.6", "pydantic==2.11.7", "requests==2.32.4", "rich==14.0.0"]
SOURCE_FILES = 200
GIT_MB = 60


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (echoed first), failing on a non-zero exit."""
    print("+", " ".join(argv), flush=True)
    return subprocess.run(argv, check=True, text=True, **kwargs)


def populate(project: Path, deps: list[str] = PYPI_DEPS) -> None:
    """Make the rendered ``project`` look like a real repository (see the module's text)."""
    rng = random.Random(42)
    pkg = project / "src" / "svc"
    subs = ["api", "core", "db", "util"]
    for sub in subs:
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text('"""svc."""\n')
    for i in range(SOURCE_FILES - len(subs) - 1):
        body = "\n".join(
            f"def f{i}_{j}(x: int) -> int:\n    return x * {rng.randint(1, 999)} + {j}\n"
            for j in range(40)
        )
        (pkg / subs[i % 4] / f"mod{i:03d}.py").write_text(f'"""Module {i}."""\n\n{body}\n')
    (project / "README.md").write_text("# svc\n\nA service.\n")
    (project / ".env").write_text("DATABASE_PASSWORD=hunter2\n")
    (project / ".gitignore").write_text(".venv/\n.env\n__pycache__/\n")
    req = project / "requirements.txt"
    req.write_text((req.read_text() if req.is_file() else "") + "".join(f"{d}\n" for d in deps))
    git = ["git", "-C", str(project), "-c", "user.name=bench", "-c", "user.email=b@example.invalid"]
    run([*git, "init", "-q"])
    run([*git, "add", "-A"])
    run([*git, "commit", "-qm", "initial"])
    assets = project / "assets"
    assets.mkdir()
    for n in range(GIT_MB // 4):
        (assets / "blob.bin").write_bytes(rng.randbytes(4_000_000))
        run([*git, "add", "-A"], stdout=subprocess.DEVNULL)
        run([*git, "commit", "-qm", f"assets v{n}"])
    shutil.rmtree(assets)
    run([*git, "add", "-A"])
    run([*git, "commit", "-qm", "drop assets"])


def du(path: Path) -> int:
    """Bytes of the files under ``path`` (links not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file())
