"""devkit: fast, safe dev containers across many repositories."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("devkit")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
