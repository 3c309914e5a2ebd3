"""Network safety: API key, CORS, bind warning, bounded request bodies, no user string as audio."""

import socket
import time

import openai
import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings, tone_wav
from tests.server import ServerProcess
from tts_alex.app import create_app


@pytest.fixture
def keyed(tmp_path, tiny_dir, shared_engine):
    settings = make_settings(tmp_path, tiny_dir, api_key="s3cret-key")
    with TestClient(create_app(settings, engine=shared_engine)) as client:
        yield client


def test_api_key_guards_every_route_but_health_and_the_page(keyed: TestClient) -> None:
    guarded = [("GET", "/voices"), ("GET", "/languages"), ("GET", "/metrics"), ("GET", "/formats"),
               ("POST", "/preset"), ("DELETE", "/voices/custom/voix-x"), ("GET", "/voices/custom/x")]  # fmt: skip
    for method, path in guarded:
        response = keyed.request(method, path)
        assert response.status_code == 401, (method, path)
        assert "API key" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
    wrong = keyed.get("/voices", headers={"Authorization": "Bearer s3cret-kez"})
    assert wrong.status_code == 401
    assert keyed.get("/voices", headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
    assert keyed.get("/health").status_code == 200
    assert keyed.get("/").status_code == 200
    spoken = keyed.post(
        "/preset", data={"text": "Hi.", "voice": "Ryan"}, headers={"Authorization": "Bearer s3cret-key"}
    )
    assert spoken.status_code == 200


def test_api_key_on_v1_answers_in_openai_shape(keyed: TestClient) -> None:
    sdk = openai.OpenAI(base_url="http://testserver/v1", api_key="wrong", http_client=keyed, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        sdk.audio.speech.create(model="tts-1", voice="alloy", input="Hi.")
    assert "API key" in raised.value.body["message"]
    good = openai.OpenAI(base_url="http://testserver/v1", api_key="s3cret-key", http_client=keyed, max_retries=0)
    assert good.audio.speech.create(model="tts-1", voice="alloy", input="Hi.", response_format="wav").content[:4] == (
        b"RIFF"
    )


def test_cors_is_off_unless_origins_are_configured(client: TestClient, tmp_path, tiny_dir, shared_engine) -> None:
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/preset", headers=preflight).headers
    assert "access-control-allow-origin" not in client.get("/voices", headers={"Origin": "http://evil.example"}).headers
    settings = make_settings(tmp_path, tiny_dir, cors_origins=["http://localhost:3000"])
    with TestClient(create_app(settings, engine=shared_engine)) as cors:
        allowed = cors.get("/voices", headers={"Origin": "http://localhost:3000"})
        assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
        denied = cors.get("/voices", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


def test_non_loopback_bind_without_key_warns_loudly(tmp_path, tiny_dir, shared_engine, capsys) -> None:
    with TestClient(create_app(make_settings(tmp_path, tiny_dir, host="0.0.0.0"), engine=shared_engine)):
        pass
    assert "NO API KEY" in capsys.readouterr().out
    with TestClient(create_app(make_settings(tmp_path, tiny_dir, host="127.0.0.1"), engine=shared_engine)):
        pass
    with TestClient(create_app(make_settings(tmp_path, tiny_dir, host="0.0.0.0", api_key="k"), engine=shared_engine)):
        pass
    assert "NO API KEY" not in capsys.readouterr().out


def test_default_bind_is_loopback() -> None:
    from tts_alex.settings import Settings

    assert Settings().host == "127.0.0.1"


def test_upload_over_the_limit_is_413_and_writes_nothing(tmp_path, tiny_dir, shared_engine) -> None:
    settings = make_settings(tmp_path, tiny_dir, max_upload_bytes=200_000)
    big = tone_wav(30.0)  # 1.4 MB
    with TestClient(create_app(settings, engine=shared_engine)) as client:
        response = client.post(
            "/voices/custom",
            data={"name": "voix-lourde", "source": "clone", "reference_text": "Bonjour."},
            files={"reference_audio": ("big.wav", big, "audio/wav")},
        )
        assert response.status_code == 413
        assert str(settings.max_request_bytes) in response.json()["detail"]

        def chunks():
            for _ in range(40):
                yield b"x" * 65_536

        streamed = client.post("/clone", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert streamed.status_code == 413
        v1 = client.post("/v1/audio/speech", content=b"{" + b" " * 2_000_000 + b"}")
        assert v1.status_code == 413 and v1.json()["error"]["code"] == "payload_too_large"
    assert not (settings.custom_voices_dir / "voix-lourde").exists()


def test_two_gigabyte_upload_is_refused_before_it_is_read(tmp_path, tiny_dir) -> None:
    """A real server answers 413 to a declared 2 GB body at once, without reading it."""
    import psutil

    server = ServerProcess(tmp_path, tiny_dir).start()
    try:
        rss_before = psutil.Process(server.process.pid).memory_info().rss
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            head = (
                "POST /voices/custom HTTP/1.1\r\nHost: localhost\r\n"
                "Content-Type: multipart/form-data; boundary=xyz\r\n"
                f"Content-Length: {2 * 1024**3}\r\n\r\n"
            )
            sock.sendall(head.encode() + b"--xyz\r\n")  # the 2 GB never follow: the answer must not wait for them
            received = b""
            try:
                while chunk := sock.recv(65_536):  # the server answers and closes the connection
                    received += chunk
            except ConnectionResetError:
                pass  # closed with our unread bytes pending: what we received is complete
            answer = received.decode(errors="replace")
        elapsed = time.monotonic() - start
        rss_after = psutil.Process(server.process.pid).memory_info().rss
    finally:
        server.stop()
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "larger than" in answer
    assert elapsed < 20
    assert rss_after - rss_before < 30 * 1024 * 1024
    assert not list((tmp_path / "voices" / "custom").glob("*/"))


def test_no_user_string_ever_reaches_qwen_tts_as_audio(client: TestClient, monkeypatch) -> None:
    """qwen-tts would fetch URLs and decode base64 given a string: a tripwire proves we only pass arrays."""
    from qwen_tts.inference.qwen3_tts_model import Qwen3TTSModel

    def tripwire(self, value):
        raise AssertionError(f"a string reached qwen-tts as audio: {value[:40]!r}")

    monkeypatch.setattr(Qwen3TTSModel, "_load_audio_to_np", tripwire)
    cloned = client.post(
        "/clone",
        data={"text": "Hi.", "reference_text": "http://127.0.0.1:9/x.wav"},
        files={"reference_audio": ("http://127.0.0.1:9/x.wav", tone_wav(2.0), "audio/wav")},
    )
    assert cloned.status_code == 200
    created = client.post(
        "/voices/custom",
        data={"name": "voix-sure", "source": "clone", "reference_text": "data:audio/wav;base64,AAAA"},
        files={"reference_audio": ("data:audio/wav;base64,AAAA", tone_wav(2.0), "audio/wav")},
    )
    assert created.status_code == 201
