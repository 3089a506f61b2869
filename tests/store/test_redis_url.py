"""Redis store URLs: every deployment form, and clear errors for bad ones."""

from __future__ import annotations

import pytest

from rating.store import StoreError
from rating.store.redis_url import parse_redis_url

CASES = [
    ("redis://127.0.0.1:6400/2", "standalone", (("127.0.0.1", 6400),), 2, "", None, None),
    ("redis://localhost", "standalone", (("localhost", 6379),), 0, "", None, None),
    ("redis://:s3cret@h:1/0", "standalone", (("h", 1),), 0, "", None, "s3cret"),
    ("redis://user:p%40ss@h:1", "standalone", (("h", 1),), 0, "", "user", "p@ss"),
    ("redis://[::1]:7000/1", "standalone", (("::1", 7000),), 1, "", None, None),
    ("rediss://h:6380/0", "standalone", (("h", 6380),), 0, "", None, None),
    ("redis+sentinel://a:26379,b:26380/mymaster/3", "sentinel",
     (("a", 26379), ("b", 26380)), 3, "mymaster", None, None),
    ("redis+sentinel://:pw@a:26379/mymaster", "sentinel", (("a", 26379),), 0, "mymaster",
     None, "pw"),
    ("redis+cluster://a:7000,b:7001,c:7002", "cluster",
     (("a", 7000), ("b", 7001), ("c", 7002)), 0, "", None, None),
    ("redis+cluster://a:7000/0", "cluster", (("a", 7000),), 0, "", None, None),
]


@pytest.mark.parametrize(("url", "mode", "hosts", "db", "service", "user", "password"), CASES)
def test_urls_name_their_deployment(url: str, mode: str, hosts: tuple[tuple[str, int], ...],
                                    db: int, service: str, user: str | None,
                                    password: str | None) -> None:
    target = parse_redis_url(url)

    assert (target.mode, target.hosts, target.db, target.service) == (mode, hosts, db, service)
    assert (target.username, target.password) == (user, password)
    assert target.tls == url.startswith("rediss")


def test_options_are_parsed_and_defaults_apply() -> None:
    target = parse_redis_url("redis+cluster://a:1?socket_timeout=0.5&prefix=cm2&ssl=true"
                             "&max_conflicts=3&ssl_cert_reqs=none")

    assert target.option("socket_timeout") == 0.5
    assert target.option("prefix") == "cm2"
    assert target.option("max_conflicts") == 3
    assert target.tls
    assert target.option("retries") == 2  # default


def test_describe_never_shows_the_password() -> None:
    text = parse_redis_url("redis://user:topsecret@h:1/0").describe()

    assert "topsecret" not in text and "h:1" in text


@pytest.mark.parametrize(("url", "reason"), [
    ("http://h:1", "scheme"),
    ("redis://a:1,b:2", "one host"),
    ("redis://h:99999", "out of range"),
    ("redis://h:1/x", "not a number"),
    ("redis://h:1/0/1", "redis://host:port/DB"),
    ("redis+sentinel://a:1", "SERVICE"),
    ("redis+cluster://a:1/3", "only database 0"),
    ("redis://h:1?nope=1", "unknown option"),
    ("redis://h:1?socket_timeout=soon", "socket_timeout"),
    ("redis://h:1?prefix=a{b}", "prefix"),
    ("redis://h:1?max_connections=0", "too small"),
    ("redis://h:1?txn_memory_hours=12", "at least 24"),
    ("redis://h:1?ssl=maybe", "ssl"),
    ("redis://:pw@bad host:1", "host:port"),
])
def test_bad_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(StoreError, match=reason) as err:
        parse_redis_url(url)

    assert "pw@" not in str(err.value)
