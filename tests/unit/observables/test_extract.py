"""Entity extraction from realistic scam texts in the region's languages."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import (
    Kind,
    extract_entities,
    extract_entities_with_rejections,
)

ENGLISH_MY = (
    "SCAM ALERT: caller claiming to be from Bank Negara called from 012-345 6789 and asked "
    "victims to WhatsApp +60 11-2345 6789. Victims transferred RM5,000 to Maybank account "
    "5123 4567 8901 (name: Ali). Phishing site hxxps://maybank2u-secure[.]com/login and "
    "bit.ly/3xYzAbC; contact support@mayb4nk-help.com. Telegram @Scam_Boss, t.me/invest_my. "
    "Refunds via TNG eWallet 012-987 6543. USDT (TRC20): TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7. "
    "C2 at 45.33.32[.]156, sample md5 44d88612fea8a8f36de82e1278abb02f. e.g. ignore this."
)


def refs(text: str, country: str | None) -> list[str]:
    return [o.ref for o in extract_entities(text, country=country)]


def test_english_advisory_malaysia() -> None:
    assert refs(ENGLISH_MY, "MY") == [
        "phone:+60123456789",
        "handle:whatsapp:+601123456789",
        "phone:+601123456789",
        "bank-account:MY:MBB:512345678901",
        "url:https://maybank2u-secure.com/login",
        "url:http://bit.ly/3xYzAbC",
        "email:support@mayb4nk-help.com",
        "handle:telegram:scam_boss",
        "handle:telegram:invest_my",
        "ewallet:tng:+60129876543",
        "phone:+60129876543",
        "crypto:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
        "ipv4:45.33.32.156",
        "md5:44d88612fea8a8f36de82e1278abb02f",
    ]


def test_malay_narrative() -> None:
    text = (
        "Saya ditipu oleh sindiket pelaburan. Mereka suruh saya hubungi 019-876 5432 dan "
        "pindahkan wang ke akaun CIMB 8001234567 serta Public Bank 3-1234567-89. "
        "Laman web: www.pelaburan-untung.my"
    )
    assert refs(text, "MY") == [
        "phone:+60198765432",
        "bank-account:MY:CIMB:8001234567",
        "bank-account:MY:PBB:3123456789",
        "domain:www.pelaburan-untung.my",
    ]


def test_thai_narrative() -> None:
    text = (
        "มิจฉาชีพโทรจาก 081-234-5678 อ้างเป็นเจ้าหน้าที่ ให้โอนเงิน 30,000 บาท "
        "เข้าบัญชีกสิกรไทย 123-4-56789-0 และแอดไลน์ ID: scam_th88 "
        "เว็บไซต์ www.kbank-refund.net"
    )
    assert refs(text, "TH") == [
        "phone:+66812345678",
        "bank-account:TH:KBANK:1234567890",
        "handle:line:scam_th88",
        "domain:www.kbank-refund.net",
    ]


def test_vietnamese_narrative() -> None:
    text = (
        "Lừa đảo: kẻ gian gọi 0912 345 678, yêu cầu chuyển 15 triệu đồng vào tài khoản "
        "Vietcombank 0123456789012, liên hệ Zalo 0987654321, nạp MoMo 0912345678, "
        "trang web vietcombank-hotro.xyz/otp"
    )
    assert refs(text, "VN") == [
        "phone:+84912345678",
        "bank-account:VN:VCB:0123456789012",
        "handle:zalo:+84987654321",
        "phone:+84987654321",
        "ewallet:momo:+84912345678",
        "url:http://vietcombank-hotro.xyz/otp",
    ]


def test_tagalog_narrative() -> None:
    text = (
        "Nag-text sa akin ang 0917 123 4567, sabi padalhan ko ng ₱25,000 sa GCash "
        "0918 765 4321 at BDO 001234567890. Link: https://bdo-verify.top/ "
        "FB: facebook.com/juan.scammer.77"
    )
    assert refs(text, "PH") == [
        "phone:+639171234567",
        "ewallet:gcash:+639187654321",
        "phone:+639187654321",
        "bank-account:PH:BDO:001234567890",
        "url:https://bdo-verify.top/",
        "handle:facebook:juanscammer77",
    ]


def test_bank_hotlines_are_not_accounts() -> None:
    text = "Maybank hotline 1300 88 6688. Real Maybank customers never get calls. CIMB 1300 880 900"
    found = refs(text, "MY")
    assert not [r for r in found if r.startswith("bank-account:")]
    assert "phone:+601300886688" in found



@pytest.mark.parametrize(("text", "country"), [
    ("KTB OTP for NEXT Application is 890321", "TH"),
    ("Visit BDO Website for T&Cs. DTI 258305", "PH"),
    ("Your Maybank TAC is 482913. Do not share it.", "MY"),
    ("Maybank2u: kod pengesahan anda 482913", "MY"),
    ("BCA kode verifikasi 482913", "ID"),
    ("Vietcombank: mã OTP của quý khách là 482913", "VN"),
    ("กรุงไทย รหัสผ่านครั้งเดียว 482913", "TH"),
    ("BDO reference no. 0012345678 for your payment", "PH"),
    ("Per DTI Fair Trade Permit No. FTEB-123456 BDO promo, permit 123456", "PH"),
    # a permit list whose first number runs on from its name
    ("Visit BDO Website for T&Cs DTI230348 225361", "PH"),
    ("Search the hotel on BDO web for T&C DTI206722, 207804", "PH"),
])
def test_codes_and_permit_numbers_beside_a_bank_are_not_accounts(text: str, country: str) -> None:
    """A cue word (OTP, TAC, code, reference, permit...) between the bank's name and the
    digits says what the digits are, the way "hotline" does."""
    found = refs(text, country)
    assert not [r for r in found if r.startswith("bank-account:")], found


def test_an_account_number_beside_a_bank_is_still_read() -> None:
    assert refs("Transfer to BDO 001234567890 today", "PH") == ["bank-account:PH:BDO:001234567890"]


@pytest.mark.parametrize(("text", "country"), [
    ("Your OTP for KTB is 890321", "TH"),
    ("Your OTP for GCash is 123456", "PH"),
    # Thai: "OTP code to verify your identity for using GHB All is 732323"
    ("รหัส OTP สำหรับการยืนยันตัวตนของคุณสำหรับการใช้งาน GHB All คือ 732323", "TH"),
    ("รหัสสมัครบริการ K PLUS ของคุณคือ 982531", "TH"),  # "your K PLUS sign-up code is"
    ("If you did not perform the activity, please contact Krungthai at 02-111-1111.", "TH"),
])
def test_a_cue_word_before_the_name_in_its_clause_is_read_like_one_after(
        text: str, country: str) -> None:
    """"Your OTP for KTB is 890321" says what the digits are as plainly as "KTB OTP is"."""
    found, rejected = extract_entities_with_rejections(text, country=country)
    assert not [o for o in found if o.kind in (Kind.BANK_ACCOUNT, Kind.EWALLET)], found
    assert not [r for r in rejected if r.kind in (Kind.BANK_ACCOUNT, Kind.EWALLET)], rejected


@pytest.mark.parametrize(("text", "country"), [
    # Thai SMS corpus: "515031 is your security code; it expires in 10 minutes"
    ("PayPal: 515031 คือรหัสความปลอดภัยของคุณ รหัสจะหมดอายุใน 10 นาที", "TH"),
    ("GCash: 515031 is your security code. Do not share it.", "PH"),
    ("BCA: 123456 adalah kode OTP Anda", "ID"),
    ("Maybank2u: 482913 ialah kod TAC anda", "MY"),
    ("Vietcombank: 482913 là mã OTP của quý khách", "VN"),
    ("KTB 890321 is your one-time PIN", "TH"),
    ("PromptPay 482913 is your verification code", "TH"),  # an id wallet takes 6 digits
    ("Maybank 482913 (TAC) for your transfer", "MY"),
])
def test_a_code_cue_after_the_number_in_its_clause_is_read_like_one_before(
        text: str, country: str) -> None:
    """"515031 is your security code" says what the digits are as plainly as "Your security
    code is 515031": neither an account nor a rejected one."""
    found, rejected = extract_entities_with_rejections(text, country=country)
    assert not [o for o in found if o.kind in (Kind.BANK_ACCOUNT, Kind.EWALLET)], found
    assert not [r for r in rejected if r.kind in (Kind.BANK_ACCOUNT, Kind.EWALLET)], rejected


