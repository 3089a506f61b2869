"""callmeter's process side: CLI, config, daemon, JSON-RPC servers, FreeSWITCH agent."""

__version__ = "0.1.0"
