"""The receipt printer through real stacks: python-escpos drivers writing to a file, a pty and
TCP sockets on 127.0.0.1, with the ESC/POS bytes decoded back into pictures and their QR codes
read by an independent decoder (zxing-cpp)."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import select
import socket
import threading
import time
import unicodedata
from pathlib import Path

import pytest
import zxingcpp
from escpos.printer import Serial
from PIL import Image, ImageDraw

from kiosk.domain.calendar import TIMEZONE
from kiosk.domain.dossier import Collection, Dossier, Holder, Status, Timeliness
from kiosk.domain.procedure import Case, ChannelTerms, Document, Fee, Procedure
from kiosk.domain.queue import Ticket, TicketService
from kiosk.domain.terminal import PRINTER_STATES, PrinterSettings
from kiosk.hardware import receipts
from kiosk.hardware.escpos_decode import decode, split_commands
from kiosk.hardware.printer import PrinterError, SimulatedPrinter, open_printer, print_samples
from kiosk.i18n import translate

URL = "http://127.0.0.1:8080/t/5b0e7c9a2f3d4e1b8a6c0d9e7f1a2b3c"
TIMEOUT = 0.5
FULL_CUT = b"\x1dV\x00"

# Status bytes as an Epson printer sends them. DLE EOT 1 (printer): bit 3 set = offline.
# DLE EOT 4 (roll paper): bits 2-3 set = near end, bits 5-6 set = paper end.
ONLINE, OFFLINE = 0x12, 0x1A
PAPER_OK, PAPER_LOW, PAPER_OUT = 0x12, 0x1E, 0x72


def make_ticket(priority: str | None = "elderly", ahead: int = 4) -> Ticket:
    return Ticket(
        id="5b0e7c9a2f3d4e1b8a6c0d9e7f1a2b3c",
        service=TicketService("B", "Đất đai, xây dựng, môi trường", "Land, construction, environment"),
        number=27, display="B027", day="2025-09-22", priority=priority, status="waiting",
        people_ahead=ahead, estimated_wait_minutes=48,
        issued_at=dt.datetime(2025, 9, 22, 2, 5, tzinfo=dt.timezone.utc),
    )


def make_procedure() -> Procedure:
    return Procedure(
        code="1.004227.000.00.00.H08", name="Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        levels=["district"], field="DATDAI", agencies=["Văn phòng đăng ký đất đai"],
        channels=[ChannelTerms("in_person", "10 ngày làm việc", 10, [Fee(50000, "Lệ phí cấp giấy chứng nhận")]),
                  ChannelTerms("online", "10 ngày làm việc", 10)],
        cases=[
            Case("Chuyển nhượng", [Document("Đơn đăng ký biến động đất đai", originals=1, form="Mẫu số 11/ĐK"),
                                   Document("Hợp đồng chuyển nhượng đã công chứng", originals=1, copies=1)], []),
            Case("Thừa kế", [Document("Văn bản phân chia di sản thừa kế", originals=1,
                                      note="Có công chứng hoặc chứng thực theo quy định của pháp luật về dân sự")], []),
        ],
        results=["Giấy chứng nhận"], legal_basis=[], online_level="partial",
        online_url="https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.004227",
    )


def make_report():
    from kiosk.domain.dossier import DossierReport

    received = dt.datetime(2025, 9, 15, 8, 30, tzinfo=TIMEZONE)
    dossier = Dossier(
        code="000.00.53.H08-250915-0042", procedure_code="1.004227.000.00.00.H08",
        procedure_name="Đăng ký biến động quyền sử dụng đất", applicant_name="Nguyễn V** A*",
        status=Status.MORE_DOCUMENTS, received_at=received, due_at=received + dt.timedelta(days=14),
        holder=Holder("district", "Văn phòng đăng ký đất đai", "Bộ phận thẩm định", "Chuyên viên"),
        requested_documents=["Bản vẽ sơ đồ thửa đất có xác nhận của UBND xã"],
        collection=Collection("Bộ phận Tiếp nhận và Trả kết quả huyện Hoài Ân", received + dt.timedelta(days=14)),
    )
    return DossierReport(dossier, Timeliness.OVERDUE, -2)


def qr_texts(picture: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)]


def ink(picture: Image.Image) -> float:
    """The share of the picture's dots that print."""
    return picture.convert("L").histogram()[0] / (picture.width * picture.height)


