"""The home screen's life events: the file a centre may edit, read or refused with a reason,
and each event's search answering with procedures of the sample catalogue."""

import json

import pytest

from kiosk.backend.sample import sample_catalogue
from kiosk.client.search import SearchIndex
from kiosk.journeys.life_events import LIFE_EVENTS, load_life_events

# What each shipped event must bring first: the procedure a citizen with that event needs
# most often (real codes of the sample catalogue).
FIRST = {
    "khai sinh": "1.001193",  # Thủ tục đăng ký khai sinh
    "kết hôn": "1.000894",  # Thủ tục đăng ký kết hôn
    "khai tử": "1.000656",  # Thủ tục đăng ký khai tử
}


def test_every_shipped_event_finds_its_procedures():
    index = SearchIndex(sample_catalogue().procedures)
    events = load_life_events()
    assert len(events) >= 7 and len({e.query for e in events}) == len(events)
    for event in events:
        result = index.lookup(event.query)
        assert len(result.hits) >= 3 and not result.fallback, event
        if event.query in FIRST:
            assert result.hits[0].code == FIRST[event.query], (event.query, result.hits[0])


def test_every_shipped_pictogram_is_in_the_font():
    from fonticon_mdi7 import MDI7

    for event in load_life_events():
        assert hasattr(MDI7, event.pictogram), event.pictogram


@pytest.mark.parametrize("text, says", [
    ("{not json", "life_events.json"),
    ('{"events": [{"name": "Kết hôn"}]}', "name_en"),
    ('{"events": [{"name": "", "name_en": "x", "pictogram": "ring", "query": "kết hôn"}]}', "every event needs"),
    ('{"events": "kết hôn"}', "life_events.json"),
])
def test_a_broken_file_is_refused_with_its_reason(tmp_path, text, says):
    path = tmp_path / LIFE_EVENTS.name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=says):
        load_life_events(path)


def test_a_centre_may_change_the_events(tmp_path):
    path = tmp_path / LIFE_EVENTS.name
    path.write_text(json.dumps({"events": [
        {"name": "Xây nhà", "name_en": "Building a house", "pictogram": "home_city_outline", "query": "giấy phép xây dựng"},
    ]}), encoding="utf-8")
    [event] = load_life_events(path)
    assert (event.name, event.query) == ("Xây nhà", "giấy phép xây dựng")