@pytest.mark.parametrize(("text", "country", "ref"), [
    # the code word is not linked to the number ("is", "adalah", "là", "คือ"...)
    ("I paid Maybank 5140 1234 5678 and then they asked for my TAC", "MY",
     "bank-account:MY:MBB:514012345678"),
    ("Pay to KTB 1234567890 then send the OTP", "TH", "bank-account:TH:KTB:1234567890"),
    # another clause, or too far on to be said of the number
    ("Pay to KTB 1234567890. Your OTP is private", "TH", "bank-account:TH:KTB:1234567890"),
    ("Maybank 5140 1234 5678 is the account they emptied after stealing my TAC", "MY",
     "bank-account:MY:MBB:514012345678"),
    # Thai runs words together: after คือ/เป็น only the code's name itself counts ("it is
    # the one who asked for the OTP's")
    ("โอนเข้า KTB 1234567890 เป็นของคนขอ OTP", "TH", "bank-account:TH:KTB:1234567890"),
])
def test_an_account_followed_by_a_code_word_about_something_else_is_read(
        text: str, country: str, ref: str) -> None:
    assert ref in refs(text, country)


def test_a_bank_number_after_a_contact_cue_is_its_phone() -> None:
    assert refs("Please contact Krungthai at 02-111-1111", "TH") == ["phone:+6621111111"]


