"""query_check: a declared parameter's value that breaks its schema is refused with the
message that parameter carries."""

import pytest
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from complaints.api.query import pattern_param, query_check


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
