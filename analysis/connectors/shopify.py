"""Shopify Admin GraphQL orders, updated since a cursor, as canonical orders rows (the orders ingest hashes them)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

import httpx

from analysis.connectors.http import Client, ConnectorError, Retry, said

SCOPES = ("Give the custom app's Admin API token the read_orders scope (read_all_orders for orders older than "
          "60 days, and protected customer data access for email, phone and address), then set SHOPIFY_ACCESS_TOKEN.")
QUERY = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      legacyResourceId name createdAt updatedAt cancelledAt test sourceName displayFinancialStatus email phone
      totalPriceSet { presentmentMoney { amount currencyCode } }
      customer { legacyResourceId }
      billingAddress { firstName lastName city provinceCode zip countryCodeV2 phone }
    }
  }
}
"""
# displayFinancialStatus → the canonical status; an expired authorisation was never captured.
FINANCIAL = {"PAID": "paid", "AUTHORIZED": "authorized", "PARTIALLY_PAID": "partially_paid", "PENDING": "pending",
             "REFUNDED": "refunded", "PARTIALLY_REFUNDED": "partially_refunded", "VOIDED": "voided",
             "EXPIRED": "voided"}
# sourceName as Shopify's export reads it (the orders ingest's Shopify layout): the online store is web.
CHANNELS = {"web": "web", "shopify": "web", "shopify_draft_order": "draft", "pos": "pos"}


def shop_domain(shop: str) -> str:
    """"my-store", "my-store.myshopify.com" or its https:// URL → "my-store.myshopify.com"."""
    host = shop.strip().removeprefix("https://").removeprefix("http://").split("/")[0]
    return host if "." in host else f"{host}.myshopify.com"


def _wait_for(cost: Any) -> float | None:
    """Seconds until the bucket holds the requested cost again (restoreRate points per second); None: unknown."""
    status = cost.get("throttleStatus") if isinstance(cost, dict) else None
    try:
        need = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(need / rate, 0.0) if rate > 0 else None


def inspect(resp: httpx.Response, data: Any) -> Retry | None:
    """Shopify's answers: THROTTLED in a 200 body (cost-based), scopes, unknown shop; 429 is generic."""
    path = resp.request.url.path
    if resp.status_code == 401:
        raise ConnectorError(f"Shopify refused the access token (HTTP 401{said(data)}). {SCOPES}")
    if resp.status_code == 403:
        raise ConnectorError(f"Shopify says the token may not read orders (HTTP 403{said(data)}). {SCOPES}")
    if resp.status_code == 404:
        raise ConnectorError(f"No Shopify Admin API at {path} (HTTP 404): check [shopify] shop "
                             "(your-store.myshopify.com) and api_version in capi-audit.toml.")
    if resp.status_code in (402, 423):
        raise ConnectorError(f"Shopify says the shop is {'frozen (unpaid bill)' if resp.status_code == 402 else 'locked'} "
                             f"(HTTP {resp.status_code}); its API answers again once the shop is reopened.")
    errors = data.get("errors") if isinstance(data, dict) else None
    if resp.status_code >= 400 or not errors:
        return None
    codes = {((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)} if isinstance(errors, list) else set()
    if "THROTTLED" in codes:
        wait = _wait_for((data.get("extensions") or {}).get("cost"))
        # At least a second: a bucket that looks full yet throttled must not be hammered.
        return Retry("is throttling this app (query cost above the points available)",
                     None if wait is None else max(wait, 1.0))
    if "ACCESS_DENIED" in codes:
        raise ConnectorError(f"Shopify denied access to orders{said(data)}. {SCOPES}")
    raise ConnectorError(f"Shopify refused the orders query{said(data)}; is api_version in capi-audit.toml supported?")


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(order: dict[str, Any]) -> dict[str, str]:
    """One GraphQL Order as a canonical orders row; the order id is the Name without #, as in Shopify's export."""
    addr = order.get("billingAddress") or {}
    money = (order.get("totalPriceSet") or {}).get("presentmentMoney") or {}
    source = str(order.get("sourceName") or "").strip().lower()
    status = "cancelled" if order.get("cancelledAt") else FINANCIAL.get(str(order.get("displayFinancialStatus") or ""), "")
    values = {
        "order_id": str(order.get("name") or "").lstrip("#") or str(order.get("legacyResourceId") or ""),
        "alt_id": order.get("legacyResourceId"), "created_at": order.get("createdAt"),
        "updated_at": order.get("updatedAt"), "total": money.get("amount"), "currency": money.get("currencyCode"),
        "status": status, "email": order.get("email"), "phone": order.get("phone") or addr.get("phone"),
        "first_name": addr.get("firstName"), "last_name": addr.get("lastName"), "city": addr.get("city"),
        "state": addr.get("provinceCode"), "zip": addr.get("zip"), "country": addr.get("countryCodeV2"),
        "customer_id": (order.get("customer") or {}).get("legacyResourceId"),
        "channel": CHANNELS.get(source, source), "test": "true" if order.get("test") else "false",
    }
    return {k: "" if v is None else str(v) for k, v in values.items()}


class Shopify:
    """One shop's Admin GraphQL API."""

    def __init__(self, shop: str, token: str, *, api_version: str = "2026-10", base_url: str | None = None,
                 page_size: int = 100, **client: Any) -> None:
        self.path = f"/admin/api/{api_version.strip('/')}/graphql.json"
        self.page_size = page_size
        self.client = Client(base_url or f"https://{shop_domain(shop)}", name="Shopify",
                             setting="[shopify] shop (or SHOPIFY_API_URL)",
                             headers={"X-Shopify-Access-Token": token}, secrets=(token,), inspect=inspect, **client)

    def close(self) -> None:
        self.client.close()

    def orders(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of Order nodes updated at or after `since` (None: all the token may read)."""
        variables: dict[str, Any] = {"first": self.page_size, "after": None,
                                     "query": f"updated_at:>='{_iso(since)}'" if since else None}
        while True:
            body = self.client.json(self.client.post(self.path, {"query": QUERY, "variables": variables}))
            conn = ((body.get("data") or {}).get("orders")) if isinstance(body, dict) else None
            if not isinstance(conn, dict):
                raise ConnectorError("Shopify's answer to the orders query has no data.orders; "
                                     "is api_version in capi-audit.toml supported?")
            yield [n for n in conn.get("nodes") or [] if isinstance(n, dict)]
            page = conn.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            variables["after"] = page["endCursor"]
            # Leaky bucket: wait until the next page's cost is available rather than be throttled.
            wait = _wait_for((body.get("extensions") or {}).get("cost"))
            if wait:
                self.client.sleep(min(wait, self.client.max_wait))
