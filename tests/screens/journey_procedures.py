"""The procedures journey, driven inside test_app's one Kivy app: browse level -> field ->
procedure, search with the on-screen keys (letters, Telex, tone keys) and a physical keyboard, print the checklist, take a number for its field."""

import asyncio

from kivy.core.window import Window

from screens.kit import arrive, back, find, frames, go_home, press_key, result, shot, tap, until

KHAI_SINH = "Thủ tục đăng ký khai sinh"


async def procedures_journey(app):
    screens = app.root.ids.screens
    printer = app.services.printer
    tap(find(app.root, "HomeTile", screen="catalogue"))
    await arrive(app, "catalogue")
    catalogue = screens.current_screen
    await until(lambda: len(catalogue.ids.grid.children) >= 2)
    await frames()
    await shot(app, "procedures-levels")
    levels = [b for b in catalogue.ids.grid.children if b.step == "level"]
    assert len(levels) == 2 and all("thủ tục" in b.text for b in levels)  # province, commune

    # Browse: commune level, civil status field, the first procedure.
    tap(find(catalogue, "CatalogueButton", step="level", code="commune"))
    await frames()
    await shot(app, "procedures-fields")
    tap(find(catalogue, "CatalogueButton", step="field", code="HOTICH"))
    await frames()
    await shot(app, "procedures-list")
    listed = [b for b in catalogue.ids.grid.children if b.step == "procedure"]
    assert listed
    tap(listed[-1])  # the top one: Kivy keeps children last-added first
    await arrive(app, "procedure")
    procedure = screens.current_screen
    await until(lambda: len(procedure.ids.body.children) > 5)
    await frames()
    await shot(app, "procedure-browsed")
    back(app)
    await arrive(app, "catalogue")
    assert (catalogue.level, catalogue.field) == ("commune", "HOTICH"), "back to where the citizen was"
    back(app)
    await frames()
    assert catalogue.field == "" and catalogue.level == "commune"

    # Search, typed by touch only, without accents; then in Telex, then with the tone keys.
    tap(catalogue.ids.search)
    await arrive(app, "search")
    search = screens.current_screen
    keyboard = search.ids.keyboard

    async def press(*labels):
        for label in labels:
            press_key(keyboard, label)
            await frames(1)

    await press(*"khai", "Dấu cách", *"sinh")
    assert search.ids.query.text == "khai sinh"
    await until(lambda: result(search) is not None)
    await frames()
    await shot(app, "search-results")
    await press("Xóa hết", *"ddawng", "Dấu cách", *"kys")
    assert search.ids.query.text == "đăng ký"
    await press("Xóa hết", *"giây", "á", "Dấu cách", *"khai", "Xóa")
    assert search.ids.query.text == "giấy kha"
    # A physical keyboard, typed at a person's pace (a scanner's burst would be a scan).
    await press("Xóa hết")
    for key in "khai sinhf":
        Window.dispatch("on_textinput", key)
        await asyncio.sleep(0.15)
    await until(lambda: search.ids.query.text == "khai sình")
    # Typed at speed, the window hands the box a few letters at once (as seen under X with
    # "giaasy chuwngs"): each is still a Telex key.
    await press("Xóa hết")
    for keys in ("gi", "a", "a", "sy", " c", "h", "u", "wn", "g", "s"):
        Window.dispatch("on_textinput", keys)
        await asyncio.sleep(0.05)
    await until(lambda: search.ids.query.text == "giấy chứng")
    await press("Xóa hết", *"khai", "Dấu cách", *"sinhf")
    await press("Xóa", "Xóa", "Xóa", *"inh")
    assert search.ids.query.text == "khai sinh"
    await until(lambda: result(search) is not None)
    app.large_text = True
    await frames()
    await shot(app, "search-large")
    app.large_text = False
    await frames()
    first = result(search)
    assert first.text.startswith(KHAI_SINH + "\n")
    tap(first)
    # At once, before the catalogue has answered (a second and more the first time): not a blank page.
    assert [label.text for label in procedure.ids.body.children] == ["Đang mở thủ tục…"]
    await arrive(app, "procedure")
    await until(lambda: procedure.procedure is not None and len(procedure.ids.body.children) > 5)
    await frames()
    texts = [label.text for label in procedure.ids.body.children]
    assert procedure.procedure.name == KHAI_SINH and "Giấy tờ cần mang theo" in texts
    assert any("bản chính" in text for text in texts)
    await shot(app, "procedure-khai-sinh")
    app.language = "en"
    await frames()
    await shot(app, "procedure-en")
    assert "Documents to bring" in [label.text for label in procedure.ids.body.children]
    app.language = "vi"
    await frames()
    assert app.search_query == "khai sinh", "the session keeps the query for the way back"

    # Print the checklist on the (simulated) printer.
    printed = len(printer.printed)
    tap(procedure.ids.print)
    await until(lambda: len(printer.printed) == printed + 1 and not procedure.printing)
    await frames()
    assert procedure.message == "Đã in xong. Mời bạn nhận danh sách."
    await shot(app, "procedure-printed")
    # Out of paper: the citizen is told, the screen goes on.
    printer.state = "paper_out"
    tap(procedure.ids.print)
    await until(lambda: "hết giấy" in procedure.message and not procedure.printing)
    await frames()
    await shot(app, "procedure-paper-out")
    assert len(printer.printed) == printed + 1
    printer.state = "ok"

    # A queue number: the service of this procedure's field is chosen for the citizen.
    tap(procedure.ids.take_number)
    await arrive(app, "queue")
    queue = screens.current_screen
    await until(lambda: queue.state == "priority")
    assert "HOTICH" in queue.service.fields
    await frames()
    await shot(app, "procedure-queue")
    # A normal number (no priority): printed, and shown large on the screen.
    printed = len(printer.printed)
    tap(find(queue, "PriorityButton", text="Không, tôi không thuộc các đối tượng trên"))
    await until(lambda: queue.state == "done")
    await frames()
    ticket = queue.ticket
    assert ticket.priority is None and len(printer.printed) == printed + 1
    assert find(queue, "Label", text=ticket.display).font_size > 100
    await go_home(app)  # the number on the screen would be lost: asked first
    await arrive(app, "home")
    assert procedure.code == "" and procedure.procedure is None
    assert app.search_query == "" and search.ids.query.text == "" and not search.ids.results.data
