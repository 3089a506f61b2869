"""callmeter's process side: CLI, config, daemon, JSON-RPC servers, FreeSWITCH agent."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("callmeter")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
