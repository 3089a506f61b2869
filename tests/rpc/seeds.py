"""The JSON documents of the seed files (tests/fixtures/seeds), in the order they appear."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def json_samples(prefix: str) -> list[dict[str, Any]]:
    """Every JSON object written on lines of its own in a seed document."""
    text = seed_path(prefix).read_text(encoding="utf-8")
    decoder = json.JSONDecoder(parse_float=Decimal)
    samples, pos = [], 0
    for match in re.finditer(r"(?m)^[ \t]*\{", text):
        if match.start() < pos:
            continue
        try:
            doc, end = decoder.raw_decode(text, match.end() - 1)
        except ValueError:
            continue  # Python code in a blog post, not JSON
        samples.append(doc)
        pos = end
    return samples


def exchanges(prefix: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(request, documented reply) pairs: each request followed by the reply of its id."""
    samples = json_samples(prefix)
    pairs = []
    for index, doc in enumerate(samples):
        if "method" in doc:
            reply = next((d for d in samples[index + 1 :] if "method" not in d), None)
            if reply is not None:
                pairs.append((doc, reply))
    return pairs
