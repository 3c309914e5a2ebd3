"""Tiny randomly initialised Qwen3-TTS checkpoints, built with the real qwen_tts classes, for offline tests and demos.

The checkpoints are laid out like the Hugging Face ones (config.json, model.safetensors, generation_config.json, a
Qwen2 BPE tokenizer, speech_tokenizer/) so that `qwen_tts.Qwen3TTSModel.from_pretrained(dir)` runs its real loading
and generation code on them. They speak noise, not words.

Random talkers stop at random (often at once) or never, so a few weights are set by hand to give a plausible length.
Talker hidden dims D_CONST/D_MARK/D_MEAN/D_CODE are reserved (nothing else writes to them):
  * D_CONST holds a constant (text_projection bias; every talker input position carries exactly one text projection);
  * D_MARK marks each position: +1 for a generated frame, -TEXT_MARK per text token, -IM_START_MARK for <|im_start|>,
    0 for everything else (tts control tokens, codec control tokens, speakers, voice-clone reference frames);
  * head 0 of layer 0 attends uniformly (zero query) and writes the mean of D_MARK over the sequence into D_MEAN;
  * the EOS logit reads D_CONST and D_MEAN: ~0 while frames are fewer than TEXT_MARK x text tokens, then rises.
So speech lasts ~0.75 frame per text token (mostly bytes; instruction and voice-clone reference text count too) plus
~8 frames, and EOS comes a few frames later: ~2.5 s for "Bonjour, ceci est un test.", practically never under 0.5 s.
Generated frames and voice-clone reference frames use disjoint halves of codebook 1 (the code predictor is pushed to the
upper half via D_CODE, the speech-tokenizer encoder never picks the upper half), so reference audio does not count.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

BUILDER_VERSION = 2
TINY_KINDS = ("custom_voice", "custom_voice_0b6", "voice_design", "base", "base_0b6")
STAMP_NAME = "tiny-build.json"

# kind -> (tts_model_type, tts_model_size, talker layers)
_KINDS: dict[str, tuple[str, str, int]] = {
    "custom_voice": ("custom_voice", "1b7", 2),
    "custom_voice_0b6": ("custom_voice", "0b6", 1),
    "voice_design": ("voice_design", "1b7", 2),
    "base": ("base", "1b7", 2),
    "base_0b6": ("base", "0b6", 1),
}

HIDDEN = 32  # talker, code predictor and text hidden size; also the speaker-embedding size
HEAD_DIM = 16
CODEBOOK_SIZE = 64  # per codebook; the talker's codec vocab is CODEBOOK_SIZE + 1024 (qwen-tts suppresses that top band)
NUM_CODE_GROUPS = 4  # codebooks per 12 Hz frame (real: 16)
SAMPLE_RATE = 24_000
SAMPLES_PER_FRAME = 1920  # 12.5 frames/s, as the real 12 Hz tokenizer
OUTPUT_RMS = 0.1  # level of decoded random codes

# The real checkpoints' codec ids (codebook 2048, vocab 3072); we keep their offsets inside the top band.
_REAL_CODEBOOK = 2048
_CODEC_IDS = {
    "codec_pad_id": 2148,
    "codec_bos_id": 2149,
    "codec_eos_token_id": 2150,
    "codec_think_id": 2154,
    "codec_nothink_id": 2155,
    "codec_think_bos_id": 2156,
    "codec_think_eos_id": 2157,
}
_LANGUAGES = {
    "chinese": 2055,
    "english": 2050,
    "german": 2053,
    "italian": 2070,
    "portuguese": 2071,
    "spanish": 2054,
    "japanese": 2058,
    "korean": 2064,
    "french": 2061,
    "russian": 2069,
    "beijing_dialect": 2074,
    "sichuan_dialect": 2062,
}
_SPEAKERS = {
    "vivian": 3065,
    "serena": 3066,
    "uncle_fu": 3010,
    "dylan": 2878,
    "eric": 2875,
    "ryan": 3061,
    "aiden": 2861,
    "ono_anna": 2873,
    "sohee": 2864,
}
_DIALECTS = {"dylan": "beijing_dialect", "eric": "sichuan_dialect"}

# Qwen2/Qwen3 added tokens in their real order (151643...); the tts ones are <tts_pad>, <tts_text_bos>, <tts_text_eod>.
_ADDED_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
    "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>",
    "<think>", "</think>", "<|audio_start|>", "<|audio_end|>", "<tts_pad>", "<tts_text_bos>", "<tts_text_eod>",
    "<tts_text_bos_single>", "<|audio_pad|>",
)  # fmt: skip
_NOT_SPECIAL = set(_ADDED_TOKENS[14:26])  # tool/fim/think tags are plain added tokens in Qwen3
_SILENT_TOKENS = ("<tts_pad>", "<tts_text_bos>", "<tts_text_eod>", "<tts_text_bos_single>")
_WORDS = ("assistant", "user", "system")  # whole-word merges: qwen-tts slices "<|im_start|>assistant\n" as 3 tokens

# Length control (see module docstring).
D_CONST, D_MARK, D_MEAN, D_CODE = 0, 1, 2, 3
T_MARK = 0  # text-embedding dim carrying the per-token mark
CONST = 8.0  # value of D_CONST; large, so RMSNorm scales every position alike
TEXT_MARK = 0.75  # frames per text token
IM_START_MARK = 5.0  # frames per <|im_start|>: a floor of ~8 frames (0.6 s) for the shortest text
EOS_AT_ZERO = 0.5  # EOS logit when generated frames == TEXT_MARK x text tokens (P ~ 3%/frame)
EOS_SLOPE = 30.0  # EOS logit per unit of mean mark


def build_tiny_checkpoints(root: Path | str, *, seed: int = 0) -> dict[str, Path]:
    """Build (once) tiny random Qwen3-TTS checkpoints under root; return {kind: checkpoint_dir}."""
    root = Path(root).expanduser().absolute()
    paths = {kind: root / kind for kind in TINY_KINDS}
    if _is_built(root, seed):
        return paths
    from filelock import FileLock

    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root.parent / f".{root.name}.lock")):
        if _is_built(root, seed):  # another process built it while we waited
            return paths
        # Build beside root and rename into place, so root is never seen half-written.
        for stale in root.parent.glob(f".{root.name}.build-*"):  # left by a killed build; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.build-", dir=root.parent))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private
            _build_all(tmp, seed)
            (tmp / STAMP_NAME).write_text(json.dumps({"builder_version": BUILDER_VERSION, "seed": seed}))
            if root.exists():  # empty, or an older build
                _check_replaceable(root)
                shutil.rmtree(root)
            os.replace(tmp, root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return paths


def _is_built(root: Path, seed: int) -> bool:
    try:
        stamp = json.loads((root / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return False
    return stamp == {"builder_version": BUILDER_VERSION, "seed": seed}


def _check_replaceable(root: Path) -> None:
    # Never delete a directory that holds anything but our own output.
    foreign = sorted(p.name for p in root.iterdir() if p.name not in {*TINY_KINDS, STAMP_NAME})
    if foreign:
        raise FileExistsError(f"{root} is not a tiny-checkpoint directory (it holds {foreign}); refusing to replace it")


def _build_all(out: Path, seed: int) -> None:
    import torch

    # Seed locally: building must neither depend on nor disturb the caller's RNG.
    with torch.random.fork_rng(devices=[]):
        tokenizer = _build_text_tokenizer(out / "_text")
        speech_dir = out / "_speech_tokenizer"
        torch.manual_seed(seed)
        _build_speech_tokenizer(speech_dir)
        for index, kind in enumerate(TINY_KINDS):
            torch.manual_seed(seed * 1000 + index + 1)
            _build_model(out / kind, kind, tokenizer, speech_dir)
    shutil.rmtree(out / "_text")
    shutil.rmtree(speech_dir)


def _codec_id(real_id: int) -> int:
    """Map a real codec special id into our top band (same offset above the codebook)."""
    return real_id - _REAL_CODEBOOK + CODEBOOK_SIZE


def _build_text_tokenizer(work: Path) -> Any:
    """A byte-level BPE (all 256 bytes + a few word merges + the Qwen added tokens), as a Qwen2TokenizerFast."""
    from transformers import AddedToken, Qwen2TokenizerFast
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode

    byte_chars = bytes_to_unicode()
    vocab = {byte_chars[b]: b for b in range(256)}
    merges = []
    for word in _WORDS:
        for i in range(1, len(word)):
            merges.append(f"{word[:i]} {word[i]}")
            vocab.setdefault(word[: i + 1], len(vocab))
    work.mkdir(parents=True)
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (work / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    tokenizer = Qwen2TokenizerFast(
        vocab_file=str(work / "vocab.json"),
        merges_file=str(work / "merges.txt"),
        unk_token=None,
        bos_token=None,
        eos_token=AddedToken("<|endoftext|>", special=True, normalized=False),
        pad_token=AddedToken("<|endoftext|>", special=True, normalized=False),
    )
    tokenizer.add_tokens([AddedToken(t, special=t not in _NOT_SPECIAL, normalized=False) for t in _ADDED_TOKENS[1:]])
    tokenizer.model_max_length = 131072
    return tokenizer


def _build_speech_tokenizer(out: Path) -> None:
    """The 12 Hz speech tokenizer (Mimi encoder + Qwen decoder) with audible random weights."""
    import torch
    from qwen_tts.core.tokenizer_12hz.configuration_qwen3_tts_tokenizer_v2 import Qwen3TTSTokenizerV2Config
    from qwen_tts.core.tokenizer_12hz.modeling_qwen3_tts_tokenizer_v2 import Qwen3TTSTokenizerV2Model
    from transformers import EncodecFeatureExtractor

    config = Qwen3TTSTokenizerV2Config(
        encoder_config={
            "sampling_rate": SAMPLE_RATE,
            "frame_rate": SAMPLE_RATE / SAMPLES_PER_FRAME,
            "upsampling_ratios": [8, 6, 5, 4],  # 960 samples per 25 Hz frame, then stride 2 -> 1920
            "num_filters": 4,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "intermediate_size": 64,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "codebook_size": CODEBOOK_SIZE,
            "codebook_dim": 16,
            "vector_quantization_hidden_dimension": 16,
            "num_quantizers": 2 * NUM_CODE_GROUPS,  # the real encoder also has more than the valid 16
            "num_semantic_quantizers": 1,
            "upsample_groups": 32,
            "use_cache": False,
        },
        decoder_config={
            "codebook_size": CODEBOOK_SIZE,
            "codebook_dim": 32,
            "hidden_size": 32,
            "latent_dim": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "intermediate_size": 64,
            "num_quantizers": NUM_CODE_GROUPS,
            "upsample_rates": [8, 5, 4, 3],
            "upsampling_ratios": [2, 2],  # 8*5*4*3*2*2 = 1920 samples per frame
            "decoder_dim": 64,
        },
        encoder_valid_num_quantizers=NUM_CODE_GROUPS,
        input_sample_rate=SAMPLE_RATE,
        output_sample_rate=SAMPLE_RATE,
        decode_upsample_rate=SAMPLES_PER_FRAME,
        encode_downsample_rate=SAMPLES_PER_FRAME,
    )
    model = Qwen3TTSTokenizerV2Model(config).eval()
    with torch.no_grad():
        # Zero-initialised codebooks decode every code to silence and encode everything to code 0: randomise them.
        for name, tensor in model.named_buffers():
            if name.endswith("embed_sum"):
                tensor.normal_()
        for name, param in model.named_parameters():
            if name.endswith("embedding_sum"):
                param.normal_()
        # The encoder never picks the upper half of codebook 1, which the code predictor keeps for generated frames.
        acoustic = model.encoder.quantizer.acoustic_residual_vector_quantizer.layers[0].codebook
        acoustic.embed_sum[CODEBOOK_SIZE // 2 :] = 1e4
        _make_audible(model.decoder)
    model.save_pretrained(out)
    EncodecFeatureExtractor(feature_size=1, sampling_rate=SAMPLE_RATE, padding_value=0.0).save_pretrained(out)


def _make_audible(decoder: Any) -> None:
    """Re-initialise the vocoder so that it carries the codes to the waveform at a normal level."""
    import torch

    # With the 0.02-std (or PyTorch default) init, biases and SnakeBeta offsets drown the codes: every code sequence
    # decodes to the same faint buzz. A fan-in init with zero biases keeps the signal code-dependent.
    for module in decoder.modules():
        if isinstance(module, torch.nn.ConvTranspose1d):
            fan_in = module.in_channels * module.kernel_size[0] / module.stride[0]
        elif isinstance(module, torch.nn.Conv1d):
            fan_in = module.in_channels // module.groups * module.kernel_size[0]
        elif isinstance(module, torch.nn.Linear):
            fan_in = module.in_features
        else:
            continue
        module.weight.normal_(0.0, fan_in**-0.5)
        if module.bias is not None:
            module.bias.zero_()
    # SnakeBeta still grows the signal ~100x: scale the last conv so that random codes decode at RMS ~OUTPUT_RMS.
    last = decoder.decoder[-1].conv
    last.weight.mul_(1e-3)  # first well inside the decoder's [-1, 1] clamp, to measure the level
    codes = torch.randint(0, CODEBOOK_SIZE, (1, NUM_CODE_GROUPS, 24))
    last.weight.mul_(OUTPUT_RMS / decoder(codes).pow(2).mean().sqrt())


def _build_model(out: Path, kind: str, tokenizer: Any, speech_dir: Path) -> None:
    """One Qwen3TTSForConditionalGeneration checkpoint with processor, generation config and speech tokenizer."""
    from qwen_tts.core.models import Qwen3TTSConfig, Qwen3TTSForConditionalGeneration, Qwen3TTSProcessor

    model_type, size, layers = _KINDS[kind]
    vocab = tokenizer.get_vocab()
    custom = model_type == "custom_voice"
    layer_config = {
        "hidden_size": HIDDEN,
        "intermediate_size": 2 * HIDDEN,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": HEAD_DIM,
        "num_code_groups": NUM_CODE_GROUPS,
        "rms_norm_eps": 1e-6,
    }
    talker = {
        **layer_config,
        "num_hidden_layers": layers,
        "vocab_size": CODEBOOK_SIZE + 1024,
        "text_vocab_size": len(vocab),
        "text_hidden_size": HIDDEN,
        "rope_theta": 1_000_000,
        # Multimodal RoPE sections sum to head_dim / 2, as the real [24, 20, 20] do for head_dim 128.
        "rope_scaling": {"interleaved": True, "mrope_section": [4, 2, 2], "rope_type": "default", "type": "default"},
        **{name: _codec_id(value) for name, value in _CODEC_IDS.items()},
        "codec_language_id": {name: _codec_id(value) for name, value in _LANGUAGES.items()},
        # Keys are lowercase, as in the real checkpoints: qwen-tts lowercases the requested speaker.
        "spk_id": {name: _codec_id(value) for name, value in _SPEAKERS.items()} if custom else {},
        "spk_is_dialect": {name: _DIALECTS.get(name, False) for name in _SPEAKERS} if custom else {},
        "code_predictor_config": {**layer_config, "num_hidden_layers": 1, "vocab_size": CODEBOOK_SIZE},
    }
    speaker_encoder = {
        "mel_dim": 128,  # qwen-tts computes 128 mel bins whatever the config says
        "enc_dim": HIDDEN,
        "enc_channels": [32, 32, 32, 32, 96],
        "enc_kernel_sizes": [5, 3, 3, 3, 1],
        "enc_dilations": [1, 2, 3, 4, 1],
        "enc_attention_channels": 16,
        "enc_res2net_scale": 4,
        "enc_se_channels": 16,
        "sample_rate": SAMPLE_RATE,
    }
    config = Qwen3TTSConfig(
        talker_config=talker,
        speaker_encoder_config=speaker_encoder,
        tokenizer_type="qwen3_tts_tokenizer_12hz",
        tts_model_size=size,
        tts_model_type=model_type,
        im_start_token_id=vocab["<|im_start|>"],
        im_end_token_id=vocab["<|im_end|>"],
        tts_pad_token_id=vocab["<tts_pad>"],
        tts_bos_token_id=vocab["<tts_text_bos>"],
        tts_eos_token_id=vocab["<tts_text_eod>"],
        assistant_token_id=vocab["assistant"],
        architectures=["Qwen3TTSForConditionalGeneration"],
    )
    model = Qwen3TTSForConditionalGeneration(config).eval()
    _set_length_control(model, vocab)
    model.save_pretrained(out)
    # Qwen3TTSSpeakerEncoderConfig serialises a "model_type" key that its own __init__ then rejects: write it plain.
    config_file = out / "config.json"
    saved = json.loads(config_file.read_text())
    saved["speaker_encoder_config"] = speaker_encoder
    config_file.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    # qwen-tts reads generation_config.json itself and uses these as the generate() defaults.
    generation = {
        "do_sample": True,
        "top_k": 50,
        "top_p": 1.0,
        "temperature": 0.9,
        "repetition_penalty": 1.05,
        "subtalker_dosample": True,
        "subtalker_top_k": 50,
        "subtalker_top_p": 1.0,
        "subtalker_temperature": 0.9,
        "max_new_tokens": 8192,
    }
    (out / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    Qwen3TTSProcessor(tokenizer=tokenizer).save_pretrained(out)
    shutil.copytree(speech_dir, out / "speech_tokenizer")


def _set_length_control(model: Any, vocab: dict[str, int]) -> None:
    """Hand-set the few weights that make the talker stop after a text-proportional number of frames."""
    import torch

    talker = model.talker
    reserved = [D_CONST, D_MARK, D_MEAN, D_CODE]
    eos = model.config.talker_config.codec_eos_token_id
    with torch.no_grad():
        # Text tokens carry their mark in text dim T_MARK; fc1 units 0/1 and fc2 copy it linearly
        # (silu(x) - silu(-x) == x) into D_MARK; fc2's bias sets D_CONST.
        marks = torch.full((len(vocab),), -TEXT_MARK)
        marks[vocab["<|im_start|>"]] = -IM_START_MARK
        for token in _SILENT_TOKENS:
            marks[vocab[token]] = 0.0
        talker.model.text_embedding.weight[:, T_MARK] = marks
        fc1, fc2 = talker.text_projection.linear_fc1, talker.text_projection.linear_fc2
        fc1.weight[:2] = 0.0
        fc1.weight[0, T_MARK], fc1.weight[1, T_MARK] = 1.0, -1.0
        fc1.bias[:2] = 0.0
        fc2.weight[reserved] = 0.0
        fc2.bias[reserved] = 0.0
        fc2.weight[D_MARK, 0], fc2.weight[D_MARK, 1] = 1.0, -1.0
        fc2.bias[D_CONST] = CONST
        # Codec tokens: none touches the reserved dims, except that codebook-0 codes carry D_CODE (read by the code
        # predictor, below) and upper-half codebook-1 codes (generated frames only) carry the +1 frame mark.
        talker.model.codec_embedding.weight[:, reserved] = 0.0
        talker.model.codec_embedding.weight[:CODEBOOK_SIZE, D_CODE] = 1.0
        predictor = talker.code_predictor
        for embedding in predictor.model.codec_embedding:
            embedding.weight[:, reserved] = 0.0
        predictor.model.codec_embedding[0].weight[CODEBOOK_SIZE // 2 :, D_MARK] = 1.0
        if model.speaker_encoder is not None:  # x-vectors too stay out of the reserved dims
            model.speaker_encoder.fc.weight[reserved] = 0.0
            model.speaker_encoder.fc.bias[reserved] = 0.0
        for layer in talker.model.layers:
            layer.self_attn.o_proj.weight[reserved] = 0.0
            layer.mlp.down_proj.weight[reserved] = 0.0
        # Layer 0, head 0: zero query -> uniform attention; value 0 reads D_MARK; its output goes to D_MEAN.
        attention = talker.model.layers[0].self_attn
        attention.q_proj.weight[:HEAD_DIM] = 0.0
        attention.v_proj.weight[0] = 0.0
        attention.v_proj.weight[0, D_MARK] = 1.0
        attention.o_proj.weight[D_MEAN, 0] = 1.0
        # EOS logit = EOS_AT_ZERO + EOS_SLOPE * mean mark. After the final RMSNorm (dominated by CONST):
        # h[D_CONST] ~ sqrt(H) and h[D_MEAN] ~ mean_mark * H / CONST**2.
        head = talker.codec_head.weight
        head[:, reserved] = 0.0
        head[eos] = 0.0
        head[eos, D_CONST] = EOS_AT_ZERO / HIDDEN**0.5
        head[eos, D_MEAN] = EOS_SLOPE * CONST**2 / HIDDEN
        # Code predictor: its codebook-1 step reads the codebook-0 code's embedding, whose D_CODE is 1; nothing in
        # the predictor writes D_CODE, so its head can push codebook 1 to the upper half (a generated-frame mark).
        for layer in predictor.model.layers:
            layer.self_attn.o_proj.weight[D_CODE] = 0.0
            layer.mlp.down_proj.weight[D_CODE] = 0.0
        upper = torch.where(torch.arange(CODEBOOK_SIZE) >= CODEBOOK_SIZE // 2, 1.0, -1.0)
        predictor.lm_head[0].weight[:, D_CODE] = upper


def main(argv: list[str] | None = None) -> int:
    """`python -m tts_alex.testing.tiny DIR`: build the tiny checkpoints into DIR and print their paths."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tts_alex.testing.tiny DIR", file=sys.stderr)
        return 2
    for kind, path in build_tiny_checkpoints(args[0]).items():
        print(f"{kind}\t{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
