"""Input validation with French messages, one path for every service: pydantic checks
the shape, each error becomes ``{loc, msg, type}`` with a message a person can act on."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from certreg_contracts.siret import checksum_valid
from certreg_runtime.errors import Invalid

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "string_type": "Texte attendu.",
    "string_too_short": "Ce champ ne peut pas être vide.",
    "string_too_long": "Texte trop long ({max_length} caractères au maximum).",
    "string_pattern_mismatch": "Format non reconnu.",
    "int_type": "Nombre entier attendu.",
    "int_parsing": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "int_parsing_size": "Nombre trop grand.",
    "greater_than": "Valeur supérieure à {gt} attendue.",
    "greater_than_equal": "Valeur supérieure ou égale à {ge} attendue.",
    "less_than": "Valeur inférieure à {lt} attendue.",
    "less_than_equal": "Valeur inférieure ou égale à {le} attendue.",
    "float_type": "Nombre attendu.",
    "float_parsing": "Nombre attendu.",
    "bool_type": "Valeur vraie ou fausse attendue (true/false).",
    "bool_parsing": "Valeur vraie ou fausse attendue (true/false).",
    "list_type": "Liste attendue.",
    "too_short": "Au moins {min_length} élément(s).",
    "too_long": "Au plus {max_length} éléments.",
    "literal_error": "Valeur non reconnue : valeurs possibles {expected}.",
    "enum": "Valeur non reconnue : valeurs possibles {expected}.",
    "model_type": "Objet attendu.",
    "model_attributes_type": "Objet attendu.",
    "dict_type": "Objet attendu.",
    "json_invalid": "JSON invalide.",
    "json_type": "JSON attendu.",
    "uuid_type": "Identifiant (UUID) attendu.",
    "uuid_parsing": "Identifiant (UUID) attendu.",
    "date_type": "Date attendue au format AAAA-MM-JJ.",
    "date_parsing": "Date attendue au format AAAA-MM-JJ.",
    "date_from_datetime_parsing": "Date attendue au format AAAA-MM-JJ.",
    "date_from_datetime_inexact": "Date attendue au format AAAA-MM-JJ (sans heure).",
    "datetime_type": "Date et heure attendues (ISO 8601).",
    "datetime_parsing": "Date et heure attendues (ISO 8601).",
    "value_error": "{error}",
    "assertion_error": "{error}",
}


def siret_problem(siret: str) -> str | None:
    """Why ``siret`` is not a SIRET (French), or None: 14 digits whose key holds
    (``certreg_contracts.siret``: Luhn, La Poste's rule for its establishments)."""
    if not re.fullmatch(r"[0-9]{14}", siret):
        return "Le SIRET doit comporter exactement 14 chiffres, sans espace."
    return None if checksum_valid(siret) else "Ce SIRET n'existe pas : sa clé de contrôle est incorrecte. Vérifiez sa saisie."


def siret(value: Any) -> Any:
    """A pydantic ``AfterValidator``: the value is a SIRET (``siret_problem``) or a French 422."""
    if isinstance(value, str) and (msg := siret_problem(value)):
        raise PydanticCustomError("siret", msg)
    return value


def french(error: dict[str, Any]) -> str:
    """The French message for one pydantic error (its own text when we have none)."""
    template = _MESSAGES.get(error["type"])
    ctx = error.get("ctx") or {}
    if template is None:
        return str(error.get("msg", "Valeur invalide."))
    if error["type"] in ("value_error", "assertion_error"):
        # A validator's own message (written in French), without pydantic's prefix.
        return str(ctx.get("error", error.get("msg", ""))).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template


def field_errors(errors: list[Any], prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """pydantic (or FastAPI) errors as ``{loc, msg, type}`` with French messages."""
    return [{"loc": [*prefix, *e["loc"]], "msg": french(e), "type": e["type"]} for e in errors]


def parse(model: type[M], data: Any, *, where: str = "body") -> M:
    """``data`` (decoded JSON) as ``model``, or ``Invalid`` naming each bad field in French."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Invalid([{"loc": [where], "msg": "Objet JSON attendu.", "type": "model_type"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(field_errors(exc.errors(include_url=False), (where,))) from None


__all__ = ["field_errors", "french", "parse", "siret", "siret_problem"]
