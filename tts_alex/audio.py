"""Audio in and out: decode uploads safely, resample, encode responses."""

import io
import shutil
import struct
import subprocess
from dataclasses import dataclass

import numpy as np
import soundfile as sf
import soxr

from .errors import InvalidAudio, UnsupportedFormat

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
    return encode(audio, "wav")


def silence(seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """`seconds` of zeros."""
    return np.zeros(int(round(max(0.0, seconds) * sample_rate)), dtype=np.float32)


def change_speed(audio: Audio, speed: float) -> Audio:
    """Change tempo by `speed` (2.0 = twice as fast) without changing pitch (phase vocoder)."""
    if abs(speed - 1.0) < 1e-3 or audio.samples.size == 0:
        return audio
    import librosa

    stretched = librosa.effects.time_stretch(audio.samples.astype(np.float32), rate=speed)
    return Audio(stretched.astype(np.float32), audio.sample_rate)


# ----- output formats ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputFormat:
    """An encodable response format."""

    name: str
    media_type: str
    extension: str
    streamable: bool  # bytes can be sent piece by piece as they are generated, and play as they arrive


FORMATS: dict[str, OutputFormat] = {
    "wav": OutputFormat("wav", "audio/wav", "wav", True),
    "pcm": OutputFormat("pcm", "audio/pcm", "pcm", True),
    "mp3": OutputFormat("mp3", "audio/mpeg", "mp3", False),
    "flac": OutputFormat("flac", "audio/flac", "flac", False),
    "opus": OutputFormat("opus", "audio/ogg", "opus", False),
    "ogg": OutputFormat("ogg", "audio/ogg", "ogg", False),
    "aac": OutputFormat("aac", "audio/aac", "aac", False),
}
_SOUNDFILE = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "opus": ("OGG", "OPUS"), "ogg": ("OGG", "VORBIS")}
_SOUNDFILE["mp3"] = ("MP3", "MPEG_LAYER_III")


def format_available(name: str, ffmpeg: str = "ffmpeg") -> bool:
    """Whether `name` can be produced here (aac needs an ffmpeg executable; the rest is libsndfile)."""
    if name == "aac":
        return bool(ffmpeg) and shutil.which(ffmpeg) is not None
    return name in FORMATS


def resolve_format(name: str | None, ffmpeg: str = "ffmpeg") -> OutputFormat:
    """The output format called `name` (default wav).

    Raises:
        UnsupportedFormat: unknown, or not producible on this machine; the message lists what is.
    """
    key = (name or "wav").strip().lower()
    if key in FORMATS and format_available(key, ffmpeg):
        return FORMATS[key]
    available = ", ".join(f for f in FORMATS if format_available(f, ffmpeg))
    reason = "cannot be produced on this machine (no AAC encoder: install ffmpeg)" if key == "aac" else "is unknown"
    raise UnsupportedFormat(f"Format '{name}' {reason}. Available formats: {available}.")


def pcm16(samples: np.ndarray) -> bytes:
    """Raw 16-bit little-endian mono PCM."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def wav_stream_header(sample_rate: int = SAMPLE_RATE) -> bytes:
    """A 16-bit mono WAV header of unknown length (sizes 0xFFFFFFFF), for progressive streaming."""
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + (struct.pack("<I", 0xFFFFFFFF))
    )


def encode(audio: Audio, name: str, *, ffmpeg: str = "ffmpeg") -> bytes:
    """Encode mono audio as wav, pcm, mp3, flac, opus, ogg (libsndfile) or aac (ffmpeg)."""
    samples = np.clip(audio.samples, -1.0, 1.0).astype(np.float32)
    if name == "pcm":
        return pcm16(samples)
    if name == "aac":
        return _ffmpeg_encode(samples, audio.sample_rate, ffmpeg)
    container, subtype = _SOUNDFILE[name]
    buffer = io.BytesIO()
    sf.write(buffer, samples, audio.sample_rate, format=container, subtype=subtype)
    return buffer.getvalue()


def _ffmpeg_encode(samples: np.ndarray, sample_rate: int, ffmpeg: str) -> bytes:
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(sample_rate), "-ac", "1"]
    command += ["-i", "pipe:0", "-c:a", "aac", "-b:a", "96k", "-f", "adts", "pipe:1"]
    result = subprocess.run(command, input=pcm16(samples), capture_output=True, check=True, timeout=300)
    return result.stdout
