"""The kiosk reads its screens aloud, without Kivy and without a sound device: what each
screen's reading holds (and never holds: a dossier's applicant, an ID number, the words a
citizen typed), its bound, each part in the voice of its language; and the Reader, which makes
the sound on a thread of its own, lets a newer request win, and turns a failing speech program
into one warning. Real espeak-ng where sound is made; a fake engine where timing is tested."""

import datetime as dt
import io
import logging
import math
import struct
import threading
import wave

import pytest

from kiosk.client.store import LocalStore
from kiosk.domain.dossier import Collection, Dossier, DossierReport, Holder, Status, Timeliness
from kiosk.domain.procedure import Fee
from kiosk.domain.queue import ServiceStatus, Ticket, TicketService
from kiosk.journeys.catalogue import choices, read_catalogue
from kiosk.journeys.read_aloud import (
    LIMIT, PAUSE, Reader, Script, catalogue_script, dossier_script, home_script, procedure_script, queue_script,
    rating_script, search_script,
)
from kiosk.speech import EspeakNg, SpeechUnavailable, joined

NAME, ID_NUMBER, CODE = "Nguyễn Văn An", "052090000001", "000.00.53.H48-220921-0099"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """The catalogue the kiosk ships (its snapshot), read as the screens read it."""
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.sqlite3"
    LocalStore(path).close()
    return read_catalogue(path, None)


def languages(script):
    return [language for language, _text in script.parts]


# -- the script ---------------------------------------------------------------------


def test_a_long_list_is_cut_to_the_bound_after_a_whole_word():
    script = Script("vi")
    for n in range(100):
        script.data(f"Thủ tục số {n} về đăng ký khai sinh cho trẻ em")
    assert len(script.text) <= LIMIT and script.full
    assert script.text.endswith(("…", ".")) and "Thủ tục số 0 " in script.text
    assert " Thủ tục số 99 " not in script.text


def test_one_very_long_name_is_cut_too():
    script = Script("en").data("đăng ký " * 400)
    assert len(script.text) <= LIMIT and script.text.endswith("…")


def test_each_part_is_in_the_voice_of_its_words():
    script = Script("en").say("Documents to bring").data("Giấy khai sinh").data("Hộ tịch", "Civil status")
    assert script.parts == [("en", "Documents to bring."), ("vi", "Giấy khai sinh."), ("en", "Civil status.")]
    assert Script("vi").say("Documents to bring").data("Giấy khai sinh").parts == [
        ("vi", "Giấy tờ cần mang theo. Giấy khai sinh.")]


def test_nothing_to_say_is_no_script():
    assert not Script("vi").data("  ")


# -- what each screen says ---------------------------------------------------------------


def test_home_says_the_question_and_its_tiles():
    vi = home_script("vi", [("Khai sinh cho con", "Registering a birth")], ["Look up my dossier"])
    assert vi.text == "Bạn cần làm gì? Khai sinh cho con. Tra cứu hồ sơ."
    en = home_script("en", [("Khai sinh cho con", "Registering a birth"), ("Chứng thực", "")], ["Look up my dossier"])
    assert en.parts == [("en", "What would you like to do? Registering a birth."), ("vi", "Chứng thực."),
                        ("en", "Look up my dossier.")]


def test_the_catalogue_says_its_step_and_first_choices(catalogue):
    levels = catalogue_script("vi", catalogue, "", "").text
    assert levels.startswith("Việc của bạn do cấp nào giải quyết?")
    assert all(level.name in levels for level in catalogue.levels) and "thủ tục" in levels
    commune = catalogue.levels[-1]
    fields = choices(catalogue, commune.code)
    text = catalogue_script("en", catalogue, commune.code, "").text
    assert text.startswith(f"{commune.name_en}. Choose a field. {fields[0].name_en}.")
    procedures = catalogue_script("vi", catalogue, commune.code, fields[0].code)
    first = choices(catalogue, commune.code, fields[0].code)[0]
    assert first.name[:60] in procedures.text and len(procedures.text) <= LIMIT
    assert catalogue_script("vi", None, "", "").text == "Đang chuẩn bị danh sách thủ tục…"


