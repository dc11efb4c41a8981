"""A day of the demo store's events: its visits and funnels as columns, their JSON lines, and what Meta accepted.

The decisions taken per event (the copy the pixel loses, the plaintext email, the lost event_id, the
millisecond times, the lowercased purchase, Meta's counters and hour buckets) are taken for the whole
day at once in numpy, from the same uniforms in the same order as one event at a time would: Python
only walks the sessions (whose times add up step by step) and fills the JSON templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from analysis.demo.catalog import AGENTS, ALNUM, CLICK_ID, DAY, PIXEL_ID, PRODUCTS, SHOP, Person
from analysis.demo.story import BROWSER_LOSS, CONSENT_LOSS, Timeline

NAMES = ("ViewContent", "AddToCart", "InitiateCheckout", "Purchase", "Lead", "purchase")
VC, ATC, IC, PURCHASE, LEAD, LOWER_PURCHASE = range(6)
# A person's keys as bits (user_data's fourth item): which of them an event sends.
KEY_BITS = {"em": 1, "ph": 2, "fn": 4, "ln": 8, "ct": 16, "st": 32, "zp": 64, "country": 128, "external_id": 256}
UPPER_KEYS = ("em", "ph", "external_id")  # only a logged-in visitor is known before checkout
PURCHASE_KEYS = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id")
_VISIT_KEYS = ("client_ip_address", "client_user_agent", "fbp")
ANONYMOUS = ("", "", (), 0)  # user_data() of a visitor nobody knows
UserData = tuple[str, str, tuple, int]  # (JSON fragment, the same with the email in plain text, keys sent, their bits)

_AGENT_CUM = np.cumsum([w for _, _, w in AGENTS]) / sum(w for _, _, w in AGENTS)
_UA = [ua for ua, _, _ in AGENTS]
_SAFARI = np.array([safari for _, safari, _ in AGENTS])
_V4 = ("192.0.2", "198.51.100", "203.0.113")
ALNUM_BYTES = np.frombuffer(ALNUM.encode(), np.uint8)
_CLICK_BYTES = np.frombuffer(CLICK_ID.encode(), np.uint8)
# the page and custom_data of a product view or add-to-cart, per product
_PRODUCT_URL = [f"{SHOP}/products/{slug}" for slug, *_ in PRODUCTS]
_PRODUCT_CD = [f'{{"value":{price!r},"currency":"USD","content_ids":["{pid}"],"content_type":"product"}}'
               for _, _, price, pid in PRODUCTS]
_LEAD_CD = '{"content_name":"newsletter"}'
_SDK_OLD, _SDK_NEW = "shopstack-capi_2.4.1", "shopstack-capi_3.0.0"
_ERROR = ('{"status":400,"body":{"error":{"message":"Error validating access token: Session has expired",'
          '"type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"')


def strings(rng: np.random.Generator, alphabet: np.ndarray, n: int, k: int) -> list[str]:
    """n random strings of k characters of the alphabet."""
    text = alphabet[rng.integers(0, len(alphabet), size=n * k)].tobytes().decode()
    return [text[i:i + k] for i in range(0, n * k, k)]


def _isos(times: list[float]) -> list[str]:
    """Unix times → '2026-10-01T09:14:12Z' (whole seconds, as iso() writes them), all at once."""
    stamps = np.floor(np.asarray(times, dtype=np.float64)).astype("datetime64[s]")
    return [s + "Z" for s in np.datetime_as_string(stamps, unit="s").tolist()]


@dataclass(slots=True)
class Visits:
    """Visitors' browsers, one per session: the identifiers the server and the pixel send, as JSON fragments."""

    server: list[str]
    server_lower: list[str]  # server-sdk-3.0 lowercases the fbclid it forwards
    browser: list[str]
    click: list[str]  # the fbclid of the landing URL
    fbc: np.ndarray  # bool: the server sends an fbc
    blocked: np.ndarray  # bool: the pixel never loads


