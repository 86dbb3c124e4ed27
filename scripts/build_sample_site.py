"""Build the two-level sample site's procedures from real records of the national portal.

The records come from the public repository chatbot-tthc/chatbot_tthc
(scripts/crawler/data/raw/<ministry>/<code>.json: one procedure each, as published on the
national public-service portal, dichvucong.gov.vn, in 2025-26; snake_case keys, the portal's
tables flattened to text). Give this script a checkout of that repository:

    python scripts/build_sample_site.py PATH/TO/chatbot_tthc

It writes kiosk/backend/sample_data/two-level/procedures/*.json (one file a field) and
tests/fixtures/sample_sources.json (code, name, levels and path of each record used, for the
test that the sample's codes are real). Everything a procedure says comes from its record,
read by the rules below; only `keywords` (what citizens type) are the sample's own.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kiosk" / "backend" / "sample_data" / "two-level" / "procedures"
FIXTURE = ROOT / "tests" / "fixtures" / "sample_sources.json"
RAW = "scripts/crawler/data/raw"
REPOSITORY = "chatbot-tthc/chatbot_tthc"

# Source field (linh_vuc) -> (sample field code, file): small fields go together (site.json
# names the groups).
FIELDS = {
    "Hộ tịch": ("HOTICH", "hotich"),
    "Nuôi con nuôi": ("CONNUOI", "hotich"),
    "Chứng thực": ("CHUNGTHUC", "chungthuc"),
    "Đăng ký, quản lý cư trú": ("CUTRU", "cutru"),
    "Cấp, quản lý căn cước": ("CANCUOC", "cancuoc"),
    "Đất đai": ("DATDAI", "datdai"),
    "Đăng ký biện pháp bảo đảm": ("BAODAM", "datdai"),
    "Hoạt động xây dựng": ("XAYDUNG", "xaydung"),
    "Quy hoạch đô thị và nông thôn": ("XAYDUNG", "xaydung"),
    "Thành lập và hoạt động doanh nghiệp (hộ kinh doanh)": ("HKD", "kinhdoanh"),
    "Thành lập và hoạt động của tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã": ("HTX", "kinhdoanh"),
    "Thành lập và hoạt động của doanh nghiệp": ("DOANHNGHIEP", "kinhdoanh"),
    "Giảm nghèo": ("XAHOI", "xahoi"),
    "Lý lịch tư pháp": ("TUPHAP", "tuphap"),
    "Quốc tịch": ("TUPHAP", "tuphap"),
    "Trợ giúp pháp lý": ("TUPHAP", "tuphap"),
    "Hòa giải ở cơ sở": ("TUPHAP", "tuphap"),
    "Sát hạch, cấp giấy phép lái xe": ("GIAOTHONG", "giaothong"),
    "Đăng ký, quản lý phương tiện giao thông cơ giới, xe máy chuyên dùng": ("GIAOTHONG", "giaothong"),
    "Đường bộ": ("GIAOTHONG", "giaothong"),
    "Nhà ở và công sở": ("XAYDUNG", "xaydung"),
    "Hạ tầng kỹ thuật": ("XAYDUNG", "xaydung"),
    "Bồi thường nhà nước": ("TUPHAP", "tuphap"),
    "Tổ chức cai nghiên ma túy và quản lý sau cai nghiện": ("XAHOI", "xahoi"),
    "Định danh và xác thực điện tử": ("CANCUOC", "cancuoc"),
    "Trồng trọt": ("NONGNGHIEP", "nongnghiep"),
    "Trồng trọt và Bảo vệ thực vật": ("NONGNGHIEP", "nongnghiep"),
    "Lâm nghiệp": ("NONGNGHIEP", "nongnghiep"),
    "Kiểm lâm": ("NONGNGHIEP", "nongnghiep"),
    "Thủy lợi": ("NONGNGHIEP", "nongnghiep"),
    "Thú y": ("NONGNGHIEP", "nongnghiep"),
    "Thủy sản": ("NONGNGHIEP", "nongnghiep"),
    "Tài nguyên nước": ("MOITRUONG", "moitruong"),
    "Môi trường": ("MOITRUONG", "moitruong"),
}

# The procedures: what citizens come for at a commune and at the province's centre.
# code -> the sample's own search keywords (what people type; not from the record).
SELECTION: dict[str, list[str]] = {
    # Hộ tịch, nuôi con nuôi (commune)
    "1.001193": ["làm giấy khai sinh", "khai sinh cho con", "giấy khai sinh"],
    "1.004772": ["khai sinh cho người lớn", "người chưa có giấy khai sinh"],
    "2.000528": ["khai sinh cho con lai", "con có cha mẹ là người nước ngoài"],
    "1.000689": ["khai sinh và nhận cha cho con"],
    "1.003583": [],
    "1.000656": ["giấy chứng tử", "báo tử", "khai tử cho người mất"],
    "1.001766": ["khai tử người nước ngoài"],
    "1.005461": [],
    "1.000894": ["làm giấy kết hôn", "giấy đăng ký kết hôn", "đăng ký lấy vợ lấy chồng"],
    "2.000806": ["lấy chồng nước ngoài", "lấy vợ nước ngoài", "kết hôn với người nước ngoài"],
    "1.004746": [],
    "1.004884": ["làm lại giấy khai sinh", "mất giấy khai sinh gốc"],
    "1.004873": ["xác nhận độc thân", "giấy độc thân", "giấy xác nhận độc thân"],
    "2.000635": ["trích lục kết hôn", "bản sao giấy khai sinh", "trích lục khai sinh"],
    "2.002516": [],
    "1.004859": ["đổi tên", "cải chính hộ tịch", "sửa năm sinh", "xác định lại dân tộc", "khai sinh sai"],
    "2.000748": ["đổi tên có yếu tố nước ngoài"],
    "1.004837": ["giám hộ", "người giám hộ"],
    "1.004845": [],
    "1.001022": ["nhận con", "nhận cha con"],
    "2.000779": [],
    "2.000554": ["ghi chú ly hôn ở nước ngoài"],
    "2.002189": ["ghi chú kết hôn ở nước ngoài"],
    "2.001023": ["khai sinh kèm thẻ bảo hiểm y tế"],
    "2.000986": ["khai sinh nhập hộ khẩu", "khai sinh liên thông"],
    "2.001263": ["xin con nuôi", "nhận con nuôi"],
    "2.001255": [],
    # Chứng thực (commune)
    "2.000815": ["sao y bản chính", "công chứng bản sao", "photo công chứng"],
    "2.000884": ["chứng thực chữ ký", "xác nhận chữ ký"],
    "2.001008": [],
    "2.001035": ["công chứng hợp đồng", "hợp đồng mua bán đất", "hợp đồng tặng cho", "sổ đỏ"],
    "2.000913": [],
    "2.001019": ["di chúc", "làm di chúc"],
    "2.001406": ["chia thừa kế"],
    "2.001016": [],
    "2.000942": [],
    "2.000927": [],
    "2.000908": [],
    # Cư trú (commune police)
    "1.004222": ["hộ khẩu", "nhập hộ khẩu", "đăng ký hộ khẩu"],
    "1.004194": ["kt3", "đăng ký tạm trú", "tạm trú"],
    "1.002755": ["kt3", "gia hạn tạm trú"],
    "1.003677": ["tạm vắng"],
    "2.001159": ["báo lưu trú"],
    "1.010038": ["tách hộ khẩu"],
    "1.010041": ["xác nhận cư trú", "giấy xác nhận cư trú", "ct07"],
    "1.003197": ["cắt hộ khẩu", "xóa hộ khẩu"],
    "1.010028": [],
    "1.010039": [],
    # Căn cước (commune police)
    "1.014061": ["làm căn cước", "làm cccd", "cmnd"],
    "1.014062": ["căn cước cho trẻ em", "cmnd"],
    "1.014063": ["đổi căn cước", "đổi cccd", "cmnd"],
    "1.014064": ["mất căn cước", "mất cccd", "cmnd"],
    "1.012566": ["xác nhận số cmnd cũ"],
    "3.000228": ["định danh điện tử mức 2", "vneid", "kích hoạt vneid"],
    "1.012564": [],
    # Đất đai (commune and the province's land registration office)
    "1.012753": [],
    "1.013978": ["làm sổ đỏ", "cấp sổ đỏ lần đầu", "sổ đỏ"],
    "1.012812": ["hòa giải đất đai", "tranh chấp đất"],
    "1.013967": ["tranh chấp đất đai"],
    "1.012796": [],
    "1.012817": [],
    "1.013979": ["hiến đất làm đường"],
    "1.012786": ["mất sổ đỏ", "sổ đỏ"],
    "1.012783": ["đổi sổ đỏ", "sổ đỏ"],
    "1.012784": ["tách sổ", "tách thửa", "hợp thửa"],
    "1.013992": ["lên thổ cư"],
    "1.013831": ["sang tên sổ đỏ", "chuyển nhượng đất", "mua bán đất"],
    "1.013977": ["chia thừa kế đất"],
    "1.013980": [],
    "1.012793": [],
    "1.013833": [],
    "1.013995": ["đăng ký nhà trên đất"],
    "1.012787": [],
    "1.012781": [],
    "1.012782": [],
    "1.013993": [],
    "1.012785": [],
    "1.012790": [],
    "1.013947": [],
    "1.013988": ["xóa nợ tiền sử dụng đất"],
    "1.011441": ["thế chấp sổ đỏ", "vay ngân hàng"],
    "1.011443": ["xóa thế chấp"],
    "1.011442": [],
    # Xây dựng (commune; province for larger works)
    "1.013225": ["gpxd", "xin phép xây nhà", "giấy phép xây dựng", "xây nhà"],
    "1.013229": ["sửa nhà", "cải tạo nhà"],
    "1.013228": [],
    "1.013226": [],
    "1.013227": ["gia hạn gpxd"],
    "1.013232": [],
    "1.013236": [],
    "1.013238": [],
    "1.013237": ["chứng chỉ hành nghề xây dựng"],
    "1.013217": [],
    "1.014159": ["thông tin quy hoạch", "xem quy hoạch"],
    "1.002693": ["chặt cây", "chặt cây xanh"],
    "1.012896": ["nhà ở xã hội", "thuê nhà ở xã hội"],
    "1.012888": ["ban quản trị chung cư"],
    # Hộ kinh doanh, hợp tác xã, doanh nghiệp
    "1.001612": ["dkkd", "giấy phép kinh doanh", "mở quán", "mở cửa hàng", "đăng ký kinh doanh"],
    "2.000720": [],
    "1.001570": ["tạm nghỉ kinh doanh"],
    "1.001266": ["đóng cửa hộ kinh doanh"],
    "2.000575": [],
    "1.014034": [],
    "1.014035": [],
    "1.005280": ["thành lập hợp tác xã"],
    "2.002637": [],
    "2.001610": ["dkdn", "mở doanh nghiệp"],
    "2.001583": ["mở công ty tnhh", "dkdn"],
    "2.001199": ["mở công ty tnhh", "dkdn"],
    "2.002043": ["mở công ty cổ phần", "dkdn"],
    "2.002041": ["đổi địa chỉ công ty"],
    "2.002029": ["tạm ngừng kinh doanh công ty"],
    "2.002023": ["giải thể công ty"],
    # Giảm nghèo (social insurance procedures are left out: their records lost the document
    # tables in the crawl)
    "1.011607": ["hộ nghèo", "hộ cận nghèo"],
    "1.011606": ["hộ nghèo"],
    "1.011608": ["thoát nghèo"],
    "1.011609": [],
    "3.000412": ["thu nhập thấp"],
    "3.000527": ["cai nghiện tự nguyện"],
    # Tư pháp (province)
    "3.000333": ["lltp", "lý lịch tư pháp", "phiếu lý lịch tư pháp"],
    "1.005136": [],
    "2.002039": ["nhập quốc tịch"],
    "2.002036": ["thôi quốc tịch"],
    "2.002165": ["bồi thường nhà nước"],
    "2.000950": [],
    "2.002080": [],
    "2.000829": ["trợ giúp pháp lý", "luật sư miễn phí"],
    "1.002211": [],
    # Giao thông
    "3.000348": ["bằng lái", "mất bằng lái", "cấp lại bằng lái"],
    "1.013082": ["mất cà vẹt xe", "cấp lại đăng ký xe"],
    "1.013080": [],
    "1.013076": ["sang tên xe"],
    "1.012575": ["đăng ký xe mới", "biển số xe"],
    "1.013067": ["đăng ký xe mới", "bấm biển số"],
    "1.013079": ["đổi cà vẹt xe"],
    "1.013086": ["đăng ký xe tạm thời"],
    "1.013274": ["sử dụng vỉa hè", "lòng đường vỉa hè"],
    "1.000703": [],
    "2.002288": [],
    # Nông nghiệp, môi trường (province)
    "1.008004": ["chuyển đổi đất lúa"],
    "1.004756": [],
    "1.002338": [],
    "1.003650": ["đăng ký tàu cá"],
    "1.004359": [],
    "1.003634": [],
    "1.014801": ["nuôi cá lồng bè"],
    "1.001686": [],
    "1.004363": [],
    "1.012922": [],
    "2.001621": [],
    "1.010727": ["giấy phép môi trường"],
    "1.004223": ["khoan giếng"],
    "1.001662": ["đăng ký giếng khoan"],
    "2.002835": [],
}

# Procedures carried out across levels, as their names say ("Liên thông ..."): the commune
# receives, the province's agencies finish (social insurance card, residence).
INTERCONNECTED = {"2.001023": ["commune", "province"], "2.000986": ["commune", "province"]}

_CHANNELS = {"Trực tiếp": "in_person", "Trực tuyến": "online", "Dịch vụ bưu chính": "postal"}
_NONE = "Không có thông tin"
_UNITS = {"ngày làm việc": 1.0, "giờ làm việc": None, "ngày": None, "giờ": None, "tháng": None, "năm": None}


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\xa0", " ").replace("\u200e", ""))
    return " ".join(text.split())


def read_record(checkout: Path, path: str) -> dict:
    data = subprocess.run(["git", "-C", str(checkout), "show", f"HEAD:{path}"], check=True,
                          capture_output=True).stdout
    return json.loads(data)


def commit_of(checkout: Path) -> str:
    return subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


def index(checkout: Path) -> dict[str, str]:
    listing = subprocess.run(["git", "-C", str(checkout), "ls-tree", "-r", "--name-only", "HEAD", RAW],
                             check=True, capture_output=True, text=True).stdout.split()
    return {Path(p).stem: p for p in listing if p.endswith(".json")}


def levels(text: str) -> list[str]:
    found = []
    if "Cấp tỉnh" in text:
        found.append("province")
    if "Cấp xã" in text:
        found.append("commune")
    return found


# -- ways, times and fees ----------------------------------------------------------------

_TIME = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(Ngày làm việc|Giờ làm việc|Ngày|Giờ|Tháng|Năm)?", re.I)
_AMOUNT = re.compile(r"((?:Lệ phí|Phí)\s*:?\s*)?(\d[\d.,]*)\s*(Việt Nam Đồng|VNĐ|Đồng|đồng|USD)(\([^)]*\))?")


def _fee(segment: str) -> tuple[list[dict], str]:
    """The fees at the start of a channel's text, and what follows them (the description)."""
    if segment.startswith("Miễn phí"):
        rest = segment[len("Miễn phí"):]
        note = ""
        if rest.startswith("("):
            close = rest.find(")")
            note, rest = rest[1:close if close > 0 else None], rest[close + 1:] if close > 0 else ""
        return [{"amount_vnd": 0, "description": clean(note) or "Miễn phí"}], rest
    if segment.startswith(_NONE):
        return [], segment[len(_NONE):]
    fees, position = [], 0
    while True:
        match = _AMOUNT.match(segment, position)
        if not match:
            break
        position = match.end()
        if match.group(3) == "USD":
            continue  # paid at embassies abroad, not at a centre in the province
        amount = int(re.sub(r"[.,]", "", match.group(2)))
        note = clean((match.group(4) or "").strip("()"))
        # The flattened table lost the thousands of some amounts ("135 VNĐ" for 135.000 đồng).
        if amount < 1000:  # no fee is under 1.000 đồng
            amount *= 1000
        fees.append({"amount_vnd": amount, "description": note or clean(match.group(1) or "") or "Lệ phí"})
    return fees, segment[position:]


