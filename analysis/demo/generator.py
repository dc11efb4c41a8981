"""The demo store's days: orders, the sessions behind them, and their server and browser events.

Random numbers are drawn a day at a time in numpy arrays (one row of uniforms per order, session
or event) and the JSON lines are written from templates: the event shapes are fixed and every
value is a number or a plain ASCII string without quotes, so no encoder is needed per event.
"""

from __future__ import annotations

import csv
import json
from bisect import bisect_right
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Callable

import numpy as np

from analysis.demo.catalog import (AGENTS, ALNUM, CITIES, CLICK_ID, COUNTRY_WEIGHTS, DAY, DISCOUNTS, ELIGIBLE,
                                   HOUR_WEIGHTS, KINDS, NAMES, PIXEL_ID, PRODUCTS, SHOP, SHOPIFY_COLUMNS, VAT,
                                   Person, ascii_fold)
from analysis.demo.files import compact_json, iso, shopify_time, write_deployments
from analysis.demo.meta import quality_entry, stats_page
from analysis.demo.normalization import hashed_user_data, national_digits, normalize_phone, sha256
from analysis.demo.story import BROWSER_LOSS, CONSENT_LOSS, EMQ_BASE, Timeline, timeline


def _cum(weights: list[float] | tuple[float, ...]) -> list[float]:
    """Cumulative shares ending at 1: bisect a uniform into them to draw by weight."""
    total = sum(weights)
    return [c / total for c in accumulate(weights)]


def _of(seq: str | list | tuple, u: float):  # noqa: ANN202 - an element of seq
    return seq[int(u * len(seq))]


_COUNTRIES = [c for c, _ in COUNTRY_WEIGHTS]
_COUNTRY_CUM = _cum([w for _, w in COUNTRY_WEIGHTS])
_AGENT_CUM = _cum([w for _, _, w in AGENTS])
_HOUR_CUM = _cum(HOUR_WEIGHTS)
_ITEMS_CUM = _cum((60, 25, 10, 5))  # line items in an order: 1-4
_QTY_CUM = _cum((85, 12, 3))  # quantity of a line item: 1-3
_VIEWS = (1, 1, 2, 2, 3)  # product views before a purchase
_V4 = ("192.0.2", "198.51.100", "203.0.113")
_DE_MOBILE = ("151", "160", "170", "176")
_ALNUM_BYTES = np.frombuffer(ALNUM.encode(), np.uint8)
_CLICK_BYTES = np.frombuffer(CLICK_ID.encode(), np.uint8)
# the custom_data of a product view or add-to-cart, per product
_PRODUCT_CD = [f'{{"value":{price!r},"currency":"USD","content_ids":["{pid}"],"content_type":"product"}}'
               for _, _, price, pid in PRODUCTS]
_LEAD_CD = '{"content_name":"newsletter"}'
_UPPER_KEYS = ("em", "ph", "external_id")  # only a logged-in visitor is known before checkout
_PURCHASE_KEYS = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id")
_VISIT_KEYS = ("client_ip_address", "client_user_agent", "fbp")
_ANONYMOUS = ("", "", ())  # user_data() of a visitor nobody knows
_SDK_OLD, _SDK_NEW = "shopstack-capi_2.4.1", "shopstack-capi_3.0.0"
_ERROR = ('{"status":400,"body":{"error":{"message":"Error validating access token: Session has expired",'
          '"type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"')


def _strings(rng: np.random.Generator, alphabet: np.ndarray, n: int, k: int) -> list[str]:
    """n random strings of k characters of the alphabet."""
    text = alphabet[rng.integers(0, len(alphabet), size=n * k)].tobytes().decode()
    return [text[i:i + k] for i in range(0, n * k, k)]


def _isos(times: list[float]) -> list[str]:
    """Unix times → '2026-10-01T09:14:12Z' (whole seconds, as iso() writes them), all at once."""
    stamps = np.floor(np.asarray(times, dtype=np.float64)).astype("datetime64[s]")
    return [s + "Z" for s in np.datetime_as_string(stamps, unit="s").tolist()]


