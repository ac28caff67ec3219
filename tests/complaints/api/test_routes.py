"""The API's URL modules are tried in the order complaints/api/urls.py lists them (filing
first); that order may decide nothing, so no two of them may claim the same route."""

from django.urls import URLPattern, URLResolver, get_resolver


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def test_no_two_api_modules_claim_the_same_route():
    routes = [r for r in _routes(get_resolver().url_patterns) if r.startswith("api/v1/")]
    assert "api/v1/complaints/" in routes
    assert len(routes) > 40
    assert sorted(r for r in routes if routes.count(r) > 1) == []


def test_filing_resolves_to_the_filing_view():
    match = get_resolver().resolve("/api/v1/complaints/")
    assert match.view_name == "api:complaints"
