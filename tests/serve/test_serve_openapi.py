"""The OpenAPI description at /openapi.json, checked against a real server's responses by schemathesis: requests
generated from the description (and, for the negative cases, requests that break it) get the statuses, content
types and bodies it promises, never a 5xx, and every 4xx is one line of JSON.

schemathesis's own pytest plugin does not work with pytest 9, so its strategies are drawn in a plain hypothesis
test, one per operation and generation mode."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from serving import Server, needs_extra, one_json_line

from factopinion.serve.openapi import openapi_document

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis: pip install '.[test]'")
pytestmark = [needs_extra, pytest.mark.slow]

OPERATIONS = [(path, method.upper()) for path, methods in openapi_document()["paths"].items() for method in methods]
MODES = ["positive", "negative"]
ALLOWED_REFUSALS = {
    (422, "no sentences to score"),
    (403, "this server does not fetch web addresses (start it with --allow-urls)"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("openapi"), "--max-bytes", "100000")
    yield running
    assert running.stop() == 0, running.output()
    assert "Traceback" not in running.output()


@pytest.fixture(scope="module")
def api(server):
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


def errors_are_one_line_of_json(ctx, response, case):
    if 400 <= response.status_code < 500:
        one_json_line(response.content)
        assert response.headers["content-type"][0] == "application/json"
    assert response.headers["x-content-type-options"][0] == "nosniff"
    return True


def test_the_served_description_is_the_one_tested(server, api):
    assert sorted((op.ok().path, op.ok().method.upper()) for op in api.get_all_operations()) == sorted(OPERATIONS)


# A GET without parameters has no invalid form: only the POST operations are sent requests that break the description.
CASES = [
    (path, method, mode) for path, method in OPERATIONS for mode in MODES if mode == "positive" or method == "POST"
]


@pytest.mark.parametrize(("path", "method", "mode"), CASES, ids=[f"{m} {p} {mode}" for p, m, mode in CASES])
def test_the_api_answers_as_its_description_says(server, api, path, method, mode):
    from schemathesis.checks import positive_data_acceptance
    from schemathesis.generation.modes import GenerationMode

    operation = api[path][method]

    @given(data=st.data())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(data):
        # A table (CSV, TSV, JSON Lines) is a string to the description, which cannot say which strings are tables
        # with a text column: valid bodies of /v1/label are drawn as JSON arrays of texts, which take no text_column.
        case = data.draw(operation.as_strategy(generation_mode=GenerationMode(mode)))
        if mode == "positive" and path == "/v1/label":
            assume(case.media_type == "application/json")
            if case.query:
                case.query.pop("text_column", None)
        if mode == "positive":
            # The description cannot say which texts hold a sentence ("\x16", say, holds none): the one 4xx that a
            # valid request may get is the 422 that says so, or the 403 for a url this server does not fetch.
            response = case.call_and_validate(base_url=server.url, additional_checks=[errors_are_one_line_of_json],
                                              excluded_checks=[positive_data_acceptance])  # fmt: skip
            if response.status_code >= 400:
                error = response.json()["error"]
                assert (response.status_code, error.split(":")[0]) in ALLOWED_REFUSALS, (response.status_code, error)
        else:
            case.call_and_validate(base_url=server.url, additional_checks=[errors_are_one_line_of_json])

    check()
    assert server.healthy()
