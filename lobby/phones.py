"""A phone number as staff and customers see it, everywhere: masked."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise, not enough to call. A leading + is dropped and the
    rest masked alike, so a number written with its country code is masked, not leaked."""
    if not phone:
        return None
    digits = phone.lstrip("+")
    return f"{digits[:3]}{'*' * max(0, len(digits) - 7)}{digits[-4:]}"
