"""The people, places and things of the demo store: countries, names, browsers, products."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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
DAY = 86400
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
CLICK_ID = ALNUM + "_-"


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
class Visit:
    ip: str
    ua: str
    fbp: str
    fbc: str | None
    browser_fbc: str | None
    blocked: bool


# city, province (US states and CA provinces only), zip seed, phone area code
CITIES: dict[str, list[tuple[str, str, str, str]]] = {
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
NAMES: dict[str, tuple[list[str], list[str]]] = {
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
COUNTRY_WEIGHTS = (("US", 65), ("GB", 15), ("DE", 8), ("FR", 6), ("CA", 6))
VAT = {"GB": 0.20, "DE": 0.19, "FR": 0.20}  # prices include VAT there; US/CA sales tax is added
# (user agent, is WebKit/Safari — ITP shortens the _fbc cookie there, weight)
AGENTS = (
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
AGENT_WEIGHTS = [weight for _, _, weight in AGENTS]
# handle, product name, price, Shopify product id
PRODUCTS = [
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
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 7, 8, 8, 9, 10, 10, 9, 7, 5, 3)
HOUR_CUM = [sum(HOUR_WEIGHTS[: h + 1]) for h in range(24)]
DISCOUNTS = (("WELCOME10", 0.10), ("FALL15", 0.15), ("FRIENDS20", 0.20))


@lru_cache(maxsize=4096)  # the demo's names repeat
def ascii_fold(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()

