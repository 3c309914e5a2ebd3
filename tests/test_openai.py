"""OpenAI-compatible API, exercised with the official `openai` package against a real server process."""

import io
import json
from collections.abc import Iterator

import httpx
import numpy as np
import openai
import pytest
import soundfile as sf

from tests.conftest import tone_wav
from tests.server import ServerProcess

SENTENCES = "Bonjour et bienvenue. Voici la deuxième phrase. Et voici la troisième, pour finir."


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_dir) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path_factory.mktemp("openai"), tiny_dir).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sdk(server: ServerProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-needed", max_retries=0, timeout=120)


@pytest.mark.parametrize(("fmt", "container"), [("mp3", "MP3"), ("opus", "OGG"), ("flac", "FLAC"), ("wav", "WAV")])
def test_speech_in_every_soundfile_format(sdk: openai.OpenAI, fmt: str, container: str) -> None:
    response = sdk.audio.speech.create(model="tts-1", voice="alloy", input="Hello world.", response_format=fmt)
    info = sf.info(io.BytesIO(response.content))
    assert info.format == container and info.samplerate == 24_000


def test_speech_pcm(sdk: openai.OpenAI) -> None:
    response = sdk.audio.speech.create(model="gpt-4o-mini-tts", voice="Ryan", input="Hi.", response_format="pcm")
    samples = np.frombuffer(response.content, dtype="<i2")
    assert samples.size > 12_000 and np.abs(samples).max() > 0


def test_default_format_is_mp3(sdk: openai.OpenAI) -> None:
    response = sdk.audio.speech.create(model="tts-1-hd", voice="nova", input="Bonjour.")
    assert response.response.headers["content-type"] == "audio/mpeg"
    assert sf.info(io.BytesIO(response.content)).format == "MP3"


def test_streamed_speech_arrives_in_pieces(sdk: openai.OpenAI) -> None:
    received = []
    with sdk.audio.speech.with_streaming_response.create(
        model="tts-1", voice="echo", input=SENTENCES, response_format="pcm"
    ) as response:
        for chunk in response.iter_bytes(chunk_size=None):
            received.append(chunk)
    audio = b"".join(received)
    assert len(audio) % 2 == 0 and len(audio) > 3 * 24_000  # three sentences, at least ~0.5 s each


def test_streamed_wav_decodes(sdk: openai.OpenAI) -> None:
    with sdk.audio.speech.with_streaming_response.create(
        model="tts-1", voice="onyx", input=SENTENCES, response_format="wav"
    ) as response:
        data = response.read()
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    assert rate == 24_000 and samples.size > 24_000


def test_sse_stream_format(server: ServerProcess) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": SENTENCES, "response_format": "pcm", "stream_format": "sse"}
    events = []
    with httpx.stream("POST", f"{server.url}/v1/audio/speech", json=body, timeout=120) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert [e["type"] for e in events] == ["speech.audio.delta"] * 3 + ["speech.audio.done"]
    assert events[-1]["usage"]["input_tokens"] > 0


def test_custom_voice_and_instructions(server: ServerProcess, sdk: openai.OpenAI) -> None:
    with server.client() as http:
        created = http.post(
            "/voices/custom",
            data={"name": "voix-openai", "source": "clone", "reference_text": "Bonjour."},
            files={"reference_audio": ("ref.wav", tone_wav(2.0), "audio/wav")},
        )
        assert created.status_code == 201, created.text
    response = sdk.audio.speech.create(
        model="tts-1", voice="voix-openai", input="Bonjour.", response_format="wav", extra_body={"language": "fr"}
    )
    assert sf.info(io.BytesIO(response.content)).samplerate == 24_000
    voices = {v["id"]: v for v in httpx.get(f"{server.url}/v1/audio/voices").json()["data"]}
    assert voices["voix-openai"]["type"] == "custom" and voices["alloy"]["alias_of"] == "Vivian"
    with pytest.raises(openai.BadRequestError) as raised:
        sdk.audio.speech.create(model="tts-1", voice="voix-openai", input="Hi.", instructions="Whisper.")
    assert "cannot follow" in raised.value.body["message"]
    instructed = sdk.audio.speech.create(
        model="gpt-4o-mini-tts",
        voice="Serena",
        input="Bonjour.",
        instructions="Parle doucement.",
        response_format="wav",
    )
    assert instructed.content[:4] == b"RIFF"


def test_models_listing(sdk: openai.OpenAI) -> None:
    ids = [model.id for model in sdk.models.list()]
    assert {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "qwen3-tts"} <= set(ids)
    assert "Qwen3-TTS-12Hz-1.7B-CustomVoice" in ids


def test_errors_in_openai_shape(sdk: openai.OpenAI, server: ServerProcess) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        sdk.audio.speech.create(model="tts-1", voice="nobody", input="Hi.")
    assert not_found.value.body["param"] == "voice" and not_found.value.body["code"] == "voice_not_found"
    with pytest.raises(openai.BadRequestError) as bad_model:
        sdk.audio.speech.create(model="gpt-9", voice="alloy", input="Hi.")
    assert bad_model.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as bad_speed:
        sdk.audio.speech.create(model="tts-1", voice="alloy", input="Hi.", speed=9)
    assert bad_speed.value.body["param"] == "speed"
    with pytest.raises(openai.BadRequestError) as empty:
        sdk.audio.speech.create(model="tts-1", voice="alloy", input="  ")
    assert empty.value.body["param"] == "input"
    with pytest.raises(openai.BadRequestError) as bad_format:
        sdk.audio.speech.create(model="tts-1", voice="alloy", input="Hi.", response_format="wma")  # type: ignore[arg-type]
    assert bad_format.value.body["param"] == "response_format"
    missing = httpx.post(f"{server.url}/v1/audio/speech", json={"model": "tts-1", "voice": "alloy"})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "input" and missing.json()["error"]["type"] == "invalid_request_error"
    unknown = httpx.get(f"{server.url}/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
