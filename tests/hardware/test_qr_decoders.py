"""Both decoders on generated citizen ID card (CCCD) QR codes and Code 128 receipts."""

import itertools

import barcode
import numpy as np
import pytest
import qrcode
from barcode.writer import ImageWriter
from PIL import Image

from kiosk.domain.scan import parse_scan
from kiosk.hardware.qr_decode import ZbarDecoder, ZxingDecoder, default_decoder, grayscale

# Invented people at real places: names, communes and streets with every kind of diacritic.
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Ngọc", "Minh", "Đức", "Thị Thu", "Quốc"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hằng", "Khánh", "Lộc", "Mỹ", "Nhung", "Phượng", "Quý",
         "Sơn", "Tâm", "Tuấn", "Uyên", "Việt", "Xuân", "Yến", "Ánh", "Đạt", "Ơn", "Ưng", "Nữ"]
# Long addresses of the three-level era and short ones of the two-level era (from 7/2025),
# with the card's province code (the first three digits of the ID number).
PLACES = [
    ("Thôn Vạn Hội 2, Xã Ân Tường Tây, Huyện Hoài Ân, Bình Định", "052"),
    ("Số 15 Ngõ 82 Phố Chùa Láng, Phường Láng Thượng, Quận Đống Đa, Hà Nội", "001"),
    ("Ấp Phước Hưng, Xã Long Phước, Huyện Long Hồ, Vĩnh Long", "086"),
    ("Bản Nà Khương, Xã Mường Phăng, Huyện Điện Biên, Điện Biên", "011"),
    ("123/45 Đường Nguyễn Thị Minh Khai, Phường Đa Kao, Quận 1, Hồ Chí Minh", "079"),
    ("Thôn Vạn Hội, Xã Ân Tường, Gia Lai", "052"),
    ("Tổ 4, Phường Bồng Sơn, Gia Lai", "052"),
    ("Buôn Ko Tam, Xã Ea Tu, Đắk Lắk", "066"),
    ("Xóm Đồng Ẻn, Xã Quỳnh Lưu, Ninh Bình", "037"),
    ("Phú Mỹ, Ân Hảo, Bình Định", "052"),
    ("Xã Ân Tín, Gia Lai", "052"),
]


def cccd_texts(count=48):
    """Card QR texts in the card's own shape: id|old id|name|ddmmyyyy|sex|address|ddmmyyyy."""
    texts = []
    combos = zip(itertools.cycle(FAMILY), itertools.cycle(MIDDLE), itertools.cycle(GIVEN), itertools.cycle(PLACES))
    for n, (family, middle, given, place) in enumerate(itertools.islice(combos, count)):
        female = "Thị" in middle or n % 3 == 0
        year = 1950 + (n * 7) % 55
        century_sex = ("0" if year < 2000 else "2") if not female else ("1" if year < 2000 else "3")
        place, province = place
        id_number = f"{province}{century_sex}{year % 100:02d}{(n * 7919) % 1_000_000:06d}"
        old_id = f"{(n * 104729) % 1_000_000_000:09d}" if n % 4 else ""
        fields = [id_number, old_id, f"{family} {middle} {given}", f"{1 + n % 28:02d}{1 + n % 12:02d}{year}",
                  "Nữ" if female else "Nam", place, f"{1 + (n * 3) % 28:02d}{1 + (n * 5) % 12:02d}{2021 + n % 4}"]
        if n % 5 == 0:
            fields.remove(old_id)  # the six-field form
        texts.append("|".join(fields))
    return texts


CARDS = cccd_texts()
NAMES = [" ".join(name) for name in itertools.islice(itertools.product(FAMILY, MIDDLE, GIVEN), 0, None, 47)]
RECEIPTS = ["000.00.53.H48-220921-0099", "38.98.H29-210519-0013", "01.53.H08-251127-12345",
            "000.22.14.H08-250304-0001", "000.00.18.G22-240101-0042"]


def qr_image(text):
    return qrcode.make(text).get_image()


def code128_image(text):
    return barcode.Code128(text, writer=ImageWriter()).render(writer_options={"write_text": False})


@pytest.fixture(scope="module", params=[ZxingDecoder, ZbarDecoder], ids=["zxing-cpp", "pyzbar"])
def decoder(request):
    return request.param()


def test_the_cards_are_what_the_parser_expects():
    assert len(CARDS) >= 40 and len(set(CARDS)) == len(CARDS)
    assert len(NAMES) >= 40 and len(set(NAMES)) == len(NAMES)
    assert all(parse_scan(text).kind == "identity" for text in CARDS)
    assert sum(not text.isascii() for text in CARDS) == len(CARDS)


def exact_decodes(decoder, texts):
    exact = 0
    for text in texts:
        found = decoder.decode(qr_image(text))
        assert [d.symbology for d in found] == ["qr"], "every code is found, garbled or not"
        exact += found[0].text == text
    return exact


@pytest.mark.parametrize("texts", [CARDS, NAMES], ids=["whole cards", "names alone"])
def test_zxing_cpp_reads_every_vietnamese_text_exactly_and_pyzbar_no_better(texts):
    zxing, zbar = exact_decodes(ZxingDecoder(), texts), exact_decodes(ZbarDecoder(), texts)
    print(f"\nexact decodes of {len(texts)} QR codes: zxing-cpp {zxing}, pyzbar {zbar}")
    assert zxing == len(texts)
    assert zbar <= zxing


def test_the_default_decoder_is_the_exact_one():
    assert isinstance(default_decoder(), ZxingDecoder)


def test_decoded_cards_parse_to_the_same_identity():
    decoder = default_decoder()
    for text in CARDS[:10]:
        (found,) = decoder.decode(qr_image(text))
        assert parse_scan(found.text).identity == parse_scan(text).identity


def test_code128_receipts(decoder):
    for code in RECEIPTS:
        found = decoder.decode(code128_image(code))
        assert [(d.text, d.symbology) for d in found] == [(code, "code128")]
        assert parse_scan(found[0].text).dossier_code == code


def test_a_receipt_qr_with_vietnamese_text(decoder):
    text = ("000.00.53.H48-220921-0099|1.001193.000.00.00.H08|052090001234|Giấy tiếp nhận hồ sơ và hẹn trả kết quả|"
            "Hệ thống thông tin giải quyết TTHC tỉnh Bình Định|21/09/2022 08:15|28/09/2022")
    (found,) = decoder.decode(qr_image(text))
    # Even garbled text keeps its ASCII dossier code: a receipt reads with either decoder.
    assert parse_scan(found.text).dossier_code == "000.00.53.H48-220921-0099"


def test_frames_of_every_kind(decoder):
    code = qr_image("000.00.53.H48-220921-0099").convert("L")
    frame = Image.new("L", (1280, 720), 200)
    frame.paste(code.resize((300, 300)), (490, 210))
    gray = np.asarray(frame)
    bgr = np.stack([gray] * 3, axis=2)
    for variant in (frame, frame.convert("RGB"), gray, bgr):
        assert [d.text for d in decoder.decode(variant)] == ["000.00.53.H48-220921-0099"]
    assert grayscale(bgr).shape == (720, 1280)


def test_a_frame_without_a_code(decoder):
    noise = np.random.default_rng(7).integers(0, 256, (720, 1280), dtype=np.uint8)
    assert decoder.decode(noise) == []
    assert decoder.decode(Image.new("RGB", (640, 480), "white")) == []


def test_decoded_text_stays_out_of_repr():
    (found,) = default_decoder().decode(qr_image(CARDS[0]))
    assert CARDS[0].split("|")[0] not in repr(found) and "qr" in repr(found)
