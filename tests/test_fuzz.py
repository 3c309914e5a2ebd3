"""Fuzz the whole HTTP API from its own OpenAPI schema with schemathesis (issue 6).

Every operation of `/openapi.json` gets schema-driven requests, valid and invalid (schemathesis's examples,
coverage and fuzzing phases, positive and negative data: control characters, huge numbers, wrong types,
missing fields, odd path parameters, unexpected methods), sent in-process to the real app on the tiny
checkpoints with a fresh voice library holding one custom voice. For every request:

- no 5xx, ever (a 500 "Speech generation failed" on random-but-valid input is a bug too);
- every 4xx body says what is wrong: `detail`, or OpenAI's `{"error": {"message", ...}}` on /v1 routes;
- the response conforms to the schema where schemathesis can tell (documented bodies and content types,
  405 + Allow for unexpected methods, invalid data rejected);
- a rejected request (4xx) leaves every file of the voice library byte-for-byte unchanged.

Undocumented status codes are collected and printed, not failed on. `test_fuzz_totals` (last) prints the
examples run per operation and fails if fewer than MIN_TOTAL_EXAMPLES requests ran in all.
"""

import copy
import json
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
)

from tests.conftest import make_settings, tone_wav
from tts_alex.app import create_app
from tts_alex.audio import FORMATS
from tts_alex.engine import Engine
from tts_alex.languages import language_table
from tts_alex.natives import NATIVE_VOICES
from tts_alex.routes.openai import OPENAI_MODELS

# Hypothesis examples per operation and generation mode in the fuzzing phase (the examples and coverage
# phases add their own deterministic cases). A valid synthesis request is a real generation (0.1-0.9 s).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
# The same for the "valid names" pass (positive data only, each request most likely a generation).
MAX_VALID_EXAMPLES = int(os.environ.get("FUZZ_MAX_VALID_EXAMPLES", "6"))
# The whole run must have sent at least this many requests, so it cannot silently test nothing.
MIN_TOTAL_EXAMPLES = 400
# Fixed seed: the same requests on every run (FUZZ_SEED=... explores further, FUZZ_MAX_EXAMPLES=... longer).
SEED = int(os.environ.get("FUZZ_SEED", "20260601"))
SEED_VOICE = "voix-fuzz"
API_KEY = "fuzz-api-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def fuzz_schema(raw: dict[str, Any]) -> dict[str, Any]:
    """The app's schema plus examples, so the examples phase reaches the success paths too."""
    raw = copy.deepcopy(raw)
    for operation in raw["paths"].get("/voices/custom/{name}", {}).values():
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "name":
                parameter["example"] = SEED_VOICE
    create = raw["paths"].get("/voices/custom", {}).get("post", {})
    form = create.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if form is not None:
        form["example"] = {"name": "voix-exemple", "source": "design", "voice_description": "Une voix grave."}
    return raw


# The schema is the app's own, taken without starting it (no lifespan, no models); each test sends its
# requests to its own app, in-process. (`schemathesis.pytest.from_fixture` would be the natural loader, but
# schemathesis 4.32.5's lazy schemas set `request.node._nodeid`, which pytest 9.2 no longer has.)
RAW_SCHEMA = fuzz_schema(create_app().openapi())
# The routes declare TTS_ALEX_API_KEY's bearer scheme: the fuzzed app sets a key and schemathesis sends it
# (and also tries requests without it, which must get a 401).
BEARER_SCHEMES = [
    name
    for name, scheme in RAW_SCHEMA.get("components", {}).get("securitySchemes", {}).items()
    if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
]
AUTH_CONFIG = {"auth": {"openapi": {name: {"bearer": API_KEY} for name in BEARER_SCHEMES}}} if BEARER_SCHEMES else {}
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "request-timeout": 120,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        **AUTH_CONFIG,
    }
)
schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=CONFIG)


def body_properties(raw: dict[str, Any], path: str) -> dict[str, Any]:
    """The (mutable) properties of the request body schema of POST `path`, or {}."""
    content = raw["paths"].get(path, {}).get("post", {}).get("requestBody", {}).get("content", {})
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        target = raw["components"]["schemas"].get(ref.rsplit("/", 1)[-1], media.get("schema", {}))
        return target.get("properties", {})
    return {}


def enum(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(dict.fromkeys(values))}


