"""Run the real server (`python main.py`) as a child process for restart and crash tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`python main.py --tiny` on a free port with its own voices/ and outputs/."""

    def __init__(self, tmp_path: Path, tiny_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"server-{self.port}.log"
        # No TTS_ALEX_* setting leaks in from the developer's shell: each server is configured here only.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("TTS_ALEX_")}
        self.env = {
            **inherited,
            "TTS_ALEX_TINY_DIR": str(tiny_dir),
            "TTS_ALEX_VOICES_DIR": str(tmp_path / "voices"),
            "TTS_ALEX_OUTPUTS_DIR": str(tmp_path / "outputs"),
            "TTS_ALEX_DEVICE": "cpu",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> "ServerProcess":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "main.py", "--tiny", "--port", str(self.port)],
            cwd=PROJECT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise TimeoutError(f"server did not start:\n{self.log()}")

    def client(self, timeout: float = 120) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self._log.close()
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
