"""Words around a number that say it is not an account: the extractor's cue words.

Beside a bank or wallet name, a number is read as the account unless the text
says otherwise: a date (`19-11-22`; digits within a date written with a month
name, `Jan 20 2024`, `12 มี.ค. 2568 10:30`, are passed over), or a cue word
between the name and the number that calls it something else: a hotline or a
number to call or text (`Maybank hotline 1300 88 6688`, `BDO Credit Card. RSVP
to 0917...`), a one-time code, a reference, transaction or order id, a permit,
its name perhaps run on into its first number (`KTB OTP for NEXT Application is
890321`, `WaveMoney: ... TID:9676862249`, `BDO ... DTI230348 225361`).  Before
the name, a call word said to the bank (`contact Krungthai at 02-111-1111`)
counts, and so does a one-time code's name earlier in the name's clause that has
not named a number of its own (`Your OTP for KTB is 890321`); an id word there
does not, being as often about the transfer (`In order to claim pay into Maybank
...`).  After the number, a one-time code's name said of it in its clause counts
too (`PayPal: 515031 is your security code`, `BCA: 123456 adalah kode OTP
Anda`).

Kept apart from `extract.py` (the passes that find candidates) as the word
lists of several languages grow; pure regular expressions, no I/O.
"""

from __future__ import annotations

import re

from bersama.observables._common import trie_regex

CALL_WORDS = re.compile(
    r"\b(?:call|hotline|tel|phone|contact|hubungi|talian|telefon|tawag|gọi|điện thoại"
    r"|(?:rsvp|text|txt|sms)\b)|โทร|ติดต่อ",
    re.IGNORECASE,
)
# Words that name a number after a bank or wallet name as something other than an account:
# a one-time or verification code, a reference, transaction or order id, a permit.  Codes
# (OTP, TAC, PIN, code, Malay kod, Indonesian kode, Vietnamese mã, Thai รหัส), references
# (ref, reference, Malay rujukan, Indonesian referensi, Thai อ้างอิง), ids (TID, txn, trx,
# trans id, order, invoice), permits (permit, the Philippine DTI's, Thai ใบอนุญาต).
# A word may run on into its digits ("DTI230348 225361": a list of permits).
_ONE_TIME_CODE = r"\b(?:otp|tac|pin|(?:pass)?code|kode?|mã)(?![^\W\d_])|รหัส"
CODE_WORDS = re.compile(
    _ONE_TIME_CODE + r"|\b(?:ref(?:erence|no)?|rujukan|referensi|tid|txn|trx"
    r"|trans(?:action)?\s*(?:id|no|#)|order|invoice|permit|dti)(?![^\W\d_])|อ้างอิง|ใบอนุญาต",
    re.IGNORECASE,
)
# Before the name only a one-time code's name counts ("Your OTP for KTB is 890321"): an id
# word there is as likely about the transfer ("In order to claim, pay into Maybank 5140...").
_CODE_WORDS_BEFORE = re.compile(_ONE_TIME_CODE, re.IGNORECASE)
# A cue word before the name ("Your OTP for KTB is 890321") is looked for back to the start
# of the name's clause, at most this far (Thai runs a clause on without punctuation: "รหัส
# OTP สำหรับการยืนยันตัวตนของคุณสำหรับการใช้งาน GHB All คือ 732323").
_CUE_BEFORE_WINDOW = 60
_CLAUSE_END = re.compile("[.,;!?\n\u3002\uff0c\uff1b\uff01\uff1f]")
_A_NUMBER = re.compile(r"\d(?:[ -]?\d){3}")  # a code has four digits or more
# After the number, a one-time code's name said of it: at once, in brackets or after a colon
# or dash ("482913 (TAC)"), or after a linking word and at most three more words ("515031 is
# your security code", Malay "ialah kod TAC", Indonesian "adalah kode OTP", Vietnamese "là mã
# OTP", Tagalog "ang iyong OTP"), all in the number's clause; Thai runs its words together,
# so after คือ/เป็น only the code's name itself ("515031 คือรหัส...").  A code word after other
# words is about something else ("paid Maybank 5140 1234 5678 and then they asked for my TAC").
_LINK = r"(?:is|are|was|as|adalah|ialah|merupakan|là|ang|ay)(?![^\W\d_])"
_CUE_AFTER = re.compile(
    rf"[ \t]*(?:[(:=\-\u2013]|{_LINK}[ \t]*(?:[^\W\d_][\w'-]*[ \t]+){{0,3}}?|คือ|เป็น)"
    rf"[ \t]*(?:{_ONE_TIME_CODE})",
    re.IGNORECASE,
)

