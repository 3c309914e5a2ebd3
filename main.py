"""TTS-Alex entry point: `python main.py` serves on http://127.0.0.1:8060 (`--tiny` for the offline demo)."""

import argparse
import logging
import os

from tts_alex.app import create_app
from tts_alex.settings import Settings

app = create_app()


def main() -> None:
    parser = argparse.ArgumentParser(description="TTS-Alex local voice studio server")
    parser.add_argument("--tiny", action="store_true", help="serve tiny random models, fully offline (output is noise)")
    parser.add_argument("--host", help="bind address (default 127.0.0.1, TTS_ALEX_HOST)")
    parser.add_argument("--port", type=int, help="port (default 8060, TTS_ALEX_PORT)")
    args = parser.parse_args()
    if args.tiny:
        os.environ["TTS_ALEX_MODELS"] = "tiny"
    if args.host:
        os.environ["TTS_ALEX_HOST"] = args.host
    if args.port:
        os.environ["TTS_ALEX_PORT"] = str(args.port)
    settings = Settings()
    # Our own INFO lines; only warnings from qwen-tts/transformers (they log every config default at INFO).
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("tts_alex").setLevel(logging.INFO)
    logging.getLogger("sox").setLevel(logging.ERROR)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

    import uvicorn

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        # A chapter can take minutes: don't let it hold a shutdown hostage.
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
    )


if __name__ == "__main__":
    main()
