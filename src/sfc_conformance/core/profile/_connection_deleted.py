"""DEL-1's judgement: whether a severed connection was announced to every subscription, once, in time.

    problems = announcement_problems(severed, receiver.seen(), run_id=str(run_id), subscriptions=names, within=10)

Only deliveries to the run's own subscriptions count (their URLs carry the
run's id and a subscriber's name, RUN-1): a ``connection.deleted`` event whose
``payload.connection.id`` is the severed connection.  Every delivery counts,
signed or not: signatures are DEL-4's question alone, so a SHOULD-level
defect never fails the MUST rule.  One deletion is one event (one event
``id``); the same event delivered again is a retry, and allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sfc_conformance.core.account import RUN_QUERY, Delivery


@dataclass(frozen=True)
class SeveredConnection:
    """A connection the merchant severed, and the run's subscriptions that must hear of it."""

    company_id: str
    connection_id: str
    at: datetime  # when the target answered the DELETE, on the run's clock
    subscribers: tuple[str, ...]


def announcing(severed: SeveredConnection, deliveries: list[Delivery], *, run_id: str,
               subscriptions: Collection[str]) -> list[Delivery]:
    """The deliveries to the run's own subscriptions (``subscriptions``, by name) that announce ``severed``."""

    def announces(delivery: Delivery) -> bool:
        body = delivery.body if isinstance(delivery.body, dict) else {}
        connection = (body.get("payload") or {}).get("connection") or {}
        return (delivery.param(RUN_QUERY) == run_id and delivery.subscriber in subscriptions
                and body.get("eventType") == "connection.deleted" and connection.get("id") == severed.connection_id)

    return [d for d in deliveries if announces(d)]


def heard_by_all(severed: SeveredConnection, *, run_id: str,
                 subscriptions: Collection[str]) -> Callable[[list[Delivery]], bool]:
    """Whether every subscription that must hear of ``severed`` has heard of it: what a wait for it waits for."""
    return lambda seen: ({d.subscriber for d in announcing(severed, seen, run_id=run_id, subscriptions=subscriptions)}
                         >= set(severed.subscribers))


def announcement_problems(severed: SeveredConnection, deliveries: list[Delivery], *, run_id: str,
                          subscriptions: Collection[str], within: float) -> list[str]:
    """DEL-1: how the announcement of ``severed`` breaks the rule; [] when every subscription that must hear of it
    heard it within ``within`` seconds of the deletion, as one event naming its company."""
    announced = announcing(severed, deliveries, run_id=run_id, subscriptions=subscriptions)
    deadline = severed.at + timedelta(seconds=within)
    in_time = {d.subscriber for d in announced if d.received_at <= deadline}
    short = f"connection {severed.connection_id[:8]}…"
    problems = [f"subscription {s} heard nothing of the deletion of {short} within {within:g} s "
                f"({len(announced)} deliveries of it reached the run's subscriptions in all)"
                for s in severed.subscribers if s not in in_time]
    events = sorted({str(d.event_id) for d in announced})
    if len(events) > 1:
        problems.append(f"the deletion of {short} was announced as {len(events)} events ({', '.join(events)}); "
                        "one deletion is one event, and a retry repeats its id")
    companies = sorted({str(((d.body.get("payload") or {}).get("referenceCompany") or {}).get("id"))
                        for d in announced})
    if any(company != severed.company_id for company in companies):
        problems.append(f"the event names company {', '.join(companies)}, not {severed.company_id}")
    return problems
