"""The hall display, /display?site=…: a full-screen page for a TV in the hall, no login, ticket
numbers only. Its first HTML already shows the queue (it works before, or without, any script);
then a small script follows the board's event stream, puts each new board in place within a
second of a call, says "đang kết nối lại" while the stream is broken (EventSource connects again
by itself), and announces each call: a chime, then "Mời công dân có số A012 đến quầy số 3" from
audio the backend synthesises offline (speech.PhraseCache) and keeps per phrase.

The board's HTML is drawn here, by one template, for the first page and for every event: the
script only puts it in place, so that there is one way to draw it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web
from markupsafe import Markup

from ..domain.spoken import call_phrase
from ..i18n import N_, translate
from ..speech import PhraseCache, SpeechUnavailable
from .admin import pages
from .board import BOARD, event_stream
from .errors import RequestError
from .http import CLOCK, QUEUE, SITES, STORE, csp_hash
from .sites import SITE_CODE, Site
from .store import DEFAULT_SITE

SPEECH = web.AppKey("speech", PhraseCache)

_FOLDER = Path(__file__).with_name("templates") / "public"
_STYLE = (_FOLDER / "display.css").read_text(encoding="utf-8")
_SCRIPT = (_FOLDER / "display.js").read_text(encoding="utf-8")


# The display's words: Vietnamese large, English small after it (a hall has foreign visitors too).
WORDS = {
    "title": N_("Queue display"),
    "calling": N_("Now calling"),
    "none_yet": N_("No number called yet today"),
    "serving": N_("Now serving"),
    "counter": N_("Counter {number}"),
    "closed": N_("Closed"),
    "last_calls": N_("Last calls"),
    "waiting": N_("Waiting"),
    "people": N_("{count} waiting"),
    "reconnecting": N_("Reconnecting…"),
    "sound": N_("Turn on the call sound"),
}


def _vi(key: str, **values: Any) -> str:
    return translate(WORDS[key], "vi").format(**values)


def _both(key: str, **values: Any) -> Markup:
    """The words in Vietnamese, then in English, smaller."""
    english = WORDS[key].format(**values)
    return Markup('{} <span class="en" lang="en">{}</span>').format(_vi(key, **values), english)


pages.globals.update(both=_both, vi=_vi)


# Only this page's own style and script run; the audio comes from here, as a blob.
HEADERS = {
    "Content-Security-Policy": f"default-src 'self'; style-src {csp_hash(_STYLE)}; "
                               f"script-src {csp_hash(_SCRIPT)}; media-src 'self' blob:; "
                               "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def _site(request: web.Request) -> Site:
    """The site a display shows: /display?site=<code>, the site "main" without it. One a backend
    does not serve is a 404 whose message names the sites it does, for whoever set up the TV."""
    code = request.query.get("site", DEFAULT_SITE)
    sites = request.app[SITES]
    site = await request.app[STORE].run(sites.get, code) if SITE_CODE.match(code) else None
    if site is None:
        known = await request.app[STORE].run(sites.codes)
        raise RequestError(404, "site_not_found", f"No centre is called {code[:40]!r} here: this backend's displays "
                           "are " + ", ".join(f"/display?site={c}" for c in known[:20]) + ".")
    return site


def _board_html(state: dict[str, Any]) -> str:
    return pages.get_template("display_board.html").render(board=state, lang="vi")


async def display_page(request: web.Request) -> web.Response:
    site = await _site(request)
    now = request.app[CLOCK]()
    state = await request.app[STORE].run(request.app[QUEUE].at(site.code).board, now)
    body = pages.get_template("display.html").render(
        lang="vi", style=Markup(_STYLE), script=Markup(_SCRIPT), site=site.code, name=site.name,
        name_en=site.name_en, now=now,
        board_html=Markup(_board_html(state)), last_call=state["calls"][0]["event"] if state["calls"] else 0,
        event=state["event"])
    return web.Response(text=body, content_type="text/html", headers=HEADERS)


async def display_events(request: web.Request) -> web.StreamResponse:
    site = await _site(request)
    drawn = request.app[_DRAWN].setdefault(site.code, {})

    async def message(state: dict[str, Any]) -> dict[str, Any]:
        # Drawn once per board for every display of the site in this process: the newest is kept.
        if drawn.get("event") != state["event"]:
            drawn.update(event=state["event"], html=_board_html(state))
        return {"now": request.app[CLOCK]().isoformat(timespec="seconds"), "html": drawn["html"],
                "calls": state["calls"]}

    return await event_stream(request, request.app[BOARD].of(site.code), message)


async def display_audio(request: web.Request) -> web.Response:
    """The announcement of one call (a queue event): a chime, then the sentence, as WAV."""
    text = request.match_info["event"]
    if not (text.isascii() and text.isdigit() and len(text) < 16):
        raise RequestError(404, "call_not_found", "No call has this number.")
    store = request.app[STORE]
    row = await store.run(lambda: store.db.execute(
        "SELECT display, counter FROM queue_events WHERE id = ? AND action IN ('called', 'recalled')",
        [int(text)]).fetchone())
    if row is None:
        raise RequestError(404, "call_not_found", "No call has this number.")
    display, counter = row
    _, spoken = call_phrase(display[0], int(display[1:]), counter)
    try:
        audio = await _synthesised(request.app, spoken)
    except SpeechUnavailable as error:
        raise RequestError(503, "speech_unavailable", f"The announcement could not be made: {error}") from None
    return web.Response(body=audio, content_type="audio/wav",
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


_INFLIGHT = web.AppKey("speech_inflight", dict)
_DRAWN = web.AppKey("board_drawn", dict)


async def _synthesised(app: web.Application, text: str) -> bytes:
    """The phrase's audio from the cache, or made once however many displays ask at the same
    moment (they all announce the same call)."""
    inflight: dict[str, asyncio.Future] = app[_INFLIGHT]
    if text not in inflight:
        inflight[text] = asyncio.ensure_future(asyncio.to_thread(app[SPEECH].wav, text, "vi", True))
        inflight[text].add_done_callback(lambda _: inflight.pop(text, None))
    return await asyncio.shield(inflight[text])


def add_routes(app: web.Application, speech: PhraseCache) -> None:
    """The display's pages; the application's BOARD must be in place."""
    app[SPEECH] = speech
    app[_INFLIGHT] = {}
    app[_DRAWN] = {}
    app.router.add_get("/display", display_page)
    app.router.add_get("/display/events", display_events)
    app.router.add_get("/display/audio/{event}", display_audio)
