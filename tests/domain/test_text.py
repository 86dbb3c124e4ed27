import unicodedata

from kiosk.domain.text import fold, mask_name, nfc


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
