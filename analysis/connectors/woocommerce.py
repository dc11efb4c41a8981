"""WooCommerce REST orders (wc/v3), modified since a cursor, as canonical orders rows (the orders ingest hashes them)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

import httpx

from analysis.connectors.http import Client, ConnectorError, Retry, said

PATH = "/wp-json/wc/v3/orders"
KEYS = ("Create a key with Read permission (WooCommerce → Settings → Advanced → REST API) and set WOOCOMMERCE_KEY "
        "and WOOCOMMERCE_SECRET")
# WooCommerce's order statuses → the canonical ones (a custom status falls to the ingest default, paid).
STATUSES = {"completed": "paid", "processing": "paid", "on-hold": "pending", "pending": "pending",
            "checkout-draft": "pending", "cancelled": "cancelled", "trash": "cancelled", "refunded": "refunded",
            "failed": "voided"}
# created_via: the storefront's checkouts are web; admin, rest-api or a POS plugin keep their name.
CHANNELS = {"checkout": "web", "store-api": "web"}


def inspect(resp: httpx.Response, data: Any) -> Retry | None:
    """WordPress's error envelope {"code", "message", "data": {"status"}}: keys, routes, parameters."""
    code = data.get("code") if isinstance(data, dict) else None
    if resp.status_code in (401, 403):
        raise ConnectorError(f"WooCommerce refused the API key (HTTP {resp.status_code}{f', {code}' if code else ''}"
                             f"{said(data)}). {KEYS}; if they are right, the web server may drop the Authorization "
                             "header: set auth = \"query\" under [woocommerce] in capi-audit.toml.")
    if resp.status_code == 404:
        raise ConnectorError(f"No WooCommerce REST API at {resp.request.url.path} (HTTP 404{said(data)}): check "
                             "[woocommerce] url (the shop's address) and that WordPress permalinks are not “Plain”.")
    if resp.status_code == 400:
        raise ConnectorError(f"WooCommerce rejected the orders request (HTTP 400{said(data)}); it needs "
                             "WooCommerce 5.8 or later for modified_after.")
    return None


def _gmt(value: Any) -> str:
    # WooCommerce's *_gmt fields carry no offset; they are UTC.
    text = str(value or "").strip()
    return text + "Z" if text and not text.endswith("Z") and "+" not in text[10:] else text


def row(order: dict[str, Any]) -> dict[str, str]:
    """One REST order as a canonical orders row; order_id is the post id, alt_id the displayed number."""
    bill = order.get("billing") or {}
    oid, number = str(order.get("id") or ""), str(order.get("number") or "")
    customer = order.get("customer_id")
    via = str(order.get("created_via") or "").strip().lower()
    values = {
        "order_id": oid, "alt_id": number if number and number != oid else "",
        "created_at": _gmt(order.get("date_created_gmt")), "updated_at": _gmt(order.get("date_modified_gmt")),
        "total": order.get("total"), "currency": order.get("currency"),
        "status": STATUSES.get(str(order.get("status") or ""), ""), "email": bill.get("email"),
        "phone": bill.get("phone"), "first_name": bill.get("first_name"), "last_name": bill.get("last_name"),
        "city": bill.get("city"), "state": bill.get("state"), "zip": bill.get("postcode"),
        "country": bill.get("country"), "customer_id": customer if customer not in (0, "0", None) else "",
        "channel": CHANNELS.get(via, via), "test": "false",
    }
    return {k: "" if v is None else str(v) for k, v in values.items()}


class WooCommerce:
    """One shop's WooCommerce REST API, with a consumer key and secret."""

    def __init__(self, url: str, key: str, secret: str, *, auth: str = "basic", page_size: int = 100,
                 **client: Any) -> None:
        if auth not in ("basic", "query"):
            raise ConnectorError(f"[woocommerce] auth is {auth!r}; use \"basic\" (the default) or \"query\".")
        # Basic auth over HTTPS is WooCommerce's documented way; "query" is for servers that drop the
        # Authorization header (its secret then sits in the URL, which the client redacts from every text).
        self.page_size = page_size
        self.client = Client(url, name="WooCommerce", setting="[woocommerce] url (or WOOCOMMERCE_URL)",
                             auth=(key, secret) if auth == "basic" else None,
                             params={"consumer_key": key, "consumer_secret": secret} if auth == "query" else None,
                             secrets=(key, secret), inspect=inspect, **client)

    def close(self) -> None:
        self.client.close()

    def orders(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of orders modified after `since` (None: all), by id so an edit mid-sync moves nothing."""
        params: dict[str, Any] = {"per_page": self.page_size, "orderby": "id", "order": "asc", "status": "any",
                                  "dates_are_gmt": "true"}
        if since is not None:
            params["modified_after"] = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        page = 1
        while True:
            answer = self.client.get(PATH, {**params, "page": page})
            body = self.client.json(answer)
            if not isinstance(body, list):
                raise ConnectorError(f"WooCommerce's answer to {PATH} is not a list of orders; check [woocommerce] url.")
            yield [o for o in body if isinstance(o, dict)]
            try:
                pages = int(answer.response.headers["x-wp-totalpages"])
            except (KeyError, ValueError):
                pages = page + 1 if len(body) >= self.page_size else page   # no header: a short page is the last
            if page >= pages:
                return
            page += 1