class _Visit:
    """A visitor's browser: the identifiers the server and the pixel send, as ready JSON fragments."""

    __slots__ = ("fbc", "click", "safari", "blocked", "server", "server_lower", "browser")

    def __init__(self, ip: str, ua: str, fbp: str, fbc: str | None, click: str, browser_fbc: str | None,
                 blocked: bool) -> None:
        self.fbc, self.click, self.blocked = fbc, click, blocked
        base = f'"client_ip_address":"{ip}","client_user_agent":"{ua}","fbp":"{fbp}"'
        self.server = base + (f',"fbc":"{fbc}"' if fbc else "")
        # server-sdk-3.0 lowercases the fbclid it forwards
        self.server_lower = base + (f',"fbc":"{fbc.lower()}"' if fbc else "")
        fbc_json = f'"{browser_fbc}"' if browser_fbc else "null"
        self.browser = f'"fbp":"{fbp}","fbc":{fbc_json},"client_user_agent":"{ua}","client_ip_address":"{ip}"'


class _Day:
    """One day's events as they are emitted, before they are batched into requests and written."""

    __slots__ = ("server", "browser", "seq")

    def __init__(self) -> None:
        # server: (time, seq, JSON, is Purchase, counter key); browser: (time, seq, JSON, event name)
        self.server: list[tuple[float, int, str, bool, tuple]] = []
        self.browser: list[tuple[int, int, str, str]] = []
        self.seq = 0


