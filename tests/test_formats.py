"""Output formats, speed, long texts and streaming on the synthesis routes (real engine, tiny checkpoints)."""

import io
import os
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch
from fastapi.testclient import TestClient

from tests.asgi import post_form
from tests.conftest import make_settings, tone_wav
from tts_alex.app import create_app
from tts_alex.audio import Audio, change_speed
from tts_alex.textsplit import split_text
from tts_alex.voicing import DesignVoicing

LONG_TEXT = " ".join(f"Voici la phrase numéro {i}, qui raconte une petite histoire." for i in range(1, 11))
REQUIRE_FFMPEG = os.environ.get("CI") == "true"


def preset(client: TestClient, **data: object):
    return client.post("/preset", data={"text": "Bonjour à tous.", "voice": "Vivian", "language": "fr", **data})


@pytest.mark.parametrize(
    ("fmt", "media_type", "container"),
    [("wav", "audio/wav", "WAV"), ("mp3", "audio/mpeg", "MP3"), ("flac", "audio/flac", "FLAC"),
     ("opus", "audio/ogg", "OGG"), ("ogg", "audio/ogg", "OGG")],
)  # fmt: skip
def test_each_format_decodes_at_24k(client: TestClient, fmt: str, media_type: str, container: str) -> None:
    response = preset(client, format=fmt)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    info = sf.info(io.BytesIO(response.content))
    assert info.format == container and info.samplerate == 24_000 and info.channels == 1
    assert info.duration == pytest.approx(float(response.headers["x-audio-duration"]), abs=0.1)
    assert response.headers["x-output-path"].endswith(f".{fmt}")


def test_pcm_is_raw_16_bit_mono_24k(client: TestClient) -> None:
    response = preset(client, format="pcm")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/pcm"
    samples = np.frombuffer(response.content, dtype="<i2")
    assert samples.size / 24_000 == pytest.approx(float(response.headers["x-audio-duration"]), abs=1e-3)
    assert np.abs(samples).max() > 0


def test_aac_unavailable_without_encoder_is_400_listing_formats(tmp_path, tiny_dir, shared_engine) -> None:
    settings = make_settings(tmp_path, tiny_dir, ffmpeg="")
    with TestClient(create_app(settings, engine=shared_engine)) as client:
        response = preset(client, format="aac")
        formats = {row["name"]: row["available"] for row in client.get("/formats").json()["formats"]}
    assert response.status_code == 400
    assert response.json()["field"] == "format"
    assert "aac" in response.json()["detail"] and "wav, pcm, mp3, flac, opus, ogg" in response.json()["detail"]
    assert formats["aac"] is False and formats["wav"] is True


@pytest.mark.skipif(
    not shutil.which("ffmpeg") and not REQUIRE_FFMPEG, reason="AAC needs ffmpeg (apt-get install ffmpeg)"
)
def test_aac_with_ffmpeg_is_adts(client: TestClient) -> None:
    assert shutil.which("ffmpeg"), "CI must install ffmpeg (see .ci/run)"
    response = preset(client, format="aac")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/aac"
    assert response.content[0] == 0xFF and response.content[1] & 0xF0 == 0xF0  # ADTS sync word
    assert client.get("/formats").json()["formats"][-1] == {
        "name": "aac", "media_type": "audio/aac", "available": True, "streamable": False,
    }  # fmt: skip


def test_unknown_format_is_400(client: TestClient) -> None:
    response = preset(client, format="wma")
    assert response.status_code == 400 and "wma" in response.json()["detail"]


@pytest.mark.parametrize("speed", [0.1, 5, "fast"])
def test_speed_out_of_range_is_422(client: TestClient, speed: object) -> None:
    response = preset(client, speed=speed)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "speed"]


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_speed_scales_duration(client: TestClient, speed: float) -> None:
    """Same seed, same text: the returned duration scales by 1/speed within a few percent."""
    torch.manual_seed(1234)
    normal = float(preset(client, text=LONG_TEXT[:200]).headers["x-audio-duration"])
    torch.manual_seed(1234)
    changed = float(preset(client, text=LONG_TEXT[:200], speed=speed).headers["x-audio-duration"])
    assert changed == pytest.approx(normal / speed, rel=0.03)


