# ruff: noqa: E501, RUF001 - one translated sentence a line, with its own punctuation
"""Short templated victim narratives, per scam type and language.

Why templates: the narratives exist to exercise language identification, the
scam classifier and free-text identifier extraction with text that reads like
a hotline note in the reporting country's language, and they must be cheap
enough to produce millions of.  Each narrative is one hook sentence for the
scam type, one sentence per identifier mentioned (so extraction has something
to find) and one sentence for the loss.
"""

from __future__ import annotations

from bersama.taxonomy import ScamType as S

LANGUAGES = ("en", "ms", "id", "th", "vi", "tl", "zh", "ja")

HOOKS: dict[str, dict[S, str]] = {
    "en": {
        S.INVESTMENT: "I joined a group promoting a crypto trading platform with guaranteed daily returns.",
        S.JOB: "I was offered a part-time job liking videos and completing paid tasks online.",
        S.ROMANCE: "I met a man online who said he loved me and later asked for money for an emergency.",
        S.IMPERSONATION_AUTHORITY: "A caller claiming to be a police officer said my account was linked to money laundering.",
        S.IMPERSONATION_BANK: "I received an SMS saying my bank account was suspended and I had to verify it.",
        S.IMPERSONATION_COURIER: "A message said my parcel was held and I had to pay a small redelivery fee.",
        S.IMPERSONATION_CONTACT: "Someone pretending to be my son messaged me from a new number asking for help.",
        S.PHISHING: "I clicked a link in an e-mail and entered my login details on a fake page.",
        S.MALWARE_APK: "I was asked to install an app to book a service and later my savings were withdrawn.",
        S.LOAN: "I applied for an instant loan online and was told to pay a processing fee first.",
        S.ECOMMERCE: "I bought a phone from an online seller who never delivered it.",
        S.PRIZE: "I was told I had won a lucky draw and had to pay tax to claim the prize.",
        S.TECH_SUPPORT: "A pop-up said my computer was infected and gave a support number to call.",
        S.EXTORTION: "Someone threatened to publish private photos of me unless I paid.",
    },
    "ms": {
        S.INVESTMENT: "Saya menyertai kumpulan yang mempromosikan platform dagangan kripto dengan pulangan harian terjamin.",
        S.JOB: "Saya ditawarkan kerja sambilan menekan suka pada video dan menyiapkan tugasan berbayar.",
        S.ROMANCE: "Saya berkenalan dengan seorang lelaki dalam talian yang kemudian meminta wang untuk kecemasan.",
        S.IMPERSONATION_AUTHORITY: "Pemanggil mengaku sebagai pegawai polis dan berkata akaun saya terlibat dengan pengubahan wang haram.",
        S.IMPERSONATION_BANK: "Saya menerima SMS bahawa akaun bank saya digantung dan perlu disahkan.",
        S.IMPERSONATION_COURIER: "Mesej menyatakan bungkusan saya ditahan dan saya perlu membayar caj penghantaran semula.",
        S.IMPERSONATION_CONTACT: "Seseorang menyamar sebagai anak saya menghantar mesej dari nombor baharu meminta bantuan.",
        S.PHISHING: "Saya menekan pautan dalam e-mel dan memasukkan butiran log masuk di laman palsu.",
        S.MALWARE_APK: "Saya diminta memasang aplikasi untuk menempah perkhidmatan dan kemudian simpanan saya dikeluarkan.",
        S.LOAN: "Saya memohon pinjaman segera dalam talian dan diminta membayar yuran pemprosesan dahulu.",
        S.ECOMMERCE: "Saya membeli telefon daripada penjual dalam talian yang tidak pernah menghantarnya.",
        S.PRIZE: "Saya diberitahu memenangi cabutan bertuah dan perlu membayar cukai untuk menuntut hadiah.",
        S.TECH_SUPPORT: "Tetingkap timbul menyatakan komputer saya dijangkiti dan memberi nombor sokongan.",
        S.EXTORTION: "Seseorang mengugut untuk menyebarkan gambar peribadi saya jika saya tidak membayar.",
    },
    "id": {
        S.INVESTMENT: "Saya bergabung dengan grup yang menawarkan platform trading kripto dengan keuntungan harian pasti.",
        S.JOB: "Saya ditawari kerja paruh waktu menyukai video dan menyelesaikan tugas berbayar.",
        S.ROMANCE: "Saya berkenalan dengan seseorang secara online yang kemudian meminta uang untuk keadaan darurat.",
        S.IMPERSONATION_AUTHORITY: "Penelepon mengaku polisi dan mengatakan rekening saya terkait pencucian uang.",
        S.IMPERSONATION_BANK: "Saya menerima SMS bahwa rekening bank saya diblokir dan harus diverifikasi.",
        S.IMPERSONATION_COURIER: "Pesan menyebutkan paket saya ditahan dan saya harus membayar biaya pengiriman ulang.",
        S.IMPERSONATION_CONTACT: "Seseorang mengaku anak saya mengirim pesan dari nomor baru meminta bantuan.",
        S.PHISHING: "Saya mengklik tautan di email dan memasukkan data login di halaman palsu.",
        S.MALWARE_APK: "Saya diminta memasang aplikasi undangan dan kemudian saldo saya terkuras.",
        S.LOAN: "Saya mengajukan pinjaman online cepat dan diminta membayar biaya administrasi dulu.",
        S.ECOMMERCE: "Saya membeli ponsel dari penjual online yang tidak pernah mengirimkannya.",
        S.PRIZE: "Saya diberi tahu menang undian dan harus membayar pajak untuk mengambil hadiah.",
        S.TECH_SUPPORT: "Muncul peringatan bahwa komputer saya terinfeksi dengan nomor bantuan teknis.",
        S.EXTORTION: "Seseorang mengancam menyebarkan foto pribadi saya jika saya tidak membayar.",
    },
    "th": {
        S.INVESTMENT: "ฉันถูกชวนเข้ากลุ่มลงทุนคริปโตที่อ้างว่าได้ผลตอบแทนทุกวัน",
        S.JOB: "ฉันได้รับข้อเสนองานพาร์ทไทม์กดไลก์วิดีโอและทำภารกิจรับค่าคอมมิชชั่น",
        S.ROMANCE: "ฉันรู้จักชายคนหนึ่งทางออนไลน์ ต่อมาเขาขอยืมเงินอ้างว่ามีเหตุฉุกเฉิน",
        S.IMPERSONATION_AUTHORITY: "มีคนโทรมาอ้างเป็นตำรวจ บอกว่าบัญชีของฉันเกี่ยวข้องกับการฟอกเงิน",
        S.IMPERSONATION_BANK: "ฉันได้รับ SMS ว่าบัญชีธนาคารถูกระงับและต้องยืนยันตัวตน",
        S.IMPERSONATION_COURIER: "มีข้อความแจ้งว่าพัสดุของฉันตกค้างและต้องจ่ายค่าส่งใหม่",
        S.IMPERSONATION_CONTACT: "มีคนอ้างเป็นลูกของฉันส่งข้อความจากเบอร์ใหม่ขอให้ช่วยโอนเงิน",
        S.PHISHING: "ฉันกดลิงก์ในอีเมลและกรอกรหัสผ่านในหน้าเว็บปลอม",
        S.MALWARE_APK: "ฉันถูกให้ติดตั้งแอปเพื่อจองบริการ หลังจากนั้นเงินในบัญชีหายไป",
        S.LOAN: "ฉันสมัครสินเชื่อด่วนออนไลน์และถูกให้จ่ายค่าธรรมเนียมก่อน",
        S.ECOMMERCE: "ฉันซื้อโทรศัพท์จากร้านค้าออนไลน์แต่ไม่เคยได้รับสินค้า",
        S.PRIZE: "มีคนแจ้งว่าฉันถูกรางวัลและต้องจ่ายภาษีก่อนรับรางวัล",
        S.TECH_SUPPORT: "มีหน้าต่างเตือนว่าคอมพิวเตอร์ติดไวรัสและให้โทรหาฝ่ายสนับสนุน",
        S.EXTORTION: "มีคนขู่ว่าจะเผยแพร่รูปส่วนตัวของฉันหากไม่จ่ายเงิน",
    },
    "vi": {
        S.INVESTMENT: "Tôi được mời vào nhóm đầu tư tiền điện tử hứa hẹn lợi nhuận hằng ngày.",
        S.JOB: "Tôi được mời làm việc bán thời gian thả tim video và làm nhiệm vụ nhận hoa hồng.",
        S.ROMANCE: "Tôi quen một người đàn ông trên mạng, sau đó anh ta hỏi vay tiền vì có việc gấp.",
        S.IMPERSONATION_AUTHORITY: "Người gọi tự xưng là công an nói tài khoản của tôi liên quan đến rửa tiền.",
        S.IMPERSONATION_BANK: "Tôi nhận được tin nhắn nói tài khoản ngân hàng bị khóa và cần xác minh.",
        S.IMPERSONATION_COURIER: "Tin nhắn báo bưu kiện của tôi bị giữ lại và phải trả phí giao lại.",
        S.IMPERSONATION_CONTACT: "Có người giả làm con tôi nhắn tin từ số mới nhờ chuyển tiền.",
        S.PHISHING: "Tôi bấm vào đường link trong email và nhập thông tin đăng nhập vào trang giả.",
        S.MALWARE_APK: "Tôi được hướng dẫn cài ứng dụng và sau đó tiền trong tài khoản bị rút hết.",
        S.LOAN: "Tôi đăng ký vay tiền nhanh trên mạng và bị yêu cầu đóng phí hồ sơ trước.",
        S.ECOMMERCE: "Tôi mua điện thoại của người bán trên mạng nhưng không bao giờ nhận được hàng.",
        S.PRIZE: "Tôi được báo trúng thưởng và phải đóng thuế để nhận giải.",
        S.TECH_SUPPORT: "Cửa sổ cảnh báo nói máy tính bị nhiễm virus và đưa số điện thoại hỗ trợ.",
        S.EXTORTION: "Có người đe dọa tung ảnh riêng tư của tôi nếu tôi không trả tiền.",
    },
    "tl": {
        S.INVESTMENT: "Sumali ako sa isang grupo na nag-aalok ng crypto trading na may siguradong kita araw-araw.",
        S.JOB: "Inalok ako ng part-time na trabaho na mag-like ng mga video at gumawa ng bayad na task.",
        S.ROMANCE: "May nakilala akong lalaki online na kalaunan ay humingi ng pera para sa emergency.",
        S.IMPERSONATION_AUTHORITY: "May tumawag na nagpakilalang pulis at sinabing sangkot ang account ko sa money laundering.",
        S.IMPERSONATION_BANK: "Nakatanggap ako ng text na suspendido ang bank account ko at kailangang i-verify.",
        S.IMPERSONATION_COURIER: "May mensahe na naka-hold ang parcel ko at kailangan kong magbayad ng redelivery fee.",
        S.IMPERSONATION_CONTACT: "May nagpanggap na anak ko mula sa bagong numero at humingi ng tulong.",
        S.PHISHING: "Pinindot ko ang link sa email at inilagay ang login details ko sa pekeng pahina.",
        S.MALWARE_APK: "Pinainstall sa akin ang isang app at pagkatapos ay naubos ang ipon ko.",
        S.LOAN: "Nag-apply ako ng mabilis na loan online at pinagbayad muna ng processing fee.",
        S.ECOMMERCE: "Bumili ako ng cellphone sa online seller pero hindi ito dumating.",
        S.PRIZE: "Sinabihan akong nanalo sa raffle at kailangang magbayad ng buwis para makuha ang premyo.",
        S.TECH_SUPPORT: "May pop-up na nagsabing may virus ang computer ko at may numerong tatawagan.",
        S.EXTORTION: "May nagbanta na ikakalat ang pribadong litrato ko kung hindi ako magbabayad.",
    },
    "zh": {
        S.INVESTMENT: "我被拉进一个加密货币投资群，对方承诺每天稳定收益。",
        S.JOB: "有人介绍兼职工作，给视频点赞和做任务就能赚佣金。",
        S.ROMANCE: "我在网上认识一名男子，后来他以急用为由向我借钱。",
        S.IMPERSONATION_AUTHORITY: "对方自称警察，说我的账户涉嫌洗钱，要求配合调查。",
        S.IMPERSONATION_BANK: "我收到短信说银行账户被冻结，需要马上验证。",
        S.IMPERSONATION_COURIER: "短信说我的包裹被扣留，需要支付重新派送费用。",
        S.IMPERSONATION_CONTACT: "有人冒充我儿子用新号码发信息向我求助。",
        S.PHISHING: "我点击了邮件里的链接，在假网站上输入了登录信息。",
        S.MALWARE_APK: "对方让我安装一个应用程序，之后我账户里的存款被转走。",
        S.LOAN: "我在网上申请快速贷款，对方要求先付手续费。",
        S.ECOMMERCE: "我在网上向卖家买手机，但一直没有收到货。",
        S.PRIZE: "对方说我中了抽奖，需要先缴税才能领奖。",
        S.TECH_SUPPORT: "电脑弹出警告说中了病毒，并留下技术支持电话。",
        S.EXTORTION: "有人威胁说如果我不付钱就公开我的私密照片。",
    },
    "ja": {
        S.INVESTMENT: "暗号資産の投資グループに招待され、毎日確実に利益が出ると言われました。",
        S.JOB: "動画に「いいね」をするだけの副業を紹介され、有料タスクをするよう求められました。",
        S.ROMANCE: "ネットで知り合った男性から、緊急だと言われてお金を貸してほしいと頼まれました。",
        S.IMPERSONATION_AUTHORITY: "警察官を名乗る人物から、私の口座が資金洗浄に関係していると電話がありました。",
        S.IMPERSONATION_BANK: "銀行口座が停止されたので確認が必要だというSMSが届きました。",
        S.IMPERSONATION_COURIER: "荷物が保管されているので再配達料を払うようにというメッセージが来ました。",
        S.IMPERSONATION_CONTACT: "息子を名乗る人物から新しい番号でメッセージが来て、助けを求められました。",
        S.PHISHING: "メールのリンクを開き、偽のページにログイン情報を入力してしまいました。",
        S.MALWARE_APK: "アプリをインストールするよう言われ、その後預金が引き出されました。",
        S.LOAN: "オンラインで即日融資を申し込んだら、先に手数料を払うよう言われました。",
        S.ECOMMERCE: "ネットの販売者からスマートフォンを買いましたが、届きませんでした。",
        S.PRIZE: "抽選に当選したので、賞金を受け取るには税金を払う必要があると言われました。",
        S.TECH_SUPPORT: "パソコンがウイルスに感染したという警告が出て、サポート番号が表示されました。",
        S.EXTORTION: "お金を払わなければ私的な写真を公開すると脅されました。",
    },
}

