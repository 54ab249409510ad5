"""What the filings API reads and writes. Bodies are validated here with messages in
French (the runtime's 422 shape: ``detail`` is a list of ``{loc, msg, type}``)."""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from certreg_runtime.errors import ApiError

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)]
Items = Annotated[list[Text], Field(max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompetenceBlockIn(_Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Title
    competences: Annotated[list[Text], Field(min_length=1, max_length=100)]


class Descriptive(_Strict):
    summary: Summary | None = None
    activities: Items = []
    competences: Items = []
    competence_blocks: Annotated[list[CompetenceBlockIn], Field(max_length=100)] = []
    assessment_methods: Items = []


class FilingCreate(Descriptive):
    repertoire: Literal["rncp", "rs"]
    title: Title
    qualification_level: int | None = None
    is_cqp: bool = False
    cqp_filed_by: Literal["cpne", "mandated"] | None = None
    rests_on_standards: bool = False


class FilingPatch(_Strict):
    """Only the fields sent are changed; ``null`` clears an optional one."""

    repertoire: Literal["rncp", "rs"] | None = None
    title: Title | None = None
    qualification_level: int | None = None
    is_cqp: bool | None = None
    cqp_filed_by: Literal["cpne", "mandated"] | None = None
    rests_on_standards: bool | None = None
    summary: Summary | None = None
    activities: Items | None = None
    competences: Items | None = None
    competence_blocks: Annotated[list[CompetenceBlockIn], Field(max_length=100)] | None = None
    assessment_methods: Items | None = None


class SubmitBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sworn_statement: bool = False


class WithdrawBody(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "string_type": "Texte attendu.",
    "string_too_short": "Ce champ ne peut pas être vide.",
    "string_too_long": "Texte trop long ({max_length} caractères au maximum).",
    "int_type": "Nombre entier attendu.",
    "int_parsing": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "bool_type": "Valeur vraie ou fausse attendue (true/false).",
    "bool_parsing": "Valeur vraie ou fausse attendue (true/false).",
    "list_type": "Liste attendue.",
    "too_short": "Au moins {min_length} élément(s).",
    "too_long": "Au plus {max_length} éléments.",
    "literal_error": "Valeur non reconnue : valeurs possibles {expected}.",
    "model_type": "Objet attendu.",
    "model_attributes_type": "Objet attendu.",
    "dict_type": "Objet attendu.",
    "json_invalid": "JSON invalide.",
}


def french(error: dict[str, Any]) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return error["msg"]
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def parse(model: type[M], body: Any) -> M:
    """``body`` (decoded JSON) as ``model``, or a 422 naming each bad field in French."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(422, [{"loc": ["body"], "msg": "Objet JSON attendu.", "type": "model_type"}], code="invalid")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = [{"loc": ["body", *list(e["loc"])], "msg": french(e), "type": e["type"]} for e in exc.errors()]
        raise ApiError(422, errors, code="invalid") from None


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body that the route parses itself."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}
