"""Shared fixtures: tiny real Qwen3-TTS checkpoints once per session, fresh voices/ and outputs/ per test."""

import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

# No test may reach Hugging Face, and none may touch the real voice library.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from fastapi.testclient import TestClient  # noqa: E402
from tts_alex.testing.tiny import build_tiny_checkpoints  # noqa: E402

from tts_alex.app import create_app  # noqa: E402
from tts_alex.engine import Engine, model_sources  # noqa: E402
from tts_alex.settings import Settings  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every TTS-Alex directory at a temp dir, whatever the developer's environment says."""
    for key in list(os.environ):
        if key.startswith("TTS_ALEX_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TTS_ALEX_VOICES_DIR", str(tmp_path / "voices"))
    monkeypatch.setenv("TTS_ALEX_OUTPUTS_DIR", str(tmp_path / "outputs"))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny random checkpoints (built once; TTS_ALEX_TEST_TINY_DIR reuses a cache between runs)."""
    root = Path(os.environ.get("TTS_ALEX_TEST_TINY_DIR") or tmp_path_factory.mktemp("tiny-models"))
    build_tiny_checkpoints(root)
    return root


def make_settings(tmp_path: Path, tiny_dir: Path, **overrides: object) -> Settings:
    """Settings for a test server on the tiny models and the test's own directories."""
    values: dict[str, object] = {
        "models": "tiny",
        "tiny_dir": tiny_dir,
        "device": "cpu",
        "voices_dir": tmp_path / "voices",
        "outputs_dir": tmp_path / "outputs",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def shared_engine(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """One engine (models loaded once) shared by the app fixtures."""
    settings = make_settings(tmp_path_factory.mktemp("engine"), tiny_dir)
    return Engine(settings, model_sources(settings))


@pytest.fixture
def settings(tmp_path: Path, tiny_dir: Path) -> Settings:
    return make_settings(tmp_path, tiny_dir)


@pytest.fixture
def client(settings: Settings, shared_engine: Engine) -> Iterator[TestClient]:
    """The real app on tiny models with this test's own voice library and outputs."""
    with TestClient(create_app(settings, engine=shared_engine)) as test_client:
        yield test_client


def tone_wav(seconds: float = 2.0, rate: int = 24_000, channels: int = 1, fmt: str = "WAV") -> bytes:
    """A voiced-like test signal (harmonics + noise) encoded as an audio file."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    signal = sum(0.2 / k * np.sin(2 * np.pi * 140 * k * t) for k in range(1, 6)) + 0.01 * rng.standard_normal(t.size)
    data = np.stack([signal] * channels, axis=1) if channels > 1 else signal
    buffer = io.BytesIO()
    sf.write(buffer, data.astype(np.float32), rate, format=fmt)
    return buffer.getvalue()


def decode(content: bytes) -> tuple[np.ndarray, int]:
    """Decode a response body as audio."""
    samples, rate = sf.read(io.BytesIO(content), dtype="float32")
    return samples, rate
