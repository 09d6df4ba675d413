"""Reliability: backups, retention, disk full, bad input, secrets (issue 8)."""
