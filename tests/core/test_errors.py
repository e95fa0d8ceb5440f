from httpx import AsyncClient, Response

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code", "request_id"}


def assert_problem(response: Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body.keys() >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:problem:{code}"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_a_404_problem(client: AsyncClient) -> None:
    assert_problem(await client.get("/no/such/route"), 404, "not_found")


async def test_wrong_method_is_a_405_problem_naming_the_allowed_ones(client: AsyncClient) -> None:
    response = await client.delete("/health/live")

    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


async def test_validation_errors_list_each_bad_field_with_its_location(
    probe_client: AsyncClient,
) -> None:
    response = await probe_client.post("/probe/widgets", json={"name": "", "quantity": "many"})

    body = assert_problem(response, 422, "validation_failed")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert {tuple(error["location"]) for error in errors} == {
        ("body", "name"),
        ("body", "quantity"),
    }
    assert all(error["message"] and error["type"] for error in errors)


async def test_malformed_json_is_a_422_problem(probe_client: AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/widgets", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert_problem(response, 422, "validation_failed")


async def test_domain_errors_keep_their_status_code_and_detail(probe_client: AsyncClient) -> None:
    body = assert_problem(await probe_client.get("/probe/conflict"), 409, "widget_taken")

    assert body["title"] == "Widget Taken"
    assert body["detail"] == "That widget is taken."


async def test_unexpected_errors_are_a_500_problem_without_internals(
    probe_client: AsyncClient,
) -> None:
    response = await probe_client.get("/probe/crash")

    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert body["detail"] == "An unexpected error occurred. Quote the request id when reporting it."


async def test_openapi_documents_errors_as_problems(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    not_ready = document["paths"]["/health/ready"]["get"]["responses"]["503"]
    assert not_ready["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert (await client.get("/docs")).status_code == 200


async def test_a_body_that_is_not_utf8_is_the_same_422_as_malformed_json(
    probe_client: AsyncClient,
) -> None:
    response = await probe_client.post(
        "/probe/widgets",
        content=b'{"name": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [
        {
            "location": ["body"],
            "message": "The body could not be decoded",
            "type": "body_unreadable",
        }
    ]


async def test_a_405_allows_every_method_the_path_has(client: AsyncClient) -> None:
    response = await client.options("/api/v1/orders")

    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"
