"""The lobby core: what the edge agent, the kiosk and head office all share.

The MQTT contract (`contract`), the branch configuration (`config`, `device_settings`),
card-key handling (`card_key`), customer tiers (`tiers`) and the bus client (`bus`).
The apps depend on this package and never on each other.
"""
