"""TTS-Alex: a local voice studio server on Qwen3-TTS."""

import os
import sys

# PyTorch reads this when it is first imported; some Qwen3-TTS ops have no MPS kernel yet.
if sys.platform == "darwin":
    os.environ.setdefault("PYTORCH_ENABLE_MPS_FALLBACK", "1")

__version__ = "1.1.0"
