"""The fixed world the generator draws from: countries, agencies, banks, wallets.

Why a hand-written catalogue: generated scenarios must look like the region
(Malaysian mule accounts at Maybank, Thai TrueMoney wallets, Philippine GCash,
Cambodian numbers behind an investment scam aimed at Singapore), yet be
deterministic and need no network.  Mobile prefixes are chosen so that every
number built from them is a valid mobile number for `phonenumbers` (checked
in tests/unit/synth); bank codes are the short codes the node's bank-account
keys use (`MY:MBB:...`), with the public SWIFT/BIC of each bank.

Everything here is data; nothing here draws random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bersama.taxonomy import ScamType

ALL_COUNTRIES = ("MY", "TH", "SG", "ID", "PH", "VN", "KH", "LA", "MM", "BN", "TL",
                 "JP", "KR", "CN", "AU")
SMALL_DEFAULT_COUNTRIES = ("MY", "TH", "SG", "ID", "PH", "VN", "KH")
"""Reporting countries of a small (demo-sized) scenario when none are given."""


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    name: str
    swift: str
    digits: int
    """Length of an account number at this bank."""


@dataclass(frozen=True, slots=True)
class Wallet:
    code: str
    """Provider key as used in e-wallet keys (`gcash:+639171234567`)."""
    name: str


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    currency: str
    usd_rate: float
    """Units of `currency` per US dollar (fixed; realism, not accounting)."""
    currency_decimals: int
    loss_scale: float
    """Typical loss relative to the regional median."""
    languages: tuple[tuple[str, float], ...]
    mobile_prefixes: tuple[str, ...]
    subscriber_digits: int
    banks: tuple[Bank, ...]
    wallets: tuple[Wallet, ...]


def _b(code: str, name: str, swift: str, digits: int) -> Bank:
    return Bank(code, name, swift, digits)


COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country("MY", "Malaysia", "MYR", 4.4, 2, 1.0, (("ms", 0.5), ("en", 0.35), ("zh", 0.15)),
            ("12", "16", "19"), 7,
            (_b("MBB", "Maybank", "MBBEMYKL", 12), _b("CIMB", "CIMB Bank", "CIBBMYKL", 10),
             _b("PBB", "Public Bank", "PBBEMYKL", 10), _b("RHB", "RHB Bank", "RHBBMYKL", 14),
             _b("HLB", "Hong Leong Bank", "HLBBMYKL", 11)),
            (Wallet("tng", "Touch 'n Go eWallet"), Wallet("boost", "Boost"),
             Wallet("grabpay", "GrabPay"))),
    Country("TH", "Thailand", "THB", 34.0, 2, 0.9, (("th", 0.85), ("en", 0.15)),
            ("81", "82", "86", "89", "91", "92", "95", "96", "98", "61", "62", "63"), 7,
            (_b("KBANK", "Kasikornbank", "KASITHBK", 10), _b("SCB", "Siam Commercial Bank",
             "SICOTHBK", 10), _b("BBL", "Bangkok Bank", "BKKBTHBK", 10),
             _b("KTB", "Krungthai Bank", "KRTHTHBK", 10)),
            (Wallet("truemoney", "TrueMoney Wallet"), Wallet("promptpay", "PromptPay"))),
    Country("SG", "Singapore", "SGD", 1.33, 2, 2.2, (("en", 0.8), ("zh", 0.2)),
            ("81", "82", "83", "84", "85", "86", "87", "88", "90", "91", "92", "93", "94",
             "96", "97", "98"), 6,
            (_b("DBS", "DBS Bank", "DBSSSGSG", 10), _b("OCBC", "OCBC Bank", "OCBCSGSG", 12),
             _b("UOB", "United Overseas Bank", "UOVBSGSG", 10)),
            (Wallet("paynow", "PayNow"), Wallet("grabpay", "GrabPay"))),
    Country("ID", "Indonesia", "IDR", 16000.0, 0, 0.6, (("id", 0.95), ("en", 0.05)),
            ("812", "813", "821", "822", "852", "853", "857", "858", "877", "878", "895",
             "896"), 8,
            (_b("BCA", "Bank Central Asia", "CENAIDJA", 10), _b("MANDIRI", "Bank Mandiri",
             "BMRIIDJA", 13), _b("BRI", "Bank Rakyat Indonesia", "BRINIDJA", 15),
             _b("BNI", "Bank Negara Indonesia", "BNINIDJA", 10)),
            (Wallet("gopay", "GoPay"), Wallet("ovo", "OVO"), Wallet("dana", "DANA"))),
    Country("PH", "Philippines", "PHP", 57.0, 2, 0.6, (("tl", 0.45), ("en", 0.55)),
            ("917", "918", "905", "906", "915", "927", "935", "945", "995", "998", "926",
             "908"), 7,
            (_b("BDO", "BDO Unibank", "BNORPHMM", 12), _b("BPI", "Bank of the Philippine "
             "Islands", "BOPIPHMM", 10), _b("MBTC", "Metrobank", "MBTCPHMM", 13),
             _b("UBP", "UnionBank", "UBPHPHMM", 12)),
            (Wallet("gcash", "GCash"), Wallet("maya", "Maya"))),
    Country("VN", "Viet Nam", "VND", 25000.0, 0, 0.6, (("vi", 0.95), ("en", 0.05)),
            ("90", "91", "93", "94", "96", "97", "98", "32", "33", "35", "70", "77", "79",
             "86", "88"), 7,
            (_b("VCB", "Vietcombank", "BFTVVNVX", 13), _b("TCB", "Techcombank", "VTCBVNVX",
             14), _b("MB", "MB Bank", "MSCBVNVX", 13), _b("ACB", "Asia Commercial Bank",
             "ASCBVNVX", 9)),
            (Wallet("momo", "MoMo"), Wallet("zalopay", "ZaloPay"))),
    Country("KH", "Cambodia", "KHR", 4050.0, 0, 0.4, (("en", 1.0),),
            ("12", "17", "92", "77", "85", "89", "11", "61"), 6,
            (_b("ABA", "ABA Bank", "ABAAKHPP", 9), _b("ACLEDA", "ACLEDA Bank", "ACLBKHPP", 12)),
            (Wallet("wing", "Wing Money"), Wallet("pipay", "Pi Pay"))),
    Country("LA", "Lao PDR", "LAK", 21500.0, 0, 0.3, (("en", 1.0),),
            ("202", "205", "207", "209"), 7,
            (_b("BCEL", "Banque pour le Commerce Exterieur Lao", "COEBLALA", 16),),
            (Wallet("mmoney", "M-Money"),)),
    Country("MM", "Myanmar", "MMK", 2100.0, 0, 0.3, (("en", 1.0),),
            ("975", "976", "977", "978", "979", "925", "926", "942"), 7,
            (_b("KBZ", "KBZ Bank", "KBZBMMMY", 17), _b("AYA", "AYA Bank", "AYABMMMY", 13)),
            (Wallet("kbzpay", "KBZPay"), Wallet("wavemoney", "Wave Money"))),
    Country("BN", "Brunei Darussalam", "BND", 1.33, 2, 1.5, (("ms", 0.6), ("en", 0.4)),
            ("71", "72", "73", "81", "82", "83", "87", "88", "89"), 5,
            (_b("BIBD", "Bank Islam Brunei Darussalam", "BIBDBNBB", 11),
             _b("BAIDURI", "Baiduri Bank", "BAIDBNBB", 11)),
            ()),
    Country("TL", "Timor-Leste", "USD", 1.0, 2, 0.3, (("en", 1.0),),
            ("77", "78", "76"), 6,
            (_b("BNCTL", "Banco Nacional de Comercio de Timor-Leste", "BNCTTLDI", 10),),
            ()),
    Country("JP", "Japan", "JPY", 150.0, 0, 2.5, (("ja", 0.95), ("en", 0.05)),
            ("901", "908", "809", "802", "703", "708"), 7,
            (_b("MUFG", "MUFG Bank", "BOTKJPJT", 7), _b("SMBC", "Sumitomo Mitsui Banking "
             "Corporation", "SMBCJPJT", 7), _b("MIZUHO", "Mizuho Bank", "MHCBJPJT", 7)),
            (Wallet("paypay", "PayPay"),)),
    Country("KR", "Republic of Korea", "KRW", 1380.0, 0, 2.0, (("en", 1.0),),
            ("102", "103", "104", "106", "107", "108", "109"), 7,
            (_b("KB", "KB Kookmin Bank", "CZNBKRSE", 14), _b("SHINHAN", "Shinhan Bank",
             "SHBKKRSE", 12), _b("WOORI", "Woori Bank", "HVBKKRSE", 13)),
            (Wallet("kakaopay", "KakaoPay"),)),
    Country("CN", "China", "CNY", 7.2, 2, 1.2, (("zh", 1.0),),
            ("138", "139", "150", "186", "188", "135", "131", "177"), 8,
            (_b("ICBC", "Industrial and Commercial Bank of China", "ICBKCNBJ", 19),
             _b("BOC", "Bank of China", "BKCHCNBJ", 19), _b("CCB", "China Construction Bank",
             "PCBCCNBJ", 19)),
            (Wallet("alipay", "Alipay"), Wallet("wechatpay", "WeChat Pay"))),
    Country("AU", "Australia", "AUD", 1.52, 2, 2.5, (("en", 1.0),),
            ("41", "42", "43", "46"), 7,
            (_b("CBA", "Commonwealth Bank", "CTBAAU2S", 8), _b("WBC", "Westpac", "WPACAU2S", 8),
             _b("ANZ", "ANZ Bank", "ANZBAU3M", 9), _b("NAB", "National Australia Bank", "NATAAU33",
             9)),
            ()),
)}


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    name: str
    country: str
    type: str
    """police, scam-centre, cert, fiu, counter-terrorism or regulator."""
    primary: bool
    """Primary agencies report in every scenario; the others join larger ones."""


AGENCY_TYPES = ("police", "scam-centre", "cert", "fiu", "counter-terrorism", "regulator")


def _a(code: str, name: str, kind: str, primary: bool = False) -> Agency:
    return Agency(code, name, code[:2], kind, primary)


AGENCIES: tuple[Agency, ...] = (
    _a("MY-PDRM-CCID", "Royal Malaysia Police, Commercial Crime Investigation Department",
       "police", True),
    _a("MY-NSRC", "National Scam Response Centre", "scam-centre", True),
    _a("MY-CERT", "Malaysia Computer Emergency Response Team", "cert"),
    _a("MY-BNM-FIED", "Bank Negara Malaysia, Financial Intelligence", "fiu"),
    _a("MY-PDRM-E8", "Royal Malaysia Police, Counter Terrorism Division", "counter-terrorism"),
    _a("TH-TCSD", "Technology Crime Suppression Division", "police", True),
    _a("TH-CCIB", "Cyber Crime Investigation Bureau", "police"),
    _a("TH-AMLO", "Anti-Money Laundering Office", "fiu"),
    _a("TH-THAICERT", "ThaiCERT", "cert"),
    _a("SG-ASC", "Singapore Police Force, Anti-Scam Command", "scam-centre", True),
    _a("SG-SINGCERT", "SingCERT", "cert"),
    _a("SG-STRO", "Suspicious Transaction Reporting Office", "fiu"),
    _a("ID-POLRI", "Indonesian National Police, Directorate of Cyber Crime", "police", True),
    _a("ID-OJK-IASC", "Financial Services Authority, Indonesia Anti-Scam Centre", "regulator"),
    _a("ID-BSSN", "National Cyber and Crypto Agency", "cert"),
    _a("ID-PPATK", "Indonesian Financial Transaction Reports and Analysis Centre", "fiu"),
    _a("ID-DENSUS88", "Detachment 88 Counter Terrorism", "counter-terrorism"),
    _a("PH-PNP-ACG", "Philippine National Police Anti-Cybercrime Group", "police", True),
    _a("PH-CICC", "Cybercrime Investigation and Coordinating Center", "scam-centre"),
    _a("PH-AMLC", "Anti-Money Laundering Council", "fiu"),
    _a("VN-A05", "Department of Cyber Security and High-tech Crime Prevention", "police", True),
    _a("VN-VNCERT", "Viet Nam Cybersecurity Emergency Response Team", "cert"),
    _a("KH-NP-ACD", "General Commissariat of National Police, Anti-Cybercrime Department",
       "police", True),
    _a("KH-CAFIU", "Cambodia Financial Intelligence Unit", "fiu"),
    _a("LA-MPS-CCD", "Ministry of Public Security, Cybercrime Division", "police", True),
    _a("LA-LAOCERT", "Lao Computer Emergency Response Team", "cert"),
    _a("MM-MPF-CCD", "Myanmar Police Force, Cyber Crime Division", "police", True),
    _a("BN-RBPF", "Royal Brunei Police Force, Commercial Crime Investigation", "police", True),
    _a("BN-BRUCERT", "Brunei Computer Emergency Response Team", "cert"),
    _a("TL-PNTL", "National Police of Timor-Leste, Criminal Investigation Service", "police",
       True),
    _a("JP-NPA", "National Police Agency, Cybercrime Division", "police", True),
    _a("JP-JPCERT", "JPCERT Coordination Center", "cert"),
    _a("KR-KNPA", "Korean National Police Agency, Cyber Bureau", "police", True),
    _a("KR-FSS", "Financial Supervisory Service", "regulator"),
    _a("CN-MPS", "Ministry of Public Security, Cybersecurity Bureau", "police", True),
    _a("AU-AFP", "Australian Federal Police", "police", True),
    _a("AU-NASC", "National Anti-Scam Centre", "scam-centre"),
    _a("AU-AUSTRAC", "Australian Transaction Reports and Analysis Centre", "fiu"),
)

SHARING_GROUPS: dict[str, tuple[str, ...]] = {
    "MY-TH-bilateral": ("MY", "TH"),
    "MY-SG-bilateral": ("MY", "SG"),
    "ASEAN-scam-taskforce": ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN"),
    "Mekong-compound-watch": ("KH", "LA", "MM", "TH", "VN", "CN"),
    "ASEAN-plus-partners": ("MY", "TH", "SG", "ID", "PH", "JP", "KR", "AU"),
}
"""Sharing groups by member country; every agency of a member country belongs."""

# ---------------------------------------------------------------- scam types

@dataclass(frozen=True, slots=True)
class ScamProfile:
    scam_type: ScamType
    weight: float
    """How common campaigns of this type are."""
    median_loss_usd: float
    kinds: tuple[tuple[str, float], ...]
    """Which identifiers the campaign's infrastructure is made of, with weights."""
    homes: tuple[str, ...]
    """Where such operations are typically run from (infrastructure countries)."""
    brands: tuple[str, ...]
    """Words phishing domains and handles of this type are made from."""


