"""The campaign the demo runs: "Không một mình – Cùng nhau an toàn trực tuyến".

Wording and activities follow the commune's plan (shared/campaign/ke-hoach-khong-mot-minh.txt):
the launch announcement, the trailer, quick tips against grooming and "online kidnapping",
a quiz, and the call to film challenge clips for the recap.
"""
from __future__ import annotations

CAMPAIGN_NAME = "Không một mình – Cùng nhau an toàn trực tuyến"
HASHTAGS = "#khongmotminh #antoantructuyen #niemtinso"
MESSAGE = "Em không một mình: khi gặp nguy hiểm trên mạng, hãy nói với gia đình, thầy cô và Công an xã."
HELP_LINE = "Cần giúp đỡ? Gọi Công an xã hoặc đường dây nóng 111 (Tổng đài quốc gia bảo vệ trẻ em)."
HELP_CONTACT = "Công an xã hoặc đường dây nóng 111 (Tổng đài quốc gia bảo vệ trẻ em)"  # the materials' help line: whom to call

LAUNCH = (
    "📢 PHÁT ĐỘNG CHIẾN DỊCH “KHÔNG MỘT MÌNH” – “CÙNG NHAU AN TOÀN TRỰC TUYẾN”\n\n"
    "Hưởng ứng Công ước Hà Nội của Liên hợp quốc về chống tội phạm mạng, Công an xã Kon Chiêng "
    "cùng các trường học trên địa bàn phát động chiến dịch nhằm bảo vệ học sinh, sinh viên, "
    "thanh thiếu niên từ 12 đến 24 tuổi trước các hành vi dụ dỗ, thao túng, lừa đảo và "
    "“bắt cóc trực tuyến”.\n\n"
    "Hãy nhớ: các em không một mình. Khi gặp tình huống nguy hiểm trên mạng, hãy chia sẻ ngay với "
    "gia đình, thầy cô và cơ quan Công an."
)

TRAILER = (
    "🎬 Video giới thiệu chiến dịch “Không một mình” – “Cùng nhau an toàn trực tuyến”. "
    "Cùng xem, chia sẻ và lan tỏa thông điệp đến bạn bè, người thân!"
)

TIPS = [
    ("Mẹo an toàn số 1", "Không chia sẻ mật khẩu, mã OTP, ảnh riêng tư với bất kỳ ai trên mạng, "
     "kể cả người tự xưng là bạn bè hay “người yêu qua mạng”."),
    ("Mẹo an toàn số 2", "“Việc nhẹ lương cao”, “đi du lịch miễn phí”, “làm người mẫu ảnh”… là những chiêu "
     "trò dụ dỗ thường gặp. Hãy hỏi ý kiến bố mẹ, thầy cô trước khi trả lời."),
    ("Mẹo an toàn số 3", "Nếu ai đó bảo em giữ bí mật, tự cô lập, không được kể với gia đình: đó là dấu hiệu "
     "thao túng. Hãy nói ngay với người lớn em tin tưởng."),
    ("Mẹo an toàn số 4", "Bị đe dọa, tống tiền trên mạng? Đừng chuyển tiền, đừng xóa tin nhắn: chụp màn hình "
     "làm bằng chứng và báo ngay cho Công an xã."),
]

QUIZ = (
    "❓ MINIGAME: Ai đúng?\n\n"
    "Một người lạ nhắn tin rủ em đi làm thêm ở thành phố, hứa lo hết chi phí đi lại và yêu cầu giữ bí mật "
    "với gia đình. Em sẽ làm gì?\n"
    "A. Đồng ý ngay vì cơ hội hiếm có\n"
    "B. Hỏi thêm thông tin rồi tự đi một mình\n"
    "C. Từ chối, kể với bố mẹ, thầy cô và báo Công an xã\n\n"
    "Bình luận đáp án của em nhé! Đáp án đúng sẽ được công bố vào cuối tuần."
)

ANSWER = (
    "✅ ĐÁP ÁN MINIGAME “Ai đúng?”: C.\n\n"
    "Lời mời “việc nhẹ lương cao”, lo hết chi phí và đòi giữ bí mật với gia đình là dấu hiệu lừa đảo, "
    "“bắt cóc online”. Hãy từ chối, kể với bố mẹ, thầy cô và báo ngay cho Công an xã. Em không một mình!"
)

CHALLENGE = (
    "📱 THỬ THÁCH “KHÔNG MỘT MÌNH”\n\n"
    "Mời học sinh, phụ huynh, thầy cô quay một đoạn video ngắn (10–30 giây) nói về cách em giữ an toàn "
    "trên mạng, và gửi qua đường dẫn của chiến dịch. Các video sẽ được tổng hợp thành video tóm tắt "
    "(recap) cuối chiến dịch. Học sinh dưới 16 tuổi cần có sự đồng ý của cha mẹ."
)

SCHOOLS = ["Trường THCS Kon Chiêng", "Trường Tiểu học Kon Chiêng", "Trường THCS Đak Tơ Pang"]


# Signatures on the "Bức tường An toàn số" (the youth union's and women's union's members, students),
# sent through the public page as a phone would: (name, shown as, school or organisation, age group)
PLEDGES = [
    ("Nguyễn Thị Hoa", "first", "Trường THCS Kon Chiêng", "12-15"),
    ("Trần Minh Khang", "initials", "Trường THCS Đak Tơ Pang", "12-15"),
    ("Lê Văn Tâm", "full", "Chi đoàn thôn 2", "19-24"),
    ("Phạm Thị Mai", "full", "Chi hội Phụ nữ thôn 3", "25+"),
    ("Đinh Văn Hùng", "first", "Trường THCS Kon Chiêng", "16-18"),
]