def channels(text: str) -> list[dict]:
    body = text.replace("Hình thức nộpThời gianPhí, lệ phíMô tả", "", 1)
    # A way's name starts a row when a time (or "no information") follows it; elsewhere it
    # is part of a description ("Trực tiếp tại địa điểm tiếp dân ...").
    parts = re.split(r"(Trực tiếp|Trực tuyến|Dịch vụ bưu chính)(?=\d|Không có thông tin|Miễn phí)", body)
    found: dict[str, dict] = {}
    for name, segment in zip(parts[1::2], parts[2::2]):
        channel = _CHANNELS[name]
        time = _TIME.match(segment)
        if time:
            number = float(time.group(1).replace(",", "."))
            unit = (time.group(2) or "Ngày làm việc").lower()
            shown = f"{number:g} {unit}"
            working_days = number if unit == "ngày làm việc" else None
            rest = segment[time.end():]
        elif segment.startswith(_NONE):
            shown, working_days, rest = _NONE, None, segment[len(_NONE):]
        else:
            shown, working_days, rest = _NONE, None, segment
        fees, description = _fee(rest)
        description = clean(description)
        # A short description says more about the time ("20 ngày ... đối với trường hợp ...");
        # the long ones repeat where and when to submit.
        if description and description != _NONE and len(description) <= 160 and description not in shown:
            shown = f"{shown} ({description})"
        if channel in found:  # a second row for the same way (another place, another case)
            found[channel]["fees"].extend(f for f in fees if f not in found[channel]["fees"])
            continue
        found[channel] = {"channel": channel, "time_text": shown, "working_days": working_days, "fees": fees}
    return [found[c] for c in ("in_person", "online", "postal") if c in found]


