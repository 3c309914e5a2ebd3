"""Synthesis routes through the real app and the real qwen-tts engine on tiny checkpoints."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import decode, tone_wav


def assert_speech(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    samples, rate = decode(response.content)
    assert rate == 24_000
    assert samples.ndim == 1 and samples.size > 0
    assert np.isfinite(samples).all()
    return samples


def test_preset_native_voice_returns_24k_wav(client: TestClient) -> None:
    response = client.post("/preset", data={"text": "Bonjour tout le monde.", "voice": "Vivian", "language": "fr"})
    samples = assert_speech(response)
    assert float(response.headers["x-audio-duration"]) == pytest.approx(samples.size / 24_000, abs=1e-3)


def test_preset_voice_name_is_case_insensitive(client: TestClient) -> None:
    assert_speech(client.post("/preset", data={"text": "Hello.", "voice": "ryan", "language": "en"}))


def test_preset_keeps_a_copy_under_outputs(client: TestClient, settings) -> None:
    response = client.post("/preset", data={"text": "Hello.", "voice": "Aiden", "language": "English"})
    assert_speech(response)
    saved = Path(response.headers["x-output-path"])
    assert saved.parent == settings.outputs_dir
    assert "Aiden" in saved.name and saved.suffix == ".wav"
    assert saved.read_bytes() == response.content


def test_outputs_can_be_turned_off(tmp_path, tiny_dir, shared_engine) -> None:
    from tests.conftest import make_settings
    from tts_alex.app import create_app

    settings = make_settings(tmp_path, tiny_dir, save_outputs=False)
    with TestClient(create_app(settings, engine=shared_engine)) as client:
        response = client.post("/preset", data={"text": "Hello.", "voice": "Aiden"})
    assert_speech(response)
    assert "x-output-path" not in response.headers
    assert not settings.outputs_dir.exists() or not any(settings.outputs_dir.iterdir())


def test_preset_unknown_voice_is_404(client: TestClient) -> None:
    response = client.post("/preset", data={"text": "Hello.", "voice": "Nobody"})
    assert response.status_code == 404
    assert "Nobody" in response.json()["detail"]


@pytest.mark.parametrize("text", ["", "   "])
def test_preset_empty_text_is_400(client: TestClient, text: str) -> None:
    response = client.post("/preset", data={"text": text, "voice": "Vivian"})
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_preset_text_over_limit_is_400(client: TestClient, settings) -> None:
    response = client.post("/preset", data={"text": "a" * (settings.max_text_chars + 1), "voice": "Vivian"})
    assert response.status_code == 400
    assert str(settings.max_text_chars) in response.json()["detail"]


def test_missing_field_is_422_with_detail(client: TestClient) -> None:
    response = client.post("/preset", data={"voice": "Vivian"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "text"]


@pytest.mark.parametrize("language", ["fr", "FR", "French", "auto", "zh", "ja"])
def test_languages_accepted(client: TestClient, language: str) -> None:
    assert_speech(client.post("/preset", data={"text": "Hi.", "voice": "Sohee", "language": language}))


def test_unknown_language_is_400_listing_accepted(client: TestClient) -> None:
    response = client.post("/preset", data={"text": "Hi.", "voice": "Vivian", "language": "klingon"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "klingon" in detail and "fr" in detail and "auto" in detail


def test_preset_instruct(client: TestClient) -> None:
    response = client.post(
        "/preset/instruct",
        data={"text": "Bonjour.", "voice": "Serena", "instruct": "Parle lentement et doucement.", "language": "fr"},
    )
    assert_speech(response)


def test_preset_instruct_empty_instruction_is_400(client: TestClient) -> None:
    response = client.post("/preset/instruct", data={"text": "Bonjour.", "voice": "Serena", "instruct": " "})
    assert response.status_code == 400
    assert "instruct" in response.json()["detail"]


def test_preset_instruct_on_0b6_model_is_400(tmp_path, tiny_dir) -> None:
    """The 0.6B CustomVoice model ignores instructions: say so instead of ignoring them silently."""
    from tts_alex.testing.tiny import build_tiny_checkpoints

    from tests.conftest import make_settings
    from tts_alex.app import create_app

    small = build_tiny_checkpoints(tiny_dir)["custom_voice_0b6"]
    settings = make_settings(tmp_path, tiny_dir, models="hf", custom_voice_model=str(small))
    with TestClient(create_app(settings)) as client:
        response = client.post("/preset/instruct", data={"text": "Hi.", "voice": "Ryan", "instruct": "Whisper."})
        assert response.status_code == 400
        assert "cannot follow" in response.json()["detail"]
        assert_speech(client.post("/preset", data={"text": "Hi.", "voice": "Ryan"}))


def test_design(client: TestClient) -> None:
    response = client.post(
        "/design", data={"text": "Hello there.", "voice_description": "A deep, calm male narrator.", "language": "en"}
    )
    assert_speech(response)


def test_design_without_description_is_4xx(client: TestClient) -> None:
    response = client.post("/design", data={"text": "Hello there.", "voice_description": "  "})
    assert response.status_code == 400
    assert "voice_description" in response.json()["detail"]


@pytest.mark.parametrize("model", ["1.7B", "0.6B"])
def test_clone(client: TestClient, model: str) -> None:
    response = client.post(
        "/clone",
        data={"text": "Bonjour.", "reference_text": "Ceci est un test.", "language": "fr", "model": model},
        files={"reference_audio": ("ref.wav", tone_wav(2.0), "audio/wav")},
    )
    assert_speech(response)


@pytest.mark.parametrize(
    ("payload", "rate", "channels", "fmt"),
    [("ref.flac", 44_100, 2, "FLAC"), ("ref.ogg", 16_000, 1, "OGG"), ("ref.wav", 48_000, 2, "WAV")],
)
def test_clone_decodes_and_resamples_other_formats(client: TestClient, payload, rate, channels, fmt) -> None:
    response = client.post(
        "/clone",
        data={"text": "Hi.", "reference_text": "Hello."},
        files={"reference_audio": (payload, tone_wav(2.0, rate, channels, fmt), "application/octet-stream")},
    )
    assert_speech(response)


def test_clone_rejects_non_audio(client: TestClient) -> None:
    response = client.post(
        "/clone",
        data={"text": "Hi.", "reference_text": "Hello."},
        files={"reference_audio": ("ref.wav", b"RIFF but not really audio" * 10, "audio/wav")},
    )
    assert response.status_code == 400
    assert "not readable audio" in response.json()["detail"]


def test_clone_rejects_empty_file(client: TestClient) -> None:
    response = client.post(
        "/clone",
        data={"text": "Hi.", "reference_text": "Hello."},
        files={"reference_audio": ("ref.wav", b"", "audio/wav")},
    )
    assert response.status_code == 400
    assert "empty" in response.json()["detail"]


def test_clone_never_treats_a_string_as_audio(client: TestClient) -> None:
    """A URL or base64 in the file field is just bytes that do not decode: 400, nothing fetched."""
    response = client.post(
        "/clone",
        data={"text": "Hi.", "reference_text": "Hello."},
        files={"reference_audio": ("ref.wav", b"http://127.0.0.1:9/evil.wav", "text/plain")},
    )
    assert response.status_code == 400


def test_clone_bad_model_is_422(client: TestClient) -> None:
    response = client.post(
        "/clone",
        data={"text": "Hi.", "reference_text": "Hello.", "model": "7B"},
        files={"reference_audio": ("ref.wav", tone_wav(), "audio/wav")},
    )
    assert response.status_code == 422
    assert response.json()["detail"]


def test_voices_answer_while_generation_runs(client: TestClient) -> None:
    """Generations are queued off the event loop: /voices and /health keep answering."""
    results: list[int] = []

    def generate() -> None:
        results.append(client.post("/preset", data={"text": "Bonjour à tous.", "voice": "Vivian"}).status_code)

    workers = [threading.Thread(target=generate) for _ in range(6)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 30
    while client.get("/health").json()["queue_depth"] == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    voices = client.get("/voices")
    depth_after = client.get("/health").json()["queue_depth"]
    for worker in workers:
        worker.join()
    assert voices.status_code == 200 and voices.json()["native_count"] == 9
    assert depth_after >= 1, "the /voices answer should have come while generations were still queued"
    assert results == [200] * 6
