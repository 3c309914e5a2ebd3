"""Prometheus metrics: one registry per app, fed by a request middleware and engine observations."""

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The server's metrics; `render()` gives the Prometheus text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tts_alex_requests", "HTTP requests by route template, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "tts_alex_request_duration_seconds", "HTTP request duration by route template.", ["route"],
            registry=self.registry, buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
        )  # fmt: skip
        self.generation_seconds = Histogram(
            "tts_alex_generation_duration_seconds", "Model generation time per call, by model kind.", ["kind"],
            registry=self.registry, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80),
        )  # fmt: skip
        self.audio_seconds = Counter(
            "tts_alex_audio_seconds", "Seconds of audio generated, by model kind.", ["kind"], registry=self.registry
        )
        self.real_time_factor = Histogram(
            "tts_alex_real_time_factor", "Generation time / audio duration per call (below 1 = faster than real time).",
            registry=self.registry, buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10),
        )  # fmt: skip
        self.queue_depth = Gauge(
            "tts_alex_queue_depth", "Generation requests running or waiting.", registry=self.registry
        )
        self.models_loaded = Gauge(
            "tts_alex_models_loaded", "1 when the model kind is loaded.", ["kind"], registry=self.registry
        )
        self.custom_voices = Gauge("tts_alex_custom_voices", "Custom voices in the library.", registry=self.registry)
        self._loaded: Callable[[], dict[str, bool]] = dict

    def observe_generation(self, kind: str, seconds: float, audio_seconds: float) -> None:
        """Record one model call."""
        self.generation_seconds.labels(kind).observe(seconds)
        self.audio_seconds.labels(kind).inc(audio_seconds)
        if audio_seconds > 0:
            self.real_time_factor.observe(seconds / audio_seconds)

    def bind(self, *, queue_depth: Callable[[], int], loaded: Callable[[], dict[str, bool]], voices: Callable[[], int]):
        """Read live values at scrape time."""
        self._loaded = loaded
        self.queue_depth.set_function(queue_depth)
        self.custom_voices.set_function(voices)

    def render(self) -> bytes:
        """The exposition text."""
        for kind, is_loaded in self._loaded().items():
            self.models_loaded.labels(kind).set(1 if is_loaded else 0)
        return generate_latest(self.registry)


class RequestMetricsMiddleware:
    """Counts every HTTP request by its route template (not the raw path, so names don't explode the labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.request_seconds.labels(route).observe(time.perf_counter() - start)
