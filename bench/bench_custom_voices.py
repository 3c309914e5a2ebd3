"""Benchmarks of the custom voice library (issue 3), on the real app and the tiny Qwen3-TTS checkpoints.

    .venv/bin/python bench/bench_custom_voices.py            # full run (a few minutes on 2 cores)
    .venv/bin/python bench/bench_custom_voices.py --quick    # fewer repetitions

1. Reuse a saved voice vs clone each time: POST /preset (saved custom voice) vs POST /clone (same 5 s reference,
   same reference_text, same text, same seed). Target: preset/clone < 1.
2. Start-up with 10,000 custom voices vs 0: store open() + voices() time and RSS increase, in a fresh process each,
   plus the real app's lifespan time-to-ready minus model loading. Targets: < 1 s and < 50 MB extra.
3. Cold vs warm first use of a custom voice: store.load_prompt first vs second call on a freshly opened store, and
   end-to-end /preset first vs second call on a freshly started app (same seed). Target: first use adds < 100 ms.

Everything is written under a temp dir (removed at the end unless --keep). It is a report: it always exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Tiny mode is fully offline, and nothing here may reach Hugging Face.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
for _key in [k for k in os.environ if k.startswith("TTS_ALEX_")]:
    del os.environ[_key]  # the developer's settings (voices dir...) must not leak in

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

SEED = 1234
TEXT = "Bonjour, ceci est un test de la bibliothèque de voix personnalisées."
REFERENCE_TEXT = "Bonjour, voici ma voix. Je lis ce texte calmement, avec une diction claire et naturelle."
REFERENCE_SECONDS = 5.0
VOICE = "bench-voix"
RESULT_MARK = "BENCH-RESULT "

OPEN_TIME_TARGET_S = 1.0
OPEN_RSS_TARGET_MB = 50.0
FIRST_USE_TARGET_MS = 100.0


# ----- helpers ------------------------------------------------------------------------------------
def tone_wav(seconds: float = REFERENCE_SECONDS, rate: int = 24_000) -> bytes:
    """A voiced-like signal (harmonics + noise), as tests/conftest.py tone_wav."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    signal = sum(0.2 / k * np.sin(2 * np.pi * 140 * k * t) for k in range(1, 6)) + 0.01 * rng.standard_normal(t.size)
    buffer = io.BytesIO()
    sf.write(buffer, signal.astype(np.float32), rate, format="WAV")
    return buffer.getvalue()


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], scale: float = 1.0, unit: str = "s", digits: int = 3) -> str:
    mid, low, high = med(values) * scale, min(values) * scale, max(values) * scale
    return f"median {mid:.{digits}f} {unit} (min {low:.{digits}f}, max {high:.{digits}f}, n={len(values)})"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def header(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Hide the app's start-up banner (printed by the lifespan) from the report."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def make_settings(base: Path, tiny_dir: Path, voices_dir: Path | None = None, **overrides: Any) -> Any:
    """Tiny settings on our own temp directories, as tests/conftest.py make_settings."""
    from tts_alex.settings import Settings

    values: dict[str, Any] = {
        "models": "tiny",
        "tiny_dir": tiny_dir,
        "device": "cpu",
        "voices_dir": voices_dir or base / "voices",
        "outputs_dir": base / "outputs",
    }
    values.update(overrides)
    return Settings(**values)


@contextlib.contextmanager
def app_client(settings: Any, engine: Any) -> Iterator[Any]:
    """The real app (real lifespan, real store) in-process, sharing already loaded models."""
    from fastapi.testclient import TestClient

    from tts_alex.app import create_app

    client = TestClient(create_app(settings, engine=engine))
    with quiet_stdout():
        client.__enter__()
    try:
        yield client
    finally:
        client.__exit__(None, None, None)


def timed_post(client: Any, path: str, **kwargs: Any) -> tuple[float, float]:
    """(seconds, generated audio seconds) of one request, seeded so sampling is the same on both sides."""
    import torch

    torch.manual_seed(SEED)
    start = time.perf_counter()
    response = client.post(path, **kwargs)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
    if "X-Audio-Duration" in response.headers:
        return elapsed, float(response.headers["X-Audio-Duration"])
    info = sf.info(io.BytesIO(response.content))
    return elapsed, round(info.frames / info.samplerate, 3)


# ----- 1. saved voice vs clone each time ------------------------------------------------------------
def bench_reuse(ctx: dict[str, Any], repeats: int) -> None:
    header("1. Reuse a saved voice (POST /preset) vs clone each time (POST /clone)")
    reference = tone_wav()
    settings = make_settings(ctx["tmp"] / "b1", ctx["tiny_dir"])
    with app_client(settings, ctx["engine"]) as client:
        created = client.post(
            "/voices/custom",
            data={"name": VOICE, "source": "clone", "reference_text": REFERENCE_TEXT, "model": "1.7B"},
            files={"reference_audio": ("reference.wav", reference, "audio/wav")},
        )
        if created.status_code != 201:
            raise RuntimeError(f"POST /voices/custom answered {created.status_code}: {created.text[:300]}")
        preset_form = {"text": TEXT, "voice": VOICE, "language": "fr"}
        clone_form = {"text": TEXT, "reference_text": REFERENCE_TEXT, "language": "fr", "model": "1.7B"}

        def preset() -> tuple[float, float]:
            return timed_post(client, "/preset", data=preset_form)

        def clone() -> tuple[float, float]:
            return timed_post(
                client, "/clone", data=clone_form, files={"reference_audio": ("reference.wav", reference, "audio/wav")}
            )

        for _ in range(2):  # warm-up: both paths, models and prompt in memory
            preset()
            clone()
        preset_times: list[float] = []
        clone_times: list[float] = []
        durations: set[tuple[float, float]] = set()
        for i in range(repeats):  # interleaved, alternating which side goes first
            order = (preset, clone) if i % 2 == 0 else (clone, preset)
            results = {}
            for side in order:
                results[side] = side()
            preset_times.append(results[preset][0])
            clone_times.append(results[clone][0])
            durations.add((results[preset][1], results[clone][1]))

        # What the saved voice avoids on each call: decode + pad + speaker embedding + speech-tokenizer encoding.
        from tts_alex.audio import decode_audio

        engine = ctx["engine"]
        prep_times = []
        for _ in range(repeats):
            start = time.perf_counter()
            engine.create_clone_prompt(
                reference=decode_audio(reference), reference_text=REFERENCE_TEXT, model_size="1.7B"
            )
            prep_times.append(time.perf_counter() - start)
        load_times = []
        for _ in range(repeats):
            start = time.perf_counter()
            client.app.state.store.load_prompt(VOICE)
            load_times.append(time.perf_counter() - start)

    ctx["b1_voices_dir"] = settings.voices_dir
    ctx["b1_settings"] = settings
    equal = all(a == b for a, b in durations)
    print(f"reference: {REFERENCE_SECONDS:g} s synthetic voiced WAV (24 kHz); text: {len(TEXT)} chars; seed {SEED}")
    print(f"generated audio (s, preset vs clone): {sorted(durations)} -> same length on both sides: {equal}")
    print(f"POST /preset (saved voice):   {spread(preset_times)}")
    print(f"POST /clone  (same reference): {spread(clone_times)}")
    print(
        f"per call, /clone also runs decode + create_clone_prompt: {spread(prep_times, 1000, 'ms', 1)}; "
        f"/preset instead gets the prompt from memory: {spread(load_times, 1000, 'ms', 3)}"
    )
    ratio = med(preset_times) / med(clone_times)
    saved = med(clone_times) - med(preset_times)
    paired = med([p / c for p, c in zip(preset_times, clone_times, strict=True)])
    print(
        f"ratio preset/clone = {ratio:.3f} (ratio of medians; median of paired ratios {paired:.3f}); "
        f"saved voice {saved * 1000:.1f} ms faster per request"
    )
    print(
        "note: a saved voice skips, on every request, decoding the uploaded reference, the speaker-encoder "
        "embedding and the speech-tokenizer encoding of the reference (create_clone_prompt), and reads its prompt "
        "from memory; tiny random models, so absolute times are not those of the real checkpoints"
    )
    ok = ratio < 1 and equal
    print(f"target: preset/clone < 1 (equal output length) -> {verdict(ok)}")
    ctx["verdicts"].append(("1. saved voice vs clone", ok))


# ----- 2. start-up with 10,000 voices -----------------------------------------------------------------
def make_template_voice(ctx: dict[str, Any]) -> Path:
    """One real voice directory: the real engine's clone prompt, saved by the real store."""
    from tts_alex.audio import decode_audio
    from tts_alex.engine import BASE_BY_SIZE
    from tts_alex.store import CustomVoice, CustomVoiceStore

    root = ctx["tmp"] / "template" / "custom"
    store = CustomVoiceStore(root)
    store.open()
    reference = decode_audio(tone_wav())
    prompt = ctx["engine"].create_clone_prompt(reference=reference, reference_text=REFERENCE_TEXT, model_size="1.7B")
    voice = CustomVoice(
        name="template-voice",
        source="clone",
        description="Voix de référence pour le benchmark",
        model="1.7B",
        model_id=ctx["engine"].sources[BASE_BY_SIZE["1.7B"]],
        language="fr",
        reference_text=REFERENCE_TEXT,
    )
    store.create(voice, prompt, reference)
    return root / voice.name


def build_library(root: Path, template: Path, count: int) -> tuple[float, str]:
    """`count` voices: distinct directories with their own meta.json, prompt.pt/reference.wav linked to one template."""
    from tts_alex.fsutil import write_json_atomic
    from tts_alex.store import (
        INDEX_FILE,
        INDEX_VERSION,
        META_FILE,
        PROMPT_FILE,
        REFERENCE_FILE,
        CustomVoice,
        CustomVoiceStore,
        _json_bytes,
        utc_now,
    )

    start = time.perf_counter()
    root.mkdir(parents=True)
    base = CustomVoice.from_meta(json.loads((template / META_FILE).read_text(encoding="utf-8")))
    names = []
    how = "hard links"
    for i in range(count):
        name = f"voix-{i:05d}"
        directory = root / name
        directory.mkdir()
        voice = dataclasses.replace(base, name=name, description=f"Voix de test numéro {i}")
        (directory / META_FILE).write_bytes(_json_bytes(voice.meta()))
        for file in (PROMPT_FILE, REFERENCE_FILE):
            try:
                os.link(template / file, directory / file)
            except OSError:
                shutil.copyfile(template / file, directory / file)
                how = "copies"
        names.append(name)
    if count:
        write_json_atomic(root / INDEX_FILE, {"version": INDEX_VERSION, "voices": names, "updated_at": utc_now()})
    else:
        CustomVoiceStore(root).open()  # the empty store's index.json, so neither side writes at open()
    return time.perf_counter() - start, how


def run_child(args: list[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True, cwd=PROJECT
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise RuntimeError(
        f"child {args} failed ({completed.returncode}):\n{completed.stdout[-2000:]}{completed.stderr[-3000:]}"
    )


def child_open(root: str) -> dict[str, Any]:
    """In a fresh process: time and RSS increase of opening the store the way app.py's lifespan does."""
    import psutil
    import torch  # noqa: F401  (imported by the server before the store opens)

    import tts_alex.app  # noqa: F401
    from tts_alex.settings import Settings
    from tts_alex.store import INDEX_FILE, CustomVoiceStore

    settings = Settings(models="tiny", device="cpu")
    process = psutil.Process()
    index = Path(root) / INDEX_FILE
    index_stamp = index.stat().st_mtime_ns
    gc.collect()
    rss_before = process.memory_info().rss
    start = time.perf_counter()
    store = CustomVoiceStore(
        Path(root), lock_timeout=settings.store_lock_timeout, max_loaded_prompts=settings.max_loaded_prompts
    )
    store.open()
    voices = store.voices()
    elapsed = time.perf_counter() - start
    gc.collect()
    rss_after = process.memory_info().rss
    sample = [v.name for v in voices[:: max(1, len(voices) // 20)]]
    return {
        "seconds": elapsed,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "count": len(voices),
        "warnings": len(store.warnings),
        "index_rewritten": index.stat().st_mtime_ns != index_stamp,
        "sampled": len(sample),
        "loaded_in_sample": sum(store.is_loaded(name) for name in sample),
    }


def child_app(voices_dir: str, tiny_dir: str) -> dict[str, Any]:
    """In a fresh process: the real app's lifespan (store open, CustomVoice model load, banner) and its model load."""
    from tts_alex.engine import Engine, load_qwen_model, model_sources

    base = Path(tempfile.mkdtemp(prefix="tts-alex-bench-child-"))
    try:
        settings = make_settings(base, Path(tiny_dir), Path(voices_dir))
        loads: list[float] = []

        def timed_loader(source: str, choice: Any) -> Any:
            start = time.perf_counter()
            try:
                return load_qwen_model(source, choice)
            finally:
                loads.append(time.perf_counter() - start)

        engine = Engine(settings, model_sources(settings), loader=timed_loader)  # models load in the lifespan
        from fastapi.testclient import TestClient

        from tts_alex.app import create_app

        client = TestClient(create_app(settings, engine=engine))
        start = time.perf_counter()
        with quiet_stdout():
            client.__enter__()
        ready = time.perf_counter() - start
        store = client.app.state.store
        voices = store.voices()
        sample = [v.name for v in voices[:: max(1, len(voices) // 20)]]
        result = {
            "ready": ready,
            "model_load": sum(loads),
            "count": len(voices),
            "loaded_in_sample": sum(store.is_loaded(name) for name in sample),
        }
        client.__exit__(None, None, None)
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)


def bench_startup(ctx: dict[str, Any], count: int, repeats: int) -> None:
    header(f"2. Start-up with {count:,} custom voices vs 0")
    template = make_template_voice(ctx)
    empty_root = ctx["tmp"] / "lib-0" / "voices" / "custom"
    big_root = ctx["tmp"] / "lib-big" / "voices" / "custom"
    build_library(empty_root, template, 0)
    build_seconds, how = build_library(big_root, template, count)
    sizes = {f: (template / f).stat().st_size for f in ("meta.json", "prompt.pt", "reference.wav")}
    print(
        f"built {count:,} voices in {build_seconds:.2f} s: one real prompt.pt (real engine, tiny Base model) saved by "
        f"the real store, replicated into {count:,} distinct directories, each with its own meta.json (own name); "
        f"prompt.pt and reference.wav are {how} of the template (start-up reads only meta.json and stats "
        f"prompt.pt, so sharing inodes changes nothing measured here); index.json lists them all"
    )
    print(f"template sizes (bytes): {sizes}")

    opens: dict[int, list[dict[str, Any]]] = {0: [], count: []}
    apps: dict[int, list[dict[str, Any]]] = {0: [], count: []}
    roots = {0: empty_root, count: big_root}
    for n in (0, count):  # warm-up (file-system caches, .pyc), discarded
        run_child(["--child-open", str(roots[n])])
    for i in range(repeats):
        for n in (0, count) if i % 2 == 0 else (count, 0):
            opens[n].append(run_child(["--child-open", str(roots[n])]))
    for n in (0, count):
        run_child(["--child-app", str(roots[n].parent), str(ctx["tiny_dir"])])  # warm-up, discarded
    for i in range(max(2, repeats // 2)):
        for n in (0, count) if i % 2 == 0 else (count, 0):
            apps[n].append(run_child(["--child-app", str(roots[n].parent), str(ctx["tiny_dir"])]))

    mb = 1024 * 1024
    t0 = [r["seconds"] for r in opens[0]]
    tn = [r["seconds"] for r in opens[count]]
    r0 = [(r["rss_after"] - r["rss_before"]) / mb for r in opens[0]]
    rn = [(r["rss_after"] - r["rss_before"]) / mb for r in opens[count]]
    big = opens[count][0]
    print(
        f"store opened with {big['count']:,} voices, {big['warnings']} warnings, index rewritten at open: "
        f"{big['index_rewritten']}; prompts loaded in a sample of {big['sampled']}: {big['loaded_in_sample']}"
    )
    print(f"open()+voices()  0 voices: {spread(t0, 1000, 'ms', 1)}")
    print(f"open()+voices() {count:,} voices: {spread(tn, 1000, 'ms', 1)}")
    delta_t = med(tn) - med(t0)
    print(f"open time delta: {delta_t * 1000:.1f} ms ({delta_t / count * 1e6:.1f} µs per voice)")
    print(f"RSS increase     0 voices: {spread(r0, 1, 'MB', 2)}")
    print(f"RSS increase {count:,} voices: {spread(rn, 1, 'MB', 2)}")
    delta_m = med(rn) - med(r0)
    print(f"RSS delta: {delta_m:.2f} MB ({delta_m * mb / count / 1024:.2f} KB per voice)")
    a0 = [r["ready"] - r["model_load"] for r in apps[0]]
    an = [r["ready"] - r["model_load"] for r in apps[count]]
    loads = [r["model_load"] for r in apps[0] + apps[count]]
    print(
        f"app lifespan to ready minus model load (model load {spread(loads, 1, 's', 2)}): "
        f"0 voices {spread(a0, 1000, 'ms', 0)}; {count:,} voices {spread(an, 1000, 'ms', 0)}; "
        f"delta {(med(an) - med(a0)) * 1000:.0f} ms; app saw {apps[count][0]['count']:,} voices, "
        f"prompts loaded in sample: {apps[count][0]['loaded_in_sample']}"
    )
    lazy = all(r["loaded_in_sample"] == 0 for r in opens[count] + apps[count])
    print(
        f"ratio {count:,}/0 open time = {med(tn) / med(t0):.1f}x; extra per start-up {delta_t:.3f} s, {delta_m:.1f} MB"
    )
    ok_time = delta_t < OPEN_TIME_TARGET_S and med(an) - med(a0) < OPEN_TIME_TARGET_S
    ok_rss = delta_m < OPEN_RSS_TARGET_MB
    print(f"target: < {OPEN_TIME_TARGET_S:g} s extra (store open and app ready) -> {verdict(ok_time)}")
    print(f"target: < {OPEN_RSS_TARGET_MB:g} MB extra RSS -> {verdict(ok_rss)}")
    print(f"target: no prompt loaded at start-up (lazy loading) -> {verdict(lazy)}")
    ctx["verdicts"] += [("2. start-up time", ok_time), ("2. start-up memory", ok_rss), ("2. lazy loading", lazy)]


# ----- 3. cold vs warm first use --------------------------------------------------------------------
def bench_first_use(ctx: dict[str, Any], repeats: int) -> None:
    header("3. Cold vs warm first use of a custom voice")
    from tts_alex.store import CustomVoiceStore

    root = ctx["b1_settings"].custom_voices_dir

    def once() -> tuple[float, float, bool]:
        store = CustomVoiceStore(root)
        store.open()
        was_loaded = store.is_loaded(VOICE)
        start = time.perf_counter()
        store.load_prompt(VOICE)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        store.load_prompt(VOICE)
        warm = time.perf_counter() - start
        return cold, warm, was_loaded

    once()  # warm-up (torch.load machinery), discarded
    colds, warms, preloaded = [], [], []
    for _ in range(30):
        cold, warm, was_loaded = once()
        colds.append(cold)
        warms.append(warm)
        preloaded.append(was_loaded)
    print(f"store.load_prompt cold (first call on a reopened store): {spread(colds, 1000, 'ms', 3)}")
    print(f"store.load_prompt warm (second call):                   {spread(warms, 1000, 'ms', 3)}")
    print(f"prompt in memory right after open(): {any(preloaded)}")

    def first_and_second(client: Any) -> tuple[float, float, float, float, bool]:
        store = client.app.state.store
        was_loaded = store.is_loaded(VOICE)
        form = {"text": TEXT, "voice": VOICE, "language": "fr"}
        first, d1 = timed_post(client, "/preset", data=form)
        second, d2 = timed_post(client, "/preset", data=form)
        return first, second, d1, d2, was_loaded

    settings = ctx["b1_settings"]
    with app_client(settings, ctx["engine"]) as client:  # warm-up, discarded
        first_and_second(client)
    firsts, seconds, diffs, same_length = [], [], [], True
    for _ in range(repeats):
        with app_client(settings, ctx["engine"]) as client:  # fresh app: fresh store, prompt not in memory
            first, second, d1, d2, was_loaded = first_and_second(client)
        firsts.append(first)
        seconds.append(second)
        diffs.append(first - second)
        same_length = same_length and d1 == d2
        preloaded.append(was_loaded)
    print(f"POST /preset first call on a fresh app:  {spread(firsts, 1000, 'ms', 1)}")
    print(f"POST /preset second call (prompt warm):  {spread(seconds, 1000, 'ms', 1)}")
    print(
        f"same generated length on both calls: {same_length}; "
        f"paired first-second difference: {spread(diffs, 1000, 'ms', 1)}"
    )
    cold_extra = (med(colds) - med(warms)) * 1000
    print(
        f"difference: load_prompt cold-warm {cold_extra:.3f} ms; /preset first-second (median of pairs) "
        f"{med(diffs) * 1000:.1f} ms; ratio /preset first/second = {med(firsts) / med(seconds):.3f}; "
        f"ratio load_prompt cold/warm = {med(colds) / med(warms):.0f}x"
    )
    ok_store = cold_extra < FIRST_USE_TARGET_MS and not any(preloaded)
    ok_e2e = med(diffs) * 1000 < FIRST_USE_TARGET_MS
    print(
        f"target: first use adds < {FIRST_USE_TARGET_MS:g} ms to load_prompt (prompt not in memory before) "
        f"-> {verdict(ok_store)}"
    )
    print(
        f"target: /preset first call < {FIRST_USE_TARGET_MS:g} ms slower than the second (median of pairs; "
        f"generation noise dominates, see min/max) -> {verdict(ok_e2e)}"
    )
    ctx["verdicts"] += [("3. first use (load_prompt)", ok_store), ("3. first use (end-to-end /preset)", ok_e2e)]


# ----- main ---------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--voices", type=int, default=10_000, help="library size for benchmark 2 (default 10000)")
    parser.add_argument("--tiny-dir", type=Path, help="reuse tiny checkpoints from this directory (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    parser.add_argument("--only", choices=("1", "2", "3"), action="append", help="run only these benchmarks")
    parser.add_argument("--child-open", help=argparse.SUPPRESS)
    parser.add_argument("--child-app", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_open:
        print(RESULT_MARK + json.dumps(child_open(args.child_open)), flush=True)
        return 0
    if args.child_app:
        print(RESULT_MARK + json.dumps(child_app(*args.child_app)), flush=True)
        return 0

    import logging

    logging.basicConfig(level=logging.ERROR)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="tts-alex-bench-"))
    # (saved vs clone pairs, start-up child runs per side, fresh apps for first use)
    reuse_n, startup_n, first_n = (5, 3, 5) if args.quick else (15, 7, 9)
    only = set(args.only or ("1", "2", "3"))
    if "3" in only:
        only.add("1")  # benchmark 3 uses the voice benchmark 1 saves
    ctx: dict[str, Any] = {"tmp": tmp, "verdicts": []}
    print(f"TTS-Alex custom voice benchmarks ({'quick' if args.quick else 'full'}), temp dir {tmp}")
    try:
        from tts_alex.engine import Engine, ModelKind, model_sources
        from tts_alex.testing.tiny import build_tiny_checkpoints

        ctx["tiny_dir"] = args.tiny_dir or tmp / "tiny-models"
        settings = make_settings(tmp / "engine", ctx["tiny_dir"])
        with quiet_stdout():  # qwen-tts prints a flash-attn notice on import
            build_tiny_checkpoints(ctx["tiny_dir"])
            engine = Engine(settings, model_sources(settings))
            for kind in (ModelKind.CUSTOM_VOICE, ModelKind.BASE_1_7B):
                engine.model(kind)
        ctx["engine"] = engine
        print(
            f"tiny Qwen3-TTS checkpoints in {ctx['tiny_dir']}; device {engine.choice.device}; torch threads "
            f"{__import__('torch').get_num_threads()}"
        )
        steps: list[tuple[str, Callable[[], None]]] = [
            ("1", lambda: bench_reuse(ctx, reuse_n)),
            ("2", lambda: bench_startup(ctx, args.voices, startup_n)),
            ("3", lambda: bench_first_use(ctx, first_n)),
        ]
        for key, step in steps:
            if key not in only:
                continue
            try:
                step()
            except Exception as exc:  # a report: say what broke and go on
                print(f"ERROR in benchmark {key}: {exc.__class__.__name__}: {exc}")
                ctx["verdicts"].append((f"{key}. (error)", False))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    header("Summary")
    for name, ok in ctx["verdicts"]:
        print(f"{verdict(ok)}  {name}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