SCAM_PROFILES: tuple[ScamProfile, ...] = (
    ScamProfile(ScamType.INVESTMENT, 14, 9000, (("crypto", 3), ("handle", 3), ("url", 2),
                ("bank-account", 3), ("phone", 1.5)), ("KH", "MM", "LA", "PH", "CN"),
                ("goldtrade", "bitprofit", "ustd-vault", "smartfx", "asia-invest", "coinelite")),
    ScamProfile(ScamType.JOB, 12, 1500, (("handle", 3), ("bank-account", 3), ("ewallet", 2),
                ("phone", 2), ("url", 1)), ("KH", "MM", "LA", "MY", "VN"),
                ("likejob", "taskpro", "shopee-reviewer", "mission-hub", "clickearn")),
    ScamProfile(ScamType.ROMANCE, 6, 7000, (("handle", 3), ("crypto", 2), ("bank-account", 2),
                ("phone", 1)), ("KH", "MM", "PH", "CN"), ("lovebridge", "soulmate", "luna")),
    ScamProfile(ScamType.IMPERSONATION_AUTHORITY, 10, 6000, (("phone", 4),
                ("bank-account", 4), ("ewallet", 1)), ("CN", "KH", "MY", "TH"),
                ("court-notice", "customs-check", "police-verify")),
    ScamProfile(ScamType.IMPERSONATION_BANK, 8, 2500, (("phone", 3), ("url", 3),
                ("bank-account", 2)), ("MY", "TH", "ID", "VN", "PH"),
                ("secure-login", "verify-acct", "bank-update")),
    ScamProfile(ScamType.IMPERSONATION_COURIER, 6, 400, (("phone", 3), ("url", 3),
                ("ewallet", 1)), ("MY", "SG", "ID", "VN", "CN"),
                ("parcel-track", "redeliver", "post-fee")),
    ScamProfile(ScamType.IMPERSONATION_CONTACT, 5, 900, (("phone", 4), ("bank-account", 3),
                ("handle", 1)), ("MY", "SG", "ID", "PH"), ("hi-mum", "newnumber")),
    ScamProfile(ScamType.PHISHING, 9, 900, (("url", 4), ("email", 2), ("phone", 2)),
                ("VN", "ID", "CN", "PH", "MY"), ("account-verify", "login-secure", "refund")),
    ScamProfile(ScamType.MALWARE_APK, 5, 3500, (("url", 4), ("phone", 2), ("handle", 1),
                ("bank-account", 1)), ("MY", "TH", "VN", "CN"),
                ("apk-download", "cleaning-service", "delivery-app")),
    ScamProfile(ScamType.LOAN, 6, 300, (("ewallet", 3), ("url", 2), ("phone", 3),
                ("bank-account", 1)), ("PH", "ID", "VN", "CN"), ("quickloan", "pinjol", "vay")),
    ScamProfile(ScamType.ECOMMERCE, 8, 180, (("ewallet", 3), ("bank-account", 3),
                ("handle", 2), ("phone", 1)), ("MY", "ID", "PH", "TH", "VN"),
                ("flashsale", "shop-deal", "gadget")),
    ScamProfile(ScamType.PRIZE, 3, 450, (("phone", 3), ("url", 2), ("ewallet", 2)),
                ("PH", "ID", "VN", "MY"), ("lucky-draw", "prize-claim")),
    ScamProfile(ScamType.TECH_SUPPORT, 3, 1500, (("phone", 3), ("url", 2), ("email", 2),
                ("crypto", 1)), ("PH", "VN", "CN"), ("pc-support", "helpdesk")),
    ScamProfile(ScamType.EXTORTION, 3, 700, (("crypto", 3), ("email", 2), ("handle", 2)),
                ("PH", "ID", "MM", "KH"), ("privacy", "leak")),
)

TLDS = ("com", "net", "top", "xyz", "vip", "shop", "online", "site", "cc", "info", "co",
        "app", "link", "club")

HANDLE_PLATFORMS = ("telegram", "whatsapp", "line", "facebook", "instagram", "wechat")

WELL_KNOWN_URLS = ("https://www.google.com/", "https://www.facebook.com/",
                   "https://www.youtube.com/", "https://shopee.com.my/")
"""Well-known root pages (on the bundled top-domains warninglist): never link campaigns."""

BANK_HOTLINES = {"MY": "+601300886688", "SG": "+6518001111111", "TH": "+6628888888",
                 "PH": "+63288700700", "VN": "+841900545413", "ID": "+621500888"}
"""Published bank hotlines on the bundled `asean-bank-hotlines` warninglist; other
countries get a synthetic hotline that the scenario's agencies.json lists as a
per-agency warninglist entry."""
