"""The "show" api command (mod_commands show_function) over the core SQL view.

Output forms, as captured: CSV with a header line and "\\n<N> total.\\n" (no header when
there are no rows); "as json" gives {"row_count":N,"rows":[...]} with every value a string
and no newline, except the empty result, which is the hand-written '{"row_count": 0}\\n';
"count" gives "\\n<N> total.\\n".
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .sqldb import CALL_COLUMNS, CHANNEL_COLUMNS, TASK_COLUMNS, Row, SqlMirror

# SHOW_SYNTAX of mod_commands 1.10/1.11 (not in the captures).
SHOW_USAGE = (
    "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|"
    "channels [count|like <match string>]|calls|detailed_calls|bridged_calls|"
    "detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|"
    "interface_types|tasks|limits|status\n"
)


def show(sql: SqlMirror, args: str | None) -> str:
    argv = (args or "").split()
    if not argv:
        return SHOW_USAGE
    what = argv[0].lower()
    rest = [a.lower() for a in argv[1:]]
    as_json = rest[-2:] == ["as", "json"]
    columns: Sequence[str]
    if what == "channels":
        rows, columns = sql.channel_rows(), CHANNEL_COLUMNS
    elif what == "calls":
        rows, columns = sql.call_rows(), CALL_COLUMNS
    elif what == "tasks":
        rows, columns = sql.task_rows(), TASK_COLUMNS
    else:
        return SHOW_USAGE
    if rest[:1] == ["count"]:
        return f"\n{len(rows)} total.\n"
    if as_json:
        return _json(rows, columns)
    return _csv(rows, columns)


def _csv(rows: list[Row], columns: Sequence[str]) -> str:
    if not rows:
        return "\n0 total.\n"
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def _json(rows: list[Row], columns: Sequence[str]) -> str:
    if not rows:
        return '{"row_count": 0}\n'
    body = [{c: row.get(c, "") for c in columns} for row in rows]
    return json.dumps({"row_count": len(rows), "rows": body}, ensure_ascii=False,
                      separators=(",", ":"))
