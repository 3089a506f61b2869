"""`python -m agent` runs the callmeter CLI (tests use it from a source tree)."""

from agent.cli import main

raise SystemExit(main())
