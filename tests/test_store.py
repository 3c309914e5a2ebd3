"""The custom voice store on a temp dir: atomicity, recovery, lazy loading, other processes."""

import json
import multiprocessing
import os
import pickle
from pathlib import Path

import pytest
import torch

from tests.conftest import tone_wav
from tts_alex.audio import decode_audio
from tts_alex.errors import InvalidVoiceName, NativeVoiceProtected, VoiceDamaged, VoiceExists, VoiceNotFound
from tts_alex.store import CustomVoice, CustomVoiceStore, payload_to_prompt, prompt_to_payload

REFERENCE = decode_audio(tone_wav(2.0))


@pytest.fixture(scope="session")
def real_prompt(shared_engine) -> list:
    """Prompt items made by the real Base model on the tiny checkpoint."""
    return shared_engine.create_clone_prompt(reference=REFERENCE, reference_text="Bonjour.", model_size="1.7B")


@pytest.fixture(scope="session")
def prompt_file(real_prompt, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prompt") / "prompt.pt"
    torch.save(prompt_to_payload(real_prompt), path)
    return path


def open_store(root: Path, **kwargs) -> CustomVoiceStore:
    store = CustomVoiceStore(root, **kwargs)
    store.open()
    return store


def add(store: CustomVoiceStore, name: str, prompt: list) -> CustomVoice:
    return store.create(CustomVoice(name=name, source="clone", reference_text="Bonjour."), prompt, REFERENCE)


def index_names(root: Path) -> list[str]:
    return json.loads((root / "index.json").read_text())["voices"]


def test_prompt_round_trips_as_plain_tensors(real_prompt, tmp_path) -> None:
    path = tmp_path / "prompt.pt"
    torch.save(prompt_to_payload(real_prompt), path)
    items = payload_to_prompt(torch.load(path, weights_only=True))
    assert len(items) == len(real_prompt)
    for loaded, original in zip(items, real_prompt, strict=True):
        assert torch.equal(loaded.ref_spk_embedding, original.ref_spk_embedding.cpu())
        assert torch.equal(loaded.ref_code, original.ref_code.cpu())
        assert (loaded.icl_mode, loaded.x_vector_only_mode, loaded.ref_text) == (True, False, "Bonjour.")


def test_lazy_loading_and_restart(real_prompt, tmp_path) -> None:
    add(open_store(tmp_path), "narrateur-grave", real_prompt)
    reopened = open_store(tmp_path)
    assert [v.name for v in reopened.voices()] == ["narrateur-grave"]
    assert reopened.is_loaded("narrateur-grave") is False
    voice, items = reopened.load_prompt("narrateur-grave")
    assert voice.name == "narrateur-grave" and len(items) == 1
    assert reopened.is_loaded("narrateur-grave") is True


def test_lru_cap_on_loaded_prompts(real_prompt, tmp_path) -> None:
    writer = open_store(tmp_path)
    for name in ("voix-a", "voix-b", "voix-c"):
        add(writer, name, real_prompt)
    store = open_store(tmp_path, max_loaded_prompts=2)
    for name in ("voix-a", "voix-b", "voix-a", "voix-c"):
        store.load_prompt(name)
    assert [store.is_loaded(n) for n in ("voix-a", "voix-b", "voix-c")] == [True, False, True]


def test_names_checked_before_the_disk(real_prompt, tmp_path) -> None:
    store = open_store(tmp_path)
    for bad in ["..", "a/b", "Vivian", "sohee", "ab", "x y"]:
        with pytest.raises(InvalidVoiceName):
            add(store, bad, real_prompt)
    add(store, "Narrateur", real_prompt)
    with pytest.raises(VoiceExists):
        add(store, "NARRATEUR", real_prompt)
    with pytest.raises(NativeVoiceProtected):
        store.delete("uncle_fu")
    with pytest.raises(VoiceNotFound):
        store.delete("../index.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Narrateur",
        "index.json",
        "index.json.bak",
        "index.json.lock",
    ]


def test_index_backup_is_kept_before_each_change(real_prompt, tmp_path) -> None:
    store = open_store(tmp_path)
    add(store, "voix-a", real_prompt)
    add(store, "voix-b", real_prompt)
    assert json.loads((tmp_path / "index.json.bak").read_text())["voices"] == ["voix-a"]
    store.delete("voix-a")
    assert json.loads((tmp_path / "index.json.bak").read_text())["voices"] == ["voix-a", "voix-b"]
    assert index_names(tmp_path) == ["voix-b"]


@pytest.mark.parametrize("damage", ["corrupt", "missing", "corrupt-without-backup"])
def test_recovers_from_a_bad_index(real_prompt, tmp_path, damage: str) -> None:
    store = open_store(tmp_path)
    for name in ("voix-a", "voix-b", "voix-c"):
        add(store, name, real_prompt)
    index = tmp_path / "index.json"
    if damage == "missing":
        index.unlink()
    else:
        index.write_text('{"version": "1.0", "voices": ["voix-a", ')
    if damage == "corrupt-without-backup":
        (tmp_path / "index.json.bak").unlink()
    recovered = open_store(tmp_path)
    assert sorted(v.name for v in recovered.voices()) == ["voix-a", "voix-b", "voix-c"]
    assert sorted(index_names(tmp_path)) == ["voix-a", "voix-b", "voix-c"]
    assert any("index.json" in w for w in recovered.warnings)
    assert recovered.load_prompt("voix-c")[0].name == "voix-c"


def test_leftovers_of_interrupted_writes_are_cleaned(real_prompt, tmp_path) -> None:
    store = open_store(tmp_path)
    add(store, "voix-a", real_prompt)
    (tmp_path / ".tmp-voix-b-1234").mkdir()
    (tmp_path / ".tmp-voix-b-1234" / "meta.json").write_text("{}")
    (tmp_path / ".trash-voix-c-5678").mkdir()
    (tmp_path / ".tmp-index.json.abcd").write_text("{")
    reopened = open_store(tmp_path)
    assert [v.name for v in reopened.voices()] == ["voix-a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json", "index.json.bak", "index.json.lock", "voix-a"]


def test_damaged_voice_is_reported_without_taking_others_down(real_prompt, tmp_path) -> None:
    store = open_store(tmp_path)
    for name in ("voix-ok", "voix-meta", "voix-prompt"):
        add(store, name, real_prompt)
    (tmp_path / "voix-meta" / "meta.json").write_text("not json")
    (tmp_path / "voix-prompt" / "prompt.pt").write_bytes(b"garbage")
    reopened = open_store(tmp_path)
    assert sorted(v.name for v in reopened.voices()) == ["voix-meta", "voix-ok", "voix-prompt"]
    assert reopened.details("voix-meta")["status"] == "damaged"
    assert "meta.json" in reopened.details("voix-meta")["problem"]
    with pytest.raises(VoiceDamaged):
        reopened.load_prompt("voix-prompt")
    assert reopened.details("voix-prompt")["status"] == "damaged"
    assert reopened.load_prompt("voix-ok")[0].name == "voix-ok"
    reopened.delete("voix-meta")  # a damaged voice can still be removed
    assert sorted(index_names(tmp_path)) == ["voix-ok", "voix-prompt"]


def test_prompt_pickle_never_executes(tmp_path, real_prompt) -> None:
    """A hostile prompt.pt (a pickle with code) is refused by weights_only loading."""
    add(open_store(tmp_path), "voix-piege", real_prompt)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with open(tmp_path / "voix-piege" / "prompt.pt", "wb") as handle:
        pickle.dump({"format_version": 1, "items": [Evil()]}, handle)
    store = open_store(tmp_path)
    with pytest.raises(VoiceDamaged):
        store.load_prompt("voix-piege")
    assert not marker.exists()


def test_sees_changes_made_by_another_store_without_restart(real_prompt, tmp_path) -> None:
    ours, theirs = open_store(tmp_path), open_store(tmp_path)
    add(theirs, "voix-ailleurs", real_prompt)
    assert [v.name for v in ours.voices()] == ["voix-ailleurs"]
    ours.load_prompt("voix-ailleurs")
    theirs.delete("voix-ailleurs")
    assert ours.voices() == [] and ours.find("voix-ailleurs") is None
    assert ours.is_loaded("voix-ailleurs") is False


def _create_many(root: str, prompt_path: str, prefix: str, count: int, ready) -> list[str]:
    from tts_alex.audio import decode_audio as decode
    from tts_alex.errors import VoiceExists as Exists
    from tts_alex.store import CustomVoice as Voice
    from tts_alex.store import CustomVoiceStore as Store
    from tts_alex.store import payload_to_prompt as to_prompt

    prompt = to_prompt(torch.load(prompt_path, weights_only=True))
    reference = decode(tone_wav(1.5))
    store = Store(Path(root))
    store.open()
    ready.wait()
    outcomes = []
    for i in range(count):
        for name in (f"{prefix}-{i}", f"commun-{i}"):
            try:
                store.create(Voice(name=name, source="clone"), prompt, reference)
                outcomes.append(name)
            except Exists:
                pass
    return outcomes


def test_two_processes_creating_at_once_lose_nothing(prompt_file, tmp_path) -> None:
    context = multiprocessing.get_context("spawn")
    open_store(tmp_path)
    with context.Manager() as manager:
        ready = manager.Event()
        with context.Pool(2) as pool:
            jobs = [
                pool.apply_async(_create_many, (str(tmp_path), str(prompt_file), prefix, 8, ready))
                for prefix in ("alpha", "beta")
            ]
            ready.set()
            created = [job.get(timeout=300) for job in jobs]
    names = index_names(tmp_path)
    expected = {f"alpha-{i}" for i in range(8)} | {f"beta-{i}" for i in range(8)} | {f"commun-{i}" for i in range(8)}
    assert sorted(names) == sorted(expected)
    assert sorted(created[0] + created[1]) == sorted(expected)  # each shared name won by exactly one
    for name in names:
        assert (tmp_path / name / "prompt.pt").is_file() and (tmp_path / name / "meta.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_missing_prompt_file_is_damage_not_absence(real_prompt, tmp_path) -> None:
    store = open_store(tmp_path)
    add(store, "voix-vide", real_prompt)
    reopened = open_store(tmp_path)
    (tmp_path / "voix-vide" / "prompt.pt").unlink()
    with pytest.raises(VoiceDamaged):
        reopened.load_prompt("voix-vide")
    assert reopened.details("voix-vide")["status"] == "damaged"
    assert reopened.delete("voix-vide") == "voix-vide"


def test_directories_missing_from_the_index_are_adopted_oldest_first(real_prompt, tmp_path) -> None:
    store = open_store(tmp_path)
    for second, name in enumerate(("voix-c", "voix-a", "voix-b")):
        voice = CustomVoice(name=name, source="clone", created_at=f"2026-01-27T19:30:0{second}Z")
        store.create(voice, real_prompt, REFERENCE)
    (tmp_path / "index.json").write_text('{"version": "1.0", "voices": []}')
    (tmp_path / "index.json.bak").unlink()
    reopened = open_store(tmp_path)
    assert [v.name for v in reopened.voices()] == ["voix-c", "voix-a", "voix-b"]
    assert len(reopened.warnings) == 1 and "3 voice(s)" in reopened.warnings[0]
