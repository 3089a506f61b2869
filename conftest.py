"""Repository-root conftest: the whole suite runs under gevent monkey-patching.

The daemon patches the standard library before anything else (agent/cli.py); the tests do
the same here, first and once, so in-process servers, clients and stores behave as they do
in production. Being at the repository root also makes `rating` and `agent` importable
from a source tree.
"""

from gevent import monkey

if not monkey.is_module_patched("socket"):
    monkey.patch_all()
