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
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.util.types import Attributes
from starlette.types import ASGIApp, Receive, Scope, Send

_configured = False


class ExportingProvider(TracerProvider):
    """The process's tracer provider; ``exporting`` once a span processor is added (an
    exporter configured, or a test's in-memory one)."""

    exporting = False

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self.exporting = True


class WhenExported(Sampler):
    """Records spans only when something exports them; otherwise each span is a
    non-recording one that still has its ids (trace ids flow into logs, outbox rows and
    the W3C headers) at a fraction of the cost (issue 16: recording spans nobody
    exported took 18–34 % of a request's CPU)."""

    def __init__(self, provider: ExportingProvider | None = None) -> None:
        self.provider = provider

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        state = parent.trace_state if parent.is_valid else None
        if self.provider is not None and self.provider.exporting:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)
        return SamplingResult(Decision.DROP, None, state)

    def get_description(self) -> str:
        return "WhenExported"


def exporting() -> bool:
    """Whether spans are recorded and exported in this process (a provider that is not
    ours, set by someone else, is taken as exporting)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, ExportingProvider):
        return provider.exporting
    return isinstance(provider, TracerProvider)


_ids = RandomIdGenerator()


def unrecorded_child(parent: Context) -> Context:
    """``parent`` with a non-recording span of its own as current: the ids a span would
    have (the parent's trace, a new span id; a new trace without a parent), none of the
    cost — what a span is when nothing exports it (``WhenExported``)."""
    caller = trace.get_current_span(parent).get_span_context()
    trace_id = caller.trace_id if caller.is_valid else _ids.generate_trace_id()
    span = NonRecordingSpan(SpanContext(trace_id, _ids.generate_span_id(), is_remote=False, trace_flags=TraceFlags(TraceFlags.DEFAULT)))
    return trace.set_span_in_context(span, parent)


class TraceSwitch:
    """Per request: the full OpenTelemetry instrumentation (``instrumented``) when spans
    are exported; otherwise ``plain`` under a non-recording span whose ids continue the
    caller's ``traceparent`` (or start a trace): the same ids, none of the cost."""

    def __init__(self, instrumented: ASGIApp, plain: ASGIApp) -> None:
        self.instrumented = instrumented
        self.plain = plain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or exporting():
            await self.instrumented(scope, receive, send)
            return
        parent = trace.get_current_span().get_span_context()
        if not parent.is_valid:
            header = next((value for name, value in scope["headers"] if name == b"traceparent"), None)
            if header is not None:
                parent = trace.get_current_span(propagate.extract({"traceparent": header.decode("latin-1")})).get_span_context()
        trace_id = parent.trace_id if parent.is_valid else _ids.generate_trace_id()
        span = NonRecordingSpan(SpanContext(trace_id, _ids.generate_span_id(), is_remote=False, trace_flags=TraceFlags(TraceFlags.DEFAULT)))
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            await self.plain(scope, receive, send)
        finally:
            otel_context.detach(token)


def setup_tracing(service_name: str) -> TracerProvider | None:
    """Install the global tracer provider once per process.

    The exporter follows the standard variables: ``OTEL_TRACES_EXPORTER`` (``otlp``,
    ``console`` or ``none``; ``otlp`` is the default when ``OTEL_EXPORTER_OTLP_ENDPOINT``
    is set). Without an exporter spans are not recorded (``WhenExported``), but their
    ids still flow.
    """
    global _configured
    if _configured:
        provider = trace.get_tracer_provider()
        return provider if isinstance(provider, TracerProvider) else None
    _configured = True
    name = os.environ.get("OTEL_SERVICE_NAME", f"certreg-{service_name}")
    sampler = WhenExported()
    provider = ExportingProvider(resource=Resource.create({"service.name": name}), sampler=sampler)
    sampler.provider = provider
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
