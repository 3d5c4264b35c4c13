import pytest

from messaging.mentions import mentioned_usernames


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("hi @Ada", {"ada"}),
        ("@ada, @bob: look", {"ada", "bob"}),
        ("thanks @ada.", {"ada.", "ada"}),
        ("@ada.lovelace here", {"ada.lovelace"}),
        ("mail ada@example.com", set()),
        ("no mention", set()),
        ("(@bob)", {"bob"}),
    ],
)
def test_mentions_are_parsed_from_the_body(body, expected):
    assert mentioned_usernames(body) == expected