# -- documents ---------------------------------------------------------------------------

_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# One digit: "...năm 2024" + "0 bản chính" must read 0, not 20240 ("01 bản" reads 1 all the same).
_COUNT = re.compile(r"(?<!\()(?<!\(\d)(\d) (?:bản|Bản) (chính|sao|chụp)(?:,(\d) (?:bản|Bản) (sao|chụp))?")
_EXTENSION = re.compile(r"\.(docx?|pdf|xlsx?|rar|zip)$", re.I)
_SECTION = re.compile(r"^[-*\s]*(Giấy tờ phải nộp|Giấy tờ phải xuất trình)\s*:?\s*$", re.I)


def _document(text: str, counts: re.Match) -> dict | None:
    originals = copies = 0
    for number, kind in ((counts.group(1), counts.group(2)), (counts.group(3), counts.group(4))):
        if number is None:
            continue
        if kind == "chính":
            originals += int(number)
        else:
            copies += int(number)
    if originals == copies == 0:
        return None  # the table's notes carry a "0 bản chính"
    text = clean(text)
    form = None
    if _EXTENSION.search(text):
        # The form's file name is glued to the document's name: "...của Bộ Công an.NA5 (1).doc",
        # "...y tế;Mau01-ĐN(BHYT).doc", "...Bộ Công an)Mẫu DC01 Phiếu thu thập.doc".
        stem = _EXTENSION.sub("", text)
        cuts = [i for i, c in enumerate(stem[:-1]) if c in ".;:)" and stem[i + 1] not in " ."]
        cut = cuts[-1] + 1 if cuts else 0
        form = clean(stem[cut:])
        text = clean(stem[:cut]) or form
        # Some file names lost their accents and spaces ("MuCT01banhnhkmtheoThngts53"): the
        # document's own words name the form better ("Mẫu CT01").
        named = re.search(r"[Mm]ẫu (?:số )?[0-9A-Z][0-9A-Za-z.]*", text)
        if named and " " not in form:
            form = named.group()[0].upper() + named.group()[1:]
    name = re.sub(r"^(?:[-+•]\s*|[a-zđ]\)\s*|\d+[.)]\s+)", "", text)
    name = re.sub(r"(?<=[.;)])\d+$", "", name).rstrip(" ;,.")  # "...(Mẫu CT01).1" + "1 bản chính"
    if not name:
        return None
    return {"name": name[0].upper() + name[1:], "originals": originals, "copies": copies, "form": form, "note": ""}


