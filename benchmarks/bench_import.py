"""`kiosk import-catalogue`'s work on 10,000 national records: parsing them (next to a
baseline measured in the same run: reading the same records from JSON text), and storing
them where every one replaces a procedure kept under a province's long form of its code
(the merge looks each one up), next to a baseline measured in the same run: the same
procedures written with a plain upsert, without the merge.

    python benchmarks/bench_import.py [--count N] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import add_report_arguments, clock, figure, ms, report
from kiosk.backend.dvcqg import parse_dvcqg
from kiosk.backend.store import BackendStore
from kiosk.domain.procedure import Catalogue, Field, Level, Procedure, Site

LEVELS = [Level("province", "Cấp tỉnh", "Province", 1), Level("commune", "Cấp xã", "Commune", 2)]
FIELDS = [Field("HOTICH", "Hộ tịch", "")]
REAL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "real" / "national_records.json"


def records(count: int) -> list[dict]:
    """`count` copies of a real record (1.000080, see its fixture), each under its own code."""
    template = next(r for r in json.loads(REAL.read_text(encoding="utf-8"))["tuned"] if r["MATTHC"] == "1.000080")
    template = {k: v for k, v in template.items() if not k.startswith("_")}
    return [dict(template, MATTHC=f"1.{n:06d}") for n in range(count)]


def store_with(folder: Path, name: str, procedures) -> BackendStore:
    store = BackendStore(folder / f"{name}.sqlite3")
    store.replace_catalogue(Catalogue("", Site("Bench", "", ""), LEVELS, FIELDS, [], procedures))
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    add_report_arguments(parser)
    args = parser.parse_args()
    count = 100 if args.smoke else args.count
    data = records(count)
    text = json.dumps({"result": data}, ensure_ascii=False)
    start = clock()
    json.loads(text)
    read_t = clock() - start
    start = clock()
    parsed = parse_dvcqg({"result": data}, LEVELS, FIELDS)
    parse_t = clock() - start
    assert len(parsed.procedures) == count
    # What the store held before: the same procedures under the long form of their codes.
    old = [Procedure.from_dict(dict(p.to_dict(), code=f"{p.code}.000.00.00.H08")) for p in parsed.procedures]
    with tempfile.TemporaryDirectory() as folder:
        merging = store_with(Path(folder), "merge", old)
        start = clock()
        merging.add_procedures(parsed.procedures)
        merge_t = clock() - start
        assert len(merging.catalogue().procedures) == count
        merging.close()

        plain = store_with(Path(folder), "plain", old)
        start = clock()
        with plain.write():  # the old add_procedures: an upsert and a new version, no merge
            plain._put((), (), (), parsed.procedures)
            plain._new_version()
        plain_t = clock() - start
        plain.close()
    print(f"{count} national records")
    print(f"  parse                  {ms(parse_t)}   baseline JSON text read {ms(read_t)}  ratio {parse_t / read_t:5.1f}")
    print(f"  store, merging         {ms(merge_t)}   baseline plain upsert {ms(plain_t)}  ratio {merge_t / plain_t:5.2f}")
    report(args, [figure("parse national records", parse_t * 1000, read_t * 1000, "ms", "JSON text read"),
                  figure("store, merging", merge_t * 1000, plain_t * 1000, "ms", "plain upsert")])


if __name__ == "__main__":
    main()