def visits(rng: np.random.Generator, times: list[float], consent_banner: int) -> Visits:
    """The browsers of visits starting at these times."""
    n = len(times)
    clicks = strings(rng, _CLICK_BYTES, n, 36)
    r = rng.random((n, 11))
    ip6 = rng.integers(1, 0x10000, size=(n, 3)).tolist()
    t = np.asarray(times, dtype=np.float64)
    agent = np.searchsorted(_AGENT_CUM, r[:, 0], side="right")
    fbc = r[:, 6] < 0.30
    # ITP caps the _fbc cookie the pixel reads; the server kept the click id from the landing URL
    browser_fbc = fbc & ~(_SAFARI[agent] & (r[:, 8] < 0.6))
    loss = np.where(t >= consent_banner, BROWSER_LOSS + (1 - BROWSER_LOSS) * CONSENT_LOSS, BROWSER_LOSS)
    server, lower, browser, click = [], [], [], []
    for a, v6, v4, host, fbp_ms, fbp_no, has_fbc, fbc_ms, b_fbc, c, six in zip(
            agent.tolist(), (r[:, 1] < 0.25).tolist(), (r[:, 2] * len(_V4)).astype(np.int64).tolist(),
            (1 + (r[:, 3] * 254).astype(np.int64)).tolist(),
            ((t - 60 - r[:, 4] * (60 * DAY - 60)) * 1000).astype(np.int64).tolist(),
            (100_000_000 + (r[:, 5] * 2_047_483_647).astype(np.int64)).tolist(), fbc.tolist(),
            ((t - 5 - r[:, 7] * (3 * DAY - 5)) * 1000).astype(np.int64).tolist(), browser_fbc.tolist(), clicks, ip6):
        ua = _UA[a]
        ip = f"2001:db8:{six[0]:x}:{six[1]:x}::{six[2]:x}" if v6 else f"{_V4[v4]}.{host}"
        fbp = f"fb.1.{fbp_ms}.{fbp_no}"
        base = f'"client_ip_address":"{ip}","client_user_agent":"{ua}","fbp":"{fbp}"'
        if has_fbc:
            value = f"fb.1.{fbc_ms}.IwAR{c}"
            server.append(f'{base},"fbc":"{value}"')
            lower.append(f'{base},"fbc":"{value.lower()}"')
        else:
            server.append(base)
            lower.append(base)
        fbc_json = f'"{value}"' if b_fbc else "null"
        browser.append(f'"fbp":"{fbp}","fbc":{fbc_json},"client_user_agent":"{ua}","client_ip_address":"{ip}"')
        click.append("IwAR" + c)
    return Visits(server, lower, browser, click, fbc, r[:, 9] < loss)