def cases(text: str) -> list[dict]:
    groups = text.split(_HEADER)
    title = groups[0]
    found: dict[str, list[dict]] = {}
    for body in groups[1:]:
        rows = list(_COUNT.finditer(body))
        name = clean(title).strip("-* :")
        skip = name.lower().startswith("lưu ý")
        if _SECTION.match(clean(title)) or not name:
            name = ""
        start = 0
        for row in rows:
            document = None if skip else _document(body[start:row.start()], row)
            start = row.end()
            if document and document["name"] not in {d["name"] for d in found.get(name, [])}:
                found.setdefault(name, []).append(document)
        title = body[start:]  # the next group's title
    if "" in found and len(found) > 1:
        # The main table beside titled ones ("Trường hợp ủy quyền ... kèm theo"): one case, the
        # titled tables' documents brought only in their situation, which their note says.
        main = found.pop("")
        for name, docs in found.items():
            main.extend({**d, "note": name} for d in docs if d["name"] not in {m["name"] for m in main})
        return [{"name": "", "documents": main, "steps": []}]
    if len(found) == 1:  # one table: its title is a heading ("Người yêu cầu phải xuất trình ..."), not a case
        return [{"name": "", "documents": docs, "steps": []} for docs in found.values()]
    return [{"name": name, "documents": docs, "steps": []} for name, docs in found.items()]


