"""Every error leaves the API as an ErrorBody {code, message, details: [Issue]} with the right status."""
from __future__ import annotations

import json

import pytest
from chalice import Chalice
from chalice.test import Client
from pydantic import BaseModel, ConfigDict

from chalicelib.contracts.errors import Conflict, DomainError, ErrorBody, Invalid, Issue, NotFound, TooLarge
from chalicelib.http import STATUS_BY_FAMILY, ApiError, api_route, error_middleware, json_body, parse_model


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width_mm: float
    name: str


def _app() -> Chalice:
    app = Chalice(app_name="http-seam")
    app.register_middleware(error_middleware, "http")

    @api_route(app, "/things", methods=["POST"], public=True)
    def create():
        body = json_body(app.current_request, max_bytes=200)
        return parse_model(Thing, body, ("thing",)).model_dump()

    @api_route(app, "/boom", methods=["GET"], public=True)
    def boom():
        raise RuntimeError("secret internals")

    @api_route(app, "/teapot", methods=["GET"], public=True)
    def teapot():
        raise ApiError(409, "busy", "try later", [Issue("busy", "held by another caller", "x")])

    @api_route(app, "/domain/{family}", methods=["GET"], public=True)
    def domain(family):
        raise _FAMILIES[family]("refused", [Issue("why", "because", "a.b.0")], code=f"{family}_code")

    return app


class Plain(DomainError):
    """A domain error outside every family."""


_FAMILIES: dict[str, type[DomainError]] = {"not_found": NotFound, "conflict": Conflict, "invalid": Invalid,
                                           "too_large": TooLarge, "plain": Plain}


@pytest.fixture
def http():
    with Client(_app()) as client:
        yield client


def _post(http, body: bytes, content_type: str = "application/json"):
    return http.http.post("/things", body=body, headers={"Content-Type": content_type})


def _error(response):
    body = json.loads(response.body)
    assert set(body) == {"code", "message", "details"}, body
    ErrorBody.model_validate(body)
    assert all(set(d) == {"code", "message", "path"} for d in body["details"]), body
    return body


def test_valid_body_passes(http):
    response = _post(http, b'{"width_mm": 2, "name": "a"}')
    assert response.status_code == 200
    assert json.loads(response.body) == {"width_mm": 2.0, "name": "a"}


def test_malformed_json_is_400(http):
    response = _post(http, b'{"width_mm": ')
    assert response.status_code == 400 and _error(response)["code"] == "malformed_json"


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_are_malformed(http, literal):
    response = _post(http, b'{"width_mm": ' + literal + b', "name": "a"}')
    assert response.status_code == 400


def test_empty_body_is_400(http):
    assert _post(http, b"").status_code == 400


def test_oversized_body_is_413(http):
    response = _post(http, b'{"name": "' + b"x" * 300 + b'", "width_mm": 1}')
    assert response.status_code == 413
    assert _error(response)["details"] == [{"code": "payload_too_large", "path": "body",
                                            "message": "request body is 327 bytes; the limit is 200"}]


def test_wrong_content_type_is_415_in_our_shape(http):
    response = _post(http, b"width=2", "text/plain")
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_validation_errors_name_every_field(http):
    response = _post(http, b'{"width_mm": "wide", "colour": "red"}')
    assert response.status_code == 422
    details = {d["path"]: d["code"] for d in _error(response)["details"]}
    assert details == {"thing.width_mm": "invalid_value", "thing.name": "missing_field",
                       "thing.colour": "unknown_field"}


def test_non_object_body_is_422(http):
    response = _post(http, b"[1, 2]")
    assert response.status_code == 422 and _error(response)["details"][0]["path"] == "thing"


def test_unexpected_exception_is_500_without_internals(http):
    response = http.http.get("/boom")
    assert response.status_code == 500
    body = _error(response)
    assert "secret" not in response.body.decode() and "Traceback" not in response.body.decode()
    assert body["code"] == "internal_error"


def test_api_error_keeps_status_details_and_cors(http):
    response = http.http.get("/teapot", headers={"Origin": "http://127.0.0.1:8000"})
    assert response.status_code == 409
    assert _error(response)["details"] == [{"code": "busy", "message": "held by another caller", "path": "x"}]
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"


def test_method_not_allowed_in_our_shape(http):
    response = http.http.delete("/things")
    assert response.status_code == 405 and _error(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize("family,status", [("not_found", 404), ("conflict", 409), ("invalid", 422),
                                           ("too_large", 413), ("plain", 400)])
def test_domain_error_families_map_to_statuses_keeping_their_code(http, family, status):
    response = http.http.get(f"/domain/{family}")
    assert response.status_code == status
    assert _error(response) == {"code": f"{family}_code", "message": "refused",
                                "details": [{"code": "why", "message": "because", "path": "a.b.0"}]}


def test_the_status_table_covers_every_shared_family():
    assert dict(STATUS_BY_FAMILY) == {NotFound: 404, Conflict: 409, Invalid: 422, TooLarge: 413}


def test_chalice_own_errors_have_an_empty_details_list(http):
    response = http.http.delete("/things")
    assert _error(response)["details"] == []


def test_older_field_details_are_carried_as_one_issue():
    error = ApiError(404, "not_found", "no thing", {"field": "thing_id"})
    assert [i.model_dump() for i in error.details] == [{"code": "not_found", "message": "no thing",
                                                        "path": "thing_id"}]