# A session: (visit time, start, until, person or None, views, carts, checkout, order or None)
Session = tuple


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class Funnel:
    """A day's events in the order they happen in their sessions (the order of the day's uniforms), as columns.

    A session's events are its views, its carts, its checkout, then its Purchase if it bought; the
    newsletter sign-ups come last. user: an index into `users`, whose first entry is nobody.
    """

    def __init__(self, rows: np.ndarray, ids: list[int], sessions: list[Session], visits: Visits,
                 tokens: list[str], user_data: Callable[..., UserData], checkout_v2: int) -> None:
        self.rows = rows
        self.users: list[UserData] = [ANONYMOUS]
        self.browser_user: dict[int, str] = {}  # the pixel's own user_data, by event (the thank-you page's em)
        S = len(sessions)
        _, start, until, people, n_views, n_carts, checkout, orders = (list(c) for c in zip(*sessions)) if S else \
            ([] for _ in range(8))
        views = np.asarray(n_views, dtype=np.int64)
        upper = views + np.asarray(n_carts, dtype=np.int64)
        chain = upper + np.asarray(checkout, dtype=np.int64)
        bought = np.asarray([o is not None for o in orders], dtype=bool)
        size = chain + bought
        first = np.cumsum(size) - size
        n = int(size.sum())
        session = np.repeat(np.arange(S), size)
        pos = np.arange(n) - first[session]
        kind = np.select([pos < views[session], pos < upper[session], pos < chain[session]], [VC, ATC, IC], PURCHASE)

        # Times: a session's views and carts follow each other (checkout last), none after `until`.
        time = np.empty(n)
        step = np.where(kind == VC, 15 + rows[:n, 8] * 225, 20 + rows[:n, 8] * 280)
        now = np.asarray(start, dtype=np.float64)
        stop = np.asarray(until, dtype=np.float64)
        for p in range(int(chain.max()) if S else 0):
            on = np.flatnonzero(chain > p)
            at = first[on] + p
            time[at] = np.minimum(now[on], stop[on])
            now[on] += step[at]
        paid = first[bought] + chain[bought]
        created = np.asarray([o["created"] for o in orders if o is not None], dtype=np.float64)
        time[paid] = created + 2 + rows[paid, 6] * 23

        # Products: each view and cart its own, but the first cart takes the last product viewed.
        product = (rows[:n, 7] * len(PRODUCTS)).astype(np.int64)
        first_cart = first[(views > 0) & (upper > views)] + views[(views > 0) & (upper > views)]
        product[first_cart] = product[first_cart - 1]
        shown = np.flatnonzero(kind <= ATC)
        url, custom = np.empty(n, dtype=object), np.empty(n, dtype=object)
        url[shown] = _objects(_PRODUCT_URL)[product[shown]]
        custom[shown] = _objects(_PRODUCT_CD)[product[shown]]
        landing = first[(views > 0) & visits.fbc[:S]]  # the ad click's fbclid on the first page
        url[landing] = [u + "?fbclid=" + visits.click[s] for u, s in zip(url[landing], session[landing].tolist())]
        eid = _objects([f"{_PREFIX[k]}{i:012x}" for k, i in zip(kind.tolist(), ids[:n])])

        # Who they are: the visitor, if known, on every event; the theme's AJAX cart hook loses the
        # customer's session half the time (fewer keys on AddToCart); the buyer in full on the Purchase.
        known = np.zeros(S, dtype=np.int64)
        for s, person in enumerate(people):
            if person is not None:
                known[s] = len(self.users)
                self.users.append(user_data(person, UPPER_KEYS))
        user = known[session]
        user[(kind == ATC) & (rows[:n, 9] >= 0.5)] = 0
        products = product.tolist()
        for i, s in zip(np.flatnonzero(kind == IC).tolist(), session[kind == IC].tolist()):
            cart = [PRODUCTS[p] for p in products[i - n_carts[s]:i]]
            ids_json = ",".join(f'"{p[3]}"' for p in cart)
            url[i] = f"{SHOP}/checkouts/cn/{tokens[s]}"
            custom[i] = (f'{{"value":{round(sum(p[2] for p in cart), 2)!r},"currency":"USD","content_ids":[{ids_json}],'
                         f'"content_type":"product","num_items":{len(cart)}}}')
        for i, s in zip(paid.tolist(), np.flatnonzero(bought).tolist()):
            order = orders[s]
            p, name = order["person"], order["name"][1:]
            user[i] = len(self.users)
            self.users.append(user_data(p, PURCHASE_KEYS, national_phone=order["created"] >= checkout_v2))
            ids_json = ",".join(f'"{product_[3]}"' for _, product_ in order["items"])
            url[i], eid[i] = f"{SHOP}/checkouts/cn/{tokens[s]}/thank-you", f"order-{name}"
            custom[i] = (f'{{"value":{order["total"]!r},"currency":"USD","order_id":"{name}",'
                         f'"content_ids":[{ids_json}],"content_type":"product",'
                         f'"num_items":{sum(q for q, _ in order["items"])}}}')
            self.browser_user[i] = f'"em":"{p.hashed["em"]}"'
        self.kind, self.time, self.visit, self.user = kind, time, session, user
        self.url, self.custom, self.eid, self.ids = url, custom, eid, ids

    def leads(self, leads: list[list[float]], times: list[float], first_visit: int, people: list[Person],
              user_data: Callable[..., UserData]) -> None:
        """Newsletter sign-ups, after the sessions: an email, sometimes a phone and a first name."""
        k, m = len(self.kind), len(leads)
        users = []
        for r, lead in zip(leads, people):
            users.append(len(self.users))
            keys = ("em",) + (("ph",) if r[2] < 0.4 else ()) + (("fn",) if r[3] < 0.6 else ())
            self.users.append(user_data(lead, keys))
        self.kind = np.concatenate([self.kind, np.full(m, LEAD)])
        self.time = np.concatenate([self.time, np.asarray(times, dtype=np.float64)])
        self.visit = np.concatenate([self.visit, first_visit + np.arange(m)])
        self.user = np.concatenate([self.user, np.asarray(users, dtype=np.int64)])
        self.url = np.concatenate([self.url, _objects([f"{SHOP}/pages/newsletter"] * m)])
        self.custom = np.concatenate([self.custom, _objects([_LEAD_CD] * m)])
        self.eid = np.concatenate([self.eid, _objects([f"lead-{i:012x}" for i in self.ids[k:k + m]])])


_PREFIX = ("vc-", "atc-", "ic-", "", "lead-")


