import unicodedata

from kiosk.domain.text import fold, last_word_kept, mask_name, nfc, shortened


def test_fold_ignores_case_diacritics_and_d():
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("ĐĂNG  KÝ   KHAI SINH ") == "dang ky khai sinh"
    assert fold("đất đai") == fold("DAT DAI") == "dat dai"
    assert fold("Giấy chứng nhận quyền sử dụng đất") == "giay chung nhan quyen su dung dat"


def test_fold_is_the_same_for_nfc_and_nfd():
    text = "Người có công với cách mạng"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text) == "nguoi co cong voi cach mang"
    assert nfc(unicodedata.normalize("NFD", text)) == text


def test_mask_name():
    assert mask_name("Nguyễn Văn An") == "Nguyễn V** A"
    assert mask_name("Trần Thị Bích Ngọc") == "Trần T** B** N"
    assert mask_name("Lê Hoa") == "Lê H"
    assert mask_name("Y") == "Y**"
    assert mask_name("") == ""


def test_shortened_cuts_after_a_whole_word():
    # A real procedure's name (the national database's 1.013980 runs to 1,094 letters).
    name = "Thủ tục cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất"
    assert shortened(name, len(name)) == name
    cut = shortened(name, 40)
    assert cut == "Thủ tục cấp Giấy chứng nhận quyền sử…" and len(cut) <= 40
    assert shortened("Đăng ký khai sinh, kết hôn", 20) == "Đăng ký khai sinh…"  # no comma before the dots


def test_a_short_last_word_is_kept_with_the_word_before():
    assert last_word_kept("Chứng thực, sao y") == "Chứng thực, sao\u00a0y"
    assert last_word_kept("Sinh con, khai sinh") == "Sinh con, khai sinh"  # a longer word may go alone
    assert last_word_kept("ID") == "ID"  # one word: nothing to keep it with
