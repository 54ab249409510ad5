"""Traces (OpenTelemetry) and structured logs that carry the trace id."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

_configured = False


def setup_tracing(service_name: str) -> TracerProvider | None:
    """Install the global tracer provider once per process.

    The exporter follows the standard variables: ``OTEL_TRACES_EXPORTER`` (``otlp``,
    ``console`` or ``none``; ``otlp`` is the default when ``OTEL_EXPORTER_OTLP_ENDPOINT``
    is set, otherwise spans are still created, so trace ids flow, but not exported).
    """
    global _configured
    if _configured:
        provider = trace.get_tracer_provider()
        return provider if isinstance(provider, TracerProvider) else None
    _configured = True
    name = os.environ.get("OTEL_SERVICE_NAME", f"certreg-{service_name}")
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "otlp" if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else "none")
    if exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter_name == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    trace.set_tracer_provider(provider)
    return provider


def tracer(name: str = "certreg") -> trace.Tracer:
    return trace.get_tracer(name)


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span (``traceparent``/``tracestate``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, Any] | None) -> otel_context.Context:
    carrier = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in (headers or {}).items()}
    return propagate.extract(carrier)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the trace and span ids of the current span."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
            "msg": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        for key in ("event_id", "event_type", "consumer", "routing_key"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(service: str, level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root.handlers = [handler]
    root.setLevel(level)
    # Access logs repeat what the traces say and may carry tokens in query strings.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
