"""A hall call as speech: synthesised cold (a new phrase each time, real espeak-ng, kept in the
phrase cache) next to starting a trivial process (/bin/true), which every cold phrase pays; and
served from the phrase cache next to reading a file of the same size from the same disk. Each
measured in turns in the same run; p50 and p90 over the phrases, the ratios are the figures.

    python benchmarks/bench_speech.py [--phrases 20] [--smoke] [--figures FILE]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tempfile
import wave
from pathlib import Path

from common import add_report_arguments, clock, figure, ms, percentile, report

from kiosk.domain.spoken import call_phrase
from kiosk.speech import EspeakNg, PhraseCache


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as reader:
        return reader.getnframes() / reader.getframerate()


def timed(function) -> tuple[float, object]:
    start = clock()
    result = function()
    return clock() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=20)
    add_report_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.phrases = 3

    with tempfile.TemporaryDirectory(prefix="bench-speech-") as folder:
        cache = PhraseCache(Path(folder) / "cache", EspeakNg())
        baseline_file = Path(folder) / "baseline.wav"
        cold, process, hit, read, audio = [], [], [], [], []
        # The first phrase warms up the disk cache and espeak-ng's data files; it is not counted.
        for n in range(args.phrases + 1):
            text = call_phrase("ABCD"[n % 4], 100 + n, 1 + n % 9)[1]
            spawned, _ = timed(lambda: subprocess.run(["/bin/true"], check=True))
            synthesised, data = timed(lambda: cache.wav(text, "vi", chime=True))
            served, again = timed(lambda: cache.wav(text, "vi", chime=True))
            assert again == data
            baseline_file.write_bytes(data)
            plain, _ = timed(baseline_file.read_bytes)
            if n:
                cold.append(synthesised)
                process.append(spawned)
                hit.append(served)
                read.append(plain)
                audio.append(seconds(data))

    print(f"A hall call with its chime, {args.phrases} phrases, espeak-ng vi at {cache.engine.name}; "
          f"median {percentile(audio, 0.5):.1f} s of audio, {len(data) / 1024:.0f} KiB")
    for name, p in (("p50", 0.5), ("p90", 0.9)):
        ours, theirs = percentile(cold, p), percentile(process, p)
        print(f"  {name}  cold phrase {ms(ours)}   /bin/true started {ms(theirs)}   ratio {ours / theirs:6.1f}")
    for name, p in (("p50", 0.5), ("p90", 0.9)):
        ours, theirs = percentile(hit, p), percentile(read, p)
        print(f"  {name}  cached phrase {ms(ours)}   same-size file read {ms(theirs)}   ratio {ours / theirs:6.1f}")
    print(f"  a cold phrase takes {percentile(cold, 0.5) / percentile(audio, 0.5):.1%} of the time it lasts when played")
    figures = []
    for name, p in (("p50", 0.5), ("p90", 0.9)):
        figures += [figure(f"cold phrase, {name}", percentile(cold, p) * 1000, percentile(process, p) * 1000, "ms",
                           "/bin/true started"),
                    figure(f"cached phrase, {name}", percentile(hit, p) * 1000, percentile(read, p) * 1000, "ms",
                           "same-size file read")]
    figures.append(figure("cold phrase, p50, against its playing time", percentile(cold, 0.5) * 1000,
                          percentile(audio, 0.5) * 1000, "ms", "the phrase played"))
    report(args, figures)


if __name__ == "__main__":
    main()
