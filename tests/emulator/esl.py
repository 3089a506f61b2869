"""A small blocking ESL client for the emulator's behaviour tests (built on fidelity.Client)."""

from __future__ import annotations

from collections.abc import Callable

from agent.freeswitch import wire

from .fidelity import Client


class Esl(Client):
    """Connects and authenticates; each command waits for its own reply."""

    def __init__(self, port: int, password: str = "ClueCon", auth: bool = True) -> None:
        super().__init__(port)
        assert self.wait(lambda: len(self.messages) >= 1), "no auth/request"
        if auth:
            reply = self.command(f"auth {password}")
            assert reply.reply_text == "+OK accepted", reply.reply_text

    def replies(self) -> list[wire.Message]:
        with self._cond:
            return [m for m in self.messages if not m.is_event]

    def command(self, line: str, timeout: float = 5.0) -> wire.Message:
        """Send one command; its reply (command/reply or api/response)."""
        before = len(self.replies())
        self.send(f"{line}\n\n".encode())
        assert self.wait(lambda: len(self.replies()) > before, timeout), f"no reply to {line!r}"
        return self.replies()[before]

    def api(self, line: str, timeout: float = 5.0) -> str:
        return self.command(f"api {line}", timeout).text()

    def events(self, name: str | None = None, uuid: str | None = None) -> list[wire.Event]:
        with self._cond:
            messages = [m for m in self.messages if m.is_event]
        out = [wire.parse_event(m) for m in messages]
        return [e for e in out if (name is None or e.name == name)
                and (uuid is None or e.unique_id == uuid)]

    def wait_event(self, name: str, uuid: str | None = None, count: int = 1,
                   timeout: float = 5.0) -> wire.Event:
        """The count-th event called name (of uuid), once it has arrived."""
        ok = self.wait(lambda: len(self.events(name, uuid)) >= count, timeout)
        assert ok, f"no {name} ({uuid}) #{count} within {timeout}s"
        return self.events(name, uuid)[count - 1]

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        assert self.wait(predicate, timeout), "condition not met"