def test_speed_keeps_pitch() -> None:
    rate = 24_000
    tone = Audio((0.5 * np.sin(2 * np.pi * 440 * np.arange(rate * 2) / rate)).astype(np.float32))
    for speed in (0.5, 1.5):
        faster = change_speed(tone, speed)
        assert faster.duration == pytest.approx(2 / speed, rel=0.01)
        spectrum = np.abs(np.fft.rfft(faster.samples))
        assert np.fft.rfftfreq(faster.samples.size, 1 / rate)[spectrum.argmax()] == pytest.approx(440, abs=3)


def test_long_text_is_spoken_whole_beyond_one_generation_cap(tmp_path, tiny_dir, shared_engine) -> None:
    """Ten sentences with a 1.5 s cap per generation: each piece is generated on its own, nothing is cut."""
    settings = make_settings(tmp_path, tiny_dir)
    before = shared_engine.generation_count
    ceiling = shared_engine.settings.max_new_tokens_ceiling
    shared_engine.settings.max_new_tokens_ceiling = 18
    try:
        with TestClient(create_app(settings, engine=shared_engine)) as client:
            response = preset(client, text=LONG_TEXT)
    finally:
        shared_engine.settings.max_new_tokens_ceiling = ceiling
    assert response.status_code == 200
    assert shared_engine.generation_count - before == 10
    assert float(response.headers["x-audio-duration"]) > 1.5 + 9 * 0.3  # more than one capped generation


def test_long_text_with_clone_and_design_generates_each_piece_once(client: TestClient, shared_engine) -> None:
    pieces = len(split_text(LONG_TEXT[:130]))
    assert pieces == 3
    before = shared_engine.generation_count
    cloned = client.post(
        "/clone",
        data={"text": LONG_TEXT[:130], "reference_text": "Bonjour.", "language": "fr"},
        files={"reference_audio": ("ref.wav", tone_wav(2.0), "audio/wav")},
    )
    assert cloned.status_code == 200 and shared_engine.generation_count - before == pieces
    designed = client.post("/design", data={"text": LONG_TEXT[:130], "voice_description": "A calm voice"})
    assert designed.status_code == 200 and shared_engine.generation_count - before == 2 * pieces


def test_design_voicing_clones_its_first_clip_for_the_next_pieces(shared_engine) -> None:
    """A long designed text keeps one voice: VoiceDesign speaks once, the Base model clones that clip."""
    voicing = DesignVoicing(shared_engine, "A calm voice", "French")
    first = voicing.say("Première phrase.")
    assert voicing._clone is not None and voicing._clone.reference is first
    assert voicing._clone.reference_text == "Première phrase."
    second = voicing.say("Deuxième phrase.")
    assert second.samples.size > 0 and voicing._clone.prompt is not None
    prompt = voicing._clone.prompt
    voicing.say("Troisième phrase.")
    assert voicing._clone.prompt is prompt  # built once


def test_streamed_wav_plays_as_it_arrives(client: TestClient) -> None:
    response = preset(client, text=LONG_TEXT, stream="true")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    assert response.content[:4] == b"RIFF" and response.content[4:8] == b"\xff\xff\xff\xff"
    samples, rate = sf.read(io.BytesIO(response.content), dtype="float32")
    assert rate == 24_000 and samples.size > 24_000


def test_stream_sends_first_piece_before_the_rest_is_generated(client: TestClient, shared_engine) -> None:
    """Note how many generations had run when each body chunk left the app."""
    fields = {"text": LONG_TEXT, "voice": "Vivian", "language": "fr", "stream": "true", "format": "pcm"}
    chunks: list[int] = []
    start = shared_engine.generation_count
    status = client.portal.call(
        lambda: post_form(
            client.app, "/preset", fields, on_body=lambda _: chunks.append(shared_engine.generation_count)
        )
    )
    assert status == 200 and len(chunks) == 10
    assert chunks[0] - start == 1, "the first chunk must leave before the second piece is generated"
    assert chunks[-1] - start == 10


def test_a_client_that_leaves_stops_the_remaining_pieces(client: TestClient, shared_engine) -> None:
    """A long text whose client disconnects frees the device instead of generating every piece."""
    fields = {"text": LONG_TEXT, "voice": "Vivian", "language": "fr"}
    start = shared_engine.generation_count
    client.portal.call(lambda: post_form(client.app, "/preset", fields, on_body=lambda _: None, leave_after_body=True))
    assert shared_engine.generation_count - start == 1
