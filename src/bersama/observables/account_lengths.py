"""Plausible account-number lengths per country and, where known, per bank: data.

Why: free text offers six-digit codes, ids and amounts next to bank names, and a
number no bank of the country issues is not an account, whichever source names
it (CSV, STIX, MISP or text: `accounts.bank_account` applies the same rule).  A
number outside its range is refused with the range in the reason, so it reaches
the rejections with its line or field, never silently dropped.

Conservative on purpose: better to keep an implausible number than to lose a
real mule account.  A range covers every account type a source lists for the
bank (savings, current, loan, HP: a report may name any), a country's range
covers every bank listed in it, and a country or bank whose lengths are not
well attested has no entry (the generic 6-20 digits of `accounts.py` apply).

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
    ("TH", "KBANK"): (10, 10), ("TH", "BBL"): (10, 10), ("TH", "KTB"): (10, 10),
    ("TH", "SCB"): (10, 10), ("TH", "BAY"): (10, 10), ("TH", "TTB"): (10, 10),
    ("TH", "KKP"): (10, 10), ("TH", "CIMB"): (10, 10), ("TH", "UOB"): (10, 10),
    ("TH", "GSB"): (12, 12), ("TH", "BAAC"): (12, 12), ("TH", "GHB"): (12, 12),
    ("MY", "MBB"): (12, 12), ("MY", "CIMB"): (10, 14), ("MY", "PBB"): (10, 15),
    ("MY", "RHB"): (14, 14), ("MY", "HLB"): (11, 11), ("MY", "AMBANK"): (13, 14),
    ("MY", "BIMB"): (14, 14), ("MY", "AFFIN"): (12, 12), ("MY", "ALLIANCE"): (15, 15),
    ("MY", "BKRM"): (12, 12), ("MY", "MUAMALAT"): (14, 14), ("MY", "HSBC"): (12, 14),
    ("PH", "BPI"): (10, 10), ("PH", "BDO"): (10, 12), ("PH", "MBTC"): (13, 13),
    ("SG", "GXS"): GENERIC, ("SG", "TRUST"): GENERIC,
}
"""(fewest, most) digits at one bank, keyed by (country, Bersama bank code); overrides
the country's range."""


def account_lengths(country: str, bank: str) -> tuple[int, int]:
    """(fewest, most) digits of an account number at `bank` (our code) in `country`."""
    return BANK_LENGTHS.get((country, bank)) or COUNTRY_LENGTHS.get(country, GENERIC)
