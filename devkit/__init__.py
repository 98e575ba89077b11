"""devkit: fast, safe dev containers across many repositories."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The installed version is looked up when something asks for it (`--version`, a backup's
    # manifest): importlib.metadata and its scan of the installed distributions cost more
    # than a small `devkit doctor` audit takes, and most commands never need them.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("devkit")
    except PackageNotFoundError:  # running from a checkout that was never installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
