"""A deterministic demo store: orders, server and browser events, Meta snapshots, with realistic breakages."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import random
import unicodedata
import urllib.parse
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

PIXEL_ID = "1234567890"
SHOP = "https://shop.example.com"
KINDS = ("orders", "server-events", "browser-events", "deployments", "meta-quality", "meta-stats")
SHOPIFY_COLUMNS = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Taxes,Total,"
    "Discount Code,Created at,Lineitem quantity,Lineitem name,Lineitem price,Billing Name,Billing Phone,"
    "Billing City,Billing Zip,Billing Province,Billing Country,Phone,Cancelled at,Source,Id"
).split(",")
CANONICAL_COLUMNS = (
    "order_id,created_at,total,currency,status,email,phone,first_name,last_name,city,state,zip,country,"
    "customer_id,channel,test,updated_at"
).split(",")
ELIGIBLE = ("paid", "partially_refunded", "refunded")  # the statuses a web Purchase is sent for
_DAY = 86400
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CLICK_ID = _ALNUM + "_-"
_json = json.JSONEncoder(separators=(",", ":")).encode  # compact and fast (the C encoder)


# --- Meta's normalization, written out locally so the demo does not depend on the code it tests ---

_CALLING_CODE = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33"}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _letters(value: str) -> str:
    """Lowercase, keep letters and digits only (Meta: no punctuation or spaces; UTF-8 letters allowed)."""
    return "".join(ch for ch in value.lower() if ch.isalnum())


def normalize_phone(raw: str, country: str) -> str:
    """E.164 digits without '+': national numbers get the country code and lose the trunk 0."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.lstrip().startswith("+"):
        return digits
    code, national = _CALLING_CODE[country], digits.lstrip("0")
    return national if code == "1" and len(national) == 11 and national.startswith("1") else code + national


def national_digits(raw: str) -> str:
    """checkout-v2's mistake: the national number's digits, no trunk 0 and no country code."""
    return "".join(ch for ch in raw if ch.isdigit()).lstrip("0")


def normalize_zip(raw: str, country: str) -> str:
    z = raw.lower().replace(" ", "").replace("-", "")
    return z[:5] if country == "US" else z


def hashed_user_data(person: Person) -> dict[str, str]:
    """The correctly normalized and hashed customer keys of a person (absent fields left out)."""
    plain = {
        "em": person.email.strip().lower(),
        "ph": normalize_phone(person.phone, person.country) if person.phone else "",
        "fn": _letters(person.first),
        "ln": _letters(person.last),
        "ct": _letters(person.city),
        "st": _letters(person.state),
        "zp": normalize_zip(person.zip, person.country),
        "country": person.country.lower(),
    }
    hashed = {key: sha256(value) for key, value in plain.items() if value}
    hashed["external_id"] = sha256(person.cid)  # hashed, as Meta recommends (Meta's Python SDK would not)
    return hashed


# --- the people, places and things of the demo store ---

@dataclass(slots=True)
class Person:
    cid: str
    first: str
    last: str
    email: str
    phone: str
    city: str
    state: str
    zip: str
    country: str
    hashed: dict[str, str]


@dataclass(slots=True)
class _Visit:
    ip: str
    ua: str
    fbp: str
    fbc: str | None
    browser_fbc: str | None
    blocked: bool


# city, province (US states and CA provinces only), zip seed, phone area code
_CITIES: dict[str, list[tuple[str, str, str, str]]] = {
    "US": [("New York", "NY", "100", "212"), ("Los Angeles", "CA", "900", "310"), ("Chicago", "IL", "606", "312"),
           ("Houston", "TX", "770", "713"), ("Phoenix", "AZ", "850", "602"), ("Philadelphia", "PA", "191", "215"),
           ("San Diego", "CA", "921", "619"), ("Austin", "TX", "787", "512"), ("Seattle", "WA", "981", "206"),
           ("Denver", "CO", "802", "303"), ("Boston", "MA", "021", "617"), ("Atlanta", "GA", "303", "404"),
           ("Miami", "FL", "331", "305"), ("Portland", "OR", "972", "503"), ("St. Louis", "MO", "631", "314"),
           ("Minneapolis", "MN", "554", "612"), ("Nashville", "TN", "372", "615"),
           ("San Francisco", "CA", "941", "415"), ("Salt Lake City", "UT", "841", "801"),
           ("Newark", "NJ", "071", "973")],
    "GB": [("London", "", "SW1A,EC1A,N1,SE1,W1D,E2", ""), ("Manchester", "", "M1,M4,M20", ""),
           ("Birmingham", "", "B1,B15", ""), ("Leeds", "", "LS1,LS6", ""), ("Glasgow", "", "G1,G12", ""),
           ("Bristol", "", "BS1,BS8", ""), ("Edinburgh", "", "EH1,EH3", ""), ("Liverpool", "", "L1,L8", "")],
    "DE": [("Berlin", "", "10115-14199", ""), ("München", "", "80331-81929", ""), ("Hamburg", "", "20095-22769", ""),
           ("Köln", "", "50667-51149", ""), ("Frankfurt am Main", "", "60311-60599", ""),
           ("Düsseldorf", "", "40210-40629", ""), ("Leipzig", "", "04103-04357", "")],
    "FR": [("Paris", "", "75001-75020", ""), ("Lyon", "", "69001-69009", ""), ("Marseille", "", "13001-13016", ""),
           ("Toulouse", "", "31000-31500", ""), ("Nice", "", "06000-06300", ""), ("Bordeaux", "", "33000-33800", ""),
           ("Saint-Étienne", "", "42000-42100", "")],
    "CA": [("Toronto", "ON", "M5V,M4W,M6G", "416"), ("Vancouver", "BC", "V6B,V5K", "604"),
           ("Montréal", "QC", "H2X,H3B", "514"), ("Calgary", "AB", "T2P,T3A", "403"),
           ("Ottawa", "ON", "K1P,K2G", "613")],
}
_NAMES: dict[str, tuple[list[str], list[str]]] = {
    "US": ("James Mary Michael Jennifer David Emily Chris Ashley Daniel Jessica Matthew Sarah Tyler Megan Brandon "
           "Olivia Mia Ethan Ava Noah".split(),
           "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Anderson Taylor Thomas "
           "Moore Jackson O'Connor Nguyen Kim Patel".split()),
    "GB": ("Oliver Amelia Harry Isla George Ava Jack Freya Charlie Poppy Thomas Emily Sophie William Grace".split(),
           "Smith Jones Taylor Brown Williams Wilson Davies Evans Thomas Roberts O'Brien Hughes Walker Wright "
           "Clarke".split()),
    "DE": ("Lukas Sophie Jonas Marie Leon Mia Felix Emma Paul Hannah Jürgen Lena".split(),
           "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schröder Hoffmann Schäfer Koch".split()),
    "FR": ("Léa Hugo Chloé Louis Manon Gabriel Camille Jules Hélène François Anne-Marie Lucas".split(),
           "Martin Bernard Dubois Thomas Robert Richard Petit Durand Lefèvre Moreau Laurent Girard".split()),
    "CA": ("Liam Olivia Noah Emma William Charlotte Benjamin Chloé Samuel Zoé".split(),
           "Tremblay Gagnon Roy Côté Bouchard Smith Brown Wilson MacDonald Campbell".split()),
}
_COUNTRY_WEIGHTS = (("US", 65), ("GB", 15), ("DE", 8), ("FR", 6), ("CA", 6))
_VAT = {"GB": 0.20, "DE": 0.19, "FR": 0.20}  # prices include VAT there; US/CA sales tax is added
# (user agent, is WebKit/Safari — ITP shortens the _fbc cookie there, weight)
_AGENTS = (
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Mobile/15E148 Safari/604.1", True, 27),
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Mobile Safari/537.36", False, 18),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Safari/537.36", False, 14),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Safari/605.1.15", True, 7),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Safari/537.36", False, 8),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 [FBAN/FBIOS;FBAV/489.0.0.38.108;FBBV/667890123;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;"
     "FBSV/18.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]", True, 6),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 Instagram 356.0.0.24.107 (iPhone15,3; iOS 18_1; en_US; en; scale=3.00; 1179x2556; 667890123)",
     True, 5),
    ("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", False, 4),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Safari/537.36 Edg/130.0.0.0", False, 4),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", False, 3),
    ("Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
     "Mobile/15E148 Safari/604.1", True, 3),
)
_AGENT_WEIGHTS = [weight for _, _, weight in _AGENTS]
# handle, product name, price, Shopify product id
_PRODUCTS = [
    (handle, name, price, str(8_812_345_600_000 + 37 * i))
    for i, (handle, name, price) in enumerate([
        ("merino-crew-sweater", "Merino Crew Sweater - Navy / M", 89.00),
        ("linen-shirt", "Linen Shirt - White / L", 64.00),
        ("canvas-tote", "Canvas Tote - Natural", 24.00), ("wool-beanie", "Wool Beanie - Charcoal", 29.00),
        ("trail-socks-3pk", "Trail Socks 3-Pack - Mixed", 19.50),
        ("rain-shell", "Packable Rain Shell - Olive / M", 129.00),
        ("ceramic-mug", "Stoneware Mug - Speckled", 22.00), ("chino-pants", "Everyday Chino - Khaki / 32", 78.00),
        ("leather-belt", "Leather Belt - Brown / 34", 45.00), ("cotton-tee", "Organic Cotton Tee - Black / S", 28.00),
        ("down-vest", "Down Vest - Navy / L", 149.00), ("knit-scarf", "Ribbed Knit Scarf - Rust", 39.00),
        ("flannel-shirt", "Flannel Shirt - Red Check / M", 69.00), ("travel-pouch", "Travel Pouch - Black", 18.00),
        ("hoodie", "Heavyweight Hoodie - Grey / M", 84.00), ("gift-card", "Gift Card - $50", 50.00),
    ])
]
_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 7, 8, 8, 9, 10, 10, 9, 7, 5, 3)
_HOUR_CUM = [sum(_HOUR_WEIGHTS[: h + 1]) for h in range(24)]
_DISCOUNTS = (("WELCOME10", 0.10), ("FALL15", 0.15), ("FRIENDS20", 0.20))


