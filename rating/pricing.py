"""Pricing a stretch of a call: split into time spans, round to increments, cost them.

SPEC.md B.3/B.4. The call offset of an instant t is ``duration_index - (end - t)``: it keeps
counting from the start of the whole call when only a later part is rated (debit loops,
the rest after unit balances), which is what GroupIntervalStart is measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal

from . import money
from .errors import UnauthorizedDestination
from .lookup import RatingInfo, RatingQuery, find_rating_infos
from .spans import Increment, TimeSpan
from .tariffs import RateInterval, RateSlot, Tariffs
from .timeutil import LocalDay, local_day

VOICE = "*voice"


@dataclass(slots=True)
class Stretch:
    """A part of a call to price: [start, end) with the call duration so far at `end`."""

    tenant: str
    category: str
    subject: str
    destination: str
    start: int
    end: int
    duration_index: int
    tor: str
    tz: tzinfo

    def offset(self, t: int) -> int:
        """Call offset (ns since the call started) of instant t."""
        return self.duration_index - (self.end - t)


def rating_infos(tariffs: Tariffs, stretch: Stretch) -> list[RatingInfo]:
    """The rating infos of the stretch's subject (CGRateS errors on failure)."""
    query = RatingQuery(stretch.tenant, stretch.category, stretch.destination, stretch.start,
                        stretch.end, stretch.tz)
    return find_rating_infos(tariffs, query, stretch.subject)


def price(tariffs: Tariffs, stretch: Stretch, decimals: int) -> list[TimeSpan]:
    """Priced time spans covering the stretch (the last one may end later: whole increments)."""
    infos = rating_infos(tariffs, stretch)
    spans = split(stretch, infos)
    round_to_increments(stretch, spans)
    for span in spans:
        cost_span(span, decimals)
    return spans


def split(stretch: Stretch, infos: list[RatingInfo]) -> list[TimeSpan]:
    """Split at activation times, midnights, timing changes and GroupIntervalStarts."""
    voice = stretch.tor == VOICE
    spans: list[TimeSpan] = []
    if not voice:
        _walk(stretch, stretch.start, stretch.end, infos[0], spans, voice)
        return spans
    for index, info in enumerate(infos):
        seg_start = stretch.start if index == 0 else max(info.activation_ns, stretch.start)
        seg_end = infos[index + 1].activation_ns if index + 1 < len(infos) else stretch.end
        seg_end = min(seg_end, stretch.end)
        if seg_start < seg_end:
            _walk(stretch, seg_start, seg_end, info, spans, voice)
    return spans


def _walk(stretch: Stretch, t: int, seg_end: int, info: RatingInfo, out: list[TimeSpan],
          voice: bool) -> None:
    intervals = info.intervals or ()
    while t < seg_end:
        day = local_day(t, stretch.tz)
        best = _best_interval(intervals, day)
        if best is None:
            raise UnauthorizedDestination("no rate interval active at a point of the call")
        nb = seg_end
        if voice:
            nb = min(nb, _window_end(best, intervals, day))
        nb = _gis_boundary(stretch, best, t, nb)
        out.append(TimeSpan(t, nb, stretch.offset(nb), best, [], money.ZERO, None,
                            info.matched_subject, info.matched_prefix, info.matched_dest_id,
                            info.rating_plan_id))
        t = nb


def _best_interval(intervals: tuple[RateInterval, ...], day: LocalDay) -> RateInterval | None:
    """Highest weight active now; among equals the one that started latest today."""
    best: RateInterval | None = None
    for iv in intervals:  # weight descending
        if best is not None and iv.weight < best.weight:
            break
        timing = iv.timing
        if timing is not None and not timing.active_at(day):
            continue
        if best is None or (timing is not None and best.timing is not None
                            and timing.start_ns > best.timing.start_ns):
            best = iv
    return best


def _window_end(best: RateInterval, intervals: tuple[RateInterval, ...], day: LocalDay) -> int:
    """When `best` stops applying today: its window end, midnight, or a later takeover."""
    timing = best.timing
    end = day.next_day_ns
    if timing is not None:
        end = min(end, day.day_start_ns + timing.end_ns)
    for iv in intervals:
        if iv.weight < best.weight:
            break
        other = iv.timing
        if iv is best or other is None or other.start_ns <= day.ns_of_day:
            continue
        if other.on_day(day):
            end = min(end, day.day_start_ns + other.start_ns)
    return end


def _gis_boundary(stretch: Stretch, best: RateInterval, t: int, nb: int) -> int:
    start_off = stretch.offset(t)
    end_off = stretch.offset(nb)
    for slot in best.rating.slots:
        gis = slot.group_interval_start
        if start_off < gis < end_off:
            return t + (gis - start_off)
    return nb


def round_to_increments(stretch: Stretch, spans: list[TimeSpan]) -> None:
    """Stretch each span to a whole number of its increments, trimming what follows."""
    i = 0
    while i < len(spans):
        span = spans[i]
        if span.rate_interval is not None:
            inc = span.rate_interval.rating.slot_at(span.group_start).rate_increment
            dur = span.end - span.start
            if dur % inc:
                span.end = span.start + (dur // inc + 1) * inc
                span.duration_index = stretch.offset(span.end)
                _drop_overlapped(spans, i)
        i += 1


def _drop_overlapped(spans: list[TimeSpan], index: int) -> None:
    end = spans[index].end
    j = index + 1
    while j < len(spans) and spans[j].end <= end:
        del spans[j]
    if j < len(spans) and spans[j].start < end:
        spans[j].start = end


def cost_span(span: TimeSpan, decimals: int) -> None:
    """Increments and cost of one span (B.4): per-increment cost rounded before multiplying.

    The result depends only on the rate row, the span's length and the decimals, so it is
    memoised on the rating (bounded), which makes repeated call lengths cheap.
    """
    ri = span.rate_interval
    if ri is None:
        return
    dur = span.end - span.start
    rating = ri.rating
    slot = rating.slot_at(max(0, span.duration_index - dur))
    key = (slot.group_interval_start, dur, decimals)
    found = rating.costs.get(key)
    if found is None:
        found = _increment_cost(slot, dur, decimals)
        if len(rating.costs) >= 20_000:
            rating.costs.clear()
        rating.costs[key] = found
    inc_cost, count = found
    span.increments = [Increment(slot.rate_increment, inc_cost, count)]
    span.cost = inc_cost * count


def _increment_cost(slot: RateSlot, dur: int, decimals: int) -> tuple[Decimal, int]:
    ctx = money.CONTEXT
    span_cost = money.round_middle(
        ctx.divide(ctx.multiply(Decimal(dur), slot.value), slot.unit_decimal), decimals)
    count = dur // slot.rate_increment
    if count == 1:
        return span_cost, 1
    return money.round_middle(ctx.divide(span_cost, Decimal(count)), decimals), count
