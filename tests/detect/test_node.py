"""The Node stack (devkit/detect/node.py)."""

from __future__ import annotations

from pathlib import Path

from devkit.detect import Stack

from .detect_helpers import detected, write


def node(name: str | Path) -> Stack:
    found = detected(name)
    assert "node" in found.stacks, found.to_dict()
    return found.stacks["node"]


def test_npm_with_engines_a_lock_and_ci() -> None:
    stack = node("npm-engines")
    assert stack.manager is not None
    assert (stack.manager.value, str(stack.manager.source)) == ("npm", "package-lock.json")
    assert stack.manager_version is None
    assert stack.version is not None
    assert (stack.version.value, str(stack.version.source)) == (
        "24",
        ".github/workflows/tests.yml:7",
    )
    specs = [(c.spec, c.kind) for c in stack.version.constraints]
    # The locked @eslint/js (^22.13 || >=24) rules out CI's 20 and 22; "oldie" (>=0.8 <0.12)
    # is stale and ignored.
    assert ("^22.13.0 || >=24", "lock") in specs
    assert (">=0.8 <0.12", "lock") not in specs
    assert stack.manifests == ["package.json", "package-lock.json"]
    assert stack.extra["install_scripts"].value == {"prepare": "npm run build"}


def test_pnpm_10_with_package_manager_and_a_workspace() -> None:
    stack = node("pnpm-workspace")
    assert stack.manager is not None and stack.manager.value == "pnpm"
    assert str(stack.manager.source) == "package.json:4 (packageManager)"
    assert stack.manager_version is not None and stack.manager_version.value == "10.33.0"
    assert stack.extra["workspace_members"] == ["packages/a", "packages/b"]  # ! excluded
    assert stack.manifests == [
        "package.json",
        "pnpm-lock.yaml",
        ".npmrc",
        "pnpm-workspace.yaml",
        "patches/left-pad@1.3.0.patch",
        "packages/a/package.json",
        "packages/b/package.json",
    ]
    assert stack.version is not None
    # Only the lock says anything: the oxlint binding needs ^20.19 || >=22.12.
    assert stack.version.value == "26"
    assert str(stack.version.source) == "pnpm-lock.yaml:15 (@oxlint/binding-linux-x64-gnu@1.2.0)"


def test_yarn_berry_with_yarn_path() -> None:
    stack = node("yarn-berry")
    assert stack.manager is not None and stack.manager.value == "yarn"
    assert stack.manager_version is not None and stack.manager_version.value == "4.4.1"
    assert stack.manifests == [
        "package.json",
        "yarn.lock",
        ".yarnrc.yml",
        ".yarn/releases/yarn-4.4.1.cjs",
        ".yarn/plugins/@yarnpkg/plugin-version.cjs",
    ]
    assert stack.version is not None
    assert (stack.version.value, str(stack.version.source)) == ("22", ".nvmrc:1")  # lts/jod


def test_yarn_version_without_package_manager(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "package.json": '{"name": "x"}',
            "yarn.lock": "__metadata:\n  version: 8\n",
            ".yarnrc.yml": "yarnPath: .yarn/releases/yarn-4.5.3.cjs\n",
            ".yarn/releases/yarn-4.5.3.cjs": "//\n",
        },
    )
    stack = node(tmp_path)
    assert stack.manager_version is not None
    assert (stack.manager_version.value, str(stack.manager_version.source)) == (
        "4.5.3",
        ".yarnrc.yml:1",
    )
    classic = write(
        tmp_path / "classic",
        {"package.json": '{"name": "x"}', "yarn.lock": "# yarn lockfile v1\n"},
    )
    stack = node(classic)
    assert stack.manager_version is not None and stack.manager_version.value == "1.22.22"


def test_several_lock_files_and_a_disagreeing_package_manager_are_conflicts(tmp_path: Path) -> None:
    found = detected("conflicting-pins")
    assert found.stacks["node"].manager is not None
    assert found.stacks["node"].manager.value == "yarn"
    assert any("lock files of several managers" in c.message for c in found.conflicts)
    write(tmp_path, {"package.json": '{"packageManager": "pnpm@9.0.0"}', "package-lock.json": "{}"})
    found = detected(tmp_path)
    assert found.stacks["node"].manager is not None
    assert found.stacks["node"].manager.value == "pnpm"
    assert found.conflicts[0].message.startswith("package.json:1 (packageManager) says pnpm")


def test_npmrc_with_credentials_is_not_a_manifest(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "package.json": '{"name": "x", "workspaces": {"packages": ["apps/*"]}}',
            ".npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
            "apps/web/package.json": "{}",
            "apps/web/node_modules/dep/package.json": "{}",
        },
    )
    found = detected(tmp_path)
    assert found.stacks["node"].manifests == ["package.json", "apps/web/package.json"]
    assert any(".npmrc: holds credentials" in w for w in found.warnings)


def test_bun_is_not_supported(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": "{}", "bun.lock": "{}"})
    found = detected(tmp_path)
    assert found.stacks["node"].manager is not None
    assert found.stacks["node"].manager.value == "npm"
    assert "bun is not supported; the node stack uses npm instead" in found.warnings


def test_volta_and_dev_engines(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "package.json": '{"volta": {"node": "20.11.0"},\n'
            ' "devEngines": {"runtime": {"name": "node", "version": ">=22"}}}'
        },
    )
    found = detected(tmp_path)
    version = found.stacks["node"].version
    assert version is not None and version.value == "20.11.0"
    assert "does not allow (>=22)" in found.conflicts[0].message