def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()


# --- when things change ---

@dataclass(frozen=True, slots=True)
class Timeline:
    """Unix times of the demo's releases and breaks (days scaled to `days`; exact for days=90)."""

    start: date
    end: date
    copy_tweaks: int
    checkout_v2: int  # server Purchase phones hashed without the country code, to the end
    theme_autumn: int  # pixel sends 'purchase' instead of 'Purchase' ...
    theme_autumn_hotfix: int  # ... until this fix
    server_sdk_3: int  # 40% of em in plaintext, fbc lowercased, to the end
    outage_start: int  # every request rejected, code 190 (token expired) ...
    outage_end: int  # ... until the token is renewed (no deployment)
    gtm_consent_banner: int  # browser volume down ~15% more, to the end
    atc_event_id_break: int  # unannotated: 60% of server AddToCart without event_id, to the end

    def deployments(self) -> list[tuple[int, str, str, str, str]]:
        """(deployed_at, name, description, component, pixel_id) in time order."""
        return [
            (self.copy_tweaks, "copy-tweaks", "Product page copy and size-guide wording", "theme", ""),
            (self.checkout_v2, "checkout-v2", "New one-page checkout with address autocomplete", "checkout", PIXEL_ID),
            (self.theme_autumn, "theme-autumn", "Autumn theme: new homepage, PDP and thank-you page", "theme", ""),
            (self.theme_autumn_hotfix, "theme-autumn-hotfix", "Restore the thank-you page pixel snippet", "theme", ""),
            (self.server_sdk_3, "server-sdk-3.0", "Upgrade the server-side tracking SDK to 3.0", "server", PIXEL_ID),
            (self.gtm_consent_banner, "gtm-consent-banner", "Consent banner via GTM; the pixel waits for consent",
             "gtm", ""),
        ]


