"""`python -m agent.emulator`: the emulator alone (the same as `callmeter emulator`)."""

from agent.emulator.cli import main

raise SystemExit(main())