# Month names and abbreviations: English, Malay, Indonesian, Tagalog (Latin script, matched
# as words, any case) and Thai (full names and the dotted abbreviations, `มี.ค.`).  Vietnamese
# months are numbered ("tháng 3"), so they have a pattern of their own.
_LATIN_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
    "januari", "februari", "mac", "mei", "julai", "ogos", "oktober", "disember", "okt", "dis",
    "maret", "juni", "juli", "agustus", "desember", "agu", "agt", "ags", "des",
    "enero", "pebrero", "febrero", "marso", "abril", "mayo", "hunyo", "hulyo", "agosto",
    "setyembre", "septiyembre", "oktubre", "nobyembre", "disyembre",
]
_THAI_MONTHS = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
    "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
]
_MONTH = (rf"(?:(?<![^\W\d_])(?:{trie_regex(_LATIN_MONTHS)})\.?(?![^\W\d_])"
          rf"|{trie_regex(_THAI_MONTHS)})")
_SP = r"[ \t\u00a0]*"
_DAY = r"(?<!\d)(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
# A year of the Gregorian or the Thai Buddhist era (2568 = 2025); two digits only after a
# day and a month ("12 มี.ค. 68"), where nothing else is written that way.
_YEAR = r"(?<!\d)(?:19|20|25)\d\d(?!\d)"
_MONTH_DATE = re.compile(
    rf"{_DAY}{_SP}(?:of{_SP})?{_MONTH}(?:,?{_SP}(?:{_YEAR}|\d\d(?!\d)))?"
    rf"|{_MONTH}{_SP}(?:{_DAY}(?:,?{_SP}{_YEAR})?|,?{_YEAR})"
    rf"|(?:ngày{_SP}{_DAY}{_SP})?tháng{_SP}(?:1[0-2]|0?[1-9])(?!\d)"
    rf"(?:{_SP}(?:năm{_SP}|[/-]{_SP})?{_YEAR})?",
    re.IGNORECASE,
)


DATE_REACH = 40
"""Longer than any date `date_spans` finds ("ngày 12 tháng 12 năm 2025", "12th of September,
2025"): a date that overlaps a span lies within this many characters either side of it."""


def date_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each date written with a month name in `text` ("Jan 20 2024",
    "12 Mac 2025", "12 มีนาคม 2568", "tháng 12 2025") that overlaps `text[start:end]`:
    digits in one are not an account, though a digit run may run on from its year into the
    account ("12 March 2025 5140...").  Sought around one candidate at a time (~30 us for a
    whole message, and most messages have no candidate)."""
    found = _MONTH_DATE.finditer(text, max(0, start - DATE_REACH), end + DATE_REACH)
    return [m.span() for m in found if m.start() < end and start < m.end()]


def date_like(digits: str) -> bool:
    """`19-11-22`, `28-01-2021`, `2021-04-25`: three dash-separated groups that make a day,
    a month (either order) and a year."""
    parts = digits.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return False
    if len(parts[0]) == 4:
        parts = [parts[2], parts[1], parts[0]]
    day, month, year = parts
    if len(day) > 2 or len(month) > 2 or len(year) not in (2, 4):
        return False
    d, m = int(day), int(month)
    return (1 <= m <= 12 and 1 <= d <= 31) or (1 <= d <= 12 and 1 <= m <= 31)


def cue_before(text: str, start: int) -> bool:
    """The number after the name at `start` is named by a word before it: a one-time code's
    name earlier in its clause that has not named a number yet ("Your OTP for KTB is
    890321", but not "Your OTP 482913 confirms the transfer to KTB 1234567890" nor "Never
    share your OTP. Transfer to KTB 1234567890"), or a call word just before the name
    ("please contact Krungthai at 02-111-1111"; "he called me and said to pay Maybank ..."
    is about the account)."""
    lo = max(0, start - _CUE_BEFORE_WINDOW)
    for end in _CLAUSE_END.finditer(text, lo, start):
        lo = end.end()
    name_at = lo + len(text[lo:start].rstrip())
    if any(c.end() == name_at for c in CALL_WORDS.finditer(text, lo, start)):
        return True
    cues = [c.end() for c in _CODE_WORDS_BEFORE.finditer(text, lo, start)]
    return bool(cues) and not _A_NUMBER.search(text, cues[-1], start)


def cue_after(text: str, end: int) -> bool:
    """The number that ends at `end` is called a one-time code by the words right after it
    ("515031 is your security code", "123456 adalah kode OTP Anda"); see `_CUE_AFTER`."""
    return _CUE_AFTER.match(text, end) is not None
