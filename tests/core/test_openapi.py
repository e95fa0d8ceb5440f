"""/docs documents every route with its request, response and error schemas."""

from typing import Any

from httpx import AsyncClient

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


async def api_operations(client: AsyncClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = (await client.get("/openapi.json")).json()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


async def test_every_operation_has_a_summary_and_documents_its_errors(
    client: AsyncClient,
) -> None:
    for method, path, operation in await api_operations(client):
        assert operation.get("summary"), f"{method} {path} has no summary"
        responses = operation["responses"]
        assert any(status.startswith("2") for status in responses), f"{method} {path}"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"] == PROBLEM, f"{method} {path} {status}"
        if path.startswith("/api/v1/") and operation.get("security"):
            assert "401" in responses, f"{method} {path} does not document 401"


async def test_summaries_are_the_routes_one_line_docstrings(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    assert document["paths"]["/api/v1/users/me"]["get"]["summary"] == "Your own account."
    assert (
        document["paths"]["/health/live"]["get"]["summary"]
        == "The process is up; touches nothing else."
    )


async def test_the_login_form_and_bearer_scheme_make_authorize_work(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    login = document["paths"]["/api/v1/auth/token"]["post"]
    assert "application/x-www-form-urlencoded" in login["requestBody"]["content"]
    assert document["paths"]["/api/v1/users/me"]["get"]["security"]


async def parameter(client: AsyncClient, path: str, method: str, name: str) -> dict[str, Any]:
    document = (await client.get("/openapi.json")).json()
    [found] = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    return found  # type: ignore[no-any-return]


async def test_headers_the_endpoints_insist_on_are_documented_as_required(
    client: AsyncClient,
) -> None:
    key = await parameter(client, "/api/v1/orders", "post", "idempotency-key")
    if_match = await parameter(client, "/api/v1/products/{product_id}", "patch", "if-match")

    for header in (key, if_match):
        assert header["required"] is True
        assert header["schema"]["type"] == "string"
        assert "anyOf" not in header["schema"]


async def test_patch_bodies_do_not_offer_null(client: AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]

    for name in ("ProductUpdate", "MeUpdate", "UserAdminUpdate"):
        for field, schema in schemas[name]["properties"].items():
            assert "null" not in str(schema), f"{name}.{field} offers null"
