"""The table of real dossier-code forms (tests/fixtures/real_dossier_codes.csv): each row the
text as seen, the code expected in it ("" when none must be found), its public source (or
the reason a look-alike must be refused), and its part: "tune" rows shaped the recogniser,
"held-out" rows were kept aside and only checked after it was written."""

import csv
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).parent / "fixtures" / "real_dossier_codes.csv"


@dataclass(frozen=True)
class Row:
    part: str
    text: str
    expected: str
    source: str
    note: str

    @property
    def id(self) -> str:
        return f"{self.part}:{(self.expected or self.note)[:40]}"


def real_codes() -> list[Row]:
    with TABLE.open(newline="", encoding="utf-8") as f:
        return [Row(**row) for row in csv.DictReader(f)]
