"""query_check: a declared parameter's value that breaks its schema is refused with the
message that parameter carries. ContentNegotiation answers as DRF's does."""

import pytest
from django.http import Http404, QueryDict
from rest_framework import renderers
from rest_framework.exceptions import NotAcceptable, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from complaints.api.query import ContentNegotiation, pattern_param, query_check


def test_each_pattern_parameter_gives_its_own_message_even_when_patterns_are_the_same():
    """Messages travel with the parameter: two parameters with one pattern keep theirs."""
    declared = [
        pattern_param("owner", "^(me|[0-9]+)$", "Give me or an owner's id."),
        pattern_param("reviewer", "^(me|[0-9]+)$", "Give me or a reviewer's id."),
    ]
    with pytest.raises(ValidationError) as raised:
        query_check(QueryDict("owner=x&reviewer=y"), declared)
    assert raised.value.detail == {
        "owner": ["Give me or an owner's id."],
        "reviewer": ["Give me or a reviewer's id."],
    }
    query_check(QueryDict("owner=me&reviewer=12"), declared)  # well formed: no error


class CSV(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"


RENDERER_LISTS = [
    [renderers.JSONRenderer(), renderers.BrowsableAPIRenderer()],
    [renderers.JSONRenderer(), CSV()],
    [CSV(), renderers.JSONRenderer()],
]


@pytest.mark.parametrize("offered", RENDERER_LISTS, ids=["json+html", "json+csv", "csv+json"])
@pytest.mark.parametrize(
    ("accept", "query"),
    [
        (None, ""),
        ("*/*", ""),
        ("application/json", ""),
        ("text/csv", ""),
        ("application/json", "format=csv"),
        ("text/html,*/*;q=0.8", ""),
        ("*/*", "format=json"),
        (None, "format=csv"),
        ("*/*", "format="),
    ],
)
def test_negotiation_answers_as_drfs_whether_or_not_it_takes_the_short_way(offered, accept, query):
    """A request that takes anything, or exactly the first representation offered, skips DRF's
    parsing of the Accept header; the answer is the one DRF gives (or the same error)."""
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/?" + query, **headers))

    def answer(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(request, offered)
        except (ValidationError, NotAcceptable, Http404) as error:
            return type(error)
        return type(renderer), media_type

    ours, drfs = answer(ContentNegotiation()), answer(DefaultContentNegotiation())
    if query == "format=":  # names nothing: 400 here, where DRF reads it as no format given
        assert ours is ValidationError
    elif ours is ValidationError:  # a format not offered: 400 here, 404 in DRF
        assert drfs is Http404
    else:
        assert ours == drfs
