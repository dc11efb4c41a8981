"""Rollups: the audit's additive tallies, kept beside the canonical events by every load (see schema.py)."""
from analysis.rollups.maintain import (READ_TIME_RULES, SETTINGS, changed_by_ingestions, changed_where, for_report, rebuild,
                                       refresh, settings_of, stale, stored_settings)
from analysis.rollups.schema import BUCKET_MINUTES, bucket_sql

__all__ = ["BUCKET_MINUTES", "READ_TIME_RULES", "SETTINGS", "bucket_sql", "changed_by_ingestions", "changed_where", "for_report",
           "rebuild", "refresh", "settings_of", "stale", "stored_settings"]
