"""The Rust stack: ``rust-toolchain(.toml)`` (a pin: a channel or a version) and Cargo's
``rust-version`` (the minimum), Cargo workspace members."""

from __future__ import annotations

from devkit.detect.context import Context
from devkit.detect.model import PIN, RANGE, Constraint, Source, Stack
from devkit.detect.reader import Repo, mapping


def detect(ctx: Context) -> Stack | None:
    """The Rust stack, or None without a root Cargo.toml."""
    repo, pins, ci = ctx.repo, ctx.pins, ctx.ci
    if not repo.is_file("Cargo.toml"):
        return None
    stack = Stack("rust", evidence=["Cargo.toml"])
    found: list[Constraint] = []
    for rel in ("rust-toolchain.toml", "rust-toolchain"):
        channel = _channel(repo, rel)
        if channel:
            found.append(Constraint("rust", channel, PIN, Source(rel, repo.line_of(rel, r"\S"))))
            stack.evidence.append(rel)
            break
    found += pins.get("rust", [])
    cargo = repo.toml("Cargo.toml") or {}
    workspace = mapping(cargo.get("workspace"))
    for table, section in (("package", mapping(cargo.get("package"))),
                           ("workspace.package", mapping(workspace.get("package")))):  # fmt: skip
        msrv = section.get("rust-version")
        if isinstance(msrv, str):
            line = repo.key_line("Cargo.toml", "rust-version", table=table)
            found.append(
                Constraint("rust", msrv, RANGE, Source("Cargo.toml", line, "rust-version"))
            )
    stack.version = ctx.resolve("rust", [*found, *ci.get("rust", [])])
    members: set[str] = set()
    for pattern in workspace.get("members") or []:
        members |= {p.removesuffix("/Cargo.toml") for p in repo.glob(f"{pattern}/Cargo.toml")}
    for pattern in workspace.get("exclude") or []:
        members -= {p.removesuffix("/Cargo.toml") for p in repo.glob(f"{pattern}/Cargo.toml")}
    stack.extra["workspace_members"] = sorted(members)
    names = ("Cargo.toml", "Cargo.lock", ".cargo/config.toml", ".cargo/config")
    stack.manifests = [f for f in names if repo.is_file(f)] + [
        f"{m}/Cargo.toml" for m in sorted(members)
    ]
    return stack


def _channel(repo: Repo, rel: str) -> str | None:
    if not repo.is_file(rel):
        return None
    if rel.endswith(".toml") or (repo.text(rel) or "").lstrip().startswith("["):
        data = repo.toml(rel) or {}
        channel = mapping(data.get("toolchain")).get("channel")
        return channel if isinstance(channel, str) else None
    text = (repo.text(rel) or "").strip()
    return text.splitlines()[0].strip() if text else None
