"""The Redis key layout, in one place (docs/store.md draws the same picture).

Keys that must change together share a Cluster hash tag (the part in braces), so they
live in one slot and one Lua script can change them atomically:

    P:{acct:T:A}              hash  v (version), doc (account JSON), oseq (outbox counter)
    P:{acct:T:A}:txn:ID       string  result of an applied transaction (expires)
    P:{acct:T:A}:spool        list  CDR index entries, outbox jobs, CDRs of other accounts,
                                    waiting to reach the global keys (see redis_spool.py)
    P:{acct:T:A}:cdrs         zset  this account's CDRs (score 0, ordered by member)
    P:{acct:T:A}:cdr:N:CGRID:RUNID  hash  m (index member), doc (CDR JSON)
    P:{cdrs}:time             zset  every CDR, by member "<OrderTime 20 digits>␟CGRID␟RunID␟T:A"
    P:{cdrs}:loc              hash  "CGRID␟RunID" -> "<member>␟OriginID" (one place per CDR)
    P:{cdrs}:origin:O / :cgrid:C   zset  the same members, per OriginID / CGRID
    P:{spool}:dirty           zset  accounts whose spool may hold entries, by time touched
    P:{outbox}:due            zset  job id -> due (or claimed-until) time in ms
    P:{outbox}:jobs / :meta   hash  job id -> job JSON / "due_ms attempts"
    P:{doc:KIND}              hash  id -> document JSON
    P:{accounts}              set   account ids (for list_accounts)
    P:lease:NAME              string  owner, with a TTL
"""

from __future__ import annotations

from dataclasses import dataclass

#: Separates the parts of index members and spool entries; ids never contain it (codec.py).
SEP = "\x1f"


@dataclass(frozen=True)
class AccountKeys:
    """The keys of one account, all in the account's slot."""

    base: str

    @classmethod
    def of(cls, prefix: str, account_id: str) -> AccountKeys:
        return cls(f"{prefix}:{{acct:{account_id}}}")

    @property
    def account(self) -> str:
        return self.base

    def txn(self, txn_id: str) -> str:
        return f"{self.base}:txn:{txn_id}"

    @property
    def spool(self) -> str:
        return f"{self.base}:spool"

    @property
    def cdr_index(self) -> str:
        return f"{self.base}:cdrs"

    def cdr(self, cgr_id: str, run_id: str) -> str:
        # The length makes the key unambiguous whatever characters the ids hold.
        return f"{self.base}:cdr:{len(cgr_id)}:{cgr_id}:{run_id}"


@dataclass(frozen=True)
class Keys:
    """Every key name the Redis store uses, under one prefix."""

    prefix: str

    def account(self, account_id: str) -> AccountKeys:
        return AccountKeys.of(self.prefix, account_id)

    @property
    def accounts(self) -> str:
        return f"{self.prefix}:{{accounts}}"

    def docs(self, kind: str) -> str:
        return f"{self.prefix}:{{doc:{kind}}}"

    def lease(self, name: str) -> str:
        return f"{self.prefix}:lease:{name}"

    @property
    def dirty(self) -> str:
        return f"{self.prefix}:{{spool}}:dirty"

    @property
    def cdr_time(self) -> str:
        return f"{self.prefix}:{{cdrs}}:time"

    @property
    def cdr_loc(self) -> str:
        return f"{self.prefix}:{{cdrs}}:loc"

    def cdr_origin(self, origin_id: str) -> str:
        return f"{self.prefix}:{{cdrs}}:origin:{origin_id}"

    def cdr_cgrid(self, cgr_id: str) -> str:
        return f"{self.prefix}:{{cdrs}}:cgrid:{cgr_id}"

    @property
    def outbox(self) -> tuple[str, str, str]:
        """(due, jobs, meta)."""
        base = f"{self.prefix}:{{outbox}}"
        return f"{base}:due", f"{base}:jobs", f"{base}:meta"


def cdr_member(order_time_padded: str, cgr_id: str, run_id: str, account: str) -> str:
    """An index member: text order is (OrderTime, CGRID, RunID) order, as SEP sorts first."""
    return SEP.join((order_time_padded, cgr_id, run_id, account))


def split_member(member: str) -> tuple[str, str, str, str]:
    """(padded OrderTime, CGRID, RunID, account) of an index member."""
    ot, cgr_id, run_id, account = member.split(SEP)
    return ot, cgr_id, run_id, account