def steps(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        line = clean(line)
        if re.match(r"^\*?\s*Lưu ý", line, re.I):
            break
        line = re.sub(r"^[-+•]\s*", "", line)
        if line and line != _NONE:
            found.append(line)
    return found


def results(text: str) -> list[str]:
    text = text.split("Từ khóa", 1)[0]
    names = [clean(n).lstrip("- ").rstrip(". ") for n in re.split(r"Mã: ?(?:KQ\.[A-Z0-9]+\.\d+|\w+)", text)]
    return [n for n in names if n]


# -- legal basis -------------------------------------------------------------------------

_AGENCY = ("BTP|BTC|BCA|BLĐTBXH|BTNMT|BNNMT|BNNPTNT|BXD|BGTVT|BKHĐT|BYT|BNV|BGDĐT|BVHTTDL|BCT|BQP|NHNN|BTTTT|"
           "BKHCN|UBND|HĐND|CP|TTg|VPCP|BTTTT|TANDTC|VKSNDTC")
# The kinds of numbers published ("60/2014/QH13", "123/2015/NĐ-CP", "24/2021/QĐ-TTg",
# "02/2022/TT-BLĐTBXH"), spelled out: the column after a number is glued to it, so an open
# pattern would take the next title's first letter.
_NUMBER = re.compile(rf"\d+(?:\.\d+)?/\d{{4}}/(?:QH\d{{1,2}}|[A-ZĐ]{{2,5}}(?:-(?:{_AGENCY}))+)")
_ISSUERS = [("QH", "Quốc hội"), ("NĐ-CP", "Chính phủ"), ("NQ-CP", "Chính phủ"), ("QĐ-TTg", "Thủ tướng Chính phủ"),
            ("TT-BTP", "Bộ Tư pháp"), ("TT-BTC", "Bộ Tài chính"), ("TT-BCA", "Bộ Công an"),
            ("TT-BXD", "Bộ Xây dựng"), ("TT-BTNMT", "Bộ Tài nguyên và Môi trường"),
            ("TT-BNNMT", "Bộ Nông nghiệp và Môi trường"), ("TT-BNNPTNT", "Bộ Nông nghiệp và Phát triển nông thôn"),
            ("TT-BLĐTBXH", "Bộ Lao động - Thương binh và Xã hội"), ("TT-BGTVT", "Bộ Giao thông vận tải"),
            ("TT-BKHĐT", "Bộ Kế hoạch và Đầu tư"), ("TT-BYT", "Bộ Y tế")]


def _issued(title: str) -> str | None:
    match = re.search(r"ngày (\d{1,2})[/-](\d{1,2})[/-](\d{4})", title) or \
        re.search(r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})", title)
    if not match:
        return None
    day, month, year = (int(x) for x in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def legal_basis(text: str) -> list[dict]:
    body = text.replace("Tên văn bản pháp lýMã văn bản", "", 1)
    found, start = [], 0
    for match in _NUMBER.finditer(body):
        # The number column is glued to the next title ("...QH15Nghị định", "...TT-BTPquy định"):
        # a number followed by a space or a comma is one quoted inside a title.
        after = body[match.end():match.end() + 1]
        if after and after in " ,;.)":
            continue
        if after.islower() and body[:match.start()].endswith("số "):
            continue  # "Thông tư số 53/2025/TT-BCAngày ...": a space missing inside a title
        number = match.group()
        head, year = number.split("/")[:2]
        if len(head) > 4 and head.startswith(year):
            number = number[4:]  # "ngày 29/6/2024" + "43/2024/QH15", "Luật Cư trú 2020" + "68/2020/QH14"
            match_start = match.start() + 4
        else:
            match_start = match.start()
        title = clean(body[start:match_start]).rstrip(" ;,")
        # "... của Bộ trưởng Bộ Tư phápThông tư số 03/2023/TT-BTP": the number column repeats it.
        title = re.sub(r"(?<=[a-zà-ỹ.])(Thông tư|Nghị định|Nghị quyết|Luật|Quyết định)( số)?$", "", title).strip()
        start = match.end()
        if not title or number in {f["number"] for f in found}:
            continue
        if title in ("Luật", "Nghị định", "Nghị quyết", "Thông tư", "Quyết định"):
            title = f"{title} {number}"  # "Luật 60/2014/QH13": the number is the title's own
        title = title[0].upper() + title[1:]  # some titles are listed from "quy định ..."
        issuer = next((name for suffix, name in _ISSUERS if number.split("/")[-1].startswith(suffix)), "")
        found.append({"number": number, "title": title, "issued": _issued(title), "issuer": issuer})
    return found


# -- one procedure -----------------------------------------------------------------------


def online_level(ways: list[dict], name: str) -> str:
    # The records do not say it; the published ways do: online submission offered is "full",
    # unless the name says the online service is partial ("trực tuyến một phần").
    if not any(w["channel"] == "online" for w in ways):
        return "none"
    return "partial" if "một phần" in name else "full"


def agencies(record: dict, level_codes: list[str]) -> list[str]:
    for key in ("co_quan_co_tham_quyen", "co_quan_thuc_hien"):
        text = clean(record.get(key, "")).rstrip(".")
        if text and text != _NONE and len(text) < 200:  # a few records hold step text here
            return [text]
    return ["Ủy ban nhân dân cấp xã" if level_codes == ["commune"] else "Ủy ban nhân dân cấp tỉnh"]


def procedure(record: dict, path: str, keywords: list[str]) -> dict:
    code = record["ma_thu_tuc"]
    name = clean(record["ten_thu_tuc"])
    level_codes = levels(record["cap_thuc_hien"])
    field_code, _ = FIELDS[clean(record["linh_vuc"])]
    ways = channels(record["cach_thuc_thuc_hien"])
    found = cases(record["thanh_phan_ho_so"])
    sequence = steps(record["trinh_tu_thuc_hien"])
    for case in found:
        case["steps"] = sequence
    requirements = [] if clean(record["yeu_cau_dieu_kien"]) in ("", _NONE) else steps(record["yeu_cau_dieu_kien"])
    return {
        "source": f"{REPOSITORY}:{path}; {record['detail_url']}; quyết định công bố {record['so_quyet_dinh']}",
        "code": code,
        "name": name,
        "levels": level_codes,
        "field": field_code,
        "agencies": agencies(record, level_codes),
        "channels": ways,
        "cases": found,
        "results": results(record["ket_qua_xu_ly"]),
        "legal_basis": legal_basis(record["can_cu_phap_ly"]),
        "online_level": online_level(ways, name),
        "online_url": f"https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc={code}",
        "interconnection": INTERCONNECTED.get(code, []),
        # "Tổ chức (không bao gồm doanh nghiệp, HTX)" is one applicant: no split inside brackets.
        "applicants": [clean(a) for a in re.split(r",(?![^()]*\))", record["doi_tuong_thuc_hien"]) if clean(a)],
        "requirements": requirements,
        "keywords": keywords,
    }


def problems(item: dict) -> list[str]:
    found = []
    if not item["levels"]:
        found.append("no province or commune level")
    if not item["channels"]:
        found.append("no way to submit")  # some are online only now (khai báo tạm vắng): that is real
    if not item["cases"] or not all(c["documents"] and c["steps"] for c in item["cases"]):
        found.append("no documents or steps")
    if not item["results"]:
        found.append("no results")
    if not item["legal_basis"]:
        found.append("no legal basis")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help=f"a clone of {REPOSITORY}")
    args = parser.parse_args()
    paths = index(args.checkout)
    files: dict[str, list[dict]] = {}
    sources, failed = [], False
    for code, keywords in SELECTION.items():
        path = paths[code]
        record = read_record(args.checkout, path)
        item = procedure(record, path, keywords)
        trouble = problems(item)
        if trouble:
            print(f"{code} {item['name'][:60]}: {', '.join(trouble)}", file=sys.stderr)
            failed = True
        files.setdefault(FIELDS[clean(record["linh_vuc"])][1], []).append(item)
        # As the record has them, not as read: the test reads them on its own.
        sources.append({"ma_thu_tuc": record["ma_thu_tuc"], "ten_thu_tuc": record["ten_thu_tuc"],
                        "cap_thuc_hien": record["cap_thuc_hien"], "path": path})
    if failed:
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    for name, items in files.items():
        (OUT / f"{name}.json").write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    FIXTURE.write_text(json.dumps({
        "_note": f"The national portal's records the two-level sample site was built from: repository "
                 f"{REPOSITORY}, commit {commit_of(args.checkout)}, each with its path; code, name and "
                 f"level (cap_thuc_hien) exactly as the record has them.",
        "records": sources,
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(sources)} procedures in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
