"""Opt-in smoke test on real Qwen3-TTS weights (MPS/CUDA/CPU): set TTS_ALEX_SMOKE_MODELS_DIR to run it."""

import os
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import decode
from tts_alex.app import create_app
from tts_alex.settings import Settings

# Read at import: the autouse fixture clears TTS_ALEX_* variables for every test.
MODELS_DIR = os.environ.get("TTS_ALEX_SMOKE_MODELS_DIR")
DEVICE = os.environ.get("TTS_ALEX_SMOKE_DEVICE", "auto")

pytestmark = pytest.mark.skipif(not MODELS_DIR, reason="set TTS_ALEX_SMOKE_MODELS_DIR to a folder of real checkpoints")


def test_real_models_speak_design_clone_and_save_voices(tmp_path: Path) -> None:
    root = Path(MODELS_DIR or ".").expanduser()
    settings = Settings(
        device=DEVICE,
        custom_voice_model=str(root / "Qwen3-TTS-12Hz-1.7B-CustomVoice"),
        voice_design_model=str(root / "Qwen3-TTS-12Hz-1.7B-VoiceDesign"),
        base_1_7b_model=str(root / "Qwen3-TTS-12Hz-1.7B-Base"),
        base_0_6b_model=str(root / "Qwen3-TTS-12Hz-0.6B-Base"),
        voices_dir=tmp_path / "voices",
        outputs_dir=tmp_path / "outputs",
    )
    with TestClient(create_app(settings)) as client:
        speech = client.post(
            "/preset", data={"text": "Bonjour, ceci est un essai.", "voice": "Vivian", "language": "fr"}
        )
        assert speech.status_code == 200, speech.text
        samples, rate = decode(speech.content)
        assert rate == 24_000 and 0.5 < samples.size / rate < 20 and np.sqrt(np.mean(samples**2)) > 1e-3
        design = client.post(
            "/voices/custom",
            data={"name": "smoke-design", "source": "design", "voice_description": "A calm, warm female narrator"},
        )
        assert design.status_code == 201, design.text
        reference = (tmp_path / "voices" / "custom" / "smoke-design" / "reference.wav").read_bytes()
        reference_text = client.get("/voices/custom/smoke-design").json()["reference_text"]
        clone = client.post(
            "/voices/custom",
            data={"name": "smoke-clone", "source": "clone", "reference_text": reference_text, "model": "0.6B"},
            files={"reference_audio": ("ref.wav", reference, "audio/wav")},
        )
        assert clone.status_code == 201, clone.text
        for voice in ("smoke-design", "smoke-clone"):
            used = client.post("/preset", data={"text": "Un deux trois.", "voice": voice, "language": "fr"})
            assert used.status_code == 200, used.text
