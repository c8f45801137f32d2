"""Plausible account-number lengths per country: data.

Why: free text offers six-digit codes, ids and amounts next to bank names, and a
number no bank of the country issues is not an account, whichever source names
it (CSV, STIX, MISP or text: `accounts.bank_account` applies the same rule).  A
number outside its range is refused with the range in the reason, so it reaches
the rejections with its line or field, never silently dropped.

Conservative on purpose: better to keep an implausible number than to lose a
real mule account.  A country's range covers every account type its sources list
(savings, current, loan, HP: a report may name any) at every bank listed, and a
country whose lengths are not well attested has no entry (the generic 6-20 digits
of `accounts.py` apply).  A bank's own length is not applied, though the sources
give some: they are third-party pages that disagree, and a report that names the
wrong bank for a real account (scammers' texts do: "กรุงไทย 92-93289-8923", 11
digits at a 10-digit bank, in the Thai SMS corpus) would lose the account that
links it to the rest of its campaign.  The country's range still refuses the
six-digit codes and ids that sit next to bank names.

Sources (each range is the union of what they say):
- TH: the formats Thai banks' apps show (`xxx-x-xxxxx-x` for KBANK, BBL, KTB,
  SCB, BAY, CIMB Thai; `xxx-xxxxxx-x` for TTB, KKP; `xxx-xxx-xxx-x` for UOB;
  `xxx-x-xxxxx-xxx` for GSB, BAAC, GHB; TISCO 14 digits) as compiled in the
  MIT-licensed github.com/mrwan200/bank-account-formatter; the country range
  (10-14) spans them all.
- MY: the IBG account-number length lists of bsnonline.my ("Malaysia Bank
  Account Number Digits", 7-16 digits with loan accounts) and logmasuk.my
  ("List of account no length for banks in Malaysia"); CIMB 10 as well as 14
  (older accounts).  The country range 10-16 leaves out only 8-digit Standard
  Chartered loan accounts.
- PH: BPI 10 (arianedesign.com, "How to Know Your BPI Account Number"), BDO 12
  (bongbongtayamen.com, "BDO Account Number vs Card Number"; 10 kept for older
  accounts), Metrobank 13 (smarttechsavvy.com).
- ID: 10 (BCA, BNI, BSI, Danamon) to 16 (BTN) digits (xcloud.id, "Begini Cara
  Mengetahui Bank dari Nomor Rekening"); no bank's own range, as virtual
  accounts (up to 16 digits) carry the bank's name.
- PH and ID country ranges, SG (9 for POSB to 12 for OCBC and HSBC) and VN
  (6-19: banks sell chosen "beautiful" numbers, phone numbers among them):
  the ranges commonly given for the country, not a bank's own statement, so
  wide on purpose; the SG digital banks GXS and Trust have published none and
  keep the generic range.
"""

from __future__ import annotations

GENERIC = (6, 20)
"""Any bank account anywhere: the bounds of `accounts.bank_account` without a table entry."""

COUNTRY_LENGTHS: dict[str, tuple[int, int]] = {
    "TH": (10, 14),
    "MY": (10, 16),
    "PH": (10, 16),
    "ID": (10, 16),
    "SG": (9, 12),
    "VN": (6, 19),
}
"""(fewest, most) digits of an account number at any bank of the country."""

BANK_LENGTHS: dict[tuple[str, str], tuple[int, int]] = {
    ("SG", "GXS"): GENERIC, ("SG", "TRUST"): GENERIC,
}
"""(fewest, most) digits at one bank, keyed by (country, Bersama bank code); overrides
the country's range.  Only to widen it: a bank's own length is not applied (see above)."""


def account_lengths(country: str, bank: str) -> tuple[int, int]:
    """(fewest, most) digits of an account number at `bank` (our code) in `country`."""
    return BANK_LENGTHS.get((country, bank)) or COUNTRY_LENGTHS.get(country, GENERIC)
