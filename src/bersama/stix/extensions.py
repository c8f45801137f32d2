"""Identifiers of the STIX 2.1 extension definitions Bersama publishes.

Our custom observables (phone number, bank account, e-wallet, crypto address,
social-media handle) are STIX 2.1 `new-sco` extensions, and the report context
(crime and scam type, losses, language) is a `property-extension` on `report`.
The definitions themselves are JSON files beside this module
(`definitions/*.json`), served by the node and documented in docs/stix.md.
The ids are fixed forever: changing one breaks every partner's data.
"""

from __future__ import annotations

PHONE_SCO = "x-bersama-phone-number"
BANK_ACCOUNT_SCO = "x-bersama-bank-account"
EWALLET_SCO = "x-bersama-ewallet"
CRYPTO_SCO = "x-bersama-crypto-address"
HANDLE_SCO = "x-bersama-handle"

EXTENSION_IDS: dict[str, str] = {
    PHONE_SCO: "extension-definition--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0001",
    BANK_ACCOUNT_SCO: "extension-definition--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0002",
    EWALLET_SCO: "extension-definition--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0003",
    CRYPTO_SCO: "extension-definition--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0004",
    HANDLE_SCO: "extension-definition--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0005",
}
REPORT_CONTEXT_EXTENSION = "extension-definition--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0010"
"""property-extension on `report`: crime_type, scam_types, loss_amount,
loss_currency, country, language, occurred_at."""

# Properties of each custom SCO (besides the common SCO properties):
#   x-bersama-phone-number:   number (E.164 preferred, national accepted with country), country?
#   x-bersama-bank-account:   country (ISO 3166-1 alpha-2), bank (code or name), account_number
#   x-bersama-ewallet:        provider, account
#   x-bersama-crypto-address: address, chain? (bitcoin|ethereum|tron; detected when absent)
#   x-bersama-handle:         platform, handle

# --- additions (ids below are fixed forever too) -----------------------------------------

MARKING_EXTENSION = "extension-definition--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0011"
"""property-extension on `marking-definition`: a Bersama sharing group and named
recipients (agencies, users) that refine the TLP marking an object also carries."""

PUBLISHER_IDENTITY = "identity--3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0100"
"""`created_by_ref` of the extension definitions: the Bersama project."""

ID_CONTRIBUTING: dict[str, tuple[str, ...]] = {
    PHONE_SCO: ("number",),
    BANK_ACCOUNT_SCO: ("country", "bank", "account_number"),
    EWALLET_SCO: ("provider", "account"),
    CRYPTO_SCO: ("address",),
    HANDLE_SCO: ("platform", "handle"),
}
"""ID contributing properties of each custom SCO (deterministic uuid5 ids, STIX 2.1 §2.9)."""