MENTIONS: dict[str, dict[str, str]] = {
    "en": {"phone": "They contacted me from {v}.", "bank-account": "I transferred money to {name} account {v}.",
           "ewallet": "I also paid through {name} to {v}.", "crypto": "I sent USDT to the wallet {v}.",
           "url": "The website was {v}.", "email": "Their e-mail address was {v}.",
           "handle": "Their {name} account is {v}.",
           "loss": "In total I lost {amount}."},
    "ms": {"phone": "Mereka menghubungi saya dari nombor {v}.", "bank-account": "Saya memindahkan wang ke akaun {name} {v}.",
           "ewallet": "Saya juga membayar melalui {name} ke {v}.", "crypto": "Saya menghantar USDT ke dompet {v}.",
           "url": "Laman webnya ialah {v}.", "email": "Alamat e-mel mereka {v}.",
           "handle": "Akaun {name} mereka ialah {v}.",
           "loss": "Jumlah kerugian saya {amount}."},
    "id": {"phone": "Mereka menghubungi saya dari nomor {v}.", "bank-account": "Saya mentransfer uang ke rekening {name} {v}.",
           "ewallet": "Saya juga membayar lewat {name} ke {v}.", "crypto": "Saya mengirim USDT ke dompet {v}.",
           "url": "Situsnya adalah {v}.", "email": "Alamat email mereka {v}.",
           "handle": "Akun {name} mereka adalah {v}.",
           "loss": "Total kerugian saya {amount}."},
    "th": {"phone": "มิจฉาชีพติดต่อมาจากเบอร์ {v}", "bank-account": "ฉันโอนเงินเข้าบัญชี {name} เลขที่ {v}",
           "ewallet": "ฉันจ่ายเงินผ่าน {name} ไปที่ {v}", "crypto": "ฉันโอน USDT ไปที่กระเป๋า {v}",
           "url": "เว็บไซต์คือ {v}", "email": "อีเมลของมิจฉาชีพคือ {v}",
           "handle": "บัญชี {name} ของมิจฉาชีพคือ {v}",
           "loss": "รวมความเสียหาย {amount}"},
    "vi": {"phone": "Họ liên lạc với tôi từ số {v}.", "bank-account": "Tôi đã chuyển tiền vào tài khoản {name} số {v}.",
           "ewallet": "Tôi cũng chuyển qua {name} tới {v}.", "crypto": "Tôi đã gửi USDT vào ví {v}.",
           "url": "Trang web là {v}.", "email": "Địa chỉ email của họ là {v}.",
           "handle": "Tài khoản {name} của họ là {v}.",
           "loss": "Tổng thiệt hại của tôi là {amount}."},
    "tl": {"phone": "Kinontak nila ako mula sa {v}.", "bank-account": "Nagpadala ako ng pera sa {name} account {v}.",
           "ewallet": "Nagbayad din ako sa {name} papunta sa {v}.", "crypto": "Nagpadala ako ng USDT sa wallet {v}.",
           "url": "Ang website ay {v}.", "email": "Ang email nila ay {v}.",
           "handle": "Ang {name} account nila ay {v}.",
           "loss": "Kabuuang nawala sa akin ay {amount}."},
    "zh": {"phone": "对方用电话 {v} 联系我。", "bank-account": "我把钱转到了{name}账户 {v} 。",
           "ewallet": "我还通过{name}付款到 {v} 。", "crypto": "我把USDT转到了钱包 {v} 。",
           "url": "网站是 {v} 。", "email": "对方邮箱是 {v} 。",
           "handle": "对方的{name}账号是 {v} 。",
           "loss": "我一共损失了 {amount}。"},
    "ja": {"phone": "相手は {v} から連絡してきました。", "bank-account": "{name}の口座 {v} に振り込みました。",
           "ewallet": "{name}で {v} にも送金しました。", "crypto": "ウォレット {v} にUSDTを送りました。",
           "url": "サイトは {v} でした。", "email": "相手のメールアドレスは {v} でした。",
           "handle": "相手の{name}アカウントは {v} です。",
           "loss": "被害総額は {amount} です。"},
}

PLATFORM_NAMES = {"telegram": "Telegram", "line": "LINE", "facebook": "Facebook",
                  "instagram": "Instagram", "wechat": "WeChat"}


def narrative(language: str, scam_type: S, mentions: list[tuple[str, str, str]],
              amount: str | None) -> str:
    """A victim narrative: `mentions` are (kind, written value, name of bank/wallet/platform)."""
    parts = [HOOKS[language][scam_type]]
    table = MENTIONS[language]
    for kind, value, name in mentions:
        parts.append(table[kind].format(v=value, name=name))
    if amount:
        parts.append(table["loss"].format(amount=amount))
    sep = "" if language in ("zh", "ja", "th") else " "
    if language == "th":
        sep = " "
    return sep.join(parts)