def test_a_search_says_what_it_found_not_what_was_typed(catalogue):
    typed = f"{NAME} {ID_NUMBER} khai sinh"
    result = catalogue.index.lookup(typed, limit=30, language="vi")
    assert result.hits
    script = search_script("vi", result, ready=True, typed=True, example="khai sinh")
    assert script.text.startswith(f"Tìm thấy {len(result.hits)} thủ tục.") or script.text.startswith("Có phải bạn tìm")
    assert result.hits[0].name[:40] in script.text
    assert NAME not in script.text and ID_NUMBER not in script.text and "Nguyen" not in script.text
    english = search_script("en", catalogue.index.lookup("birth", limit=30, language="en"), True, True, "birth")
    assert "Procedures are in Vietnamese." in english.parts[0][1]
    assert languages(english) == ["en", "vi"]
    nothing = catalogue.index.lookup("xyzzy qwerty", limit=30, language="vi")
    assert search_script("vi", nothing, True, True, "khai sinh").text.startswith("Không tìm thấy")
    assert "khai sinh" in search_script("vi", None, True, False, "khai sinh").text


def test_a_procedure_says_its_name_time_fees_and_documents(catalogue):
    procedure = next(p for p in catalogue.procedures.values() if p.name == "Thủ tục đăng ký khai sinh")
    vi = procedure_script("vi", procedure, ready=True).text
    assert vi.startswith("Thủ tục đăng ký khai sinh. Thời hạn và phí, lệ phí.")
    assert "ngày làm việc" in vi and "Phí, lệ phí: Miễn phí." in vi and "Giấy tờ cần mang theo." in vi
    assert procedure.cases[0].documents[0].name[:40] in vi and len(vi) <= LIMIT
    assert vi.count("Phí, lệ phí:") == 1, "channels with the same time and fees said once"
    en = procedure_script("en", procedure, ready=True)
    assert languages(en)[:3] == ["vi", "en", "vi"], en.parts
    assert "Time and fees. In person" in en.parts[1][1] and "Documents to bring." in en.parts[1][1]
    paid = next(p for p in catalogue.procedures.values() if any(fee.amount_vnd for t in p.channels for fee in t.fees))
    assert " đồng" in procedure_script("vi", paid, True).text
    assert procedure_script("vi", None, ready=False).text == "Đang mở thủ tục…"


def a_dossier_report():
    """A dossier with everything personal the one-stop system may send: the applicant, an ID
    number in its note and in a document asked for, an address as the place to collect."""
    moment = dt.datetime(2022, 9, 21, 9, 0)
    dossier = Dossier(
        code=CODE, procedure_code="1.001193.000.00.00.H08", procedure_name="Đăng ký khai sinh",
        applicant_name=NAME, status=Status.MORE_DOCUMENTS,
        received_at=moment, due_at=dt.datetime(2022, 9, 28, 16, 30),
        holder=Holder("commune", "UBND xã Nhơn Châu", officer_name="Trần Thị Bình"),
        fees_outstanding=[Fee(50_000, f"lệ phí của {NAME}")],
        requested_documents=[f"Bản sao CCCD số {ID_NUMBER} của {NAME}"],
        collection=Collection(place="Nhà ông An, 12 Lê Lợi", available_from=dt.datetime(2022, 9, 29, 8, 0),
                              note=f"Gọi {ID_NUMBER}"),
        note=f"Công dân {NAME}, CCCD {ID_NUMBER}")
    return DossierReport(dossier, Timeliness.NOT_YET_DUE, 3)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_dossier_says_its_status_and_dates_and_nothing_personal(language):
    report = a_dossier_report()
    text = dossier_script(language, "card", report).text
    for personal in (NAME, "Nguyễn", ID_NUMBER, CODE, "Lê Lợi", "Nhà ông", "Trần Thị Bình", "UBND", "lệ phí của"):
        assert personal not in text, (personal, text)
    if language == "vi":
        assert text.startswith(f"{Status.MORE_DOCUMENTS.label_vi}. {Timeliness.NOT_YET_DUE.label_vi}, còn 3 ngày làm việc."), text
        assert "Ngày hẹn trả kết quả: ngày 28 tháng 9 năm 2022, 16 giờ 30." in text
        assert "Giấy tờ cần bổ sung được ghi trên màn hình." in text and "50.000 đồng" in text
        assert "ngày 29 tháng 9 năm 2022, 8 giờ" in text
    else:
        assert "Not yet due" in text and "28 September 2022, 16:30" in text and "50,000 VND" in text
        assert languages(dossier_script(language, "card", report)) == ["en"]
    overdue = dossier_script(language, "card", DossierReport(report.dossier, Timeliness.OVERDUE, -2)).text
    assert (f"{Timeliness.OVERDUE.label_vi}, trễ 2 ngày làm việc." if language == "vi" else "Overdue, working days late: 2.") in overdue, overdue


