"""Persistence across a real restart of the server process (PRD section 11, test 4)."""

import json

from tests.conftest import tone_wav
from tests.server import ServerProcess


def test_custom_voice_survives_restart_and_loads_lazily(tmp_path, tiny_dir) -> None:
    server = ServerProcess(tmp_path, tiny_dir).start()
    try:
        with server.client() as http:
            created = http.post(
                "/voices/custom",
                data={
                    "name": "voix-test",
                    "source": "clone",
                    "description": "Voix de test",
                    "reference_text": "Ceci est un test.",
                    "model": "1.7B",
                },
                files={"reference_audio": ("test_clone.wav", tone_wav(2.0), "audio/wav")},
            )
            assert created.status_code == 201, created.text
    finally:
        server.stop()
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit code is -15: check the log instead.
    assert "Application shutdown complete" in server.log()
    assert "0 voix personnalisées chargées" in server.log()

    restarted = ServerProcess(tmp_path, tiny_dir)
    restarted.port, restarted.url = server.port, server.url
    restarted.start()
    try:
        assert "1 voix personnalisées chargées" in restarted.log()
        with restarted.client() as http:
            listing = http.get("/voices").json()
            assert [v["name"] for v in listing["voices"] if v["type"] == "custom"] == ["voix-test"]
            assert http.get("/voices/custom/voix-test").json()["loaded"] is False
            spoken = http.post("/preset", data={"text": "Bonjour avec ma voix personnalisée.", "voice": "voix-test"})
            assert spoken.status_code == 200 and spoken.headers["content-type"] == "audio/wav"
            assert http.get("/voices/custom/voix-test").json()["loaded"] is True
            assert http.delete("/voices/custom/voix-test").json() == {"status": "deleted", "name": "voix-test"}
    finally:
        restarted.stop()
    assert json.loads((tmp_path / "voices" / "custom" / "index.json").read_text())["voices"] == []
