"""The contracts as documents: one JSON Schema per event, and an AsyncAPI 3.0 document of the bus."""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from certreg_contracts.envelope import Envelope, Event, registry
from certreg_contracts.subscriptions import consumers_of

EXCHANGE = "certreg.events"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_AMQP = "0.3.0"  # AsyncAPI AMQP bindings version


def schema_id(type_: str, version: int) -> str:
    """The name of an event's schema: ``<type>.v<version>``."""
    return f"{type_}.v{version}"


def _events() -> list[tuple[str, int, type[Event]]]:
    return [(type_, version, cls) for (type_, version), cls in sorted(registry().items())]


def json_schemas() -> dict[str, dict[str, Any]]:
    """One standalone JSON Schema per event (``"<type>.v<version>"``) plus ``"envelope"``."""
    out: dict[str, dict[str, Any]] = {
        "envelope": {"$schema": JSON_SCHEMA_DIALECT, **Envelope.model_json_schema()},
    }
    for type_, version, cls in _events():
        out[schema_id(type_, version)] = {
            "$schema": JSON_SCHEMA_DIALECT,
            "x-routing-key": type_,
            "x-version": version,
            **cls.model_json_schema(),
        }
    return out


def asyncapi() -> dict[str, Any]:
    """The whole bus: one durable topic exchange, one channel per routing key."""
    events = _events()
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Envelope, "validation"), *((cls, "validation") for _, _, cls in events)]
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    exchange = {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for type_, version, cls in events:
        message_id = schema_id(type_, version)
        doc = inspect.cleandoc(cls.__doc__ or "")
        messages[message_id] = {
            "name": cls.__name__,
            "title": f"{type_} v{version}",
            "summary": doc.split("\n")[0],
            "description": doc,
            "contentType": "application/json",
            "correlationId": {"location": "$message.payload#/correlation_id"},
            "headers": {
                "type": "object",
                "description": "W3C trace context",
                "properties": {"traceparent": {"type": "string"}, "tracestate": {"type": "string"}},
            },
            "payload": {
                "allOf": [
                    refs[(Envelope, "validation")],
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": type_},
                            "version": {"const": version},
                            "payload": refs[(cls, "validation")],
                        },
                    },
                ]
            },
            "bindings": {"amqp": {"messageType": type_, "bindingVersion": _AMQP}},
        }
        channel = channels.setdefault(
            type_,
            {
                "address": type_,
                "messages": {},
                "bindings": {"amqp": {"is": "routingKey", "exchange": exchange, "bindingVersion": _AMQP}},
                "x-consumers": consumers_of(type_),
            },
        )
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
    for type_, channel in channels.items():
        producer = type_.split(".")[0]
        operations[f"{producer}.send.{type_}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{type_}"},
            "summary": f"{producer} publishes {type_} on {EXCHANGE}",
            "messages": [{"$ref": f"#/channels/{type_}/messages/{m}"} for m in channel["messages"]],
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": _AMQP}},
            "x-producer": producer,
            "x-consumers": channel["x-consumers"],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "certreg events",
            "version": "1",
            "description": (
                f"Every integration event of certreg. One durable topic exchange, {EXCHANGE}; the routing "
                "key is the envelope's type (<service>.<aggregate>.<event>), the schema version is in the "
                "envelope. Each consuming service has its own durable quorum queue (x-consumers)."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": defs.get("$defs", {})},
    }