def timeline(days: int = 90, end: date = date(2026, 11, 22)) -> Timeline:
    start = end - timedelta(days=days - 1)
    t0 = int(datetime(start.year, start.month, start.day, tzinfo=timezone.utc).timestamp())

    def at(day: int, hour: float) -> int:
        # scaled so that a short demo (tests) still passes through every break in the same order
        return t0 + round((day + hour / 24) * days / 90 * _DAY / 60) * 60

    return Timeline(start, end, at(24, 15.3), at(35, 9.2), at(50, 14.1), at(57, 10.5), at(64, 16.75),
                    at(70, 3.0), at(72, 15.0), at(76, 11.0), at(82, 13.0))


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shopify_time(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")


# --- the generator ---

# identifier names of the Dataset Quality API's match_key_feedback and their user_data keys
_MATCH_KEYS = (("email", "em"), ("phone", "ph"), ("ip_address", "client_ip_address"),
               ("user_agent", "client_user_agent"), ("external_id", "external_id"), ("fbc", "fbc"), ("fbp", "fbp"),
               ("first_name", "fn"), ("last_name", "ln"), ("city", "ct"), ("state", "st"), ("zip", "zp"),
               ("country", "country"))
# Meta's composite_score before any break, and how far server-sdk-3.0 pulls it down
_EMQ_BASE = {"Purchase": 8.4, "InitiateCheckout": 7.0, "AddToCart": 6.6, "ViewContent": 5.7, "Lead": 7.9}
_EMQ_SDK_DROP = {"Purchase": 0.7, "InitiateCheckout": 0.6, "AddToCart": 0.5, "ViewContent": 0.4, "Lead": 0.9}
_EMQ_CHECKOUT_DROP = 0.8  # Purchase only
_BROWSER_LOSS = 0.22  # ad blockers
_CONSENT_LOSS = 0.15  # on top, after gtm-consent-banner


class _Store:
    def __init__(self, out_dir: Path, seed: int, days: int, end: date, orders_per_day: int) -> None:
        self.out, self.days, self.opd = out_dir, days, orders_per_day
        self.rng = random.Random(seed)
        self.tl = timeline(days, end)
        self.t0 = int(datetime(*self.tl.start.timetuple()[:3], tzinfo=timezone.utc).timestamp())
        self.t_end = self.t0 + days * _DAY
        self.people: list[Person] = []
        self.n_people = 0
        self.order_no = 1000
        self.order_id = 6_130_412_345_678
        self.order_rows: list[list[list[str]]] = [[] for _ in range(days)]
        self.seq = 0
        self.stats: dict[tuple[str, int], dict[str, int]] = {}
        self.quality: list[dict[str, dict[str, int]]] = []  # per day, per event name: counters
        self.paths: dict[str, list[Path]] = {kind: [] for kind in KINDS}
        self.on_file: Callable[[str, Path], None] | None = None

    # -- people and visits --

    def person(self) -> Person:
        rng = self.rng
        country = rng.choices([c for c, _ in _COUNTRY_WEIGHTS], [w for _, w in _COUNTRY_WEIGHTS])[0]
        firsts, lasts = _NAMES[country]
        first, last = rng.choice(firsts), rng.choice(lasts)
        city, state, zip_seed, area = rng.choice(_CITIES[country])
        self.n_people += 1
        email = f"{_ascii(first)}.{_ascii(last)}{self.n_people}@example.com"
        if rng.random() < 0.05:  # typed with capitals; Meta's normalization lowercases it
            email = email[0].upper() + email[1:]
        if country == "US":
            plus4 = f"-{rng.randint(1000, 9999)}" if rng.random() < 0.1 else ""  # ZIP+4; Meta keeps the first 5
            zip_code = f"{zip_seed}{rng.randint(1, 99):02d}{plus4}"
        elif country == "GB":  # outward code, space, digit and two letters
            letters = "".join(rng.choices("ABDEFGHJLNPQRSTUWXYZ", k=2))
            zip_code = f"{rng.choice(zip_seed.split(','))} {rng.randint(1, 9)}{letters}"
        elif country == "CA":  # "M5V 2T6"
            zip_code = f"{rng.choice(zip_seed.split(','))} {rng.randint(1, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}" \
                       f"{rng.randint(1, 9)}"
        else:
            low, high = zip_seed.split("-")
            zip_code = f"{rng.randint(int(low), int(high)):05d}"
        phone = ""
        if rng.random() < 0.75:
            if country in ("US", "CA"):
                phone = f"({area}) 555-01{rng.randint(0, 99):02d}"
            elif country == "GB":
                phone = f"07700 900{rng.randint(0, 999):03d}"
            elif country == "DE":
                phone = f"0{rng.choice(('151', '160', '170', '176'))} {rng.randint(10_000_000, 99_999_999)}"
            else:
                phone = f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        cid = str(7_340_000_000_000 + self.n_people * 97)
        p = Person(cid, first, last, email, phone, city, state, zip_code, country, {})
        p.hashed = hashed_user_data(p)
        return p

    def visit(self, t: float) -> _Visit:
        rng = self.rng
        ua, safari, _ = rng.choices(_AGENTS, _AGENT_WEIGHTS)[0]
        if rng.random() < 0.25:
            ip = f"2001:db8:{rng.randint(1, 0xFFFF):x}:{rng.randint(1, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
        else:
            ip = f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"
        fbp = f"fb.1.{int((t - rng.uniform(60, 60 * _DAY)) * 1000)}.{rng.randint(100_000_000, 2_147_483_647)}"
        fbc = None
        if rng.random() < 0.30:
            click = "IwAR" + "".join(rng.choices(_CLICK_ID, k=36))
            fbc = f"fb.1.{int((t - rng.uniform(5, 3 * _DAY)) * 1000)}.{click}"
        # ITP caps the _fbc cookie the pixel reads; the server kept the click id from the landing URL
        browser_fbc = None if fbc is None or (safari and rng.random() < 0.6) else fbc
        loss = _BROWSER_LOSS + (1 - _BROWSER_LOSS) * _CONSENT_LOSS if t >= self.tl.gtm_consent_banner else _BROWSER_LOSS
        return _Visit(ip, ua, fbp, fbc, browser_fbc, rng.random() < loss)

    def moment(self, day_start: int) -> float:
        hour = self.rng.choices(range(24), cum_weights=_HOUR_CUM)[0]
        return day_start + hour * 3600 + self.rng.uniform(0, 3600)

    # -- orders --

    def order(self, created: float) -> dict:
        rng = self.rng
        source = "pos" if (r := rng.random()) < 0.03 else "draft" if r < 0.045 else "web"
        if self.people and rng.random() < 0.25:
            person = rng.choice(self.people)
        else:
            person = self.person()
            self.people.append(person)
        r = rng.random()
        status = ("pending" if r < 0.02 else "refunded" if r < 0.05 else "partially_refunded" if r < 0.065
                  else "voided" if r < 0.075 else "cancelled" if r < 0.085 else "paid")
        items = []
        for _ in range(rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]):
            product = rng.choice(_PRODUCTS)
            items.append((rng.choices((1, 2, 3), (85, 12, 3))[0], product))
        gross = sum(q * p[2] for q, p in items)
        code, rate = rng.choice(_DISCOUNTS) if rng.random() < 0.12 else ("", 0.0)
        subtotal = round(gross * (1 - rate), 2)
        shipping = 0.0 if subtotal >= 75 or source == "pos" else (6.95 if person.country == "US" else 12.95)
        vat = _VAT.get(person.country)
        if vat:
            taxes, total = round(subtotal * vat / (1 + vat), 2), round(subtotal + shipping, 2)
        else:
            taxes = round(subtotal * (0.0725 if person.country == "US" else 0.13), 2)
            total = round(subtotal + shipping + taxes, 2)
        return {"created": created, "source": source, "person": person, "status": status, "items": items,
                "code": code, "subtotal": subtotal, "shipping": shipping, "taxes": taxes, "total": total}

    def shopify_rows(self, o: dict) -> list[list[str]]:
        rng, p, status = self.rng, o["person"], o["status"]
        created = o["created"]
        financial, cancelled = status, ""
        if status == "cancelled":
            financial = "refunded" if rng.random() < 0.6 else "voided"
            cancelled = _shopify_time(min(created + rng.uniform(3600, 2 * _DAY), self.t_end - 60))
        paid = _shopify_time(created + rng.uniform(1, 6)) if financial in ELIGIBLE else ""
        fulfilled = ("restocked" if cancelled else "fulfilled" if status in ELIGIBLE and created < self.t_end - 3 * _DAY
                     else "unfulfilled")
        pos = o["source"] == "pos"
        email = p.email if not pos or rng.random() < 0.4 else ""
        phone_col = "+" + normalize_phone(p.phone, p.country) if p.phone and rng.random() < 0.35 else ""
        billing = [""] * 6 if pos else [f"{p.first} {p.last}", p.phone, p.city, p.zip, p.state, p.country]
        q, product = o["items"][0]
        first = [o["name"], email, financial, paid, fulfilled, "USD", f"{o['subtotal']:.2f}", f"{o['shipping']:.2f}",
                 f"{o['taxes']:.2f}", f"{o['total']:.2f}", o["code"], _shopify_time(created), str(q), product[1],
                 f"{product[2]:.2f}", *billing, phone_col,
                 cancelled, o["source"], str(o["id"])]
        rows = [first]
        for q, product in o["items"][1:]:  # further line items: only Name and the line item columns
            row = [""] * len(SHOPIFY_COLUMNS)
            row[0], row[12], row[13], row[14] = o["name"], str(q), product[1], f"{product[2]:.2f}"
            rows.append(row)
        return rows

    # -- events --

    def emit(self, server: list, browser: list, visit: _Visit, name: str, t: float, eid: str, url: str,
             ud: dict[str, str], cd: dict, browser_ud: dict[str, str] | None = None) -> None:
        rng, tl = self.rng, self.tl
        ud["client_ip_address"], ud["client_user_agent"], ud["fbp"] = visit.ip, visit.ua, visit.fbp
        if visit.fbc:
            ud["fbc"] = visit.fbc.lower() if t >= tl.server_sdk_3 else visit.fbc
        if "em" in ud and t >= tl.server_sdk_3 and rng.random() < 0.4:
            ud["em"] = ud.pop("_plain_em")  # the new SDK skips hashing on one code path
        ud.pop("_plain_em", None)
        ti = int(t)
        event: dict = {"event_name": name, "event_time": ti, "event_id": eid, "action_source": "website",
                       "event_source_url": url, "user_data": ud, "custom_data": cd}
        if name == "AddToCart" and t >= tl.atc_event_id_break and rng.random() < 0.6:
            del event["event_id"]
        if rng.random() < 1 / 25_000:
            event["event_time"] = ti * 1000 + rng.randint(0, 999)
        paired = False
        if not visit.blocked and rng.random() >= 0.02:
            bt = int(max(t - rng.uniform(0.2, 4.0), t - t % _DAY))
            bname = "purchase" if name == "Purchase" and tl.theme_autumn <= bt < tl.theme_autumn_hotfix else name
            b = {"pixel_id": PIXEL_ID, "event_name": bname, "event_id": eid, "event_time": bt,
                 "event_source_url": url, "fbp": visit.fbp, "fbc": visit.browser_fbc,
                 "client_user_agent": visit.ua, "client_ip_address": visit.ip}
            if browser_ud:
                b["user_data"] = browser_ud
            b["custom_data"] = cd
            browser.append((bt, self.seq, b))
            paired = bname == name and "event_id" in event
        self.seq += 1
        server.append((t, self.seq, event, paired))

    def user(self, person: Person | None, keys: tuple[str, ...]) -> dict[str, str]:
        if person is None:
            return {}
        ud = {k: person.hashed[k] for k in keys if k in person.hashed}
        if "em" in ud:
            ud["_plain_em"] = person.email
        return ud

    def browse(self, server: list, browser: list, visit: _Visit, t: float, until: float, person: Person | None,
               n_views: int, n_carts: int, checkout: bool) -> tuple[list, str]:
        """A session's upper funnel from t (no event after until); returns the cart and the checkout token."""
        rng = self.rng
        ud_keys = ("em", "ph", "external_id")  # only a logged-in visitor is known this early
        cart: list = []
        product = rng.choice(_PRODUCTS)
        for i in range(n_views):
            product = rng.choice(_PRODUCTS)
            url = f"{SHOP}/products/{product[0]}"
            if i == 0 and visit.fbc:
                url += "?fbclid=" + visit.fbc.rsplit(".", 1)[1]
            cd = {"value": product[2], "currency": "USD", "content_ids": [product[3]], "content_type": "product"}
            self.emit(server, browser, visit, "ViewContent", min(t, until), f"vc-{rng.getrandbits(48):012x}", url,
                      self.user(person, ud_keys), cd)
            t += rng.uniform(15, 240)
        for i in range(n_carts):
            if i:
                product = rng.choice(_PRODUCTS)
            cart.append(product)
            cd = {"value": product[2], "currency": "USD", "content_ids": [product[3]], "content_type": "product"}
            self.emit(server, browser, visit, "AddToCart", min(t, until), f"atc-{rng.getrandbits(48):012x}",
                      f"{SHOP}/products/{product[0]}", self.user(person, ud_keys), cd)
            t += rng.uniform(20, 300)
        token = "".join(rng.choices(_ALNUM, k=24))
        if checkout:
            cd = {"value": round(sum(p[2] for p in cart), 2), "currency": "USD",
                  "content_ids": [p[3] for p in cart], "content_type": "product", "num_items": len(cart)}
            self.emit(server, browser, visit, "InitiateCheckout", min(t, until), f"ic-{rng.getrandbits(48):012x}",
                      f"{SHOP}/checkouts/cn/{token}", self.user(person, ud_keys), cd)
        return cart, token

    def day(self, d: int) -> None:
        rng, tl = self.rng, self.tl
        day_start = self.t0 + d * _DAY
        day_end = day_start + _DAY
        weekend = datetime.fromtimestamp(day_start, timezone.utc).weekday() >= 5
        growth = 0.92 + 0.16 * d / max(self.days - 1, 1)
        n_orders = max(1, round(self.opd * growth * (1.2 if weekend else 1.0) * rng.gauss(1, 0.04)))
        orders = [self.order(min(self.moment(day_start), day_end - 90)) for _ in range(n_orders)]
        orders.sort(key=lambda o: o["created"])
        server: list = []
        browser: list = []
        n_web = 0
        for o in orders:
            self.order_no += 1
            self.order_id += rng.randint(1_000, 90_000)
            o["name"], o["id"] = f"#{self.order_no}", self.order_id
            self.order_rows[d].extend(self.shopify_rows(o))
            if o["source"] != "web":
                continue
            n_web += 1
            created, person = o["created"], o["person"]
            visit = self.visit(created)
            n_views, n_carts = rng.choice((1, 1, 2, 2, 3)), len(o["items"])
            start = max(day_start, created - rng.uniform(300, 1800))
            _, token = self.browse(server, browser, visit, start, created - 30,
                                   person if rng.random() < 0.3 else None, n_views, n_carts, True)
            if o["status"] in ELIGIBLE or (o["status"] == "pending" and rng.random() < 0.10):
                ud = self.user(person, ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id"))
                if created >= tl.checkout_v2 and person.phone:
                    ud["ph"] = sha256(national_digits(person.phone))
                cd = {"value": o["total"], "currency": "USD", "order_id": o["name"][1:],
                      "content_ids": [p[3] for _, p in o["items"]], "content_type": "product",
                      "num_items": sum(q for q, _ in o["items"])}
                self.emit(server, browser, visit, "Purchase", created + rng.uniform(2, 25),
                          f"order-{o['name'][1:]}", f"{SHOP}/checkouts/cn/{token}/thank-you", ud, cd,
                          {"em": person.hashed["em"]})
        # visitors who did not buy: abandoned checkouts, abandoned carts, plain browsing (per web order)
        for views, carts, checkout, per_order in ((1, 2, True, 1.5), (1, 2, False, 0.7), (2, 0, False, 1.0)):
            expected = per_order * n_web
            for _ in range(int(expected) + (rng.random() < expected % 1)):
                t = self.moment(day_start)
                known = rng.choice(self.people) if self.people and rng.random() < 0.3 else None
                self.browse(server, browser, self.visit(t), t, day_end - 1, known, rng.randint(1, views),
                            rng.randint(1, carts) if carts else 0, checkout)
        for _ in range(rng.randint(2, 8)):  # newsletter sign-ups
            t = self.moment(day_start)
            lead = self.person()
            keys = ("em",) + (("ph",) if rng.random() < 0.4 else ()) + (("fn",) if rng.random() < 0.6 else ())
            self.emit(server, browser, self.visit(t), "Lead", t, f"lead-{rng.getrandbits(48):012x}",
                      f"{SHOP}/pages/newsletter", self.user(lead, keys), {"content_name": "newsletter"})
        self.write_server(d, server)
        self.write_browser(d, browser)

    def write_server(self, d: int, server: list) -> None:
        rng, tl = self.rng, self.tl
        server.sort(key=lambda e: (e[0], e[1]))
        requests: list[tuple[float, int, list]] = []
        i = 0
        while i < len(server):
            batch = server[i:i + rng.randint(1, 5)]
            i += len(batch)
            r = rng.random()
            delay = rng.uniform(1, 20) if r < 0.7 else rng.uniform(20, 180) if r < 0.95 else rng.uniform(180, 900)
            requests.append((batch[-1][0] + delay, len(requests), batch))
            for item in batch:
                if item[2]["event_name"] == "Purchase" and rng.random() < 0.002:  # re-sent by a retry job
                    requests.append((batch[-1][0] + delay + rng.uniform(600, 7200), len(requests), [item]))
        requests.sort(key=lambda r: (r[0], r[1]))
        counters: dict[str, dict[str, int]] = {}
        lines = []
        for sent, _, batch in requests:
            trace = "".join(rng.choices(_ALNUM, k=11))
            sdk = "shopstack-capi_3.0.0" if sent >= tl.server_sdk_3 else "shopstack-capi_2.4.1"
            request: dict = {"data": [item[2] for item in batch], "partner_agent": sdk}
            if rng.random() < 1 / 8_000:
                request["test_event_code"] = f"TEST{rng.randint(10000, 99999)}"
            rejected = tl.outage_start <= sent < tl.outage_end
            if rejected:
                response = {"status": 400, "body": {"error": {
                    "message": "Error validating access token: Session has expired", "type": "OAuthException",
                    "code": 190, "error_subcode": 463, "fbtrace_id": trace}}}
            else:
                response = {"status": 200, "body": {"events_received": len(batch), "messages": [], "fbtrace_id": trace}}
                for t, _, event, paired in batch:
                    self.count(counters, event, t, paired)
            lines.append(_json({"pixel_id": PIXEL_ID, "sent_at": _iso(sent), "request": request, "response": response}))
        self.quality.append(counters)
        self.write_lines("server-events", d, lines)

    def count(self, counters: dict[str, dict[str, int]], event: dict, t: float, paired: bool) -> None:
        """What Meta accepted: hourly /stats counts and the Dataset Quality API's inputs."""
        name = event["event_name"]
        hour = int(t) // 3600 * 3600
        bucket = self.stats.setdefault(("SERVER_ONLY", hour), {})
        bucket[name] = bucket.get(name, 0) + 1
        c = counters.setdefault(name, {"n": 0})
        c["n"] += 1
        for key in event["user_data"]:
            c[key] = c.get(key, 0) + 1
        if "@" in event["user_data"].get("em", ""):
            c["plain_em"] = c.get("plain_em", 0) + 1
            c["em"] -= 1
        if "event_id" in event:
            c["with_id"] = c.get("with_id", 0) + 1
        c["paired"] = c.get("paired", 0) + paired
        c["after_sdk"] = c.get("after_sdk", 0) + (t >= self.tl.server_sdk_3)
        c["after_checkout"] = c.get("after_checkout", 0) + (t >= self.tl.checkout_v2)
        if t >= self.tl.server_sdk_3 and "fbc" in event["user_data"]:
            c["fbc_lower"] = c.get("fbc_lower", 0) + 1

    def write_browser(self, d: int, browser: list) -> None:
        browser.sort(key=lambda e: (e[0], e[1]))
        counters = self.quality[-1]
        lines = []
        for t, _, b in browser:
            name = b["event_name"]
            bucket = self.stats.setdefault(("WEB_ONLY", t // 3600 * 3600), {})
            bucket[name] = bucket.get(name, 0) + 1
            c = counters.setdefault(name, {"n": 0})
            c["browser"] = c.get("browser", 0) + 1
            lines.append(_json(b))
        self.write_lines("browser-events", d, lines)

    def write_lines(self, kind: str, d: int, lines: list[str]) -> None:
        path = self.out / kind / f"{self.tl.start + timedelta(days=d)}.jsonl"
        path.write_text("\n".join(lines) + "\n" if lines else "")
        self.paths[kind].append(path)
        if self.on_file is not None:
            self.on_file(kind, path)

    # -- files written once at the end --

    def write_orders(self) -> None:
        for first in range(0, self.days, 30):
            last = min(first + 30, self.days) - 1
            span = f"{self.tl.start + timedelta(days=first)}_{self.tl.start + timedelta(days=last)}"
            path = self.out / "orders" / f"{span}.csv"
            with path.open("w", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(SHOPIFY_COLUMNS)
                for d in range(first, last + 1):
                    writer.writerows(self.order_rows[d])
            self.paths["orders"].append(path)

    def write_deployments(self) -> None:
        path = self.out / "deployments" / "deployments.csv"
        _write_deployments(path, self.tl.deployments())
        self.paths["deployments"].append(path)

    def write_stats(self) -> None:
        for d in range(self.days):
            day_start = self.t0 + d * _DAY
            fetched = day_start + _DAY + 6 * 3600 + 300  # the next morning's sync
            lines = []
            for source in ("SERVER_ONLY", "WEB_ONLY"):
                for page, hours in enumerate((range(0, 12), range(12, 24))):
                    buckets = [(day_start + h * 3600, self.stats.get((source, day_start + h * 3600))) for h in hours]
                    lines.append(_json(_stats_page(fetched + page, source, [(t, b) for t, b in buckets if b],
                                                   last=page == 1)))
            path = self.out / "meta-stats" / f"{self.tl.start + timedelta(days=d)}.jsonl"
            path.write_text("\n".join(lines) + "\n")
            self.paths["meta-stats"].append(path)

    def write_quality(self) -> None:
        rng = self.rng
        first = max(1, self.days - 60)
        snapshot_days = list(range(first, self.days))
        without_dedupe = set(rng.sample(snapshot_days, k=min(3, len(snapshot_days))))
        for d in snapshot_days:
            window: dict[str, dict[str, int]] = {}
            for counters in self.quality[max(0, d - 7):d]:
                for name, c in counters.items():
                    w = window.setdefault(name, {})
                    for key, value in c.items():
                        w[key] = w.get(key, 0) + value
            web = [_quality_entry(name, window[name], rng.gauss(0, 0.05), d not in without_dedupe)
                   for name in _EMQ_BASE if window.get(name, {}).get("n")]
            fetched = self.t0 + d * _DAY + 6 * 3600
            body = {"pixel_id": PIXEL_ID, "fetched_at": _iso(fetched), "response": {"web": web}}
            path = self.out / "meta-quality" / f"{self.tl.start + timedelta(days=d)}.json"
            path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
            self.paths["meta-quality"].append(path)


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _quality_entry(name: str, w: dict[str, int], noise: float, with_dedupe: bool) -> dict:
    """One event of a Dataset Quality API response, from the accepted server events of the last 7 days."""
    n = w["n"]
    score = _EMQ_BASE[name] - _EMQ_SDK_DROP[name] * w.get("after_sdk", 0) / n
    if name == "Purchase":
        score -= _EMQ_CHECKOUT_DROP * w.get("after_checkout", 0) / n
    diagnostics = []
    if w.get("plain_em"):
        diagnostics.append({
            "name": "Unhashed customer information parameters",
            "description": "Your server is sending customer information parameters that are not hashed.",
            "solution": "Hash em, ph and the other customer information parameters with SHA-256 before sending.",
            "percentage": _pct(w["plain_em"], n), "affected_event_count": w["plain_em"], "total_event_count": n})
    if w.get("fbc_lower"):
        diagnostics.append({
            "name": "Server sending modified fbclid values",
            "description": "Your server is sending modified fbclid values in the fbc parameter.",
            "solution": "Send the fbc value exactly as read from the _fbc cookie or the fbclid URL parameter.",
            "percentage": _pct(w["fbc_lower"], n), "affected_event_count": w["fbc_lower"], "total_event_count": n})
    emq: dict = {"composite_score": round(score + noise, 1),
                 "match_key_feedback": [{"identifier": ident, "coverage": {"percentage": _pct(w[key], n)}}
                                        for ident, key in _MATCH_KEYS if w.get(key)]}
    if diagnostics:
        emq["diagnostics"] = diagnostics
    entry: dict = {"event_name": name, "event_match_quality": emq}
    browser = w.get("browser", 0)
    if browser:
        entry["event_coverage"] = {"percentage": _pct(min(w.get("paired", 0), browser), browser), "goal_percentage": 75}
        if with_dedupe:
            entry["dedupe_key_feedback"] = [{
                "dedupe_key": "event_id",
                "browser_events_with_dedupe_key": {"percentage": 100},
                "server_events_with_dedupe_key": {"percentage": _pct(w.get("with_id", 0), n)},
                "overall_browser_coverage_from_dedupe_key": {"percentage": _pct(min(w.get("paired", 0), browser), browser)}}]
    entry["data_freshness"] = {"upload_frequency": "real_time"}
    return entry


def _stats_page(fetched: float, source: str, buckets: list[tuple[int, dict[str, int]]], last: bool) -> dict:
    """One page of GET /{pixel}/stats?aggregation=event, hours ascending, events by count."""
    data = [{"aggregation": "event",
             "start_time": datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000"),
             "data": [{"value": k, "count": v} for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]}
            for t, counts in buckets]
    cursor = [base64.b64encode(str(t).encode()).decode() for t, _ in buckets] or ["MA=="]
    paging: dict = {"cursors": {"before": cursor[0], "after": cursor[-1]}}
    if not last:
        paging["next"] = (f"https://graph.facebook.com/v25.0/{PIXEL_ID}/stats?aggregation=event"
                          f"&event_source={source}&after={cursor[-1]}")
    return {"pixel_id": PIXEL_ID, "fetched_at": _iso(fetched),
            "params": {"aggregation": "event", "event_source": source}, "response": {"data": data, "paging": paging}}


def _write_deployments(path: Path, rows: list[tuple[int, str, str, str, str]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["deployed_at", "name", "description", "component", "pixel_id"])
        writer.writerows([_iso(t), name, text, component, pixel] for t, name, text, component, pixel in rows)


def generate(out_dir: Path, *, seed: int = 7, days: int = 90, end: date = date(2026, 11, 22),
             orders_per_day: int = 300, on_day: Callable[[int], None] | None = None,
             on_file: Callable[[str, Path], None] | None = None) -> dict[str, list[Path]]:
    """Write the demo store's input files under out_dir, one folder per input kind; same seed, same bytes.

    on_day(n) is called after the n-th day is written (for a progress bar); on_file(kind, path) as
    soon as each day's server-events and browser-events file is complete (so it can be read already).
    """
    out_dir = Path(out_dir)
    for kind in KINDS:
        (out_dir / kind).mkdir(parents=True, exist_ok=True)
    store = _Store(out_dir, seed, days, end, orders_per_day)
    store.on_file = on_file
    for d in range(days):
        store.day(d)
        if on_day is not None:
            on_day(d + 1)
    store.write_orders()
    store.write_deployments()
    store.write_quality()
    store.write_stats()
    return store.paths


# --- small, hand-checkable sample files: one story on 2026-10-01..03 ---

def _ts(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _sample_person(cid: str, first: str, last: str, email: str, phone: str, city: str, state: str, zip_code: str,
                   country: str) -> Person:
    p = Person(cid, first, last, email, phone, city, state, zip_code, country, {})
    p.hashed = hashed_user_data(p)
    return p


_SAMPLE_PEOPLE = {p.cid: p for p in (
    _sample_person("7340000000101", "Mary", "Smith", "Mary.Smith@example.com", "(415) 555-0132", "San Francisco",
                   "CA", "94103", "US"),
    _sample_person("7340000000102", "Oliver", "Taylor", "oliver.taylor@example.com", "07700 900123", "London", "",
                   "SW1A 1AA", "GB"),
    _sample_person("7340000000103", "Lena", "Müller", "lena.muller@example.com", "0151 23456789", "München", "",
                   "80331", "DE"),
    _sample_person("7340000000104", "James", "O'Connor", "james.oconnor@example.com", "(212) 555-0147", "New York",
                   "NY", "10001-2345", "US"),
    _sample_person("7340000000105", "Chloé", "Dubois", "chloe.dubois@example.com", "06 39 98 12 34", "Paris", "",
                   "75002", "FR"),
    _sample_person("7340000000106", "Liam", "Tremblay", "liam.tremblay@example.com", "(416) 555-0199", "Toronto",
                   "ON", "M5V 2T6", "CA"),
    _sample_person("7340000000107", "Emily", "Davis", "emily.davis@example.com", "", "Boston", "MA", "02134", "US"),
    _sample_person("7340000000108", "Ava", "Jones", "ava.jones@example.com", "07700 900456", "Manchester", "",
                   "M1 1AE", "GB"),
    _sample_person("7340000000109", "Noah", "Kim", "noah.kim@example.com", "(312) 555-0110", "Chicago", "IL",
                   "60611", "US"),
    _sample_person("7340000000110", "Sophie", "Clarke", "sophie.clarke@example.com", "07700 900789", "Leeds", "",
                   "LS1 4AP", "GB"),
    _sample_person("7340000000111", "Jonas", "Weber", "jonas.weber@example.com", "0176 55501234", "Berlin", "",
                   "10115", "DE"),
    _sample_person("7340000000112", "Megan", "Brown", "megan.brown@example.com", "(512) 555-0171", "Austin", "TX",
                   "78701", "US"),
    _sample_person("7340000000113", "Hugo", "Martin", "hugo.martin@example.com", "06 39 98 45 67", "Lyon", "",
                   "69002", "FR"),
    _sample_person("7340000000114", "Zoé", "Roy", "zoe.roy@example.com", "(514) 555-0123", "Montréal", "QC",
                   "H2X 1Y4", "CA"),
    _sample_person("7340000000115", "Harry", "Evans", "harry.evans@example.com", "07700 900321", "Bristol", "",
                   "BS1 4ST", "GB"),
    _sample_person("7340000000116", "Ethan", "Miller", "ethan.miller@example.com", "(206) 555-0188", "Seattle", "WA",
                   "98101", "US"),
)}
# order number, created_at, customer id suffix, total, status, channel (the canonical orders.csv)
_SAMPLE_ORDERS = (
    ("1001", "2026-10-01T09:14:07Z", "101", "74.50", "paid", "web"),
    ("1002", "2026-10-01T10:02:41Z", "102", "129.00", "paid", "web"),
    ("1003", "2026-10-01T11:30:12Z", "103", "58.00", "paid", "web"),
    ("1004", "2026-10-01T12:00:03Z", "104", "212.40", "paid", "web"),
    ("1005", "2026-10-01T14:45:55Z", "105", "45.00", "paid", "web"),
    ("1006", "2026-10-01T16:20:30Z", "106", "99.95", "paid", "web"),
    ("1007", "2026-10-01T18:05:09Z", "107", "32.00", "partially_refunded", "web"),
    ("1008", "2026-10-01T20:40:00Z", "108", "150.00", "paid", "web"),
    ("1009", "2026-10-02T08:10:22Z", "101", "64.00", "paid", "web"),
    ("1010", "2026-10-02T09:55:48Z", "109", "28.00", "paid", "web"),
    ("1011", "2026-10-02T11:12:13Z", "110", "89.00", "paid", "web"),
    ("1012", "2026-10-02T13:33:33Z", "111", "118.00", "paid", "web"),
    ("1013", "2026-10-02T15:01:44Z", "112", "49.00", "pending", "web"),
    ("1014", "2026-10-02T17:45:05Z", "113", "78.00", "paid", "web"),
    ("1015", "2026-10-03T09:20:00Z", "102", "45.00", "paid", "web"),
    ("1016", "2026-10-03T10:10:10Z", "114", "84.00", "paid", "web"),
    ("1017", "2026-10-03T12:30:00Z", "115", "64.00", "paid", "web"),
    ("1018", "2026-10-03T14:00:00Z", "116", "39.00", "refunded", "web"),
    ("1019", "", "109", "22.00", "paid", "web"),  # bad: no created_at
    ("1020", "2026-10-03T19:00:00Z", "107", "n/a", "paid", "pos"),  # bad: total is not a number
)
_UA_IPHONE, _UA_CHROME = _AGENTS[0][0], _AGENTS[2][0]


def _sample_visit(n: int, safari: bool = False, clicked: bool = False) -> _Visit:
    fbc = f"fb.1.17592{n:02d}000000.IwAR2xK9vQpLm7ZrT4bNcY8sHd3FgJ6wEa1Ue5Oi{n:02d}" if clicked else None
    return _Visit(f"203.0.113.{10 + n}", _UA_IPHONE if safari else _UA_CHROME,
                  f"fb.1.17590{n:02d}000000.{1_000_000_000 + 7919 * n}", fbc, fbc, False)


def _sample_purchase(order: str, visit: _Visit, **ud_changes: object) -> dict:
    number, created, cid, total, _, _ = next(o for o in _SAMPLE_ORDERS if o[0] == order)
    person = _SAMPLE_PEOPLE["7340000000" + cid]
    ud: dict = dict(person.hashed)
    ud.update(client_ip_address=visit.ip, client_user_agent=visit.ua, fbp=visit.fbp)
    if visit.fbc:
        ud["fbc"] = visit.fbc
    ud.update(ud_changes)
    return {"event_name": "Purchase", "event_time": _ts(created) + 4, "event_id": f"order-{number}",
            "action_source": "website", "event_source_url": f"{SHOP}/checkouts/cn/c1s{number}/thank-you",
            "user_data": ud, "custom_data": {"value": float(total), "currency": "USD", "order_id": number,
                                             "content_ids": [_PRODUCTS[int(number) % len(_PRODUCTS)][3]],
                                             "content_type": "product"}}


def _sample_upper(name: str, eid: str, iso: str, visit: _Visit, product: int) -> dict:
    handle, _, price, pid = _PRODUCTS[product]
    url = f"{SHOP}/checkouts/cn/c1s1017" if name == "InitiateCheckout" else f"{SHOP}/products/{handle}"
    ud = {"client_ip_address": visit.ip, "client_user_agent": visit.ua, "fbp": visit.fbp}
    return {"event_name": name, "event_time": _ts(iso), "event_id": eid, "action_source": "website",
            "event_source_url": url, "user_data": ud,
            "custom_data": {"value": price, "currency": "USD", "content_ids": [pid], "content_type": "product"}}


def _envelope(sent: str, events: list, response: dict | None = None, **request: object) -> dict:
    body = {"data": events, **request}
    ok = {"status": 200, "body": {"events_received": len(events), "messages": [], "fbtrace_id": "AbC1dEf2GhI"}}
    return {"pixel_id": PIXEL_ID, "sent_at": sent, "request": body, "response": response or ok}


def _browser_copy(event: dict, name: str | None = None, fbc: str | None = None) -> dict:
    ud = event["user_data"]
    return {"pixel_id": PIXEL_ID, "event_name": name or event["event_name"], "event_id": event["event_id"],
            "event_time": int(event["event_time"]) - 1, "event_source_url": event["event_source_url"],
            "fbp": ud["fbp"], "fbc": fbc if fbc is not None else ud.get("fbc"),
            "client_user_agent": ud["client_user_agent"], "client_ip_address": ud["client_ip_address"],
            "custom_data": {k: v for k, v in event["custom_data"].items() if k in ("value", "currency", "content_ids")}}


def _pixel_url(event: dict, ts_ms: int) -> str:
    """The image-pixel request fbevents.js sends for an event (query order as fbevents.js writes it)."""
    ud, cd = event["user_data"], event["custom_data"]
    params = [("id", PIXEL_ID), ("ev", event["event_name"]), ("dl", event["event_source_url"]),
              ("rl", f"{SHOP}/"), ("if", "false"), ("ts", str(ts_ms))]
    params += [(f"cd[{k}]", json.dumps(val) if isinstance(val, list) else f"{val:.2f}" if k == "value" else str(val))
               for k, val in cd.items()]
    params += [("sw", "390"), ("sh", "844"), ("v", "2.9.176"), ("r", "stable"), ("ec", "1"), ("o", "4126"),
               ("fbp", ud["fbp"])]
    if ud.get("fbc"):
        params.append(("fbc", ud["fbc"]))
    if isinstance(ud.get("em"), str) and "@" not in ud["em"]:
        params.append(("ud[em]", ud["em"]))  # automatic advanced matching, hashed by fbevents.js
    params += [("eid", event["event_id"]), ("it", str(ts_ms - 4211)), ("coo", "false"), ("rqm", "GET")]
    return "https://www.facebook.com/tr/?" + urllib.parse.urlencode(params)


def _har_entry(started: str, method: str, url: str, mime: str, post: list[tuple[str, str]] | None = None) -> dict:
    parsed = urllib.parse.urlsplit(url)
    request: dict = {"method": method, "url": url, "httpVersion": "http/2.0",
                     "headers": [{"name": "user-agent", "value": _UA_IPHONE}],
                     "queryString": [{"name": k, "value": v} for k, v in urllib.parse.parse_qsl(parsed.query)],
                     "cookies": [], "headersSize": -1, "bodySize": 0}
    if post is not None:
        text = urllib.parse.urlencode(post)
        request["postData"] = {"mimeType": "application/x-www-form-urlencoded",
                               "params": [{"name": k, "value": v} for k, v in post], "text": text}
        request["bodySize"] = len(text)
    return {"startedDateTime": started, "time": 41.7, "request": request,
            "response": {"status": 200, "statusText": "", "httpVersion": "http/2.0", "headers": [], "cookies": [],
                         "content": {"size": 44, "mimeType": mime}, "redirectURL": "", "headersSize": -1,
                         "bodySize": 44},
            "cache": {}, "timings": {"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.2,
                                     "wait": 39.1, "receive": 1.2}}


def write_samples(out_dir: Path) -> dict[str, list[Path]]:
    """Write small hand-checkable input files of every kind (a few deliberately bad records) into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    v = {n: _sample_visit(n, safari=n % 3 == 0, clicked=n in (1, 6, 16)) for n in range(1, 20)}
    p = {o[0]: _sample_purchase(o[0], v[int(o[0]) - 1000]) for o in _SAMPLE_ORDERS[:18]}
    p["1007"]["event_time"] = str(p["1007"]["event_time"])  # a string of digits
    p["1008"]["event_time"] = p["1008"]["event_time"] * 1000 + 250  # milliseconds
    p["1011"] = _sample_purchase("1011", v[11], em="sophie.clarke@example.com")  # plaintext email
    p["1012"] = _sample_purchase("1012", v[12], em=[_SAMPLE_PEOPLE["7340000000111"].hashed["em"],
                                                    sha256("j.weber@example.org")])
    p["1015"] = _sample_purchase("1015", v[15], ph=sha256(national_digits("07700 900123")))  # no country code
    p["1016"]["user_data"]["fbc"] = v[16].fbc.lower()  # the fbclid lowercased by the server
    atc = _sample_upper("AddToCart", "atc-5e1f0a2b9c01", "2026-10-01T10:01:30Z", v[19], 2)
    session = [_sample_upper("ViewContent", "vc-7d21c4e0aa17", "2026-10-03T12:24:05Z", v[17], 0),
               _sample_upper("AddToCart", "atc-7d21c4e0aa18", "2026-10-03T12:26:40Z", v[17], 0),
               _sample_upper("InitiateCheckout", "ic-7d21c4e0aa19", "2026-10-03T12:28:02Z", v[17], 0)]
    lead = {"event_name": "Lead", "event_time": _ts("2026-10-03T14:02:11Z"), "event_id": "lead-3f9a11c2d4e5",
            "action_source": "website", "event_source_url": f"{SHOP}/pages/newsletter",
            "user_data": {"em": sha256("new.subscriber@example.com"),
                          "client_ip_address": "2001:db8:85a3::8a2e:370:7334", "client_user_agent": _UA_CHROME,
                          "fbp": "fb.1.1759400000000.1122334455"},
            "custom_data": {"content_name": "newsletter"}}
    rejected = {"status": 400, "body": {"error": {
        "message": "Error validating access token: Session has expired on Friday, 02-Oct-26 01:00:00 PDT.",
        "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "Ax9kq3Lm0Zp"}}}
    view = _sample_upper("ViewContent", "vc-99aa01bc0d11", "2026-10-03T13:57:41Z", v[18], 5)
    cart = _sample_upper("AddToCart", "atc-99aa01bc0d12", "2026-10-03T13:58:52Z", v[18], 5)
    browse = _sample_upper("ViewContent", "vc-0c0ffee00001", "2026-10-03T16:45:00Z", v[4], 3)
    no_name = {k: val for k, val in cart.items() if k != "event_name"}
    form = urllib.parse.urlencode({"data": json.dumps([p["1006"]]), "access_token": "EAAB-sample-token"})
    server_lines = [
        _json(_envelope("2026-10-01T09:14:12Z", [p["1001"]])),
        _json(_envelope("2026-10-01T10:02:50Z", [atc, p["1002"]])),
        _json({"data": [p["1003"]]}),  # a bare request body
        _json(p["1004"]),  # a bare event
        _json(_envelope("2026-10-01T14:46:05Z", [json.dumps(p["1005"])])),  # items as JSON strings (Python SDK)
        _json({"pixel_id": PIXEL_ID, "sent_at": "2026-10-01T16:20:41Z", "request": form,
               "response": {"status": 200, "body": {"events_received": 1, "messages": [], "fbtrace_id": "Bq2"}}}),
        _json(_envelope("2026-10-01T18:05:20Z", [p["1007"]])),
        _json(_envelope("2026-10-01T20:40:09Z", [p["1008"]])),
        _json(_envelope("2026-10-02T08:10:30Z", [p["1009"]], rejected)),
        _json(_envelope("2026-10-02T09:55:58Z", [p["1010"]], test_event_code="TEST12345")),
        _json(_envelope("2026-10-02T11:12:20Z", [p["1011"]], partner_agent="shopstack-capi_3.0.0")),
        _json(_envelope("2026-10-02T13:33:40Z", [p["1012"]], partner_agent="shopstack-capi_3.0.0")),
        _json(_envelope("2026-10-02T15:01:50Z", [p["1013"]])),  # a Purchase for a pending order
        _json(_envelope("2026-10-02T17:45:12Z", [p["1014"]])),
        _json(_envelope("2026-10-02T18:15:12Z", [p["1014"]])),  # the same Purchase re-sent by a retry job
        _json(_envelope("2026-10-03T09:20:09Z", [p["1015"]])),
        _json(_envelope("2026-10-03T10:10:20Z", [p["1016"]])),
        _json(_envelope("2026-10-03T12:28:10Z", session)),
        _json(_envelope("2026-10-03T12:30:09Z", [p["1017"]])),
        _json(_envelope("2026-10-03T14:02:20Z", [p["1018"], lead])),
        _json(_envelope("2026-10-03T13:59:00Z", [no_name])),  # an event without event_name
        # not JSON: a line cut short
        '{"pixel_id": "1234567890", "sent_at": "2026-10-03T15:00:00Z", "request": {"data": [{"event_name": "Purch',
    ]
    browser = [_browser_copy(p[o]) for o in ("1001", "1002", "1003", "1004", "1005", "1006", "1011", "1013")]
    browser.insert(1, _browser_copy(atc))
    browser.append(_browser_copy(p["1014"], name="purchase"))  # the theme's lowercase event name
    browser.append(_browser_copy(p["1016"], fbc=v[16].fbc))  # the original, mixed-case fbc
    browser[2]["user_data"] = {"em": p["1002"]["user_data"]["em"]}  # advanced matching on one Purchase
    har_events = session + [p["1017"]]
    har_times = ["2026-10-03T12:24:04.310Z", "2026-10-03T12:26:39.120Z", "2026-10-03T12:28:01.870Z",
                 "2026-10-03T12:30:02.450Z"]
    entries = [_har_entry("2026-10-03T12:24:02.900Z", "GET", "https://connect.facebook.net/en_US/fbevents.js",
                          "application/x-javascript")]
    for event, started in zip(har_events, har_times):
        url = _pixel_url(event, _ts(started[:19] + "Z") * 1000 + int(started[20:23]))
        if event["event_name"] == "Purchase":  # fbevents.js POSTs when the URL would be too long
            fields = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
            entries.append(_har_entry(started, "POST", "https://www.facebook.com/tr/", "text/plain",
                                      [(k, "POST" if k == "rqm" else val) for k, val in fields]))
        else:
            entries.append(_har_entry(started, "GET", url, "image/gif"))
    entries.insert(2, _har_entry("2026-10-03T12:26:38.800Z", "POST", f"{SHOP}/cart/add.js", "application/json", []))
    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                   "pages": [{"startedDateTime": "2026-10-03T12:24:01.500Z", "id": "page_1",
                              "title": f"{SHOP}/products/merino-crew-sweater", "pageTimings": {}}],
                   "entries": entries}}
    log_events = [view, cart, p["1018"], lead, browse]
    log_lines = [f"{_iso(e['event_time'])} {_pixel_url(e, e['event_time'] * 1000 - 850)}" for e in log_events[:-1]]
    log_lines.append(_pixel_url(browse, browse["event_time"] * 1000))  # a bare URL, no timestamp
    stats = _sample_stats(server_lines, browser, har_events + log_events)

    files: dict[str, list[tuple[str, str]]] = {
        "server-events": [("server-events.jsonl", "\n".join(server_lines) + "\n")],
        "browser-events": [("browser-events.jsonl", "\n".join(_json(b) for b in browser) + "\n"),
                           ("browser-events.har", json.dumps(har, indent=2) + "\n"),
                           ("pixel-requests.log", "\n".join(log_lines) + "\n")],
        "orders": [("orders.csv", _sample_canonical()), ("orders-shopify.csv", _sample_shopify()),
                   ("orders-custom.csv", _SAMPLE_CUSTOM)],
        "meta-quality": [("meta-quality.json", json.dumps(_SAMPLE_QUALITY, indent=2) + "\n")],
        "meta-stats": [("meta-stats.jsonl", "\n".join(_json(s) for s in stats) + "\n")],
    }
    paths: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for kind, named in files.items():
        for name, text in named:
            (out_dir / name).write_text(text)
            paths[kind].append(out_dir / name)
    _write_deployments(out_dir / "deployments.csv", [
        (_ts("2026-10-02T10:30:00Z"), "server-sdk-3.0", "Upgrade the server-side tracking SDK to 3.0", "server",
         PIXEL_ID),
        (_ts("2026-10-02T16:00:00Z"), "theme-autumn", "Autumn theme: new homepage, PDP and thank-you page", "theme",
         ""),
        (_ts("2026-10-03T08:00:00Z"), "checkout-v2", "New one-page checkout with address autocomplete", "checkout",
         PIXEL_ID)])
    paths["deployments"].append(out_dir / "deployments.csv")
    return paths


def _sample_canonical() -> str:
    rows = []
    for number, created, cid, total, status, channel in _SAMPLE_ORDERS:
        c = _SAMPLE_PEOPLE["7340000000" + cid]
        updated = "2026-10-05T09:00:00Z" if status in ("refunded", "partially_refunded") else created
        rows.append([number, created, total, "USD", status, c.email, c.phone, c.first, c.last, c.city, c.state, c.zip,
                     c.country, c.cid, channel, "false", updated])
    return _csv_text(CANONICAL_COLUMNS, rows)


def _sample_shopify() -> str:
    def row(name: str, cid: str, financial: str, created: str, items: list[tuple[int, int]], source: str = "web",
            cancelled: str = "") -> list[list[str]]:
        c = _SAMPLE_PEOPLE["7340000000" + cid]
        subtotal = sum(q * _PRODUCTS[i][2] for q, i in items)
        vat = _VAT.get(c.country)
        taxes = round(subtotal * vat / (1 + vat), 2) if vat else round(subtotal * 0.0725, 2)
        shipping = 0.0 if subtotal >= 75 or source == "pos" else 6.95
        total = subtotal + shipping + (0 if vat else taxes)
        paid = f"{created[:17]}{int(created[17:19]) // 2 + 30} +0000" if financial in ELIGIBLE else ""
        q, i = items[0]
        first = [name, c.email, financial, paid, "fulfilled" if paid and not cancelled else "unfulfilled", "USD",
                 f"{subtotal:.2f}", f"{shipping:.2f}", f"{taxes:.2f}", f"{total:.2f}", "", created, str(q),
                 _PRODUCTS[i][1], f"{_PRODUCTS[i][2]:.2f}", f"{c.first} {c.last}", c.phone, c.city, c.zip, c.state,
                 c.country, "", cancelled, source, str(6_130_412_350_000 + int(name[1:]))]
        more = [[name, *[""] * 11, str(q), _PRODUCTS[i][1], f"{_PRODUCTS[i][2]:.2f}", *[""] * 10] for q, i in items[1:]]
        return [first, *more]

    rows = [
        *row("#1021", "101", "paid", "2026-10-03 08:05:11 +0000", [(1, 0), (2, 3), (1, 6)]),  # three line items
        *row("#1022", "103", "paid", "2026-10-03 09:41:27 +0000", [(1, 1)]),
        *row("#1023", "105", "pending", "2026-10-03 11:02:45 +0000", [(1, 2)]),
        *row("#1024", "106", "refunded", "2026-10-03 12:15:00 +0000", [(1, 10)], cancelled="2026-10-03 18:00:00 +0000"),
        *row("#1025", "108", "paid", "2026-10-03 13:48:19 +0000", [(2, 9)], source="pos"),
        *row("#1026", "110", "partially_refunded", "2026-10-03 15:30:00 +0000", [(1, 14), (1, 4)]),
        *row("#1027", "113", "voided", "2026-10-03 17:12:09 +0000", [(1, 7)]),
        *row("#1028", "116", "paid", "2026-10-03 21:59:58 +0000", [(1, 5)], source="draft"),
    ]
    return _csv_text(SHOPIFY_COLUMNS, rows)


_SAMPLE_CUSTOM = """OrderNumber,Date,Amount,Curr,State,Buyer,Channel
1029,2026-10-03T16:00:00+02:00,58.00,USD,paid,noah.kim@example.com,web
1030,2026-10-03T17:30:00+02:00,129.00,USD,paid,lena.muller@example.com,web
1031,2026-10-03T18:45:00+02:00,24.00,USD,refunded,ava.jones@example.com,web
1032,2026-10-03 19:15:00 -0400,89.00,USD,paid,,pos
1033,1791057600,45.00,USD,paid,zoe.roy@example.com,web
"""


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


_SAMPLE_QUALITY = {
    "pixel_id": PIXEL_ID,
    "fetched_at": "2026-10-03T06:00:00Z",
    "response": {"web": [
        {"event_name": "Purchase",
         "event_match_quality": {
             "composite_score": 7.9,
             "match_key_feedback": [{"identifier": ident, "coverage": {"percentage": pct}} for ident, pct in (
                 ("email", 85.7), ("phone", 92.9), ("ip_address", 100), ("user_agent", 100), ("external_id", 100),
                 ("fbc", 14.3), ("fbp", 100), ("first_name", 100), ("last_name", 100), ("city", 100),
                 ("state", 42.9), ("zip", 100), ("country", 100))],
             "diagnostics": [{"name": "Unhashed customer information parameters",
                              "description": "Your server is sending customer information parameters that are not "
                                             "hashed.",
                              "solution": "Hash em, ph and the other customer information parameters with SHA-256 "
                                          "before sending.",
                              "percentage": 7.1, "affected_event_count": 1, "total_event_count": 14}]},
         "event_coverage": {"percentage": 57.1, "goal_percentage": 75},
         "dedupe_key_feedback": [{"dedupe_key": "event_id",
                                  "browser_events_with_dedupe_key": {"percentage": 100},
                                  "server_events_with_dedupe_key": {"percentage": 100},
                                  "overall_browser_coverage_from_dedupe_key": {"percentage": 88.9}}],
         "data_freshness": {"upload_frequency": "real_time"}},
        {"event_name": "AddToCart",
         "event_match_quality": {
             "composite_score": 6.2,
             "match_key_feedback": [{"identifier": ident, "coverage": {"percentage": 100}}
                                    for ident in ("ip_address", "user_agent", "fbp")]},
         "event_coverage": {"percentage": 100, "goal_percentage": 75},
         "data_freshness": {"upload_frequency": "real_time"}},
    ]},
}


def _sample_stats(server_lines: list[str], browser: list[dict], pixel_events: list[dict]) -> list[dict]:
    """The /stats pages Meta would return for the samples: accepted server events and every pixel event, by hour."""
    hours: dict[tuple[str, int], dict[str, int]] = {}

    def add(source: str, name: str, t: int) -> None:
        bucket = hours.setdefault((source, t // 3600 * 3600), {})
        bucket[name] = bucket.get(name, 0) + 1

    for line in server_lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("response", {}).get("status", 200) != 200:
            continue
        request = record.get("request", record)
        if isinstance(request, str):
            request = {"data": json.loads(urllib.parse.parse_qs(request)["data"][0])}
        for event in request.get("data", [record]):
            event = json.loads(event) if isinstance(event, str) else event
            t = int(event["event_time"])
            if "event_name" in event:
                add("SERVER_ONLY", event["event_name"], t // 1000 if t > 10**11 else t)
    for b in browser:
        add("WEB_ONLY", b["event_name"], b["event_time"])
    for event in pixel_events:
        add("WEB_ONLY", event["event_name"], int(event["event_time"]))
    pages = []
    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        start = _ts(day + "T00:00:00Z")
        for source in ("SERVER_ONLY", "WEB_ONLY"):
            buckets = [(h, hours[(source, h)]) for h in range(start, start + _DAY, 3600) if (source, h) in hours]
            pages.append(_stats_page(start + _DAY + 6 * 3600 + 300, source, buckets, last=True))
    return pages
