"""The counter page, /admin/counter/{n} (and /counter, which leads there): what an officer at a
counter uses all day, on the counter's PC or a phone. The current ticket; "Gọi số tiếp theo",
"Gọi lại", "Vắng mặt", "Xong", "Chuyển sang dịch vụ…"; pause and resume; the waiting lines.

Plain forms that work without a script. One small script, allowed by its hash, reloads the page
when the queue changes (the hall displays' event stream), so that the lines stay current; it
waits while the officer is choosing a service to transfer to. Every action is audited, and the
queue itself records which officer did what (queue_events), for the statistics."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from markupsafe import Markup

from ..i18n import N_
from .accounts import Session
from .admin import (PREFIX, SECURITY_HEADERS, SITE, _audit, _form, _language, _page, _run, _see_other, _signed_in,
                    _text, _words, site_of_form, site_query)
from .errors import RequestError
from .http import CLOCK, QUEUE, csp_hash, path_int

HOME = f"{PREFIX}/counter"
_NUMBER = re.compile(r"[A-Z][0-9]{3,6}")
_LETTER = re.compile(r"[A-Z]")
# What each button does: the queue's method, the audit log's action, and the page's word after it.
ACTIONS = {
    "call-next": ("call_next", "counter_called_next"),
    "recall": ("recall", "counter_recalled"),
    "no-show": ("no_show", "counter_no_show"),
    "done": ("finish", "counter_finished"),
    "transfer": ("transfer", "counter_transferred"),
    "pause": ("pause", "counter_paused"),
    "resume": ("pause", "counter_resumed"),
}
DONE_WORDS = {
    "call-next": N_("Called {number}."),
    "nobody": N_("Nobody is waiting for this counter."),
    "recall": N_("Called {number} again."),
    "no-show": N_("{number} marked as not present."),
    "done": N_("{number} served."),
    "transfer": N_("{number} sent to the line of service {service}, in its place by the time it was taken."),
    "pause": N_("The counter is paused: it calls no one until it is resumed."),
    "resume": N_("The counter is open again."),
}
# Reloads the page when the queue has changed since it was drawn (not for the officer's own
# action, which drew it again already); a service being chosen is not lost: the reload waits
# until no list has the focus.
SCRIPT = """
(function () {
  var source = new EventSource(document.body.dataset.events);
  source.onmessage = function (message) {
    if (Number(message.lastEventId) <= Number(document.body.dataset.event)) return;
    source.close();
    var wait = function () {
      var active = document.activeElement;
      if (active && active.tagName === "SELECT") { setTimeout(wait, 1000); return; }
      var site = document.body.dataset.site;
      location.replace(location.pathname + (site ? "?site=" + encodeURIComponent(site) : ""));
    };
    wait();
  };
})();
"""
PAGE_POLICY = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "default-src 'self';", f"default-src 'self'; script-src {csp_hash(SCRIPT)};")


def _may_call(request: web.Request, session: Session, site: str) -> int:
    number = path_int(request, "number")
    if not session.may_call(number, site):
        raise RequestError(403, "not_your_counter", N_("This account may not use this counter."))
    return number


@_signed_in
async def choose_counter(request: web.Request, session: Session) -> web.Response:
    """The counters this account may use; straight to its counter when it has one."""
    site = request[SITE]
    counters = (await _run(request, request.config_dict[QUEUE].at(site).config)).counters
    mine = [c for c in counters if session.may_call(c.number, site)]
    if len(mine) == 1:
        return _see_other(f"{HOME}/{mine[0].number}" + (f"?site={site}" if site_query(request, site) else ""))
    return _page(request, "counters.html", counters=mine)


@_signed_in
async def counter_page(request: web.Request, session: Session) -> web.Response:
    site = request[SITE]
    number = _may_call(request, session, site)
    now = request.config_dict[CLOCK]()
    queue = request.config_dict[QUEUE].at(site)
    view, config = await _run(request, lambda: (queue.counter_view(number, now), queue.config()))
    categories = {c.code: (c.name, c.name_en) for c in config.priority_categories}
    t = _words(request)
    # The words after an action come back in the address: shown only when they are what an action
    # puts there (a number, a service letter), so that a crafted link cannot put words in the page.
    done, shown, service = (request.query.get(k, "") for k in ("done", "number", "service"))
    plausible = _NUMBER.fullmatch(shown or "A000") and _LETTER.fullmatch(service or "A")
    message = t(DONE_WORDS[done]).format(number=shown, service=service) if done in DONE_WORDS and plausible else ""
    def priority_words(code: str) -> str:
        name, name_en = categories.get(code, (None, None))
        return (name_en if request_language == "en" else name) or t("Priority")

    request_language = _language(request)
    response = _page(request, "counter.html", view=view, services=config.services, now=now, message=message,
                     script=Markup(SCRIPT), events=f"/display/events?site={site}", priority_words=priority_words)
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


@_signed_in
async def counter_action(request: web.Request, session: Session) -> web.Response:
    form = await _form(request)
    site = site_of_form(request, form)
    number = _may_call(request, session, site)
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    method, audited = ACTIONS[action]
    queue, now = request.config_dict[QUEUE].at(site), request.config_dict[CLOCK]()
    work = getattr(queue, method)
    args: list[Any] = [number]
    service = ""
    if action == "transfer":
        service = _text(form, "service")
        args.append(service)
    elif action in ("pause", "resume"):
        args.append(action == "pause")
    ticket = await _run(request, work, *args, now, session.username)
    if action == "call-next" and ticket is None:
        return _see_other(f"{HOME}/{number}?{site_query(request, site)}done=nobody")
    shown = ticket["display"] if isinstance(ticket, dict) else ""
    detail = {"counter": number, "ticket": shown} | ({"service": service} if service else {})
    await _audit(request, session.username, audited, f"counter {number}", detail, site)
    query = f"{site_query(request, site)}done={action}&number={shown}" + (f"&service={service}" if service else "")
    return _see_other(f"{HOME}/{number}?{query}")


async def counter_shortcut(request: web.Request) -> web.Response:
    """/counter, the address officers are given, is the counter page's own."""
    raise web.HTTPSeeOther(HOME)


def add_routes(admin: web.Application) -> None:
    admin.router.add_get("/counter", choose_counter)
    admin.router.add_get("/counter/{number}", counter_page)
    admin.router.add_post("/counter/{number}/{action}", counter_action)
