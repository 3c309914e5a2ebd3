"""Health, languages, native voices, API docs."""

from fastapi.testclient import TestClient

NATIVE_NAMES = ["Vivian", "Serena", "Uncle_Fu", "Dylan", "Eric", "Ryan", "Aiden", "Ono_Anna", "Sohee"]


def test_health_reports_device_models_and_versions(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["device"] == "cpu" and body["dtype"] == "float32"
    assert "custom_voice" in body["models_loaded"]
    assert set(body["models_configured"]) == {"custom_voice", "voice_design", "base_1.7b", "base_0.6b"}
    assert body["versions"]["qwen-tts"] == "0.1.1"
    assert body["versions"]["torch"].startswith("2.11")


def test_voices_lists_the_nine_natives_with_prd_fields(client: TestClient) -> None:
    body = client.get("/voices").json()
    assert [v["name"] for v in body["voices"]] == NATIVE_NAMES
    assert body["count"] == 9 and body["native_count"] == 9 and body["custom_count"] == 0
    vivian = body["voices"][0]
    assert vivian == {
        "name": "Vivian",
        "type": "native",
        "gender": "Femme",
        "native_lang": "Chinois",
        "description": "Voix féminine jeune, vive et légèrement incisive",
        "native_lang_code": "zh",
    }


def test_languages_lists_codes_and_auto(client: TestClient) -> None:
    body = client.get("/languages").json()
    codes = [row["code"] for row in body["languages"]]
    assert codes == ["auto", "zh", "en", "ja", "ko", "de", "fr", "ru", "pt", "es", "it"]
    assert {"code": "fr", "name": "French"} in body["languages"]


def test_docs_document_every_field(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    for path in ["/preset", "/preset/instruct", "/design", "/clone", "/voices/custom"]:
        ref = schema["paths"][path]["post"]["requestBody"]["content"]
        body_schema = next(iter(ref.values()))["schema"]["$ref"].split("/")[-1]
        properties = schema["components"]["schemas"][body_schema]["properties"]
        undocumented = [name for name, prop in properties.items() if not prop.get("description")]
        assert not undocumented, f"{path}: {undocumented}"
