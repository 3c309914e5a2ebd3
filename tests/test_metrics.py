"""GET /metrics in Prometheus text format."""

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import tone_wav


def samples(client: TestClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_count_requests_generations_audio_and_state(client: TestClient) -> None:
    assert client.post("/preset", data={"text": "Bonjour.", "voice": "Vivian"}).status_code == 200
    assert client.post("/preset", data={"text": "Bonjour.", "voice": "Nobody"}).status_code == 404
    created = client.post(
        "/voices/custom",
        data={"name": "voix-metrique", "source": "clone", "reference_text": "Bonjour."},
        files={"reference_audio": ("a.wav", tone_wav(2.0), "audio/wav")},
    )
    assert created.status_code == 201
    values = samples(client)
    assert values[("tts_alex_requests_total", (("method", "POST"), ("route", "/preset"), ("status", "200")))] == 1
    assert values[("tts_alex_requests_total", (("method", "POST"), ("route", "/preset"), ("status", "404")))] == 1
    assert values[("tts_alex_generation_duration_seconds_count", (("kind", "custom_voice"),))] >= 1
    assert values[("tts_alex_audio_seconds_total", (("kind", "custom_voice"),))] > 0.3
    assert values[("tts_alex_real_time_factor_count", ())] >= 1
    assert values[("tts_alex_queue_depth", ())] == 0
    assert values[("tts_alex_models_loaded", (("kind", "custom_voice"),))] == 1
    assert values[("tts_alex_custom_voices", ())] == 1
    assert client.get("/voices/custom/anything-at-all").status_code == 404
    routes = {labels for (name, labels) in samples(client) if name == "tts_alex_requests_total"}
    assert (("method", "GET"), ("route", "/voices/custom/{name}"), ("status", "404")) in routes  # templates only
