"""The crime and scam types the node speaks about, shared by ingest, detection and reports."""

from __future__ import annotations

from enum import StrEnum


class CrimeType(StrEnum):
    SCAM = "scam"
    RANSOMWARE = "ransomware"
    INTRUSION = "intrusion"
    TRAFFICKING = "trafficking"
    TERRORIST_CONTENT = "terrorist-content"


class ScamType(StrEnum):
    INVESTMENT = "investment"
    JOB = "job"
    ROMANCE = "romance"
    IMPERSONATION_AUTHORITY = "impersonation-authority"
    IMPERSONATION_BANK = "impersonation-bank"
    IMPERSONATION_COURIER = "impersonation-courier"
    IMPERSONATION_CONTACT = "impersonation-contact"
    PHISHING = "phishing"
    MALWARE_APK = "malware-apk"
    LOAN = "loan"
    ECOMMERCE = "ecommerce"
    PRIZE = "prize"
    TECH_SUPPORT = "tech-support"
    EXTORTION = "extortion"


ASEAN = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN")
PARTNERS = ("JP", "KR", "CN", "AU", "IN", "NZ", "US", "GB")
