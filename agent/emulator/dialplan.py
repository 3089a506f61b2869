"""The XML dialplan, hunted the way mod_dialplan_xml does it (a subset that real files use).

Supported: <context name> holding <extension name [continue]>; each extension has <condition
field expression [break]> elements with <action application data> and <anti-action>. A
condition with neither field nor expression always matches. `field` is a caller-profile field
(destination_number, caller_id_number, context, ...) or a ${variable}. A false condition adds
its anti-actions and, with break="on-false" (the default), ends the extension; break="never"
goes on to the next condition. Matches capture $1..$9 for the actions; ${var} in action data
is expanded when the action executes (switch_channel_expand_variables).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIALPLAN = Path(__file__).with_name("dialplan")

_VAR = re.compile(r"\$\{([^{}]+)\}")


class DialplanError(ValueError):
    """The dialplan XML is not one this emulator understands."""


@dataclass(frozen=True)
class Action:
    application: str
    data: str = ""


@dataclass(frozen=True)
class Condition:
    field: str | None
    expression: str | None
    actions: tuple[Action, ...]
    anti_actions: tuple[Action, ...]
    break_on: str = "on-false"


@dataclass(frozen=True)
class Extension:
    name: str
    conditions: tuple[Condition, ...]
    continue_on: bool = False


@dataclass
class Dialplan:
    """Contexts by name; `hunt` returns the applications a call runs."""

    contexts: dict[str, list[Extension]] = field(default_factory=dict)

    @classmethod
    def from_files(cls, *paths: Path) -> Dialplan:
        plan = cls()
        for path in paths:
            plan.load(path)
        return plan

    @classmethod
    def builtin(cls) -> Dialplan:
        """The dialplans shipped with the emulator (the callmeter sample and the capture lab)."""
        return cls.from_files(*sorted(PACKAGE_DIALPLAN.glob("*.xml")))

    def load(self, path: Path) -> None:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise DialplanError(f"{path}: {exc}") from None
        contexts = [root] if root.tag == "context" else list(root.iter("context"))
        if not contexts:
            raise DialplanError(f"{path}: no <context> element")
        for element in contexts:
            name = element.get("name")
            if not name:
                raise DialplanError(f"{path}: a <context> has no name")
            self.contexts.setdefault(name, []).extend(
                _extension(ext, path) for ext in element.findall("extension"))

    def hunt(self, context: str, lookup: Callable[[str], str]) -> list[Action] | None:
        """The actions to run, or None when nothing matched (NO_ROUTE_DESTINATION).

        Like mod_dialplan_xml's dialplan_hunt: every extension adds the actions (or
        anti-actions) of the conditions it evaluated; hunting stops at the first extension
        whose last evaluated condition held, unless it says continue="true".
        """
        actions: list[Action] = []
        for ext in self.contexts.get(context, ()):
            ran, proceed = _run_extension(ext, lookup)
            actions += ran
            if proceed and not ext.continue_on:
                break
        return actions or None


def _extension(element: ET.Element, path: Path) -> Extension:
    conditions = []
    for cond in element.findall("condition"):
        expression = cond.get("expression")
        if expression is not None:
            try:
                re.compile(expression)
            except re.error as exc:
                raise DialplanError(f"{path}: bad expression {expression!r}: {exc}") from None
        conditions.append(Condition(
            field=cond.get("field"), expression=expression,
            actions=tuple(_action(a) for a in cond.findall("action")),
            anti_actions=tuple(_action(a) for a in cond.findall("anti-action")),
            break_on=cond.get("break", "on-false"),
        ))
    return Extension(element.get("name", ""), tuple(conditions),
                     element.get("continue", "false").lower() == "true")


def _action(element: ET.Element) -> Action:
    return Action(element.get("application", ""), element.get("data", ""))


def _run_extension(ext: Extension, lookup: Callable[[str], str]) -> tuple[list[Action], bool]:
    """(actions or anti-actions to add, whether the last evaluated condition held)."""
    actions: list[Action] = []
    proceed = False
    for cond in ext.conditions:
        proceed, groups = _test(cond, lookup)
        if proceed:
            actions += [Action(a.application, _captures(a.data, groups)) for a in cond.actions]
        else:
            actions += list(cond.anti_actions)
        if cond.break_on == ("on-true" if proceed else "on-false"):
            break
    return actions, proceed


def _test(cond: Condition, lookup: Callable[[str], str]) -> tuple[bool, tuple[str, ...]]:
    if cond.field is None and cond.expression is None:
        return True, ()
    value = expand(cond.field or "", lookup) if "${" in (cond.field or "") else \
        lookup(cond.field or "")
    match = re.search(cond.expression or "", value)
    if match is None:
        return False, ()
    return True, tuple(g or "" for g in match.groups())


def _captures(data: str, groups: tuple[str, ...]) -> str:
    return re.sub(r"\$(\d)", lambda m: groups[int(m.group(1)) - 1]
                  if 0 < int(m.group(1)) <= len(groups) else "", data)


def expand(text: str, lookup: Callable[[str], str] | Mapping[str, str]) -> str:
    """switch_channel_expand_variables for ${name} (unset variables expand to nothing)."""
    get: Callable[[str], str] = lookup.get if isinstance(lookup, Mapping) else lookup  # type: ignore[assignment]
    previous = None
    while previous != text and "${" in text:
        previous = text
        text = _VAR.sub(lambda m: get(m.group(1)) or "", text)
    return text
