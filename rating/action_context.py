"""What running actions needs and what it leaves behind besides the account.

An ``ActionContext`` is made fresh for every attempt of an account transaction (the store
may run the transaction function again on a conflict), so ``Effects`` collected in one
attempt never leak into another. Effects that leave the account are handed out only when
the transaction committed: CDRs and outbox jobs go into the same Commit; log lines,
synchronous HTTP posts and removals of other accounts run after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .errors import RatingError
from .tariffs import Timing

if TYPE_CHECKING:
    from .action_model import Action
    from .cdrs import Cdr


class PartiallyExecuted(RatingError):
    """An action of the set failed or is unknown: nothing of the set was kept."""

    code = "PARTIALLY_EXECUTED"


class ActionNotImplemented(RatingError):
    """An action callmeter cannot perform (it needs a CGRateS subsystem we do not have)."""

    code = "NOT_IMPLEMENTED"


#: kinds of outbox jobs
JOB_HTTP = "http"
JOB_MAIL = "mail"


@dataclass
class Effects:
    """What a run of actions produced besides the account change."""

    cdrs: list[Cdr] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)  # outbox: delivered later
    sync_jobs: list[dict[str, Any]] = field(default_factory=list)  # *http_post: right away
    logs: list[str] = field(default_factory=list)
    remove_accounts: list[str] = field(default_factory=list)  # other accounts to delete
    removed_self: bool = False
    fired: list[str] = field(default_factory=list)  # trigger UniqueIDs, in firing order
    failures: list[str] = field(default_factory=list)  # trigger actions that failed


@dataclass
class ActionContext:
    """The clock, ids, lookups and the effects of one run of actions on one account."""

    now_ns: int
    tz: tzinfo
    decimals: int
    new_id: Callable[[], str]
    load_actions: Callable[[str], list[Action] | None]
    timings: Mapping[str, Timing] = field(default_factory=dict)
    destination_ids: Callable[[str], list[tuple[str, tuple[str, ...]]]] | None = None
    last_cdr: Callable[[str], Cdr | None] | None = None
    extra_data: Any = None
    effects: Effects = field(default_factory=Effects)
    executing_triggers: bool = False
    #: balance value after each action ran (by id() of the prepared action), for *cdrlog
    balance_values: dict[int, Decimal] = field(default_factory=dict)
