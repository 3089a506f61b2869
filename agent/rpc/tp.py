"""Tariff-plan staging (CGRateS's StorDB): TP documents kept in the store, per TPid.

Documents of one object kind live in the store kind ``tp:<TPid>:<Kind>`` under their id;
an index kind ``tpindex`` holds one entry ``<TPid>:<Kind>`` per non-empty kind, so
GetTPIds and RemTP never scan. Nothing here needs the engine:
LoadTariffPlanFromStorDb hands a TPid to the engine, which reads these documents.

Two dialects (docs/api.md, "TP staging"): a v0.10 request (``ID``) replaces an existing
document, as v0.10's StorDB does; a request in the 2013 dialect of the seed documents
(``ActionTriggersId``, ``DestinationId``, ...) answers ``DUPLICATE`` when the TPid/id pair
is already staged, as that API did, and replies in its field names.
"""

from __future__ import annotations

from typing import Any

from .context import CallContext
from .errors import DUPLICATE, NOT_FOUND, InvalidParams, RpcError
from .schema import STR, Args, Struct, fields, struct
from .schemas_tp import IDS_SCHEMA, OLD_TRIGGER_MANDATORY, TP_OBJECTS, TPID_SCHEMA, TpObject
from .table import Handler, Method

INDEX_KIND = "tpindex"


def tp_kind(tpid: str, obj: TpObject) -> str:
    return f"tp:{tpid}:{obj.kind}"


def paginate(ids: list[str], limit: int | None, offset: int | None) -> list[str]:
    """CGRateS's Paginator: Offset items skipped, then at most Limit (0/absent = all)."""
    start = offset if offset and offset > 0 else 0
    if limit and limit > 0:
        return ids[start:start + limit]
    return ids[start:]


def _check_old_triggers(args: Args) -> None:
    """The 2013 dialect requires these of every trigger (MANDATORY_IE_MISSING:ActionTrigger:n)."""
    for index, trigger in enumerate(args.get("ActionTriggers") or []):
        missing = [name for name in OLD_TRIGGER_MANDATORY
                   if trigger is None or _field_missing(trigger, name)]
        if missing:
            raise InvalidParams(
                f"MANDATORY_IE_MISSING:ActionTrigger:{index}:[{' '.join(missing)}]")


def _field_missing(trigger: Args, name: str) -> bool:
    return trigger.get(name) in (None, "")


class TpHandlers:
    """The Set/Get/GetIds/Remove handlers of one TP object."""

    def __init__(self, obj: TpObject) -> None:
        self.obj = obj
        self.schema = obj.set_schema

    def set(self, ctx: CallContext, args: Args) -> str:
        tpid, doc_id = args["TPid"], self.obj.doc_id(args)
        kind = tp_kind(tpid, self.obj)
        if args.legacy:
            if self.obj.kind == "ActionTriggers":
                _check_old_triggers(args)
            if ctx.store.get(kind, doc_id) is not None:
                raise RpcError(DUPLICATE)
        ctx.store.put(kind, doc_id, self.schema.to_doc(args))
        ctx.store.put(INDEX_KIND, f"{tpid}:{self.obj.kind}", {"TPid": tpid, "Kind": self.obj.kind})
        return "OK"

    def get(self, ctx: CallContext, args: Args) -> dict[str, Any]:
        id_name = self.obj.get_id_field or self.obj.id_field
        doc = ctx.store.get(tp_kind(args["TPid"], self.obj), args[id_name])
        if doc is None:
            raise RpcError(NOT_FOUND)
        if not args.legacy:
            rendered: dict[str, Any] = self.schema.render(doc)
            return rendered
        return self._legacy_render(doc)

    def _legacy_render(self, doc: dict[str, Any]) -> dict[str, Any]:
        rendered: dict[str, Any] = self.schema.render(doc, legacy=True)
        rendered[self.obj.old_id] = rendered.pop(self.obj.id_field)
        view = self.obj.legacy_view
        if view is not None:
            for name, value in rendered.items():
                if isinstance(value, list):
                    rendered[name] = [view(item) for item in value]
        return rendered

    def ids(self, ctx: CallContext, args: Args) -> list[str]:
        ids = ctx.store.list_ids(tp_kind(args["TPid"], self.obj))
        if args["SearchTerm"]:
            ids = [i for i in ids if args["SearchTerm"] in i]
        ids = paginate(ids, args["Limit"], args["Offset"])
        if not ids:
            raise RpcError(NOT_FOUND)
        return ids

    def remove(self, ctx: CallContext, args: Args) -> str:
        id_name = self.obj.get_id_field or self.obj.id_field
        kind = tp_kind(args["TPid"], self.obj)
        ctx.store.delete(kind, args[id_name])
        if not ctx.store.list_ids(kind):
            ctx.store.delete(INDEX_KIND, f"{args['TPid']}:{self.obj.kind}")
        return "OK"

    def by_load_id(self, ctx: CallContext, args: Args) -> list[dict[str, Any]]:
        """GetTPRatingProfilesByLoadID / GetTPAccountActionsByLoadId: filter on given fields."""
        docs = self._all_docs(ctx, args["TPid"])
        wanted = {k: v for k, v in args.items() if k != "TPid" and v}
        found = [self.schema.render(d) for d in docs
                 if all(d.get(k) == v for k, v in wanted.items())]
        if not found:
            raise RpcError(NOT_FOUND)
        return found

    def load_ids(self, ctx: CallContext, args: Args) -> list[str]:
        """GetTPRatingProfileLoadIds / GetTPAccountActionLoadIds: distinct LoadIds."""
        docs = self._all_docs(ctx, args["TPid"])
        wanted = {k: v for k, v in args.items() if k not in ("TPid", "Limit", "Offset") and v}
        ids = sorted({d["LoadId"] for d in docs if all(d.get(k) == v for k, v in wanted.items())})
        ids = paginate(ids, args.get("Limit"), args.get("Offset"))
        if not ids:
            raise RpcError(NOT_FOUND)
        return ids

    def _all_docs(self, ctx: CallContext, tpid: str) -> list[dict[str, Any]]:
        kind = tp_kind(tpid, self.obj)
        return list(ctx.store.get_many(kind, ctx.store.list_ids(kind)).values())


