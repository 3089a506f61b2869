"""Repository-root conftest: makes `rating` and `agent` importable from a source tree."""
