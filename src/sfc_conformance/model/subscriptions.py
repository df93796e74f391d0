"""Calls on webhook subscriptions: subscribe (DEL-1's precondition), list and delete (optional housekeeping).

The model never judges deliveries (DEL-1's timing and DEL-4's signatures are
the scenarios'); it holds the subscriptions themselves to the profile: made
as asked, listed once until deleted, gone after.
"""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from sfc_conformance.model import allowed
from sfc_conformance.model.calls import Calls, choose, new_id, pick
from sfc_conformance.model.holdings import SUBSCRIPTIONS, Blame, Subscription
from sfc_conformance.model.judging import short

WRONG_KEY_URL_MARK: Final = "sfcSubscriber=model-without-key"  # a subscription asked for without the key


class SubscriptionCalls(Calls):
    def subscribe(self, data: st.DataObject) -> None:
        url = self.run.subscription_url(len(self.model.subscriptions) + 1)
        self.say("subscribe to connection.deleted")
        self.reached(None, "subscribe")
        answer = self.send("POST", "/webhooks", json_body={"url": url, "eventTypes": ["connection.deleted"]},
                           keep=self.made(self.made_subscriptions, url))
        self.expect(answer, allowed.SUBSCRIBE, "subscribing to connection.deleted")
        body = answer.json
        # DEL-1 is about deliveries, which the model does not see: a wrong answer here fails it, a right one
        # judges nothing of it (not counted as reached).
        if body.get("url") != url or "connection.deleted" not in (body.get("eventTypes") or []):
            self.broke("DEL-1", f"{answer.line()} answered a subscription to {body.get('eventTypes')!r} at "
                                f"{body.get('url')!r}, not the one asked for")
        self.model.subscriptions.append(Subscription(str(body["id"]), url))
        self.blame_account(SUBSCRIPTIONS, "API-4", "a subscription was made")

    def list_subscriptions(self, data: st.DataObject) -> None:
        size = int(data.draw(st.sampled_from([100, 1, 2])))
        self.say(f"list the subscriptions, {size} a page (optional call)")
        self.reached(None, "list subscriptions")
        self.read_subscriptions(size)

    def read_subscriptions(self, size: int) -> None:
        """The sequence's subscriptions, each listed once until deleted; none made without the key."""
        answer = self.send("GET", "/webhooks", params={"page": 1, "pageSize": size})
        self.expect(answer, allowed.OPTIONAL_LIST, "listing the subscriptions")
        offered = answer.ok
        if self.model.webhook_list_offered is not None and offered != self.model.webhook_list_offered:
            self.broke("API-4", f"{answer.line()} answered {answer.status}; earlier in the sequence it answered "
                                f"{'200' if self.model.webhook_list_offered else '404 or 405'}")
        self.model.webhook_list_offered = offered
        if not offered:
            return
        items = [i for i in answer.json.get("results") or [] if isinstance(i, dict)]
        if isinstance(answer.json.get("totalResults"), int):  # paged as the other lists are
            self.check_page(answer, 1, size, None)
            links = answer.json.get("_links")
            if isinstance(links, dict) and links.get("next"):
                items = self.walk("/webhooks", size, "listing the subscriptions")
        blame = self.model.blamed(SUBSCRIPTIONS, "API-4")
        ids = [i.get("id") for i in items]
        for subscription in self.model.subscriptions:
            count = ids.count(subscription.id)
            gone = subscription.deleted
            if gone is not None and count:
                self.broke(gone.rule, f"GET /webhooks lists subscription {short(subscription.id)}, deleted in step "
                                      f"{gone.step}")
            if gone is None and count != 1:
                self.broke(blame.rule, f"GET /webhooks lists subscription {short(subscription.id)} {count} times, "
                                       f"not once (step {blame.step}: {blame.what})")
        mark = self.run.run_id.value
        self.judged("KEY-1")
        stray = [i for i in items if WRONG_KEY_URL_MARK in str(i.get("url")) and mark in str(i.get("url"))]
        if stray:
            self.broke("KEY-1", f"GET /webhooks lists a subscription asked for without the key ({stray[0].get('id')})")

    def unsubscribe(self, data: st.DataObject, ours: bool = False) -> None:
        """Delete a subscription of the sequence (one still there, with ``ours``), or one that is not there."""
        kind = "ours" if ours else choose(data, ["ours", "unknown"])
        candidates = [s for s in self.model.subscriptions if s.deleted is None] if ours else self.model.subscriptions
        subscription: Subscription | None = pick(data, candidates) if kind == "ours" else None
        ident = subscription.id if subscription else new_id(data)
        gone = subscription is None or subscription.deleted is not None
        self.say(f"delete subscription {short(ident)}" + (", which does not exist" if subscription is None else
                                                          ", deleted already" if gone else " (optional call)"))
        self.reached(None, "delete subscription")
        answer = self.send("DELETE", f"/webhooks/{ident}")
        if subscription is None or subscription.deleted is not None:
            self.expect(answer, allowed.unsaid("API-4", "deleting what is not there"), "deleting no subscription")
            return
        self.expect(answer, allowed.OPTIONAL_DELETE, "deleting a subscription")
        if answer.ok:
            subscription.deleted = Blame("API-4", self.step, f"subscription {short(ident)} was deleted")
            self.blame_account(SUBSCRIPTIONS, "API-4", f"subscription {short(ident)} was deleted")
        self.model.webhook_delete_offered = answer.ok