def get_tp_ids(ctx: CallContext, args: Any) -> list[str]:
    """GetTPIds: every TPid with staged documents; NOT_FOUND when there are none."""
    tpids = sorted({entry.rsplit(":", 1)[0] for entry in ctx.store.list_ids(INDEX_KIND)})
    if not tpids:
        raise RpcError(NOT_FOUND)
    return tpids


def remove_tp(ctx: CallContext, args: Args) -> str:
    """RemTP: drop every staged document of one TPid."""
    tpid = args["TPid"]
    for entry in ctx.store.list_ids(INDEX_KIND, prefix=f"{tpid}:"):
        owner, kind = entry.rsplit(":", 1)
        if owner != tpid:
            continue
        ctx.store.put_many(f"tp:{tpid}:{kind}", {}, replace_all=True)
        ctx.store.delete(INDEX_KIND, entry)
    return "OK"


_LOAD_FILTERS: dict[str, Struct] = {
    "RatingProfiles": struct(*fields("TPid LoadId Tenant Category Subject", STR),
                             mandatory=("TPid", "LoadId")),
    "AccountActions": struct(*fields("TPid LoadId Tenant Account", STR),
                             mandatory=("TPid", "LoadId")),
}
_LOAD_ID_FILTERS: dict[str, Struct] = {
    "RatingProfiles": struct(*fields("TPid Tenant Category Subject", STR), mandatory=("TPid",)),
    "AccountActions": IDS_SCHEMA,
}
_LOAD_NAMES = {
    "RatingProfiles": ("GetTPRatingProfilesByLoadID", "GetTPRatingProfileLoadIds"),
    "AccountActions": ("GetTPAccountActionsByLoadId", "GetTPAccountActionLoadIds"),
}


def tp_methods() -> list[Method]:
    """Every TP staging method of APIerSv1 (generated from TP_OBJECTS)."""
    methods: list[Method] = []
    for obj in TP_OBJECTS:
        handlers = TpHandlers(obj)
        names: list[tuple[str, Struct, Handler]] = [
            (f"SetTP{obj.singular}", obj.set_schema, handlers.set),
            (f"GetTP{obj.singular}", obj.get_schema, handlers.get),
            (obj.ids_method, IDS_SCHEMA, handlers.ids),
            (f"RemoveTP{obj.singular}", obj.get_schema, handlers.remove),
            (f"RemTP{obj.singular}", obj.get_schema, handlers.remove),  # v0.9 name
            *((name, IDS_SCHEMA, handlers.ids) for name in obj.extra_names),
        ]
        if obj.kind in _LOAD_NAMES:
            by_load, load_ids = _LOAD_NAMES[obj.kind]
            names.append((by_load, _LOAD_FILTERS[obj.kind], handlers.by_load_id))
            names.append((load_ids, _LOAD_ID_FILTERS[obj.kind], handlers.load_ids))
        methods += [Method(name, schema, handler, needs="store") for name, schema, handler in names]
    methods.append(Method("GetTPIds", struct(), get_tp_ids, needs="store"))
    methods.append(Method("RemTP", TPID_SCHEMA, remove_tp, needs="store"))
    return methods