def bounded(call, *args, limit: float = 60):
    """Run `call` in a thread and give its outcome: (result, None) or (None, PrinterError).
    The bug these tests look for is a call that never returns: after `limit` seconds the
    test fails at once, without waiting for the stuck call, whose daemon thread is left
    behind (a thread pool would wait for it on the way out, and the run would hang)."""
    outcome: list = []

    def work() -> None:
        try:
            outcome.append((call(*args), None))
        except PrinterError as error:
            outcome.append((None, error))
        except BaseException as error:  # anything else is raised again in the test
            outcome.append(error)

    worker = threading.Thread(target=work, name=f"bounded {call.__qualname__}", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        pytest.fail(f"{call.__qualname__} did not return within {limit} s", pytrace=False)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def test_bounded_fails_a_call_that_hangs_without_waiting_for_it():
    release = threading.Event()

    def hangs() -> str:
        release.wait(30)  # stuck as far as bounded can tell; set free below, after the check
        return "returned"

    def out_of_paper() -> None:
        raise PrinterError("paper_out", state="paper_out")

    try:
        with pytest.raises(pytest.fail.Exception, match="hangs did not return within 0.2 s"):
            bounded(hangs, limit=0.2)
        # The test failed while the call was still stuck: bounded did not wait for it.
        assert [t for t in threading.enumerate() if t.name.endswith("hangs") and t.is_alive()]
    finally:
        release.set()
    assert bounded(lambda: "done") == ("done", None)
    assert bounded(out_of_paper)[1].state == "paper_out"
    with pytest.raises(ZeroDivisionError):
        bounded(lambda: 1 / 0)


def device_file(folder) -> Path:
    """A stand-in for a printer's device file, such as /dev/usb/lp0: it must exist."""
    path = folder / "lp0.bin"
    path.touch()
    return path


def settings(driver: str, address: str, profile: str = "TM-T20II") -> PrinterSettings:
    return PrinterSettings(driver=driver, profile=profile, address=address)


# -- the File driver: bytes decoded back ------------------------------------------------


@pytest.mark.parametrize("profile, width, ends_with_cut", [
    ("TM-T20II", 576, True),   # 80 mm paper
    ("TM-T88V", 512, True),    # 80 mm at 180 dpi
    ("POS-5890", 384, False),  # 58 mm, a tear bar and no cutter (so says its profile)
])
def test_file_driver_prints_a_ticket_that_decodes_back(tmp_path, profile, width, ends_with_cut):
    out = device_file(tmp_path)
    printer = open_printer(settings("file", str(out), profile))
    assert printer.width == width
    picture = receipts.queue_ticket(make_ticket(), office_name="UBND huyện Hoài Ân", url=URL, width=printer.width)
    printer.print_image(picture)

    printout = decode(out.read_bytes())
    printed = printout.image()
    assert printed.width == width
    assert printed.tobytes() == picture.tobytes()  # exactly the picture drawn, dot for dot
    assert 0.03 < ink(printed) < 0.5
    assert qr_texts(printed) == [URL]
    names = printout.names
    assert set(names[:names.index("feed")]) == {"raster"}
    if ends_with_cut:
        assert names[-2:] == ["feed", "cut"] and printout.commands[-1].raw == FULL_CUT
    else:
        assert names[-1] == "feed" and "cut" not in names


@pytest.mark.parametrize("width", [576, 384])
def test_each_layout_fits_the_paper_and_its_qr_reads_back(tmp_path, width):
    profile = {576: "TM-T20II", 384: "POS-5890"}[width]
    printer = open_printer(settings("file", str(device_file(tmp_path)), profile))
    layouts = [
        (receipts.queue_ticket(make_ticket(), office_name="", url=URL, width=width), URL),
        (receipts.procedure_checklist(make_procedure(), width=width), make_procedure().online_url),
        (receipts.dossier_slip(make_report(), width=width), "000.00.53.H08-250915-0042"),
    ]
    for picture, payload in layouts:
        printer.print_image(picture)
        printed = decode(device_file(tmp_path).read_bytes()).image()
        assert (printed.width, printed.mode) == (width, "1")
        assert 0.02 < ink(printed) < 0.5
        assert qr_texts(printed) == [payload]


def test_a_tall_receipt_is_sent_in_fragments_that_stack_back_in_order(tmp_path):
    procedure = make_procedure()
    procedure.cases[0].documents *= 12  # python-escpos sends images taller than 960 dots in parts
    printer = open_printer(settings("file", str(device_file(tmp_path))))
    picture = receipts.procedure_checklist(procedure, width=printer.width)
    assert picture.height > 2 * 960
    printer.print_image(picture)
    printout = decode(device_file(tmp_path).read_bytes())
    assert printout.names.count("raster") == -(-picture.height // 960)
    assert printout.image().tobytes() == picture.tobytes()


def test_a_file_printer_cannot_tell_its_state(tmp_path):
    printer = open_printer(settings("file", str(device_file(tmp_path))))
    assert printer.status() == "unknown"


def test_the_file_driver_fails_with_a_printer_error_when_the_device_is_gone(tmp_path):
    printer = open_printer(settings("file", str(tmp_path / "lp0")))  # unplugged: no such device
    _, error = bounded(printer.print_image, Image.new("1", (printer.width, 10), 1))
    assert error is not None and translate(error.why, "vi") == "Không kết nối được máy in" and "Cannot reach" in str(error)
    assert not (tmp_path / "lp0").exists()  # and no file of that name was made instead


def test_a_device_that_stops_taking_data_fails_in_time_instead_of_blocking(tmp_path):
    line = tmp_path / "lp0"
    os.mkfifo(line)
    nobody = os.open(line, os.O_RDONLY | os.O_NONBLOCK)  # open at the far end, but never read
    try:
        printer = open_printer(settings("file", str(line)), timeout=TIMEOUT)
        _, error = bounded(printer.print_image, Image.new("1", (printer.width, 3000), 0))  # more than a pipe holds
        assert error is not None and "took no data" in error.detail
    finally:
        os.close(nobody)


# -- drawing ----------------------------------------------------------------------------


def vietnamese_letters() -> str:
    vowels = "aăâeêioôơuưy"
    marks = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    letters = {unicodedata.normalize("NFC", v + m) for v in vowels for m in marks} | set("bcdđghklmnpqrstvx")
    return "".join(sorted(letters | {c.upper() for c in letters}))


@pytest.mark.parametrize("bold", [False, True])
def test_the_shipped_font_has_a_glyph_for_every_vietnamese_letter(bold):
    face = receipts.font(receipts.BODY, bold)

    def drawn(text: str) -> bytes:
        picture = Image.new("L", (60, 60), 0)
        ImageDraw.Draw(picture).text((10, 10), text, font=face, fill=255)
        return picture.tobytes()

    missing = drawn("\uffff")  # an unassigned code point: the font's "no such glyph" box
    letters = vietnamese_letters()
    assert len(letters) == 2 * (12 * 6 + 17)
    assert [c for c in letters if drawn(c) == missing or not any(drawn(c))] == []


def test_text_wraps_at_spaces_and_cuts_only_words_wider_than_the_paper():
    face = receipts.font(receipts.BODY)
    text = "Bản sao giấy chứng nhận quyền sử dụng đất " + "https://dichvucong.gov.vn/" + "x" * 80
    lines = receipts.wrap(text, face, 300)
    assert len(lines) > 3 and all(face.getlength(line) <= 300 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # Each line is as full as it can be: the next line's first word would not have fitted.
    for line, following in zip(lines, lines[1:]):
        assert face.getlength(f"{line} {following.split()[0]}") > 300


def one_dot_strokes(picture: Image.Image) -> int:
    """Black dots with white on their left and right: strokes a thermal head prints faint."""
    dots = picture.convert("L").load()
    return sum(1 for y in range(picture.height) for x in range(1, picture.width - 1)
               if dots[x, y] == 0 and dots[x - 1, y] and dots[x + 1, y])


def test_text_is_cut_to_black_and_white_not_dithered():
    sheet = receipts.Sheet(576)
    sheet.text("Lưu ý: Không có giấy chứng sinh thì nộp văn bản của người làm chứng", receipts.SMALL)
    sheet.text("Trước bạn còn 4 người, chờ khoảng 48 phút", receipts.BODY)
    picture = sheet.picture()
    assert (picture.mode, picture.width) == ("1", 576)
    grey, top = Image.new("L", picture.size, 255), 0
    for strip in sheet.strips:
        grey.paste(strip, (0, top))
        top += strip.height
    # Pillow's own conversion of the same grey drawing, dithered, for comparison.
    assert one_dot_strokes(picture) * 3 < one_dot_strokes(grey.convert("1"))


def test_a_priority_ticket_carries_the_mark_and_a_normal_one_does_not():
    def black_bands(picture: Image.Image) -> int:
        """Rows black from edge to edge: the white-on-black band of the priority mark."""
        rows = picture.convert("L").resize((1, picture.height), Image.Resampling.BOX)
        return sum(1 for y in range(picture.height) if rows.getpixel((0, y)) == 0)

    normal = receipts.queue_ticket(make_ticket(priority=None), office_name="", url=URL, width=576)
    marked = receipts.queue_ticket(make_ticket(), office_name="", url=URL, width=576, priority_name="Người cao tuổi")
    assert black_bands(normal) == 0 and black_bands(marked) > 20


# -- status and failures over real sockets and a pty ---------------------------------------


class FakePrinter:
    """A network printer on 127.0.0.1 that keeps what it is sent and answers DLE EOT status
    queries with real status bytes. `paper_after_printing` replaces the paper byte once an
    image has arrived: the roll running out half-way."""

    def __init__(self, online: int = ONLINE, paper: int = PAPER_OK, paper_after_printing: int | None = None):
        self.answers = {1: online, 4: paper}
        self.paper_after_printing = paper_after_printing
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                pending = b""
                while chunk := connection.recv(65536):
                    self.received += chunk
                    commands, pending = split_commands(pending + chunk)
                    for command in commands:
                        if command.name == "raster" and self.paper_after_printing is not None:
                            self.answers[4] = self.paper_after_printing
                        if command.name == "status":
                            connection.sendall(bytes([self.answers[command.raw[2]]]))

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def fake_printer():
    made = []

    def make(**kwargs):
        made.append(FakePrinter(**kwargs))
        return made[-1]

    yield make
    for printer in made:
        printer.close()


@pytest.mark.parametrize("online, paper, state", [
    (ONLINE, PAPER_OK, "ok"),
    (ONLINE, PAPER_LOW, "paper_low"),
    (OFFLINE, PAPER_OUT, "paper_out"),  # out of paper, a printer also goes offline
    (ONLINE | 0x04, PAPER_OUT | 0x0C, "paper_out"),  # drawer pin high, near end as well
    (OFFLINE, PAPER_OK, "offline"),  # cover open
])
def test_status_follows_the_bytes_the_printer_answers(fake_printer, online, paper, state):
    fake = fake_printer(online=online, paper=paper)
    printer = open_printer(settings("network", f"127.0.0.1:{fake.port}"), timeout=5)
    assert printer.status() == state
    assert state in PRINTER_STATES


def test_a_network_printer_with_paper_prints_and_confirms(fake_printer):
    fake = fake_printer(paper=PAPER_LOW)
    printer = open_printer(settings("network", f"127.0.0.1:{fake.port}"), timeout=5)
    printer.print_image(receipts.queue_ticket(make_ticket(), office_name="", url=URL, width=printer.width))
    printout = decode(bytes(fake.received))
    assert printout.names[:2] == ["status", "status"]  # asked before printing
    assert printout.names[-4:] == ["feed", "cut", "status", "status"]  # and after the cut
    assert qr_texts(printout.image()) == [URL]


def test_a_printer_out_of_paper_is_sent_nothing_to_print(fake_printer):
    fake = fake_printer(online=OFFLINE, paper=PAPER_OUT)
    printer = open_printer(settings("network", f"127.0.0.1:{fake.port}"), timeout=5)
    _, error = bounded(printer.print_image, Image.new("1", (printer.width, 40), 0))
    assert error.state == "paper_out" and translate(error.why, "vi") == "Máy in hết giấy"
    assert set(decode(bytes(fake.received)).names) == {"status"}


def test_paper_running_out_during_a_print_fails_it(fake_printer):
    fake = fake_printer(paper_after_printing=PAPER_OUT)
    printer = open_printer(settings("network", f"127.0.0.1:{fake.port}"), timeout=5)
    _, error = bounded(printer.print_image, Image.new("1", (printer.width, 40), 0))
    assert error.state == "paper_out" and "incomplete" in error.why


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_closed_port_fails_with_a_printer_error():
    printer = open_printer(settings("network", f"127.0.0.1:{free_port()}"), timeout=TIMEOUT)
    _, error = bounded(printer.print_image, Image.new("1", (printer.width, 40), 0))
    assert error is not None and error.state == "offline" and error.why == "Cannot reach the printer"
    assert printer.status() == "offline"


def test_a_printer_that_takes_the_connection_but_never_answers_fails_in_time():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listening; nothing ever reads or answers
        printer = open_printer(settings("network", f"127.0.0.1:{silent.getsockname()[1]}"), timeout=TIMEOUT)
        _, error = bounded(printer.print_image, Image.new("1", (printer.width, 40), 0))
        assert error is not None and error.state == "offline"
        assert bounded(printer.status) == ("offline", None)


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(slave)
    os.close(master)


def test_a_silent_serial_printer_reads_offline_and_a_print_fails_in_time(pty_pair):
    _, path = pty_pair  # nobody at the other end of the line reads or answers
    plain = Serial(path, timeout=TIMEOUT)
    assert plain.paper_status() == 2  # python-escpos again: no answer taken for plenty of paper
    plain.close()
    printer = open_printer(settings("serial", path), timeout=TIMEOUT)
    assert bounded(printer.status) == ("offline", None)
    _, error = bounded(printer.print_image, Image.new("1", (printer.width, 2000), 0))
    assert error is not None and error.state == "offline"


def serial_printer_end(master: int, received: bytearray, piece: int = 65536, pause: float = 0) -> None:
    """The printer's side of a serial line: keep everything, answer status queries; read at
    most `piece` bytes every `pause` seconds, like a printer that takes data as it prints."""
    pending = b""
    while True:
        try:
            chunk = os.read(master, piece)
        except OSError:  # the line closed at the end of the test
            return
        received.extend(chunk)
        commands, pending = split_commands(pending + chunk)
        for command in commands:
            if command.name == "status":
                os.write(master, bytes([{1: ONLINE, 4: PAPER_OK}[command.raw[2]]]))
        time.sleep(pause)


def test_a_serial_printer_on_a_pty_prints_what_decodes_back(pty_pair):
    master, path = pty_pair
    received = bytearray()
    threading.Thread(target=serial_printer_end, args=(master, received), daemon=True).start()
    printer = open_printer(settings("serial", f"{path}:115200"), timeout=5)
    printer.print_image(receipts.queue_ticket(make_ticket(ahead=0), office_name="", url=URL, width=printer.width))
    # The print returned once the status asked after the cut was answered: all has arrived.
    printout = decode(bytes(received))
    assert printout.names[-4:] == ["feed", "cut", "status", "status"]
    assert qr_texts(printout.image()) == [URL]


def test_a_slow_printer_is_not_failed_while_it_keeps_taking_data(pty_pair, tmp_path):
    # Taking the picture in all takes several times the timeout, but no single wait does.
    picture = Image.new("1", (576, 1900), 1)
    master, path = pty_pair
    received = bytearray()
    threading.Thread(target=serial_printer_end, args=(master, received, 2048, 0.02), daemon=True).start()
    open_printer(settings("serial", path), timeout=TIMEOUT).print_image(picture)
    assert decode(bytes(received)).image().tobytes() == picture.tobytes()

    line = tmp_path / "lp0"
    os.mkfifo(line)
    far_end = os.open(line, os.O_RDONLY | os.O_NONBLOCK)  # there before the printer opens its end
    fcntl.fcntl(far_end, fcntl.F_SETPIPE_SZ, 4096)  # as small as a printer's buffer
    taken = bytearray()
    reader = threading.Thread(target=drain_slowly, args=(far_end, taken), daemon=True)
    reader.start()
    open_printer(settings("file", str(line)), timeout=TIMEOUT).print_image(picture)
    reader.join(60)
    assert decode(bytes(taken)).image().tobytes() == picture.tobytes()


def drain_slowly(far_end: int, taken: bytearray) -> None:
    """Read a FIFO 2 KB at a time until the writer has been and gone."""
    try:
        while True:
            select.select([far_end], [], [], 60)
            chunk = os.read(far_end, 2048)
            if not chunk and taken:  # the printer closed its end: all is in
                return
            taken.extend(chunk)
            time.sleep(0.02)
    finally:
        os.close(far_end)


def test_a_usb_printer_that_is_not_plugged_in_fails_with_a_printer_error():
    printer = open_printer(settings("usb", "ffff:fffe"), timeout=TIMEOUT)
    _, error = bounded(printer.print_image, Image.new("1", (printer.width, 40), 0))
    assert error is not None and error.why == "Cannot reach the printer"
    assert printer.status() == "offline"


# -- configuration ---------------------------------------------------------------------------


def test_no_printer_configured_gives_none():
    assert open_printer(PrinterSettings()) is None


@pytest.mark.parametrize("driver, address, profile", [
    ("network", "10.0.0.5:9100", "NO-SUCH-PRINTER"),
    ("network", "10.0.0.5:9100", "default"),  # a profile that does not know its paper width
    ("usb", "epson", "TM-T20II"),
    ("serial", "", "TM-T20II"),
    ("bluetooth", "00:11:22:33:44:55", "TM-T20II"),
])
def test_bad_settings_fail_with_a_printer_error(driver, address, profile):
    with pytest.raises(PrinterError) as error:
        open_printer(settings(driver, address, profile))
    assert translate(error.value.why, "vi") == "Cấu hình máy in không hợp lệ" and error.value.state == "unknown"


def test_addresses_default_to_the_usual_port_and_speed():
    assert open_printer(settings("network", "10.0.0.5")).escpos.port == 9100
    assert open_printer(settings("serial", "/dev/ttyS0")).escpos.baudrate == 9600
    usb = open_printer(settings("usb", "04b8:0e15:81:02")).escpos
    assert (usb.usb_args, usb.in_ep, usb.out_ep) == ({"idVendor": 0x04B8, "idProduct": 0x0E15}, 0x81, 0x02)


# -- the simulator ------------------------------------------------------------------------------


def test_the_simulator_keeps_the_bytes_and_what_they_print(tmp_path):
    simulator = SimulatedPrinter(tmp_path / "receipts")
    assert str(tmp_path / "receipts") in simulator.name
    picture = receipts.queue_ticket(make_ticket(), office_name="", url=URL, width=simulator.width)
    simulator.print_image(picture)
    (png,) = simulator.printed
    shown = Image.open(png)
    assert shown.size == (576, picture.height)
    assert qr_texts(shown) == [URL]
    printout = decode(png.with_suffix(".bin").read_bytes())
    assert printout.names[-1] == "cut" and printout.image().tobytes() == picture.tobytes()


def test_the_simulator_rehearses_a_printer_out_of_paper(tmp_path):
    simulator = SimulatedPrinter(tmp_path)
    simulator.state = "paper_out"
    assert simulator.status() == "paper_out"
    with pytest.raises(PrinterError) as error:
        simulator.print_image(Image.new("1", (simulator.width, 40), 0))
    assert error.value.why == "The printer is out of paper"
    assert list(tmp_path.iterdir()) == []


def test_print_samples_prints_one_of_each_layout(tmp_path):
    simulator = SimulatedPrinter(tmp_path, profile="POS-5890")
    assert print_samples(simulator) == ["queue_ticket", "procedure_checklist", "dossier_slip"]
    pictures = [Image.open(p) for p in simulator.printed]
    assert all(p.width == 384 for p in pictures)
    assert qr_texts(pictures[0]) == [receipts.SAMPLE_URL]
    assert qr_texts(pictures[1])[0].startswith("https://dichvucong.gov.vn/")
    assert qr_texts(pictures[2])[0].startswith("000.00.53.H08-")