def valid_names_schema(raw: dict[str, Any]) -> dict[str, Any]:
    """The synthesis routes with their name-like fields narrowed to names the server knows.

    Random voice, model, language and format names are rejected up front (404/400), so plain fuzzing seldom
    reaches the models; here only the free fields (text, instruction, description, speed, stream...) are
    random, and nearly every request is a real generation: a 5xx there is a generation or encoding bug.
    """
    raw = copy.deepcopy(raw)
    natives = [v.name for v in NATIVE_VOICES]
    voices = [*natives, "vivian", "UNCLE_FU", SEED_VOICE, SEED_VOICE.upper()]
    languages = [row["code"] for row in language_table()] + [row["name"] for row in language_table()] + ["FR"]
    formats = list(FORMATS)
    narrowed = {
        "/preset": {"voice": enum(voices), "language": enum(languages), "format": enum(formats)},
        "/preset/instruct": {"voice": enum(natives), "language": enum(languages), "format": enum(formats)},
        "/design": {"language": enum(languages), "format": enum(formats)},
        "/v1/audio/speech": {
            "model": enum(list(OPENAI_MODELS)),
            "voice": enum([*voices, "alloy", "Nova"]),
            "language": enum(languages),
            "response_format": enum(formats),
        },
    }
    # Free text stays random but short and non-empty (an empty form field is "missing" to FastAPI: 422), so
    # each request costs one short generation.
    short_text = {"type": "string", "minLength": 1, "maxLength": 12}
    for path, fields in narrowed.items():
        properties = body_properties(raw, path)
        for name in ("text", "input", "instruct", "voice_description"):
            if name in properties and name not in fields:
                fields[name] = short_text
        for name, field_schema in fields.items():
            if name in properties:
                properties[name] = {**field_schema, "description": properties[name].get("description", "")}
    raw["paths"] = {path: item for path, item in raw["paths"].items() if path in narrowed}
    return raw


VALID_NAMES_CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "request-timeout": 120,
        "generation": {"mode": "positive", "max-examples": MAX_VALID_EXAMPLES},
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        **AUTH_CONFIG,
    }
)
valid_names = schemathesis.openapi.from_dict(valid_names_schema(RAW_SCHEMA), config=VALID_NAMES_CONFIG)

# Built-in checks run on every response; status_code_conformance is left out on purpose (the routes document
# only some of their statuses): undocumented codes are collected and printed instead. negative_data_rejection is
# left out too: form fields arrive as text and FastAPI coerces scalars by design (`stream=0`, `speed=1`, which
# curl users send), which that check counts as accepting invalid data. Bad input is still held to the checks
# that matter here: never a 5xx, every 4xx explains itself, and a rejected request changes nothing on disk.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    unsupported_method,
]


def store_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the voice library (except the lock sidecar) with its content."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "index.json.lock"
    }


