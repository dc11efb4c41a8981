"""The demo's story: when each release ships and what it breaks, and how Meta's scores react."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from analysis.demo.catalog import DAY, PIXEL_ID


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
        return t0 + round((day + hour / 24) * days / 90 * DAY / 60) * 60

    return Timeline(start, end, at(24, 15.3), at(35, 9.2), at(50, 14.1), at(57, 10.5), at(64, 16.75),
                    at(70, 3.0), at(72, 15.0), at(76, 11.0), at(82, 13.0))



# Meta's composite_score before any break, and how far server-sdk-3.0 pulls it down
EMQ_BASE = {"Purchase": 8.4, "InitiateCheckout": 7.0, "AddToCart": 6.6, "ViewContent": 5.7, "Lead": 7.9}
EMQ_SDK_DROP = {"Purchase": 0.7, "InitiateCheckout": 0.6, "AddToCart": 0.5, "ViewContent": 0.4, "Lead": 0.9}
EMQ_CHECKOUT_DROP = 0.8  # Purchase only
BROWSER_LOSS = 0.22  # ad blockers
CONSENT_LOSS = 0.15  # on top, after gtm-consent-banner
