"""The OpenAPI schema is accurate: one name per schema, every operation documents its 4xx answers."""

from __future__ import annotations

import typing
from collections import defaultdict

import pytest
from django.test import Client
from pydantic import BaseModel

from brightline.api import api
from brightline.people.tokens import create_api_token

pytestmark = pytest.mark.django_db



def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _models(annotation, seen: set[type]):
    """Every brightline schema class reachable from a type annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
        return
    for argument in typing.get_args(annotation):
        _models(argument, seen)


def test_no_two_schemas_share_a_name():
    seen: set[type] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.response_models.values():
                    if isinstance(model, type) and issubclass(model, BaseModel):
                        _models(model, seen)
                for model in operation.models:
                    _models(model, seen)
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in seen:
        if model.__module__.startswith("brightline"):
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    assert {name: places for name, places in by_name.items() if len(places) > 1} == {}
    assert "SignalReviewOut" in by_name and "ReviewOut" in by_name


def test_a_signal_response_refers_to_the_signal_review_schema(personas, client_for):
    schema = client_for(personas.erin).get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    review = components["SignalOut"]["properties"]["review"]
    refs = [option.get("$ref", "") for option in review.get("anyOf", [review])]
    target = next(ref for ref in refs if ref).rsplit("/", 1)[-1]
    assert set(components[target]["properties"]) == {"by_id", "by_name", "at", "reason"}
    assert set(components["ReviewOut"]["properties"]) != set(components[target]["properties"])


def test_every_operation_documents_its_4xx_answers(personas, client_for):
    schema = client_for(personas.erin).get("/api/openapi.json").json()
    operations = list(_operations(schema))
    assert len(operations) >= 50
    for path, method, operation in operations:
        codes = set(operation["responses"])
        where = f"{method.upper()} {path}"
        assert any(code.startswith("4") for code in codes), where
        if path == "/api/evidence/events":
            assert {"400", "401", "409"} <= codes, where
            continue
        assert {"401", "403"} <= codes, where
        if "{" in path:
            assert "404" in codes, where
        assert "400" in codes, where  # a change the rules refuse, or a NUL character anywhere
        if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "422" in codes, where
        for code in codes - {"200", "201", "202"}:
            assert operation["responses"][code]["content"]["application/json"]["schema"], (where, code)


def test_answers_that_really_happen_are_documented(personas, client_for):
    schema = client_for(personas.erin).get("/api/openapi.json").json()
    read_only = create_api_token(personas.erin, name="board", actor=personas.erin)
    observed = [
        ("/api/people/{person_id}", "get", Client().get("/api/people/1")),
        ("/api/people/{person_id}", "get", client_for(personas.erin).get("/api/people/999999")),
        ("/api/people/{person_id}", "get", client_for(personas.oscar).get(f"/api/people/{personas.erin.pk}")),
        ("/api/teams", "get", client_for(personas.erin).get("/api/teams?limit=100000")),
        ("/api/feedback/requests", "post", Client().post("/api/feedback/requests", {}, content_type="application/json",
                                                         HTTP_AUTHORIZATION=f"Bearer {read_only}")),
        ("/api/evidence/services/{name}/dora", "get",
         client_for(personas.erin).get("/api/evidence/services/nothing/dora")),
    ]
    statuses = []
    for path, method, response in observed:
        statuses.append(response.status_code)
        assert str(response.status_code) in schema["paths"][path][method]["responses"], (path, response.status_code)
    assert statuses == [401, 404, 403, 422, 403, 404]
