"""The PRD's custom voice contract (sections 3, 9 and 11) through the real app on tiny checkpoints."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import decode, tone_wav
from tts_alex.engine import ModelKind


def create_clone(client: TestClient, name: str = "voix-test", **extra: str):
    data = {
        "name": name,
        "source": "clone",
        "description": "Voix de test",
        "reference_text": "Ceci est un test.",
        "model": "1.7B",
        **extra,
    }
    return client.post(
        "/voices/custom", data=data, files={"reference_audio": ("test_clone.wav", tone_wav(2.0), "audio/wav")}
    )


def store_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the store (except the lock sidecar) with its content."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "index.json.lock"
    }


# ---- section 11, test 1: name validation ---------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "Vivian",
        "vivian",
        "VIVIAN",
        "voix/test",
        "..",
        ".",
        "../../etc",
        "voix test",
        "voix\\test",
        "voix_test",
        "é-voix",
        "voix\ttab",
        "a" * 51,
        "voix\x00nul",
        "Uncle_Fu",
        "ono_anna",
    ],
)
def test_invalid_or_reserved_name_is_400_and_touches_nothing(client: TestClient, settings, name: str) -> None:
    before = store_snapshot(settings.custom_voices_dir)
    response = client.post("/voices/custom", data={"name": name, "source": "clone"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Nom invalide")
    assert store_snapshot(settings.custom_voices_dir) == before


def test_missing_parameters_are_400_before_any_model_work(client: TestClient, settings, shared_engine) -> None:
    cases = [
        ({"name": "voix-ok"}, "source"),
        ({"name": "voix-ok", "source": "sing"}, "source"),
        ({"name": "voix-ok", "source": "clone", "reference_text": "Bonjour."}, "reference_audio"),
        ({"name": "voix-ok", "source": "design"}, "voice_description"),
        ({"name": "voix-ok", "source": "design", "voice_description": "x", "description": "d" * 201}, "200"),
    ]
    for data, expected in cases:
        response = client.post("/voices/custom", data=data)
        assert response.status_code == 400, data
        assert expected in response.json()["detail"], data
    response = client.post(
        "/voices/custom",
        data={"name": "voix-ok", "source": "clone"},
        files={"reference_audio": ("a.wav", tone_wav(), "audio/wav")},
    )
    assert response.status_code == 400 and "reference_text" in response.json()["detail"]
    response = create_clone(client, "voix-ok", model="3B")
    assert response.status_code == 400 and "model" in response.json()["detail"]
    assert client.get("/voices").json()["custom_count"] == 0
    assert not (settings.custom_voices_dir / "voix-ok").exists()


# ---- section 11, tests 2-3 and 5-6: create, list, use, details, delete --------------------------
def test_create_clone_voice_then_list_use_details_delete(client: TestClient, settings) -> None:
    response = create_clone(client)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "created"
    voice = body["voice"]
    assert {k: voice[k] for k in ("name", "type", "source", "description")} == {
        "name": "voix-test",
        "type": "custom",
        "source": "clone",
        "description": "Voix de test",
    }
    assert voice["created_at"].endswith("Z")

    directory = settings.custom_voices_dir / "voix-test"
    assert {p.name for p in directory.iterdir()} == {"meta.json", "prompt.pt", "reference.wav"}
    meta = json.loads((directory / "meta.json").read_text())
    assert meta["name"] == "voix-test" and meta["model"] == "1.7B" and meta["prompt_file"] == "prompt.pt"
    assert meta["model_id"] and meta["prompt_format_version"] == 1
    index = json.loads((settings.custom_voices_dir / "index.json").read_text())
    assert index["version"] == "1.0" and index["voices"] == ["voix-test"] and index["updated_at"].endswith("Z")

    listing = client.get("/voices").json()
    assert (listing["count"], listing["native_count"], listing["custom_count"]) == (10, 9, 1)
    assert listing["voices"][-1]["type"] == "custom" and listing["voices"][-1]["name"] == "voix-test"

    spoken = client.post("/preset", data={"text": "Bonjour avec ma voix personnalisée.", "voice": "voix-test"})
    assert spoken.status_code == 200, spoken.text
    samples, rate = decode(spoken.content)
    assert rate == 24_000 and samples.size > 0

    details = client.get("/voices/custom/voix-test").json()
    assert details["model"] == "1.7B" and details["source"] == "clone"
    assert details["file_size_bytes"] == (directory / "prompt.pt").stat().st_size > 0
    assert details["loaded"] is True and details["status"] == "ok"

    deleted = client.delete("/voices/custom/voix-test")
    assert deleted.status_code == 200
    assert deleted.json() == {"status": "deleted", "name": "voix-test"}
    assert not directory.exists()
    assert [p.name for p in settings.custom_voices_dir.iterdir() if not p.name.startswith("index.json")] == []
    assert client.get("/voices").json()["custom_count"] == 0
    assert client.post("/preset", data={"text": "Hi.", "voice": "voix-test"}).status_code == 404


def test_create_design_voice_and_use_it(client: TestClient, settings) -> None:
    response = client.post(
        "/voices/custom",
        data={
            "name": "voix-robot",
            "source": "design",
            "description": "Voix robotique pour les annonces système",
            "voice_description": "A robotic, monotone voice with mechanical undertones",
            "language": "fr",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["voice"]["source"] == "design"
    details = client.get("/voices/custom/voix-robot").json()
    assert details["language"] == "fr" and details["voice_description"].startswith("A robotic")
    assert details["reference_text"]
    reference, rate = decode((settings.custom_voices_dir / "voix-robot" / "reference.wav").read_bytes())
    assert rate == 24_000 and reference.size > 0
    assert client.post("/preset", data={"text": "Annonce.", "voice": "voix-robot"}).status_code == 200


def test_names_are_case_insensitive(client: TestClient) -> None:
    assert create_clone(client, "Narrateur").status_code == 201
    clash = create_clone(client, "narrateur")
    assert clash.status_code == 400
    assert "Narrateur" in clash.json()["detail"]
    assert client.get("/voices/custom/NARRATEUR").json()["name"] == "Narrateur"
    assert client.post("/preset", data={"text": "Hi.", "voice": "narrateur"}).status_code == 200
    assert client.delete("/voices/custom/nArRaTeUr").json() == {"status": "deleted", "name": "Narrateur"}


def test_duplicate_name_is_400(client: TestClient) -> None:
    assert create_clone(client, "voix-unique").status_code == 201
    response = create_clone(client, "voix-unique")
    assert response.status_code == 400
    assert "existe déjà" in response.json()["detail"]


def test_delete_native_voice_is_403(client: TestClient) -> None:
    response = client.delete("/voices/custom/Serena")
    assert response.status_code == 403
    assert response.json()["detail"] == "Impossible de supprimer la voix native 'Serena'"


@pytest.mark.parametrize("name", ["inexistante", "...", "a", "x" * 60, "voix%20test", "voix%00"])
def test_delete_or_get_unknown_voice_is_404(client: TestClient, name: str) -> None:
    assert client.delete(f"/voices/custom/{name}").status_code == 404
    response = client.get(f"/voices/custom/{name}")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("Voix non trouvée")


def test_instruct_with_custom_voice_is_400(client: TestClient) -> None:
    assert create_clone(client, "voix-calme").status_code == 201
    response = client.post("/preset/instruct", data={"text": "Hi.", "voice": "voix-calme", "instruct": "Whisper."})
    assert response.status_code == 400
    assert "Base model" in response.json()["detail"]


def test_clone_with_0_6b_is_recorded_and_used(client: TestClient) -> None:
    assert create_clone(client, "voix-legere", model="0.6B").status_code == 201
    assert client.get("/voices/custom/voix-legere").json()["model"] == "0.6B"
    assert client.post("/preset", data={"text": "Hi.", "voice": "voix-legere"}).status_code == 200


def test_generation_failure_is_500_and_leaves_nothing(client: TestClient, settings) -> None:
    """A reference the codec cannot encode makes the real model raise: 500, short detail, no files."""
    before = store_snapshot(settings.custom_voices_dir)
    base = client.app.state.engine.model(ModelKind.BASE_1_7B)
    original = base.model.speech_tokenizer
    base.model.speech_tokenizer = None  # the real create_voice_clone_prompt now fails inside qwen-tts
    try:
        response = create_clone(client, "voix-echec")
    finally:
        base.model.speech_tokenizer = original
    assert response.status_code == 500
    assert response.json() == {"detail": "Voice cloning failed while reading the reference; see the server log."}
    assert store_snapshot(settings.custom_voices_dir) == before
    assert create_clone(client, "voix-apres").status_code == 201


def test_errors_name_the_field_at_fault(client: TestClient) -> None:
    """Clients (the studio page) show each error next to its field."""
    cases = [
        ({"name": "ab", "source": "clone"}, "name"),
        ({"name": "voix-ok", "source": "sing"}, "source"),
        ({"name": "voix-ok", "source": "design"}, "voice_description"),
        ({"name": "voix-ok", "source": "design", "voice_description": "x", "language": "xx"}, "language"),
        ({"name": "voix-ok", "source": "clone", "reference_text": "Bonjour."}, "reference_audio"),
    ]
    for data, field in cases:
        response = client.post("/voices/custom", data=data)
        assert response.status_code == 400
        assert response.json()["field"] == field, data
    short = client.post(
        "/voices/custom",
        data={"name": "voix-ok", "source": "clone", "reference_text": "Bonjour."},
        files={"reference_audio": ("a.wav", tone_wav(0.3), "audio/wav")},
    )
    assert short.status_code == 400 and short.json()["field"] == "reference_audio"
    assert "between 1 and 60 seconds" in short.json()["detail"]


def test_a_second_server_on_the_same_library_sees_changes_without_restart(client: TestClient, settings) -> None:
    from tts_alex.app import create_app

    with TestClient(create_app(settings, engine=client.app.state.engine)) as other:
        assert create_clone(other, "voix-partagee").status_code == 201
        assert [v["name"] for v in client.get("/voices").json()["voices"] if v["type"] == "custom"] == ["voix-partagee"]
        assert client.post("/preset", data={"text": "Bonjour.", "voice": "voix-partagee"}).status_code == 200
        assert client.delete("/voices/custom/voix-partagee").status_code == 200
        assert other.get("/voices").json()["custom_count"] == 0
        assert other.post("/preset", data={"text": "Bonjour.", "voice": "voix-partagee"}).status_code == 404
