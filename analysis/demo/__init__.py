"""A deterministic demo store: orders, server and browser events, Meta snapshots, with realistic breakages.

catalog: the store's people, places and products; story: when each release ships and what it
breaks; generator: the days of orders and events; meta: Meta's snapshots and /stats pages;
samples: small hand-checkable files of every kind; normalization: Meta's hashing, written out
locally so the demo does not depend on the code it tests.
"""

from analysis.demo.catalog import (CANONICAL_COLUMNS, ELIGIBLE, KINDS, PIXEL_ID, SHOP, SHOPIFY_COLUMNS, Person,
                                   Visit)
from analysis.demo.generator import generate
from analysis.demo.normalization import hashed_user_data, national_digits, normalize_phone, normalize_zip, sha256
from analysis.demo.samples import write_samples
from analysis.demo.story import Timeline, timeline

__all__ = ["CANONICAL_COLUMNS", "ELIGIBLE", "KINDS", "PIXEL_ID", "SHOP", "SHOPIFY_COLUMNS", "Person", "Timeline",
           "Visit", "generate", "hashed_user_data", "national_digits", "normalize_phone", "normalize_zip", "sha256",
           "timeline", "write_samples"]
