"""Procedure search latency per keystroke: every prefix of realistic queries, as a citizen
types them, over the sample catalogue and 10,000 synthetic procedures; each figure next to
the naive scan of the same procedures for the same keystrokes, measured in the same run.

    python benchmarks/bench_search.py
"""

from __future__ import annotations

from common import clock, median, percentile
from kiosk.backend.sample import sample_catalogue, synthetic_catalogue
from kiosk.client.search import SearchIndex, naive_search, naive_texts

QUERIES = [
    "dang ky khai sinh",
    "lam giay khai sinh",
    "khai sinnh cho con",
    "dang ky ket hon",
    "xac nhan doc than",
    "trich luc khai tu",
    "so do",
    "cap lai so do bi mat",
    "sang ten so hong",
    "tach thua dat",
    "nhap ho khau cho con",
    "tam tru",
    "cmnd",
    "doi cccd het han",
    "can cuoc cho tre em",
    "GPXD nha o",
    "giay phep xay dung nha o rieng le",
    "dkkd ho kinh doanh",
    "giay phep kinh doanh",
    "ban le ruou",
    "bang lai xe",
    "doi gplx",
    "ly lich tu phap",
    "chung thuc ban sao",
    "cong chung hop dong mua ban dat",
    "tro cap xa hoi hang thang",
    "thuong binh liet si",
    "mai tang phi",
    "mien giam hoc phi",
    "chuyen truong cap 2",
    "an toan thuc pham",
    "giay phep moi truong",
    "cap giay chung nhan",
    "kinh doanh dich vu lu hanh",
    "cua hang xang dau",
    "trang trai chan nuoi",
]


def keystrokes() -> list[str]:
    return [query[:n] for query in QUERIES for n in range(1, len(query) + 1)]


def measure(label: str, procedures: list) -> None:
    start = clock()
    index = SearchIndex(procedures)
    built = clock() - start
    texts = naive_texts(procedures)
    typed = keystrokes()
    for text in typed[:50]:  # warm up
        index.search(text)

    indexed, naive = [], []
    for text in typed:
        start = clock()
        index.search(text)
        indexed.append(clock() - start)
        start = clock()
        naive_search(procedures, text, texts=texts)
        naive.append(clock() - start)

    def ms(seconds: float) -> str:
        value = seconds * 1000
        return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"

    p50, p99 = median(indexed), percentile(indexed, 0.99)
    n50, n99 = median(naive), percentile(naive, 0.99)
    print(
        f"{label}: {len(procedures)} procedures, {len(typed)} keystrokes: "
        f"index p50 {ms(p50)} p99 {ms(p99)} max {ms(max(indexed))} | "
        f"naive scan p50 {ms(n50)} p99 {ms(n99)} | "
        f"ratio naive/index p50 {n50 / p50:.1f}x p99 {n99 / p99:.1f}x | index build {ms(built)}"
    )


def main() -> None:
    print(f"{len(QUERIES)} queries, every prefix timed as one keystroke")
    measure("sample", sample_catalogue().procedures)
    measure("synthetic", synthetic_catalogue(10_000).procedures)


if __name__ == "__main__":
    main()