def diff_snapshots(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """Human-readable differences between two store snapshots."""
    changes = [f"added {p}" for p in after.keys() - before.keys()]
    changes += [f"removed {p}" for p in before.keys() - after.keys()]
    changes += [f"modified {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    return sorted(changes)


def documented(status: int, documented_codes: list[str]) -> bool:
    """Whether the schema lists `status` for the operation (exactly, as NXX, or as default)."""
    return any(code in documented_codes for code in (str(status), f"{status // 100}XX", "default"))


@dataclass
class Tally:
    """What the fuzzer sent and got back, per operation."""

    examples: Counter = field(default_factory=Counter)
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    phases: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    undocumented: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    seconds: Counter = field(default_factory=Counter)
    seed_recreated: int = 0

    @property
    def total(self) -> int:
        return sum(self.examples.values())

    def report(self) -> str:
        lines = [f"schemathesis {schemathesis.__version__}: requests per operation [phase/mode] and statuses"]
        for label in sorted(self.examples):
            statuses = " ".join(f"{code}x{n}" for code, n in sorted(self.statuses[label].items()))
            phases = " ".join(f"{name}={n}" for name, n in sorted(self.phases[label].items()))
            lines.append(f"  {label:<30} {self.examples[label]:>4} {self.seconds[label]:6.1f}s  [{phases}]  {statuses}")
        lines.append(f"  {'TOTAL':<30} {self.total:>4}  (seed voice deleted and recreated {self.seed_recreated}x)")
        if self.undocumented:
            lines.append("  undocumented status codes:")
            lines += [f"    {label}: {sorted(codes)}" for label, codes in sorted(self.undocumented.items())]
        return "\n".join(lines)


@dataclass
class FuzzTarget:
    app: FastAPI
    voices_dir: Path


def seed_voice(app: FastAPI) -> None:
    """Save SEED_VOICE (clone of a 2 s recording) through the API itself, inside the running app."""
    # The upload goes as explicit transport arguments: schemathesis sends the schema's optional
    # `reference_audio` (anyOf [binary, null]) as a plain form field, never as a file.
    response = (
        schema["/voices/custom"]["POST"]
        .Case()
        .call(
            app=app,
            headers=AUTH,
            data={"name": SEED_VOICE, "source": "clone", "reference_text": "Bonjour."},
            files={"reference_audio": ("seed.wav", tone_wav(2.0), "audio/wav")},
        )
    )
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


@pytest.fixture
def fuzz_target(tmp_path: Path, tiny_dir: Path, shared_engine: Engine) -> FuzzTarget:
    """The real app on the tiny models with a fresh voice library holding SEED_VOICE.

    The first request starts the app's lifespan; schemathesis's pytest plugin ends it after the test.
    """
    # Random weights seldom stop early: every generation runs to its max_new_tokens bound. The ceiling (4 s of
    # audio) keeps the run time predictable; the fuzzed texts are short anyway.
    overrides: dict[str, Any] = {"max_new_tokens_ceiling": 48}
    if BEARER_SCHEMES:
        overrides["api_key"] = API_KEY
    app_settings = make_settings(tmp_path, tiny_dir, **overrides)
    app = create_app(app_settings, engine=shared_engine)
    seed_voice(app)
    return FuzzTarget(app, app_settings.voices_dir)


def check_error_body(case: schemathesis.Case, response: schemathesis.Response) -> None:
    """A 4xx says what is wrong: `detail` (FastAPI/domain errors), or OpenAI's error object on /v1."""
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    try:
        body = json.loads(response.content)
    except ValueError:
        pytest.fail(f"{where}: the error body is not JSON: {response.content[:300]!r}")
    assert isinstance(body, dict), f"{where}: the error body is not an object: {body!r}"
    if case.operation.path.startswith("/v1/"):
        error = body.get("error")
        assert isinstance(error, dict), f"{where}: no OpenAI `error` object: {body!r}"
        assert isinstance(error.get("message"), str) and error["message"], f"{where}: no error.message: {body!r}"
        assert {"message", "type", "param", "code"} <= error.keys(), f"{where}: incomplete OpenAI error: {body!r}"
    else:
        assert body.get("detail"), f"{where}: no `detail`: {body!r}"


def exercise(case: schemathesis.Case, target: FuzzTarget, tally: Tally, label: str) -> None:
    """Send one generated request and check everything the issue asks for."""
    app = target.app
    before = store_snapshot(target.voices_dir)
    started = time.perf_counter()
    response = case.call(app=app)
    tally.seconds[label] += time.perf_counter() - started
    status = response.status_code

    tally.examples[label] += 1
    tally.statuses[label][status] += 1
    if case.meta is not None:
        tally.phases[label][f"{case.meta.phase.name.value}/{case.meta.generation.mode.value}"] += 1
    if not documented(status, list(case.operation.responses.status_codes)):
        tally.undocumented[case.operation.label].add(status)

    assert status < 500, (
        f"{case.method} {case.formatted_path} -> {status} {response.content[:500]!r}\n{case.as_curl_command()}"
    )
    case.validate_response(response, checks=CHECKS, transport_kwargs={"app": app})
    if 400 <= status < 500:
        check_error_body(case, response)
        changes = diff_snapshots(before, store_snapshot(target.voices_dir))
        assert not changes, f"rejected request changed the voice store: {changes}\n{case.as_curl_command()}"
    elif case.method == "DELETE" and status == 200 and response.json().get("name", "").lower() == SEED_VOICE:
        # A valid deletion of the seed voice: bring it back for the requests that follow.
        seed_voice(app)
        tally.seed_recreated += 1


FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "phases": [Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **FUZZ_SETTINGS)
def test_api_fuzz(case: schemathesis.Case, fuzz_target: FuzzTarget, tally: Tally) -> None:
    """Every operation, positive and negative data, all phases."""
    exercise(case, fuzz_target, tally, case.operation.label)


@valid_names.parametrize()
@settings(max_examples=MAX_VALID_EXAMPLES, **FUZZ_SETTINGS)
def test_api_fuzz_valid_names(case: schemathesis.Case, fuzz_target: FuzzTarget, tally: Tally) -> None:
    """Synthesis with known voice/model/language/format names, random free fields: real generations."""
    exercise(case, fuzz_target, tally, f"{case.operation.label} (valid names)")


def test_fuzz_totals(tally: Tally, capsys: pytest.CaptureFixture) -> None:
    """Runs after the fuzz tests above: print what they sent, and fail if they sent too little."""
    with capsys.disabled():
        print("\n" + tally.report())
    assert tally.total >= MIN_TOTAL_EXAMPLES, (
        f"only {tally.total} fuzz requests ran (expected at least {MIN_TOTAL_EXAMPLES}; run the whole file)\n"
        + tally.report()
    )
