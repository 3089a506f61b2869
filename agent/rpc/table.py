"""The method table: service and method names → (schema, handler), built from declarations.

Services are declared once with their aliases (``ApierV1`` = ``APIerSv1``) and, for v2
services, the v1 service they embed: every v1 method is reachable under the v2 name unless
v2 declares its own. Lookups follow Go net/rpc's rules and texts: the name is split at the
last dot; an unknown service answers ``rpc: can't find service X.Y``, an unknown method of
a known service ``rpc: can't find method X.Y``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import ill_formed, method_not_found, service_not_found
from .schema import Scalar, Struct, Type

#: A handler gets the call context (engine, store, ...) and the validated arguments.
Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Method:
    """One API method.

    schema: how the argument is validated (a Struct, a Scalar, or a Type for pass-through).
    handler: handler(ctx, args) -> result; raises errors whose text is the reply.
    wrap_errors: CGRateS's APIErrorHandler: a domain error other than NOT_FOUND is
        answered as ``SERVER_ERROR: <text>`` (most APIerSv1 methods); Responder methods
        answer the bare text.
    needs: what the handler uses ("engine", "store", "sessions", ""), for documentation
        and for the list of methods still waiting to be wired.
    """

    name: str
    schema: Type
    handler: Handler
    wrap_errors: bool = True
    needs: str = ""

    def validate(self, params: Any) -> Any:
        """Convert and check the argument; raise InvalidParams."""
        args = self.schema.convert(params, "")
        if isinstance(self.schema, Struct | Scalar):
            self.schema.check(args)
        return args


@dataclass
class Service:
    """A named group of methods (a Go receiver registered with net/rpc)."""

    name: str
    aliases: tuple[str, ...] = ()
    embeds: Service | None = None
    methods: dict[str, Method] = field(default_factory=dict)

    def add(self, method: Method) -> None:
        if method.name in self.methods:
            raise ValueError(f"{self.name}.{method.name} declared twice")
        self.methods[method.name] = method

    def find(self, name: str) -> Method | None:
        method = self.methods.get(name)
        if method is None and self.embeds is not None:
            return self.embeds.find(name)
        return method

    def all_methods(self) -> dict[str, Method]:
        inherited = self.embeds.all_methods() if self.embeds else {}
        return {**inherited, **self.methods}


class MethodTable:
    """Every service by every name it answers to."""

    def __init__(self, services: Iterable[Service]) -> None:
        self._services: dict[str, Service] = {}
        for service in services:
            for name in (service.name, *service.aliases):
                if name in self._services:
                    raise ValueError(f"service name {name} used twice")
                self._services[name] = service

    def resolve(self, full_name: str) -> Method:
        """The method for ``Service.Method``; raise MethodNotFound with Go's text."""
        dot = full_name.rfind(".")
        if dot < 0:
            raise ill_formed(full_name)
        service = self._services.get(full_name[:dot])
        if service is None:
            raise service_not_found(full_name)
        method = service.find(full_name[dot + 1:])
        if method is None:
            raise method_not_found(full_name)
        return method

    def names(self) -> list[str]:
        """Every callable ``Service.Method`` name, aliases included, sorted."""
        return sorted(f"{alias}.{m}" for alias, service in self._services.items()
                      for m in service.all_methods())

    def canonical_names(self) -> list[str]:
        """``Service.Method`` under each service's own name only."""
        services = {id(s): s for s in self._services.values()}.values()
        return sorted(f"{s.name}.{m}" for s in services for m in s.all_methods())

    def services(self) -> list[Service]:
        return list({id(s): s for s in self._services.values()}.values())