def test_the_other_dossier_states():
    assert dossier_script("vi", "ask").text.startswith("Đưa mã QR hoặc mã vạch trên giấy hẹn trả kết quả")
    listed = dossier_script("en", "list", statuses=[4, 10]).text
    assert listed.startswith("Your dossiers: choose one.") and NAME not in listed
    failed = dossier_script("en", "failed", message="No dossier was found with this code. Please check the code on "
                                                    "your receipt, or ask at the counter.").text
    assert failed.startswith("Sorry. No dossier was found")


def test_the_chip_s_states_are_said_as_shown():
    assert dossier_script("vi", "chip").text.startswith("Đặt thẻ căn cước lên đầu đọc. Rồi quét mã QR trên thẻ")
    waiting = dossier_script("en", "chip", card_waited=True).text
    assert waiting.startswith("Place your ID card on the reader. Waiting for your card") and "scan" not in waiting
    assert dossier_script("en", "loading", reading_card=True).text.startswith("Reading your ID card.")
    assert dossier_script("en", "loading").text.startswith("Looking up your dossier")


def a_service(letter="A", waiting=2, minutes=10):
    return ServiceStatus(letter=letter, name="Hộ tịch", name_en="Civil status", fields=[], issuing=True, hours=[],
                         waiting=waiting, open_counters=1, estimated_wait_minutes=minutes)


def test_the_queue_says_its_services_and_waits_then_the_ticket():
    services = [a_service(), a_service("B", 0, 0)]
    vi = queue_script("vi", "services", services).text
    assert vi.startswith("Bạn cần làm thủ tục thuộc lĩnh vực nào? A, Hộ tịch."), vi
    assert "A, Hộ tịch. 2 người đang chờ, khoảng 10 phút." in vi and "B, Hộ tịch. Không có ai đang chờ." in vi
    en = queue_script("en", "services", services).text
    assert "A, Civil status. 2 waiting, about 10 minutes." in en
    ticket = Ticket(id="t1", service=TicketService("A", "Hộ tịch", "Civil status"), number=12, display="A012",
                    day="2025-06-02", priority=None, status="waiting", people_ahead=3, estimated_wait_minutes=15,
                    issued_at=dt.datetime(2025, 6, 2, 8, 0))
    assert queue_script("vi", "done", ticket=ticket).text.startswith("Số của bạn là a, mười hai. Trước bạn còn 3 người")
    assert queue_script("en", "done", ticket=ticket).text.startswith("Your number is A, 0, 1, 2. 3 people ahead of you")
    priority = queue_script("en", "priority").text
    assert "Elderly person." in priority and priority.endswith("No, none of these.")


def test_rating_says_the_question_and_the_faces():
    assert rating_script("en", "choosing").text == ("How satisfied are you with the service today? Very satisfied. "
                                                   "Satisfied. Not satisfied. Dissatisfied.")
    assert rating_script("vi", "thanks").text.startswith("Cảm ơn")


# -- making it sound ------------------------------------------------------------------


def tone(seconds=0.1, rate=22050):
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        count = int(seconds * rate)
        writer.writeframes(struct.pack(f"<{count}h", *(int(8000 * math.sin(i / 5)) for i in range(count))))
    return out.getvalue()


class FakeEngine:
    """Records who asked, on which thread; waits for `go` when told to, as a slow program."""

    name = "fake"

    def __init__(self, hold=False):
        self.said, self.threads = [], set()
        self.go = threading.Event()
        if not hold:
            self.go.set()
        self.started = threading.Event()

    def synthesise(self, text, language):
        self.started.set()
        self.threads.add(threading.current_thread())
        self.go.wait(10)
        self.said.append((language, text))
        return tone()


class Results:
    def __init__(self):
        self.got, self.arrived = [], threading.Event()

    def __call__(self, request, path):
        self.got.append((request, path))
        self.arrived.set()


