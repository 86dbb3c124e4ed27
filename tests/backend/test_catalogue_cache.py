
"""The catalogue's cached answers follow the catalogue: a kiosk holding the current version is
answered 304 (from the first request on, before any body is built), and once the catalogue
changes, by another connection while the server runs, the old tag gets the new body, plain and
gzipped alike, and the new tag gets a 304."""

import pytest
import dataclasses
import gzip

from kiosk.backend.sample import sample_catalogue
from support import Backend
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores


def test_cached_catalogue_follows_changes(tmp_path):
    db = tmp_path / "backend.sqlite3"
    store = new_store(db)
    catalogue = sample_catalogue()
    version = store.replace_catalogue(catalogue)
    server = Backend(*db_args(db))
    try:
        # The first request of all: the version the kiosk holds is enough, nothing is built.
        first = server.get("/api/v1/catalogue", token=None, If_None_Match=f'"{version}"')
        assert first.status == 304 and first.body == b"" and first.headers["ETag"] == f'"{version}"'
        plain = server.get("/api/v1/catalogue", token=None)
        zipped = server.get("/api/v1/catalogue", token=None, Accept_Encoding="gzip")
        assert plain.json()["version"] == version and gzip.decompress(zipped.body) == plain.body

        renamed = dataclasses.replace(catalogue.procedures[0], name="Thủ tục đổi tên để thử bộ nhớ đệm")
        new_version = store.add_procedures([renamed])
        assert new_version != version
        for encoding in ("identity", "gzip"):
            again = server.get("/api/v1/catalogue", token=None, Accept_Encoding=encoding,
                               If_None_Match=f'"{version}", "{version}-gzip"')
            assert again.status == 200
            body = gzip.decompress(again.body) if encoding == "gzip" else again.body
            assert body != plain.body and "Thủ tục đổi tên để thử bộ nhớ đệm".encode() in body
            assert again.headers["ETag"].startswith(f'"{new_version}')
            fresh = server.get("/api/v1/catalogue", token=None, Accept_Encoding=encoding,
                               If_None_Match=again.headers["ETag"])
            assert fresh.status == 304 and fresh.body == b""
    finally:
        assert server.stop() == 0
        store.close()