@pytest.mark.parametrize(("text", "country", "ref"), [
    ("transfer to KTB 123-4-56789-0", "TH", "bank-account:TH:KTB:1234567890"),
    ("Maybank account 5140 1234 5678", "MY", "bank-account:MY:MBB:514012345678"),
    # the cue is in another clause, or it named a number of its own
    ("Never share your OTP. Transfer only to KTB 1234567890", "TH",
     "bank-account:TH:KTB:1234567890"),
    ("Do not share your PIN, pay to Maybank 5140 1234 5678", "MY",
     "bank-account:MY:MBB:514012345678"),
    ("Your OTP 482913 confirms the transfer to KTB 1234567890", "TH",
     "bank-account:TH:KTB:1234567890"),
    # a call word not said to the bank, an id word before the name
    ("A man called me and told me to pay Maybank 5140 1234 5678", "MY",
     "bank-account:MY:MBB:514012345678"),
    ("In order to claim the prize pay into Maybank 5140 1234 5678", "MY",
     "bank-account:MY:MBB:514012345678"),
    ("Settle the invoice via Maybank account 5140 1234 5678", "MY",
     "bank-account:MY:MBB:514012345678"),
])
def test_accounts_after_a_bank_name_without_a_cue_of_their_own_are_read(
        text: str, country: str, ref: str) -> None:
    assert ref in refs(text, country)


@pytest.mark.parametrize(("text", "country"), [
    ("WaveMoney: ဆုငွေ: 700000Ks, TID:9676862249.", "MM"),
    ("GCash: Ref No. 9171234567 for PHP 500.00", "PH"),
    ("GCash Trans ID 9171234567 completed", "PH"),
    ("TrueMoney order 0812345678 paid", "TH"),
])
def test_transaction_ids_beside_a_wallet_are_not_wallet_accounts(text: str, country: str) -> None:
    found = refs(text, country)
    assert not [r for r in found if r.startswith("ewallet:")], found


def test_thai_abbreviation_before_a_slash_is_neither_url_nor_rejection() -> None:
    found, rejected = extract_entities_with_rejections(
        "ช้อปครบ500บ.ขึ้นไป/สลิป รับพอยต์ 1.วิธีการโทรออก/ส่ง", country="TH")
    assert (found, rejected) == ([], [])


def test_scheme_less_url_with_a_latin_host_is_still_rejected_with_its_reason() -> None:
    _, rejected = extract_entities_with_rejections("login at scb.xycittop/th now", country="TH")
    assert [(r.kind, r.value) for r in rejected] == [(Kind.URL, "scb.xycittop/th")]
    assert "no public suffix" in rejected[0].reason


