"""Benchmarks for issue 4: streaming latency and the overhead of the OpenAI-compatible route.

Run: .venv/bin/python bench/bench_speech_api.py [--quick]
Prints figures, a ratio per benchmark and PASS/FAIL against its target; always exits 0 (a report, not a test).
Runs on the tiny random checkpoints (the only weights available offline), in temp dirs.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import torch  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from tests.server import ServerProcess  # noqa: E402
from tts_alex.app import create_app  # noqa: E402
from tts_alex.engine import Engine, model_sources  # noqa: E402
from tts_alex.settings import Settings  # noqa: E402
from tts_alex.testing.tiny import build_tiny_checkpoints  # noqa: E402

TEN_SENTENCES = " ".join(f"Voici la phrase numéro {i}, elle raconte un moment de cette histoire." for i in range(1, 11))
ONE_SENTENCE = "Bonjour et bienvenue dans ce nouvel épisode du podcast."


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ttfb(url: str, data: dict[str, str]) -> tuple[float, float]:
    """Seconds to the first body byte and to the last, for one POST /preset."""
    start = time.perf_counter()
    first = None
    with httpx.stream("POST", f"{url}/preset", data=data, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            if chunk and first is None:
                first = time.perf_counter() - start
    return first or 0.0, time.perf_counter() - start


def bench_streaming(tmp: Path, tiny: Path, runs: int) -> None:
    """Time to first audio byte for a 10-sentence text, streamed vs not (real server process, real HTTP)."""
    tmp.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(tmp, tiny).start()
    try:
        base = {"text": TEN_SENTENCES, "voice": "Vivian", "language": "fr", "format": "wav"}
        ttfb(server.url, {**base, "stream": "true"})  # warm-up
        streamed, whole, totals = [], [], []
        for _ in range(runs):
            first, total = ttfb(server.url, {**base, "stream": "true"})
            streamed.append(first)
            totals.append(total)
            first, _ = ttfb(server.url, {**base, "stream": "false"})
            whole.append(first)
    finally:
        server.stop()
    s, w = statistics.median(streamed), statistics.median(whole)
    print("\n[1] Time to first audio byte, 10 sentences, POST /preset wav (real server over HTTP)")
    print(f"    streamed:     median {s * 1000:8.1f} ms  (whole stream took {statistics.median(totals):.2f} s)")
    print(f"    not streamed: median {w * 1000:8.1f} ms")
    print(f"    ratio streamed/not streamed = {s / w:.3f}  (target <= 0.25)  {verdict(s / w <= 0.25)}")


def bench_openai_overhead(tmp: Path, tiny: Path, runs: int) -> None:
    """/v1/audio/speech (wav) through the whole app vs engine.synthesize_preset, same text, voice and seed."""
    settings = Settings(
        models="tiny", tiny_dir=tiny, device="cpu", voices_dir=tmp / "voices", outputs_dir=tmp / "outputs"
    )
    engine = Engine(settings, model_sources(settings))
    body = {"model": "tts-1", "voice": "Ryan", "input": ONE_SENTENCE, "response_format": "wav", "language": "fr"}
    direct, api = [], []
    with TestClient(create_app(settings, engine=engine)) as client:
        for i in range(runs + 2):
            torch.manual_seed(i)
            start = time.perf_counter()
            audio = engine.synthesize_preset(text=ONE_SENTENCE, speaker="Ryan", language="French")
            d = time.perf_counter() - start
            torch.manual_seed(i)
            start = time.perf_counter()
            response = client.post("/v1/audio/speech", json=body)
            a = time.perf_counter() - start
            assert response.status_code == 200, response.text
            if i >= 2:  # warm-up
                direct.append(d)
                api.append(a)
    d, a = statistics.median(direct), statistics.median(api)
    print("\n[2] Overhead of POST /v1/audio/speech (wav) over engine.synthesize_preset, in-process, same seed")
    print(f"    engine direct: median {d * 1000:8.1f} ms   ({audio.duration:.2f} s of audio)")
    print(f"    /v1 route:     median {a * 1000:8.1f} ms   (validation, queue, encoding, outputs/ copy, HTTP)")
    print(f"    ratio route/engine = {a / d:.3f}  (target <= 1.10)  {verdict(a / d <= 1.10)}")
    print("    note: tiny models generate in ~0.2 s; with real weights (seconds per sentence) the ratio shrinks.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs = 3 if args.quick else 9
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="tts-alex-bench-") as folder:
        tmp = Path(folder)
        tiny = tmp / "tiny"
        build_tiny_checkpoints(tiny)
        print(f"TTS-Alex speech API benchmarks (tiny checkpoints, {runs} runs each, medians)")
        bench_streaming(tmp / "stream", tiny, runs)
        bench_openai_overhead(tmp / "overhead", tiny, runs)


if __name__ == "__main__":
    main()