def test_a_reading_is_made_on_another_thread_and_the_caller_goes_on(tmp_path):
    engine, results = FakeEngine(hold=True), Results()
    reader = Reader(tmp_path, engine, results)
    request = reader.read(Script("en").say("Documents to bring").data("Giấy khai sinh"))
    assert engine.started.wait(5), "the engine was asked"
    assert not results.got, "read() returned while the engine was still working"
    engine.go.set()
    assert results.arrived.wait(5)
    [(done, path)] = results.got
    assert done == request and path == tmp_path / "playing.wav"
    assert threading.current_thread() not in engine.threads
    assert engine.said == [("en", "Documents to bring."), ("vi", "Giấy khai sinh.")]
    with wave.open(str(path)) as played:  # both parts and a pause between them
        assert played.getnframes() == 2 * 2205 + int(0.25 * 22050)
    reader.close()


def test_a_newer_request_supersedes_an_older_one(tmp_path):
    engine, results = FakeEngine(hold=True), Results()
    reader = Reader(tmp_path, engine, results)
    first = reader.read(Script("vi").data("Một").add("One", "en"))
    assert engine.started.wait(5)
    reader.read(Script("vi").data("Hai"))  # waiting, then dropped by the third
    third = reader.read(Script("vi").data("Ba"))
    engine.go.set()
    assert results.arrived.wait(5)
    reader.close()
    assert [request for request, _path in results.got] == [third]
    assert first != third and ("vi", "Hai.") not in engine.said and ("en", "One.") not in engine.said, engine.said
    assert ("vi", "Ba.") in engine.said


def test_a_cancelled_request_hands_nothing_on(tmp_path):
    engine, results = FakeEngine(hold=True), Results()
    reader = Reader(tmp_path, engine, results)
    reader.read(Script("vi").data("Một"))
    assert engine.started.wait(5)
    reader.cancel()
    engine.go.set()
    reader.read(Script("vi").data("Hai"))
    assert results.arrived.wait(5)
    reader.close()
    assert len(results.got) == 1 and results.got[0][1] is not None


class Failing:
    name = "failing"

    def synthesise(self, text, language):
        raise SpeechUnavailable("the speech program espeak-ng cannot be run: No such file or directory")


def test_a_failing_speech_program_is_one_warning_not_an_exception(tmp_path, caplog):
    results = Results()
    reader = Reader(tmp_path, Failing(), results)
    with caplog.at_level(logging.WARNING, logger="kiosk.journeys.read_aloud"):
        for _ in range(3):
            results.arrived.clear()
            reader.read(Script("vi").data(f"Giấy khai sinh của {NAME}"))
            assert results.arrived.wait(5)
    reader.close()
    assert [path for _request, path in results.got] == [None, None, None]
    warnings = [record.getMessage() for record in caplog.records if record.name == "kiosk.journeys.read_aloud"]
    assert len(warnings) == 1 and "espeak-ng" in warnings[0], warnings
    assert NAME not in caplog.text, "no spoken text in the log"


def test_a_missing_program_is_the_same(tmp_path, caplog):
    results = Results()
    reader = Reader(tmp_path, EspeakNg(program=str(tmp_path / "no-espeak")), results)
    with caplog.at_level(logging.WARNING):
        reader.read(Script("vi").data("Xin chào"))
        assert results.arrived.wait(10)
    reader.close()
    assert results.got[0][1] is None and "cannot speak" in caplog.text


def test_espeak_reads_a_screen_in_both_voices_into_one_file_and_keeps_its_phrases(tmp_path):
    results = Results()
    reader = Reader(tmp_path, EspeakNg(), results)
    reader.read(procedure_like := Script("en").say("Documents to bring").data("Giấy khai sinh"))
    assert results.arrived.wait(20)
    path = results.got[0][1]
    with wave.open(str(path)) as played:
        assert (played.getnchannels(), played.getsampwidth(), played.getframerate()) == (1, 2, 22050)
        assert 1.0 < played.getnframes() / 22050 < 8
    kept = sorted(p.name for p in (tmp_path / "phrases").glob("*.wav"))
    assert len(kept) == len(procedure_like.parts) == 2
    reader.close()


def test_phrases_of_different_rates_are_not_joined():
    with pytest.raises(ValueError, match="rates"):
        joined([tone(rate=22050), tone(rate=16000)], PAUSE)
