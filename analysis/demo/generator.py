"""The demo store's days: orders, the people behind them, and the files of every kind, a day at a time.

Random numbers are drawn a day at a time in numpy arrays (one row of uniforms per order, session
or event); the day's events are taken and written by events.py. Same seed, same bytes.
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

from analysis.demo import events
from analysis.demo.catalog import (CITIES, COUNTRY_WEIGHTS, DAY, DISCOUNTS, ELIGIBLE, HOUR_WEIGHTS, KINDS, NAMES,
                                   PIXEL_ID, PRODUCTS, SHOPIFY_COLUMNS, VAT, Person, ascii_fold)
from analysis.demo.files import compact_json, iso, shopify_times, write_deployments
from analysis.demo.meta import quality_entry, stats_page
from analysis.demo.normalization import hashed_user_data, national_digits, normalize_phone, sha256
from analysis.demo.story import EMQ_BASE, Timeline, timeline


def _cum(weights: list[float] | tuple[float, ...]) -> list[float]:
    """Cumulative shares ending at 1: bisect a uniform into them to draw by weight."""
    total = sum(weights)
    return [c / total for c in accumulate(weights)]


def _of(seq: str | list | tuple, u: float):  # noqa: ANN202 - an element of seq
    return seq[int(u * len(seq))]


_COUNTRIES = [c for c, _ in COUNTRY_WEIGHTS]
_COUNTRY_CUM = _cum([w for _, w in COUNTRY_WEIGHTS])
_HOUR_CUM = _cum(HOUR_WEIGHTS)
_ITEMS_CUM = _cum((60, 25, 10, 5))  # line items in an order: 1-4
_QTY_CUM = _cum((85, 12, 3))  # quantity of a line item: 1-3
_VIEWS = (1, 1, 2, 2, 3)  # product views before a purchase
_DE_MOBILE = ("151", "160", "170", "176")


def snapshot_days(days: int) -> list[int]:
    """The mornings Meta's quality is fetched: the last 60 days but the first."""
    return list(range(max(1, days - 60), days))


def file_count(days: int) -> int:
    """How many files generate() writes: the deployments, three a day, the snapshots, an orders file a month."""
    return 1 + 3 * days + len(snapshot_days(days)) + -(-days // 30)


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
        self.snapshot_days = snapshot_days(days)
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

    def user_data(self, person: Person, keys: tuple[str, ...], national_phone: bool = False) -> events.UserData:
        """(JSON fragment, the same with the email in plain text, keys sent, their bits) of a person's hashed keys."""
        key = (person.cid, keys, national_phone)
        cached = self.fragments.get(key)
        if cached is None:
            hashed = dict(person.hashed)
            if national_phone and person.phone:  # checkout-v2 hashes the national number
                hashed["ph"] = sha256(national_digits(person.phone))
            sent = tuple(k for k in keys if k in hashed)
            frag = ",".join(f'"{k}":"{hashed[k]}"' for k in sent)
            plain = frag.replace(hashed["em"], person.email, 1) if "em" in sent else frag
            cached = self.fragments[key] = (frag, plain, sent, sum(events.KEY_BITS[k] for k in sent))
        return cached

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
        # the export's times, formatted all at once (each order uses the ones its status has)
        created_at = shopify_times([o["created"] for o in orders])
        paid_at = shopify_times([o["created"] + 1 + o["r"][19] * 5 for o in orders])
        cancelled_at = shopify_times([min(o["created"] + 3600 + o["r"][18] * (2 * DAY - 3600), self.t_end - 60)
                                      for o in orders])
        for o, step, times in zip(orders, steps, zip(created_at, paid_at, cancelled_at)):
            self.order_no += 1
            self.order_id += step
            o["name"], o["id"] = f"#{self.order_no}", self.order_id
            self.order_rows[d].extend(self.shopify_rows(o, *times))
        return orders

    def shopify_rows(self, o: dict, created_at: str, paid_at: str, cancelled_at: str) -> list[list[str]]:
        r, p, status, created = o["r"], o["person"], o["status"], o["created"]
        financial, cancelled = status, ""
        if status == "cancelled":
            financial = "refunded" if r[17] < 0.6 else "voided"
            cancelled = cancelled_at
        paid = paid_at if financial in ELIGIBLE else ""
        fulfilled = ("restocked" if cancelled else "fulfilled" if status in ELIGIBLE and created < self.t_end - 3 * DAY
                     else "unfulfilled")
        pos = o["source"] == "pos"
        email = p.email if not pos or r[20] < 0.4 else ""
        phone_col = "+" + normalize_phone(p.phone, p.country) if p.phone and r[21] < 0.35 else ""
        billing = [""] * 6 if pos else [f"{p.first} {p.last}", p.phone, p.city, p.zip, p.state, p.country]
        q, product = o["items"][0]
        first = [o["name"], email, financial, paid, fulfilled, "USD", f"{o['subtotal']:.2f}", f"{o['shipping']:.2f}",
                 f"{o['taxes']:.2f}", f"{o['total']:.2f}", o["code"], created_at, str(q), product[1],
                 f"{product[2]:.2f}", *billing, phone_col, cancelled, o["source"], str(o["id"])]
        rows = [first]
        for q, product in o["items"][1:]:  # further line items: only Name and the line item columns
            row = [""] * len(SHOPIFY_COLUMNS)
            row[0], row[12], row[13], row[14] = o["name"], str(q), product[1], f"{product[2]:.2f}"
            rows.append(row)
        return rows

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
        visits = events.visits(rng, [s[0] for s in sessions] + lead_times, tl.gtm_consent_banner)
        tokens = events.strings(rng, events.ALNUM_BYTES, len(sessions), 24)
        n_events = sum(s[4] + s[5] + s[6] + (s[7] is not None) for s in sessions) + len(leads)
        funnel = events.Funnel(rng.random((n_events, 10)), rng.integers(0, 1 << 48, size=n_events).tolist(),
                               sessions, visits, tokens, self.user_data, tl.checkout_v2)
        funnel.leads(leads, lead_times, len(sessions), self.new_people(len(leads)), self.user_data)
        day = events.Day(funnel, visits, tl, rng)
        self.quality.append(day.counters())
        self.write_lines("server-events", d, day.server_lines)
        self.write_lines("browser-events", d, day.browser_lines)
        self.write_stats(d, day.stats(day_start))

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
