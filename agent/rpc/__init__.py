"""The JSON-RPC management API (CGRateS v0.10 dialect): codec, servers, method table.

Public entry points (see docs/api.md):
- ``wiring.make_dispatcher(config, store, engine=, sessions=)`` → Dispatcher
- ``server.RpcTcpServer(address, dispatcher, limits, access, ssl_context)`` start()/stop(timeout)
- ``http.JsonRpcHttpHandler(dispatcher, limits, access)``: the POST /jsonrpc route handler
- ``methods.build_table()``: every service and method; ``context.EngineApi``: engine calls
"""