class Day:
    """One day's server requests and pixel hits as JSON lines, with Meta's counters of what it accepted."""

    def __init__(self, funnel: Funnel, visits: Visits, tl: Timeline, rng: np.random.Generator) -> None:
        f, r = funnel, funnel.rows
        n, t, kind, visit = len(f.kind), f.time, f.kind, f.visit
        keys = np.asarray([u[3] for u in f.users], dtype=np.int64)[f.user]
        after_sdk = t >= tl.server_sdk_3
        plain = after_sdk & (keys & 1 > 0) & (r[:, 0] < 0.4)  # the new SDK skips hashing on one code path
        ti = t.astype(np.int64)
        et = np.where(r[:, 2] < 1 / 25_000, ti * 1000 + (r[:, 3] * 1000).astype(np.int64), ti)  # a few in ms
        with_id = ~((kind == ATC) & (t >= tl.atc_event_id_break) & (r[:, 1] < 0.6))
        pixel = ~visits.blocked[visit] & (r[:, 4] >= 0.02)
        bt = np.maximum(t - 0.2 - r[:, 5] * 3.8, t - t % DAY).astype(np.int64)
        lowered = (kind == PURCHASE) & (tl.theme_autumn <= bt) & (bt < tl.theme_autumn_hotfix)
        self.kind, self.t, self.keys = kind, t, keys
        self.flags = {"plain_em": plain, "with_id": with_id, "paired": pixel & ~lowered & with_id,
                      "after_sdk": after_sdk, "after_checkout": t >= tl.checkout_v2,
                      "fbc_lower": after_sdk & visits.fbc[visit]}
        self.fbc = visits.fbc[visit]

        # The server's requests: the events by time (then as they happened), up to 5 a request.
        order = np.argsort(t, kind="stable")
        hashed = _objects([u[0] + "," if u[0] else "" for u in f.users])
        unhashed = _objects([u[1] + "," if u[0] else "" for u in f.users])
        users = np.where(plain, unhashed[f.user], hashed[f.user])[order].tolist()
        fragments = np.where(after_sdk, _objects(visits.server_lower)[visit], _objects(visits.server)[visit])
        id_parts = np.where(with_id, _objects(['"event_id":"'] * n) + f.eid + '",', "")
        events = [f'{{"event_name":"{NAMES[k]}","event_time":{e},{ip}"action_source":"website",'
                  f'"event_source_url":"{u}","user_data":{{{user}{frag}}},"custom_data":{cd}}}'
                  for k, e, ip, u, user, frag, cd in zip(
                      kind[order].tolist(), et[order].tolist(), id_parts[order].tolist(), f.url[order].tolist(),
                      users, fragments[order].tolist(), f.custom[order].tolist())]
        self.server_lines, self.weight = self._requests(events, order, t[order], kind[order] == PURCHASE, tl, rng)

        # The pixel's copies: those not blocked, by their own time (then as they happened).
        kept = np.flatnonzero(pixel)
        border = kept[np.argsort(bt[kept], kind="stable")]
        self.bname = np.where(lowered, LOWER_PURCHASE, kind)[border]
        self.bt = bt[border]
        extra = [f',"user_data":{{{f.browser_user[i]}}}' if i in f.browser_user else "" for i in border.tolist()]
        self.browser_lines = [
            f'{{"pixel_id":"{PIXEL_ID}","event_name":"{NAMES[b]}","event_id":"{e}","event_time":{when},'
            f'"event_source_url":"{u}",{v}{x},"custom_data":{cd}}}'
            for b, e, when, u, v, x, cd in zip(self.bname.tolist(), f.eid[border].tolist(), self.bt.tolist(),
                                               f.url[border].tolist(), _objects(visits.browser)[visit[border]].tolist(),
                                               extra, f.custom[border].tolist())]

    @staticmethod
    def _requests(events: list[str], order: np.ndarray, times: np.ndarray, purchase: np.ndarray, tl: Timeline,
                  rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
        """The request lines, and how many accepted requests carried each event (0, 1, or 2 when retried).

        Request j carries the next sizes[j] events (by time); it is sent after the last of them, with
        draws[j]'s delay; a retry job sends its Purchases again, rarely.
        """
        n = len(events)
        sizes = rng.integers(1, 6, size=n)
        draws = rng.random((n, 4))
        ends = np.cumsum(sizes)
        m = int(np.searchsorted(ends, n)) + 1 if n else 0
        starts = ends[:m] - sizes[:m]
        ends = np.minimum(ends[:m], n)
        u0, u1 = draws[:m, 0], draws[:m, 1]
        delay = np.where(u0 < 0.7, 1 + u1 * 19, np.where(u0 < 0.95, 20 + u1 * 160, 180 + u1 * 720))
        sent = times[ends - 1] + delay
        # Requests are numbered as sent, a retry right after the request it repeats: equal times keep that order.
        resent = [(j, x) for j in np.flatnonzero(draws[:m, 2] < 0.002).tolist()
                  for x in range(int(starts[j]), int(ends[j])) if purchase[x]]
        before = np.zeros(m + 1, dtype=np.int64)
        for j, _ in resent:
            before[j + 1] += 1
        number = np.arange(m) + np.cumsum(before)[:m]
        again, numbers, events_again = [], [], []
        for k, (j, x) in enumerate(resent):
            again.append(float(sent[j]) + 600 + float(draws[j, 3]) * 6600)
            numbers.append(numbers[-1] + 1 if k and resent[k - 1][0] == j else int(number[j]) + 1)
            events_again.append(x)
        sent_all = np.concatenate([sent, np.asarray(again, dtype=np.float64)])
        first = np.concatenate([starts, np.asarray(events_again, dtype=np.int64)])
        end = first.copy()
        end[:m] = ends
        end[m:] += 1
        by_time = np.lexsort((np.concatenate([number, np.asarray(numbers, dtype=np.int64)]), sent_all))
        sent_all, first, end = sent_all[by_time], first[by_time], end[by_time]
        q = len(sent_all)
        traces = strings(rng, ALNUM_BYTES, q, 11)
        tests = rng.random(q)
        codes = rng.integers(10000, 100000, size=q).tolist()
        sdk = np.where(sent_all >= tl.server_sdk_3, _SDK_NEW, _SDK_OLD).tolist()
        accepted = ~((tl.outage_start <= sent_all) & (sent_all < tl.outage_end))
        lines = []
        for sent_at, a, b, trace, test, code, agent, ok in zip(_isos(sent_all), first.tolist(), end.tolist(), traces,
                                                              (tests < 1 / 8_000).tolist(), codes, sdk,
                                                              accepted.tolist()):
            extra = f',"test_event_code":"TEST{code}"' if test else ""
            response = (f'{{"status":200,"body":{{"events_received":{b - a},"messages":[],"fbtrace_id":"{trace}"}}}}'
                        if ok else _ERROR + trace + '"}}}')
            data = ",".join(events[a:b])
            lines.append(f'{{"pixel_id":"{PIXEL_ID}","sent_at":"{sent_at}","request":{{"data":[{data}],'
                         f'"partner_agent":"{agent}"{extra}}},"response":{response}}}')
        carried = np.zeros(n + 1, dtype=np.int64)
        np.add.at(carried, first[accepted], 1)
        np.add.at(carried, end[accepted], -1)
        weight = np.zeros(n, dtype=np.int64)
        weight[order] = np.cumsum(carried[:n])
        return lines, weight

    def counters(self) -> dict[str, dict[str, int]]:
        """What Meta accepted, as the Dataset Quality API's inputs: per event name, how many had what."""
        out: dict[str, dict[str, int]] = {}
        for code, name in enumerate(NAMES[:LOWER_PURCHASE]):
            w = np.where(self.kind == code, self.weight, 0)
            n = int(w.sum())
            if not n:
                continue
            plain = self.flags["plain_em"]
            c = {"n": n}
            # a plaintext email is no email key (Meta counts it as unhashed)
            counts = [(key, int(w[(self.keys & bit > 0) & (~plain if key == "em" else True)].sum()))
                      for key, bit in KEY_BITS.items()]
            counts += [(key, n) for key in _VISIT_KEYS] + [("fbc", int(w[self.fbc].sum()))]
            counts += [(flag, int(w[mask].sum())) for flag, mask in self.flags.items()]
            c.update((key, v) for key, v in counts if v)
            out[name] = c
        for b, count in zip(*np.unique(self.bname, return_counts=True)):
            out.setdefault(NAMES[b], {"n": 0})["browser"] = int(count)
        return out

    def stats(self, day_start: int) -> dict[tuple[str, int], dict[str, int]]:
        """Meta's hourly counts: the server events it accepted and the pixel's hits, per (source, hour)."""
        stats: dict[tuple[str, int], dict[str, int]] = {}
        for source, hour, name, weight in (
                ("SERVER_ONLY", self.t.astype(np.int64) // 3600 * 3600, self.kind, self.weight),
                ("WEB_ONLY", self.bt // 3600 * 3600, self.bname, None)):
            cell = (hour - day_start) * 8 + name
            if weight is not None:
                cell, weight = cell[weight > 0], weight[weight > 0]
            cells, at = np.unique(cell, return_inverse=True)
            for c, v in zip(cells.tolist(), np.bincount(at, weights=weight).tolist()):
                stats.setdefault((source, day_start + c // 8), {})[NAMES[c % 8]] = int(v)
        return stats