@pytest.mark.parametrize(("text", "country"), [
    # dates after a bank name (Thai card and securities notices)
    ("บัตรกรุงไทยลงท้าย 4083 ครบกำหนดค่าบริการรายปี 19-11-22 โปรดสำรองเงิน", "TH"),
    ("ท่านได้เข้าใช้ระบบ Money Connect by Krungthai เมื่อวันที่ 28-01-2021  เวลา 12:07 น.", "TH"),
    ("Maybank statement 2026-04-25 is ready", "MY"),
    # amounts after a bank name
    ("BDO: your payment of PHP 150000 is due", "PH"),
    ("Krungsri ยอด 250000 บาท", "TH"),
    # an e-wallet's name is not the bank inside it ("AYA Pay" is not AYA Bank)
    ("AYA Pay: Amt: 700000 Ks; TID:4199642169 Give Trx Id", "MM"),
])
def test_dates_amounts_and_wallet_names_give_no_bank_account(text: str, country: str) -> None:
    found = refs(text, country)
    assert not [r for r in found if r.startswith(("bank-account:", "ewallet:"))], found


@pytest.mark.parametrize(("text", "country"), [
    # PH SMS corpus: "20 2024" of the date read as a GCash number
    ("Tap Borrow > GLoan in the GCash app to avail.  Promo runs until Jan 20 2024. ", "PH"),
    ("Top up GCash by March 12 2025", "PH"),
    ("GCash promo until 12 March 2025 10:00", "PH"),
    ("Bayar ke Maybank sebelum 12 Mac 2025 10:00", "MY"),
    ("Transfer BCA paling lambat 12 Maret 2025 10:00", "ID"),
    ("Magbayad sa GCash bago ang 12 Marso 2025 10:00", "PH"),
    ("ชำระผ่าน TrueMoney ภายใน 12 มีนาคม 2568 10:30 น.", "TH"),
    ("ชำระผ่าน TrueMoney ภายใน 12 มี.ค. 2568 10:30 น.", "TH"),
    ("Nạp MoMo trong tháng 12 2025 để nhận quà", "VN"),
    ("Vietcombank: ngày 12 tháng 3 năm 2025 10:30", "VN"),
])
def test_dates_with_month_names_are_neither_accounts_nor_rejections(
        text: str, country: str) -> None:
    found, rejected = extract_entities_with_rejections(text, country=country)
    assert not [o for o in found if o.kind in (Kind.BANK_ACCOUNT, Kind.EWALLET)], found
    assert not [r for r in rejected if r.kind in (Kind.BANK_ACCOUNT, Kind.EWALLET)], rejected


@pytest.mark.parametrize(("text", "country", "ref"), [
    # the account after a date is read whole, without the date's year
    ("Maybank 12 March 2025 5140 1234 5678", "MY", "bank-account:MY:MBB:514012345678"),
    ("On 12 March 2025 I paid Maybank 5140 1234 5678", "MY",
     "bank-account:MY:MBB:514012345678"),
    # month names that are words, without a day or year beside them
    ("Pay Maybank in May 5140 1234 5678", "MY", "bank-account:MY:MBB:514012345678"),
])
def test_accounts_beside_dates_are_still_read(text: str, country: str, ref: str) -> None:
    assert refs(text, country) == [ref]


def test_a_mobile_number_after_a_bank_name_is_still_a_phone() -> None:
    text = "Buy Now Pay Later w/ your BDO Credit Card. RSVP to 09171474688."
    assert "phone:+639171474688" in refs(text, "PH")


@pytest.mark.parametrize("text", [
    "Buy Now Pay Later w/ your BDO Credit Card. RSVP to 09171474688.",
    "0% interest for up to 12 months w/ your BDO Credit Card. Text 09178255956 to confirm",
])
def test_a_number_to_text_after_a_bank_name_is_only_a_phone(text: str) -> None:
    assert [r for r in refs(text, "PH") if not r.startswith("phone:")] == []


def test_indonesian_word_dana_is_not_the_wallet() -> None:
    text = "Transfer dana ke 0812-3456-7890 via DANA 0813-1111-2222"
    assert refs(text, "ID") == [
        "phone:+6281234567890",
        "ewallet:dana:+6281311112222",
        "phone:+6281311112222",
    ]


def test_duplicates_and_spellings_collapse_in_order() -> None:
    text = "Call +60123456789 or 012-345 6789 (same). Site evil.com and EVIL.com and evil[.]com"
    assert refs(text, "MY") == ["phone:+60123456789", "domain:evil.com"]


def test_bracketed_scheme_is_refanged_like_hxxp() -> None:
    text = "Phishing: h[xx]ps://evil[.]example[.]com/login or H[XX]P[:]//evil.example.com/x"
    assert refs(text, "MY") == ["url:https://evil.example.com/login",
                                "url:http://evil.example.com/x"]


