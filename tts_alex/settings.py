"""All configuration in one typed object, read from TTS_ALEX_* environment variables."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent

ModelKindName = Literal["custom_voice", "voice_design", "base_1.7b", "base_0.6b"]


class Settings(BaseSettings):
    """Server settings; every field can be set as TTS_ALEX_<FIELD> (e.g. TTS_ALEX_DEVICE=cpu)."""

    model_config = SettingsConfigDict(env_prefix="TTS_ALEX_", extra="ignore")

    # Network address; 127.0.0.1 keeps the studio off the LAN.
    host: str = "127.0.0.1"
    # TCP port of the HTTP server.
    port: int = 8060
    # On SIGTERM/Ctrl+C, seconds to let requests finish before cancelling them (only the current piece completes).
    graceful_shutdown_seconds: float = 10.0
    # When set, every route but /health (and the static page) needs `Authorization: Bearer <key>`.
    api_key: SecretStr | None = None
    # Origins allowed by CORS (comma-separated, e.g. http://localhost:3000); empty = CORS off.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # "auto" picks mps, then cuda, then cpu; or a torch device string such as "cuda:1".
    device: str = "auto"
    # "auto" = bfloat16 on CUDA, float32 on CPU (fp16 hangs there) and on MPS (fp16 clones give inf/nan).
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"

    # "hf": the Hugging Face ids / local dirs below. "tiny": build random tiny checkpoints (offline demo, noise).
    models: Literal["hf", "tiny"] = "hf"
    # Where the tiny checkpoints are built once and reused.
    tiny_dir: Path = Path.home() / ".cache" / "tts-alex" / "tiny-models"
    # CustomVoice model (9 native speakers, style instructions): HF id or local directory.
    custom_voice_model: str = "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice"
    # VoiceDesign model (voice from a text description).
    voice_design_model: str = "Qwen/Qwen3-TTS-12Hz-1.7B-VoiceDesign"
    # Base 1.7B model (voice cloning).
    base_1_7b_model: str = "Qwen/Qwen3-TTS-12Hz-1.7B-Base"
    # Base 0.6B model (faster, lighter voice cloning).
    base_0_6b_model: str = "Qwen/Qwen3-TTS-12Hz-0.6B-Base"
    # Models loaded at start-up besides CustomVoice (comma-separated kinds), the rest load on first use.
    preload: Annotated[list[ModelKindName], NoDecode] = Field(default_factory=list)

    # Root of the voice library (custom voices live in <voices_dir>/custom).
    voices_dir: Path = PROJECT_DIR / "voices"
    # Where generated files are kept, if save_outputs.
    outputs_dir: Path = PROJECT_DIR / "outputs"
    # Keep a copy of every generated file under outputs_dir.
    save_outputs: bool = True

    # Longest text accepted by one synthesis request, in characters (a chapter: it is spoken piece by piece).
    max_text_chars: int = 30_000
    # Longest piece generated in one go, in Latin-character equivalents (a CJK character counts 3).
    max_piece_cost: int = 300
    # ffmpeg executable used for AAC output only (empty = no AAC).
    ffmpeg: str = "ffmpeg"
    # Hard ceiling on codec frames per generation (12 frames = 1 s of audio); guards runaway generation.
    max_new_tokens_ceiling: int = 2048
    # Seconds of audio allowed per character of Latin text when bounding max_new_tokens.
    seconds_per_char: float = 0.12
    # Seconds allowed per CJK character (one syllable each).
    seconds_per_cjk_char: float = 0.4
    # Silence appended to clone references, against runaway generation on ICL prompts.
    reference_padding_seconds: float = 0.5
    # Accepted duration of a reference recording, in seconds.
    min_reference_seconds: float = 1.0
    max_reference_seconds: float = 60.0
    # Largest accepted upload (reference audio), in bytes.
    max_upload_bytes: int = 50 * 1024 * 1024
    # Longest custom voice description (PRD: 200), voice_description and instruction, in characters.
    max_description_chars: int = 200
    max_voice_description_chars: int = 1000
    max_instruct_chars: int = 1000

    # OpenAI voice names -> native speakers, for /v1/audio/speech (JSON object in the environment).
    openai_voices: dict[str, str] = Field(
        default_factory=lambda: {
            "alloy": "Vivian",
            "ash": "Eric",
            "ballad": "Dylan",
            "coral": "Ono_Anna",
            "echo": "Ryan",
            "fable": "Aiden",
            "nova": "Serena",
            "onyx": "Uncle_Fu",
            "sage": "Sohee",
            "shimmer": "Sohee",
            "verse": "Ryan",
            "marin": "Serena",
            "cedar": "Aiden",
        }  # fmt: skip
    )

    # Generation requests admitted at once (running + waiting); more get 503 with Retry-After.
    max_queue_depth: int = 32
    # Seconds to wait for the voice library's file lock before answering 503.
    store_lock_timeout: float = 10.0
    # Custom voice prompts kept in memory after use (least recently used dropped first); 0 = no limit.
    max_loaded_prompts: int = 0

    @field_validator("preload", "cors_origins", mode="before")
    @classmethod
    def _split_preload(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def max_request_bytes(self) -> int:
        """Largest request body: an upload plus room for the form's text fields."""
        return self.max_upload_bytes + 1024 * 1024

    @property
    def custom_voices_dir(self) -> Path:
        """Directory of the persistent custom voice store."""
        return self.voices_dir / "custom"
