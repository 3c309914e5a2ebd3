"""Engine: device choice, lazy loading exactly once, bounded generation, failures."""

import threading

import pytest
import torch

from tests.conftest import make_settings
from tts_alex.engine import Engine, ModelKind, choose_device, load_qwen_model, model_sources
from tts_alex.errors import ModelUnavailable


def test_auto_device_on_this_machine_is_cpu_float32_sdpa() -> None:
    choice = choose_device("auto", "auto")
    assert (choice.device, choice.dtype, choice.attn_implementation) == ("cpu", torch.float32, "sdpa")


def test_cuda_defaults_to_bfloat16_and_mps_to_float32() -> None:
    assert choose_device("cuda", "auto").dtype == torch.bfloat16
    assert choose_device("cuda", "auto").device == "cuda:0"
    assert choose_device("mps", "auto").dtype == torch.float32
    assert choose_device("cpu", "float16").dtype == torch.float16


def test_max_new_tokens_grows_with_text_and_is_capped(tmp_path, tiny_dir) -> None:
    engine = Engine(make_settings(tmp_path, tiny_dir, max_new_tokens_ceiling=500), {})
    short, longer = engine.max_new_tokens("Bonjour."), engine.max_new_tokens("Bonjour. " * 20)
    assert 12 * 3 < short < longer <= 500
    assert engine.max_new_tokens("x" * 10_000) == 500
    # CJK characters are syllables: they get more time each than Latin letters.
    assert engine.max_new_tokens("你好世界你好世界") > engine.max_new_tokens("abcdefgh")


def test_lazy_model_loads_once_under_concurrent_first_use(tmp_path, tiny_dir) -> None:
    settings = make_settings(tmp_path, tiny_dir)
    engine = Engine(settings, model_sources(settings))
    assert not engine.is_loaded(ModelKind.VOICE_DESIGN)
    barrier = threading.Barrier(3)
    models = []

    def first_use() -> None:
        barrier.wait()
        models.append(engine.model(ModelKind.VOICE_DESIGN))

    threads = [threading.Thread(target=first_use) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert engine.load_counts[ModelKind.VOICE_DESIGN] == 1
    assert len(models) == 3 and all(m is models[0] for m in models)


def test_unloadable_model_raises_model_unavailable_and_retries(tmp_path, tiny_dir) -> None:
    settings = make_settings(tmp_path, tiny_dir)
    sources = model_sources(settings)
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{ not json")
    engine = Engine(settings, {**sources, ModelKind.BASE_0_6B: str(broken)})
    with pytest.raises(ModelUnavailable):
        engine.model(ModelKind.BASE_0_6B)
    assert not engine.is_loaded(ModelKind.BASE_0_6B)
    engine.sources[ModelKind.BASE_0_6B] = sources[ModelKind.BASE_0_6B]
    assert engine.model(ModelKind.BASE_0_6B) is not None


def test_loader_uses_qwen_tts_documented_kwargs(tiny_dir) -> None:
    from tts_alex.testing.tiny import build_tiny_checkpoints

    source = build_tiny_checkpoints(tiny_dir)["custom_voice"]
    model = load_qwen_model(str(source), choose_device("cpu", "auto"))
    assert model.model.dtype == torch.float32
    assert str(model.device) == "cpu"
