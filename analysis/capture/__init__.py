"""Capture: a logging reverse proxy for Conversions API calls and a first-party mirror for pixel events.

Writes server-events envelopes to LOG_DIR/server-events/YYYY-MM-DD.jsonl and mirror events to
LOG_DIR/browser-events/YYYY-MM-DD.jsonl (UTC days); `capi-audit ingest KIND LOG_DIR` reads them.
"""
from __future__ import annotations

from analysis.capture.proxy import DEFAULT_UPSTREAM, CaptureApp, Settings
from analysis.capture.server import Background, ListenError, parse_listen, serve

__all__ = ["DEFAULT_UPSTREAM", "Background", "CaptureApp", "ListenError", "Settings", "parse_listen", "serve"]