class _Store:
    def __init__(self, out_dir: Path, seed: int, days: int, end: date, orders_per_day: int,
                 on_file: Callable[[str, Path], None] | None) -> None:
        self.out, self.days, self.opd, self.on_file = out_dir, days, orders_per_day, on_file
        self.rng = np.random.default_rng(seed)
        self.tl: Timeline = timeline(days, end)
        self.t0 = int(datetime(*self.tl.start.timetuple()[:3], tzinfo=timezone.utc).timestamp())
        self.t_end = self.t0 + days * DAY
        self.people: list[Person] = []
        self.fragments: dict[tuple, tuple[str, str, tuple]] = {}
        self.n_people = 0
        self.order_no = 1000
        self.order_id = 6_130_412_345_678
        self.order_rows: list[list[list[str]]] = [[] for _ in range(days)]
        self.quality: list[dict[str, dict[str, int]]] = []  # per day, per event name: counters
        self.paths: dict[str, list[Path]] = {kind: [] for kind in KINDS}
        # Meta's snapshots: the last 60 days but the first, three of them without dedupe feedback
        meta_rng = np.random.default_rng([seed, 1])
        self.snapshot_days = list(range(max(1, days - 60), days))
        k = min(3, len(self.snapshot_days))
        self.without_dedupe = {self.snapshot_days[i] for i in meta_rng.choice(len(self.snapshot_days), k, False)}
        self.noise = meta_rng.normal(0, 0.05, size=(days, len(EMQ_BASE))).tolist()

    # -- people --

    def new_people(self, n: int) -> list[Person]:
        out = []
        for r in self.rng.random((n, 12)).tolist():
            country = _COUNTRIES[bisect_right(_COUNTRY_CUM, r[0])]
            firsts, lasts = NAMES[country]
            first, last = _of(firsts, r[1]), _of(lasts, r[2])
            city, state, zip_seed, area = _of(CITIES[country], r[3])
            self.n_people += 1
            email = f"{ascii_fold(first)}.{ascii_fold(last)}{self.n_people}@example.com"
            if r[4] < 0.05:  # typed with capitals; Meta's normalization lowercases it
                email = email[0].upper() + email[1:]
            if country == "US":
                plus4 = f"-{1000 + int(r[6] * 9000)}" if r[5] < 0.1 else ""  # ZIP+4; Meta keeps the first 5
                zip_code = f"{zip_seed}{1 + int(r[7] * 99):02d}{plus4}"
            elif country == "GB":  # outward code, space, digit and two letters
                zip_code = f"{_of(zip_seed.split(','), r[5])} {1 + int(r[6] * 9)}" \
                           f"{_of('ABDEFGHJLNPQRSTUWXYZ', r[7])}{_of('ABDEFGHJLNPQRSTUWXYZ', r[8])}"
            elif country == "CA":  # "M5V 2T6"
                zip_code = f"{_of(zip_seed.split(','), r[5])} {1 + int(r[6] * 9)}" \
                           f"{_of('ABCEGHJKLMNPRSTVXY', r[7])}{1 + int(r[8] * 9)}"
            else:
                low, high = (int(z) for z in zip_seed.split("-"))
                zip_code = f"{low + int(r[5] * (high - low + 1)):05d}"
            phone = ""
            if r[9] < 0.75:
                if country in ("US", "CA"):
                    phone = f"({area}) 555-01{int(r[10] * 100):02d}"
                elif country == "GB":
                    phone = f"07700 900{int(r[10] * 1000):03d}"
                elif country == "DE":
                    phone = f"0{_of(_DE_MOBILE, r[10])} {10_000_000 + int(r[11] * 90_000_000)}"
                else:
                    phone = f"06 39 98 {int(r[10] * 100):02d} {int(r[11] * 100):02d}"
            cid = str(7_340_000_000_000 + self.n_people * 97)
            p = Person(cid, first, last, email, phone, city, state, zip_code, country, {})
            p.hashed = hashed_user_data(p)
            out.append(p)
        return out

    def user_data(self, person: Person, keys: tuple[str, ...], national_phone: bool = False) -> tuple[str, str, tuple]:
        """(JSON fragment, the same with the email in plain text, keys sent) of a person's hashed keys."""
        key = (person.cid, keys, national_phone)
        cached = self.fragments.get(key)
        if cached is None:
            hashed = dict(person.hashed)
            if national_phone and person.phone:  # checkout-v2 hashes the national number
                hashed["ph"] = sha256(national_digits(person.phone))
            sent = tuple(k for k in keys if k in hashed)
            frag = ",".join(f'"{k}":"{hashed[k]}"' for k in sent)
            plain = frag.replace(hashed["em"], person.email, 1) if "em" in sent else frag
            cached = self.fragments[key] = (frag, plain, sent)
        return cached

    def visits(self, times: list[float]) -> list[_Visit]:
        n = len(times)
        clicks = _strings(self.rng, _CLICK_BYTES, n, 36)
        out = []
        for t, click, r, ip6 in zip(times, clicks, self.rng.random((n, 11)).tolist(),
                                    self.rng.integers(1, 0x10000, size=(n, 3)).tolist()):
            ua, safari, _ = AGENTS[bisect_right(_AGENT_CUM, r[0])]
            if r[1] < 0.25:
                ip = f"2001:db8:{ip6[0]:x}:{ip6[1]:x}::{ip6[2]:x}"
            else:
                ip = f"{_of(_V4, r[2])}.{1 + int(r[3] * 254)}"
            fbp = f"fb.1.{int((t - 60 - r[4] * (60 * DAY - 60)) * 1000)}.{100_000_000 + int(r[5] * 2_047_483_647)}"
            fbc = None
            if r[6] < 0.30:
                fbc = f"fb.1.{int((t - 5 - r[7] * (3 * DAY - 5)) * 1000)}.IwAR{click}"
            # ITP caps the _fbc cookie the pixel reads; the server kept the click id from the landing URL
            browser_fbc = None if fbc is None or (safari and r[8] < 0.6) else fbc
            loss = BROWSER_LOSS + (1 - BROWSER_LOSS) * CONSENT_LOSS if t >= self.tl.gtm_consent_banner \
                else BROWSER_LOSS
            out.append(_Visit(ip, ua, fbp, fbc, "IwAR" + click, browser_fbc, r[9] < loss))
        return out

    # -- orders --

    def orders(self, d: int, day_start: int, n: int) -> list[dict]:
        rows = self.rng.random((n, 26)).tolist()
        steps = self.rng.integers(1_000, 90_001, size=n).tolist()
        returning = [bool(self.people) and r[3] < 0.25 for r in rows]
        fresh = iter(self.new_people(returning.count(False)))
        orders = []
        for r, back in zip(rows, returning):
            created = min(day_start + bisect_right(_HOUR_CUM, r[0]) * 3600 + r[1] * 3600, day_start + DAY - 90)
            source = "pos" if r[2] < 0.03 else "draft" if r[2] < 0.045 else "web"
            person = _of(self.people, r[4]) if back else next(fresh)
            s = r[5]
            status = ("pending" if s < 0.02 else "refunded" if s < 0.05 else "partially_refunded" if s < 0.065
                      else "voided" if s < 0.075 else "cancelled" if s < 0.085 else "paid")
            items = [(1 + bisect_right(_QTY_CUM, r[8 + 2 * i]), _of(PRODUCTS, r[7 + 2 * i]))
                     for i in range(1 + bisect_right(_ITEMS_CUM, r[6]))]
            gross = sum(q * p[2] for q, p in items)
            code, rate = _of(DISCOUNTS, r[16]) if r[15] < 0.12 else ("", 0.0)
            subtotal = round(gross * (1 - rate), 2)
            shipping = 0.0 if subtotal >= 75 or source == "pos" else (6.95 if person.country == "US" else 12.95)
            vat = VAT.get(person.country)
            if vat:
                taxes, total = round(subtotal * vat / (1 + vat), 2), round(subtotal + shipping, 2)
            else:
                taxes = round(subtotal * (0.0725 if person.country == "US" else 0.13), 2)
                total = round(subtotal + shipping + taxes, 2)
            orders.append({"created": created, "source": source, "person": person, "status": status,
                           "items": items, "code": code, "subtotal": subtotal, "shipping": shipping,
                           "taxes": taxes, "total": total, "r": r})
        self.people.extend(o["person"] for o, back in zip(orders, returning) if not back)
        orders.sort(key=lambda o: o["created"])
        for o, step in zip(orders, steps):
            self.order_no += 1
            self.order_id += step
            o["name"], o["id"] = f"#{self.order_no}", self.order_id
            self.order_rows[d].extend(self.shopify_rows(o))
        return orders

    def shopify_rows(self, o: dict) -> list[list[str]]:
        r, p, status, created = o["r"], o["person"], o["status"], o["created"]
        financial, cancelled = status, ""
        if status == "cancelled":
            financial = "refunded" if r[17] < 0.6 else "voided"
            cancelled = shopify_time(min(created + 3600 + r[18] * (2 * DAY - 3600), self.t_end - 60))
        paid = shopify_time(created + 1 + r[19] * 5) if financial in ELIGIBLE else ""
        fulfilled = ("restocked" if cancelled else "fulfilled" if status in ELIGIBLE and created < self.t_end - 3 * DAY
                     else "unfulfilled")
        pos = o["source"] == "pos"
        email = p.email if not pos or r[20] < 0.4 else ""
        phone_col = "+" + normalize_phone(p.phone, p.country) if p.phone and r[21] < 0.35 else ""
        billing = [""] * 6 if pos else [f"{p.first} {p.last}", p.phone, p.city, p.zip, p.state, p.country]
        q, product = o["items"][0]
        first = [o["name"], email, financial, paid, fulfilled, "USD", f"{o['subtotal']:.2f}", f"{o['shipping']:.2f}",
                 f"{o['taxes']:.2f}", f"{o['total']:.2f}", o["code"], shopify_time(created), str(q), product[1],
                 f"{product[2]:.2f}", *billing, phone_col, cancelled, o["source"], str(o["id"])]
        rows = [first]
        for q, product in o["items"][1:]:  # further line items: only Name and the line item columns
            row = [""] * len(SHOPIFY_COLUMNS)
            row[0], row[12], row[13], row[14] = o["name"], str(q), product[1], f"{product[2]:.2f}"
            rows.append(row)
        return rows

    # -- events --

    def emit(self, day: _Day, visit: _Visit, name: str, t: float, eid: str, url: str,
             ud: tuple[str, str, tuple], cd: str, r: list[float], browser_ud: str = "") -> None:
        """One server event and, unless the pixel was blocked, its browser copy. r: the event's uniforms."""
        tl = self.tl
        after_sdk = t >= tl.server_sdk_3
        frag, plain_frag, keys = ud
        plain = after_sdk and "em" in keys and r[0] < 0.4  # the new SDK skips hashing on one code path
        vfrag = visit.server_lower if after_sdk else visit.server
        user = f"{plain_frag if plain else frag},{vfrag}" if frag else vfrag
        ti = int(t)
        et = ti * 1000 + int(r[3] * 1000) if r[2] < 1 / 25_000 else ti
        with_id = not (name == "AddToCart" and t >= tl.atc_event_id_break and r[1] < 0.6)
        id_part = f'"event_id":"{eid}",' if with_id else ""
        event = (f'{{"event_name":"{name}","event_time":{et},{id_part}"action_source":"website",'
                 f'"event_source_url":"{url}","user_data":{{{user}}},"custom_data":{cd}}}')
        paired = False
        if not visit.blocked and r[4] >= 0.02:
            bt = int(max(t - 0.2 - r[5] * 3.8, t - t % DAY))
            bname = "purchase" if name == "Purchase" and tl.theme_autumn <= bt < tl.theme_autumn_hotfix else name
            extra = f',"user_data":{{{browser_ud}}}' if browser_ud else ""
            day.browser.append((bt, day.seq, f'{{"pixel_id":"{PIXEL_ID}","event_name":"{bname}","event_id":"{eid}",'
                                             f'"event_time":{bt},"event_source_url":"{url}",{visit.browser}{extra},'
                                             f'"custom_data":{cd}}}', bname))
            paired = bname == name and with_id
        day.seq += 1
        # what Meta counts of it once accepted (see count())
        fbc_lower = after_sdk and visit.fbc is not None
        day.server.append((t, day.seq, event, name == "Purchase",
                           (name, keys, plain, with_id, paired, after_sdk, t >= tl.checkout_v2, fbc_lower,
                            visit.fbc is not None)))

    def session(self, day: _Day, visit: _Visit, t: float, until: float, person: Person | None, n_views: int,
                n_carts: int, checkout: bool, token: str, rows: list[list[float]], ids: list[int]) -> list:
        """A session's upper funnel from t (no event after until); returns the cart. rows: one per event."""
        ud = self.user_data(person, _UPPER_KEYS) if person else _ANONYMOUS
        cart: list = []
        pi = -1
        k = 0
        for i in range(n_views):
            r = rows[k]
            pi = int(r[7] * len(PRODUCTS))
            product = PRODUCTS[pi]
            url = f"{SHOP}/products/{product[0]}"
            if i == 0 and visit.fbc:
                url += "?fbclid=" + visit.click
            self.emit(day, visit, "ViewContent", min(t, until), f"vc-{ids[k]:012x}", url, ud,
                      _PRODUCT_CD[pi], r)
            t += 15 + r[8] * 225
            k += 1
        for i in range(n_carts):
            r = rows[k]
            if i or pi < 0:  # the first goes in the cart from the last product viewed
                pi = int(r[7] * len(PRODUCTS))
            product = PRODUCTS[pi]
            cart.append(product)
            # the theme's AJAX cart hook loses the customer's session half the time: fewer keys on AddToCart
            self.emit(day, visit, "AddToCart", min(t, until), f"atc-{ids[k]:012x}", f"{SHOP}/products/{product[0]}",
                      ud if r[9] < 0.5 else _ANONYMOUS, _PRODUCT_CD[pi], r)
            t += 20 + r[8] * 280
            k += 1
        if checkout:
            ids_json = ",".join(f'"{p[3]}"' for p in cart)
            cd = (f'{{"value":{round(sum(p[2] for p in cart), 2)!r},"currency":"USD","content_ids":[{ids_json}],'
                  f'"content_type":"product","num_items":{len(cart)}}}')
            self.emit(day, visit, "InitiateCheckout", min(t, until), f"ic-{ids[k]:012x}",
                      f"{SHOP}/checkouts/cn/{token}", ud, cd, rows[k])
        return cart

    def day(self, d: int) -> None:
        rng, tl = self.rng, self.tl
        day_start = self.t0 + d * DAY
        day_end = day_start + DAY
        weekend = datetime.fromtimestamp(day_start, timezone.utc).weekday() >= 5
        growth = 0.92 + 0.16 * d / max(self.days - 1, 1)
        n_orders = max(1, round(self.opd * growth * (1.2 if weekend else 1.0) * rng.normal(1, 0.04)))
        orders = self.orders(d, day_start, n_orders)
        web = [o for o in orders if o["source"] == "web"]

        def moment(u: float, v: float) -> float:
            return day_start + bisect_right(_HOUR_CUM, u) * 3600 + v * 3600

        # the sessions: (visit time, start, until, person, views, carts, checkout, order or None)
        sessions: list[tuple] = []
        for o in web:
            r = o["r"]
            created = o["created"]
            sessions.append((created, max(day_start, created - 300 - r[22] * 1500), created - 30,
                             o["person"] if r[23] < 0.3 else None, _of(_VIEWS, r[24]), len(o["items"]), True,
                             o if o["status"] in ELIGIBLE or (o["status"] == "pending" and r[25] < 0.10) else None))
        # visitors who did not buy: abandoned checkouts, abandoned carts, plain browsing (per web order)
        for views, carts, checkout, per_order in ((1, 2, True, 1.5), (1, 2, False, 0.7), (2, 0, False, 1.0)):
            expected = per_order * len(web)
            n = int(expected) + int(rng.random() < expected % 1)
            for r in rng.random((n, 6)).tolist():
                t = moment(r[0], r[1])
                known = _of(self.people, r[3]) if self.people and r[2] < 0.3 else None
                sessions.append((t, t, day_end - 1, known, 1 + int(r[4] * views),
                                 1 + int(r[5] * carts) if carts else 0, checkout, None))
        leads = rng.random((int(rng.integers(2, 9)), 4)).tolist()  # newsletter sign-ups
        lead_times = [moment(r[0], r[1]) for r in leads]
        visits = self.visits([s[0] for s in sessions] + lead_times)
        tokens = _strings(rng, _ALNUM_BYTES, len(sessions), 24)
        n_events = sum(s[4] + s[5] + s[6] + (s[7] is not None) for s in sessions) + len(leads)
        rows = rng.random((n_events, 10)).tolist()
        ids = rng.integers(0, 1 << 48, size=n_events).tolist()
        day = _Day()
        k = 0
        for (_, start, until, person, n_views, n_carts, checkout, order), visit, token in zip(sessions, visits, tokens):
            n = n_views + n_carts + checkout
            self.session(day, visit, start, until, person, n_views, n_carts, checkout, token, rows[k:k + n],
                         ids[k:k + n])
            k += n
            if order is not None:
                p, name = order["person"], order["name"][1:]
                ud = self.user_data(p, _PURCHASE_KEYS, national_phone=order["created"] >= tl.checkout_v2)
                ids_json = ",".join(f'"{product[3]}"' for _, product in order["items"])
                cd = (f'{{"value":{order["total"]!r},"currency":"USD","order_id":"{name}",'
                      f'"content_ids":[{ids_json}],"content_type":"product",'
                      f'"num_items":{sum(q for q, _ in order["items"])}}}')
                self.emit(day, visit, "Purchase", order["created"] + 2 + rows[k][6] * 23, f"order-{name}",
                          f"{SHOP}/checkouts/cn/{token}/thank-you", ud, cd, rows[k], f'"em":"{p.hashed["em"]}"')
                k += 1
        for r, t, visit, lead in zip(leads, lead_times, visits[len(sessions):], self.new_people(len(leads))):
            keys = ("em",) + (("ph",) if r[2] < 0.4 else ()) + (("fn",) if r[3] < 0.6 else ())
            self.emit(day, visit, "Lead", t, f"lead-{ids[k]:012x}", f"{SHOP}/pages/newsletter",
                      self.user_data(lead, keys), _LEAD_CD, rows[k])
            k += 1
        stats: dict[tuple[str, int], dict[str, int]] = {}
        self.write_server(d, day, stats)
        self.write_browser(d, day, stats)
        self.write_stats(d, stats)

    def write_server(self, d: int, day: _Day, stats: dict[tuple[str, int], dict[str, int]]) -> None:
        rng, tl = self.rng, self.tl
        server = sorted(day.server)  # by time, then emission order (seq is unique: the rest is never compared)
        n = len(server)
        sizes = rng.integers(1, 6, size=n).tolist()
        r = rng.random((n, 4)).tolist()
        requests: list[tuple[float, int, list]] = []
        i = j = 0
        while i < n:
            batch = server[i:i + sizes[j]]
            u = r[j]
            j += 1
            i += len(batch)
            delay = (1 + u[1] * 19 if u[0] < 0.7 else 20 + u[1] * 160 if u[0] < 0.95 else 180 + u[1] * 720)
            sent = batch[-1][0] + delay
            requests.append((sent, len(requests), batch))
            for item in batch:
                if item[3] and u[2] < 0.002:  # re-sent by a retry job
                    requests.append((sent + 600 + u[3] * 6600, len(requests), [item]))
        requests.sort(key=lambda q: (q[0], q[1]))
        traces = _strings(rng, _ALNUM_BYTES, len(requests), 11)
        tests = rng.random(len(requests)).tolist()
        codes = rng.integers(10000, 100000, size=len(requests)).tolist()
        accepted: dict[tuple, int] = {}
        hours: dict[tuple[int, str], int] = {}
        lines = []
        for (sent, _, batch), sent_at, trace, test, code in zip(requests, _isos([q[0] for q in requests]), traces,
                                                               tests, codes):
            sdk = _SDK_NEW if sent >= tl.server_sdk_3 else _SDK_OLD
            extra = f',"test_event_code":"TEST{code}"' if test < 1 / 8_000 else ""
            if tl.outage_start <= sent < tl.outage_end:
                response = _ERROR + trace + '"}}}'
            else:
                response = (f'{{"status":200,"body":{{"events_received":{len(batch)},"messages":[],'
                            f'"fbtrace_id":"{trace}"}}}}')
                for t, _, _, _, key in batch:
                    accepted[key] = accepted.get(key, 0) + 1
                    hour = (int(t) // 3600 * 3600, key[0])
                    hours[hour] = hours.get(hour, 0) + 1
            data = ",".join(item[2] for item in batch)
            lines.append(f'{{"pixel_id":"{PIXEL_ID}","sent_at":"{sent_at}","request":{{"data":[{data}],'
                         f'"partner_agent":"{sdk}"{extra}}},"response":{response}}}')
        self.quality.append(self.count(accepted))
        for (hour, name), c in hours.items():
            stats.setdefault(("SERVER_ONLY", hour), {})[name] = c
        self.write_lines("server-events", d, lines)

    @staticmethod
    def count(accepted: dict[tuple, int]) -> dict[str, dict[str, int]]:
        """What Meta accepted, as the Dataset Quality API's inputs: per event name, how many had what."""
        counters: dict[str, dict[str, int]] = {}
        for (name, keys, plain, with_id, paired, after_sdk, after_checkout, fbc_lower, fbc), n in accepted.items():
            c = counters.setdefault(name, {"n": 0})
            c["n"] += n
            for key in keys + _VISIT_KEYS + (("fbc",) if fbc else ()):
                if not (plain and key == "em"):
                    c[key] = c.get(key, 0) + n
            for flag, key in ((plain, "plain_em"), (with_id, "with_id"), (paired, "paired"), (after_sdk, "after_sdk"),
                              (after_checkout, "after_checkout"), (fbc_lower, "fbc_lower")):
                if flag:
                    c[key] = c.get(key, 0) + n
        return counters

    def write_browser(self, d: int, day: _Day, stats: dict[tuple[str, int], dict[str, int]]) -> None:
        browser = sorted(day.browser)  # by time, then emission order
        counters = self.quality[-1]
        for t, _, _, name in browser:
            bucket = stats.setdefault(("WEB_ONLY", t // 3600 * 3600), {})
            bucket[name] = bucket.get(name, 0) + 1
            c = counters.setdefault(name, {"n": 0})
            c["browser"] = c.get("browser", 0) + 1
        self.write_lines("browser-events", d, [b[2] for b in browser])

    def write_lines(self, kind: str, d: int, lines: list[str]) -> None:
        path = self.out / kind / f"{self.tl.start + timedelta(days=d)}.jsonl"
        path.write_text("\n".join(lines) + "\n" if lines else "")
        self.done(kind, path)

    def done(self, kind: str, path: Path) -> None:
        self.paths[kind].append(path)
        if self.on_file is not None:
            self.on_file(kind, path)

    # -- Meta's numbers and the files that span days --

    def write_stats(self, d: int, stats: dict[tuple[str, int], dict[str, int]]) -> None:
        """The day's /stats pages, as the next morning's sync would fetch them."""
        day_start = self.t0 + d * DAY
        fetched = day_start + DAY + 6 * 3600 + 300
        lines = []
        for source in ("SERVER_ONLY", "WEB_ONLY"):
            for page, hours in enumerate((range(0, 12), range(12, 24))):
                buckets = [(day_start + h * 3600, stats.get((source, day_start + h * 3600))) for h in hours]
                lines.append(compact_json(stats_page(fetched + page, source, [(t, b) for t, b in buckets if b],
                                                     last=page == 1)))
        path = self.out / "meta-stats" / f"{self.tl.start + timedelta(days=d)}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        self.done("meta-stats", path)

    def write_quality(self, d: int) -> None:
        """The Dataset Quality API snapshot of day d's morning: the accepted events of the 7 days before."""
        window: dict[str, dict[str, int]] = {}
        for counters in self.quality[max(0, d - 7):d]:
            for name, c in counters.items():
                w = window.setdefault(name, {})
                for key, value in c.items():
                    w[key] = w.get(key, 0) + value
        web = [quality_entry(name, window[name], self.noise[d][i], d not in self.without_dedupe)
               for i, name in enumerate(EMQ_BASE) if window.get(name, {}).get("n")]
        body = {"pixel_id": PIXEL_ID, "fetched_at": iso(self.t0 + d * DAY + 6 * 3600), "response": {"web": web}}
        path = self.out / "meta-quality" / f"{self.tl.start + timedelta(days=d)}.json"
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        self.done("meta-quality", path)

    def write_orders(self, first: int, last: int) -> None:
        """The Shopify export of days first..last."""
        span = f"{self.tl.start + timedelta(days=first)}_{self.tl.start + timedelta(days=last)}"
        path = self.out / "orders" / f"{span}.csv"
        with path.open("w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(SHOPIFY_COLUMNS)
            for d in range(first, last + 1):
                writer.writerows(self.order_rows[d])
        self.done("orders", path)

    def write_deployments(self) -> None:
        path = self.out / "deployments" / "deployments.csv"
        write_deployments(path, self.tl.deployments())
        self.done("deployments", path)


def generate(out_dir: Path, *, seed: int = 7, days: int = 90, end: date = date(2026, 11, 22),
             orders_per_day: int = 300, on_day: Callable[[int], None] | None = None,
             on_file: Callable[[str, Path], None] | None = None) -> dict[str, list[Path]]:
    """Write the demo store's input files under out_dir, one folder per input kind; same seed, same bytes.

    on_day(n) is called after the n-th day is written (for a progress bar); on_file(kind, path) as
    soon as each file is complete (so it can be read already): a day's events and /stats pages after
    the day, Meta's snapshot of a morning after the day before it, the orders every 30 days.
    """
    out_dir = Path(out_dir)
    for kind in KINDS:
        (out_dir / kind).mkdir(parents=True, exist_ok=True)
    store = _Store(out_dir, seed, days, end, orders_per_day, on_file)
    store.write_deployments()
    snapshots = set(store.snapshot_days)
    for d in range(days):
        store.day(d)
        if d + 1 in snapshots:
            store.write_quality(d + 1)
        if d % 30 == 29 or d == days - 1:
            store.write_orders(d - d % 30, d)
        if on_day is not None:
            on_day(d + 1)
    return store.paths