def test_no_false_positives_in_ordinary_text() -> None:
    text = (
        "Please read README.md and run setup.py, e.g. version 1.2.3 at 10:30:00 on 12.05.2024; "
        "i.e. nothing here. Score 3.5/5. Mr. Tan, Dr. Lim. Ref no. 2024-0001. "
        "Hello.World and goodbye.Network."
    )
    assert refs(text, "MY") == []


@pytest.mark.parametrize(("text", "country", "found"), [
    # UCI SMS spam: "16" is the "16+" of the next clause, but the text cannot say so
    ("Help? 0845 2814032 16 after 1st free", "GB", []),
    ("Help? 0845 2814032. 16+ after 1st free", "GB", ["phone:+448452814032"]),
    ("Help? 08452814032 16 after 1st free", "GB", ["phone:+448452814032"]),
    # what reading leading groups would invent: a phone out of a 13-digit account
    ("Pay 012 345 6789 0123 now", "MY", []),
])
def test_a_number_written_in_groups_is_read_whole_or_not_at_all(
        text: str, country: str, found: list[str]) -> None:
    """A run of space-separated digit groups is one phone candidate; when the whole run is
    not a number, `phonenumbers` tries each group alone, never the leading ones together,
    and neither do we (see the module docstring)."""
    assert refs(text, country) == found


def test_without_country_only_international_numbers() -> None:
    text = "call 012-345 6789 or +66 81 234 5678"
    assert refs(text, None) == ["phone:+66812345678"]


def test_rejections_are_reported_with_reasons() -> None:
    text = (
        "fake eth 0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed and btc "
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb and Maybank 12345"
    )
    found, rejected = extract_entities_with_rejections(text, country="MY")
    assert found == []
    reasons = {(r.kind, r.reason) for r in rejected}
    assert (Kind.CRYPTO, "EIP-55 checksum mismatch (mixed case does not match)") in reasons
    assert (Kind.CRYPTO, "base58check checksum mismatch") in reasons
    assert all(r.value and r.reason for r in rejected)


def test_bank_alias_ambiguous_without_country() -> None:
    found, rejected = extract_entities_with_rejections("SCB account 1234567890", country=None)
    assert not [o for o in found if o.kind is Kind.BANK_ACCOUNT]
    assert any("ambiguous" in r.reason for r in rejected)
    assert refs("SCB account 1234567890", "TH") == ["bank-account:TH:SCB:1234567890"]


def test_bad_country_rejected() -> None:
    with pytest.raises(InvalidObservable):
        extract_entities("x", country="XX")


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01 binary \xff", "a" * 10_000])
def test_degenerate_input(text: str) -> None:
    assert extract_entities(text, country="MY") == []


def test_url_ends_at_cjk_sentence_punctuation() -> None:
    refs = [o.ref for o in extract_entities("请访问 https://example-scam.com/login。然后输入验证码")]
    assert refs == ["url:https://example-scam.com/login"]


@pytest.mark.parametrize(("text", "country", "ref"), [
    ("Maybank 5123 4567 8901", "MY", "bank-account:MY:MBB:512345678901"),
    ("Maybank 5123 4567 8901", "SG", "bank-account:SG:MBB:512345678901"),
    # the same rule as a CSV bank column: several countries and none is the agency's
    ("Maybank 5123 4567 8901", "TH", "bank-account:TH:MAYBANK:512345678901"),
    ("Kasikornbank 123-4-56789-0", "MY", "bank-account:TH:KBANK:1234567890"),
    ("HSBC Bank 1234567890", "SG", "bank-account:SG:HSBCBANK:1234567890"),
])
def test_bank_mentions_are_placed_like_csv_bank_names(text: str, country: str, ref: str) -> None:
    from bersama.observables import bank_account

    assert refs(text, country) == [ref]
    bank, _, number = text.rpartition(" ") if text.startswith("HSBC") else text.partition(" ")
    assert f"bank-account:{bank_account(None, bank, number, default_country=country).key}" == ref


def test_wallet_providers_named_in_text() -> None:
    from bersama.observables.extract import wallet_providers

    assert wallet_providers("paid to my GCash account") == ["gcash"]
    assert wallet_providers("Touch n Go or DANA, not dana") == ["tng", "dana"]
    assert wallet_providers("dana and boost") == []
