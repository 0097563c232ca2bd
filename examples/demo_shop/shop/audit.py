"""Audit trail helpers shared by the shop's views."""

import logging

audit_log = logging.getLogger("shop.audit")


def audit_event(event: str, detail) -> None:
    """Record an event in the audit log (whatever the caller passes as detail is logged)."""
    audit_log.info("audit %s: %s", event, detail)
