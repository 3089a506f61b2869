"""callmeter's rating engine: pure pricing and charging logic plus its store.

No sockets, no gevent, no YAML here (rating/store/redis.py is the one module that talks
to a server). Money is decimal.Decimal, durations are integer nanoseconds.
"""
