"""Run every benchmark (`make bench`); extra arguments such as --quick are passed on."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in ("bench_custom_voices.py", "bench_speech_api.py"):
        print(f"\n##### {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *sys.argv[1:]], check=False)
