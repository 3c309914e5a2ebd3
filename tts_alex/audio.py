"""Audio in and out: decode uploads safely, resample, encode responses."""

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from .errors import InvalidAudio

SAMPLE_RATE = 24_000  # Qwen3-TTS 12 Hz codec works at 24 kHz


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples at a known rate."""

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate


def decode_audio(data: bytes, *, target_rate: int = SAMPLE_RATE) -> Audio:
    """Decode an uploaded file (any libsndfile format), downmix to mono, resample to target_rate.

    We never hand user data to qwen-tts as a string: its loader would fetch URLs and decode base64.

    Raises:
        InvalidAudio: not decodable, empty, or silent-length.
    """
    if not data:
        raise InvalidAudio("The audio file is empty.")
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises several types for garbage input
        raise InvalidAudio("The uploaded file is not readable audio (use WAV, FLAC, OGG or MP3).") from exc
    if samples.size == 0 or rate <= 0:
        raise InvalidAudio("The audio file contains no samples.")
    mono = samples.mean(axis=1)
    if not np.isfinite(mono).all():
        raise InvalidAudio("The audio file contains invalid (NaN or infinite) samples.")
    return Audio(resample(mono, rate, target_rate), target_rate)


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """High-quality resampling (soxr); returns float32."""
    if source_rate == target_rate:
        return samples.astype(np.float32, copy=False)
    return soxr.resample(samples, source_rate, target_rate, quality="HQ").astype(np.float32)


def pad_silence(audio: Audio, seconds: float) -> Audio:
    """Append `seconds` of silence."""
    if seconds <= 0:
        return audio
    tail = np.zeros(int(round(seconds * audio.sample_rate)), dtype=np.float32)
    return Audio(np.concatenate([audio.samples, tail]), audio.sample_rate)


def to_wav_bytes(audio: Audio) -> bytes:
    """16-bit PCM WAV."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio.samples, -1.0, 1.0), audio.sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
