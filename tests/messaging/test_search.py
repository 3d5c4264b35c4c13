"""Message search (issue #25): the query language, the index on both databases, filters, privacy, paging,
snippets; and opening history around a message."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from messaging.models import Reaction
from messaging.search.query import ParsedQuery, QueryError, Term, fts5_match, parse, websearch_text
from moderation import services as moderation_services
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory
from tests.messaging import search_scenario
from tests.messaging.factories import make_conversation, store_message

ROOT = Path(__file__).resolve().parents[2]
SEARCH_URL = "/api/v1/search/messages/"


def bodies(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [hit["message"]["body"] for hit in response.json()["results"]]


# --- the query language (pure)


def test_words_phrases_or_and_exclusions_parse_as_websearch_reads_them():
    query = parse('deploy "on friday" lunch OR dinner -party')
    assert query.groups == (
        (Term(("deploy",)),),
        (Term(("on", "friday")),),
        (Term(("lunch",)), Term(("dinner",))),
        (Term(("party",), excluded=True),),
    )
    assert websearch_text(query) == 'deploy "on friday" lunch OR dinner -party'
    assert fts5_match(query) == '("deploy") AND ("on friday") AND ("lunch" OR "dinner") NOT "party"'


def test_filters_come_out_of_the_text():
    query = parse("from:@Bob in:#ops has:file before:2026-01-02 after:2025-12-01 plans")
    assert query == ParsedQuery(
        groups=((Term(("plans",)),),),
        senders=("Bob",),
        conversations=("ops",),
        has=frozenset({"file"}),
        before=date(2026, 1, 2),
        after=date(2025, 12, 1),
    )


def test_punctuation_alone_is_no_term_and_an_unclosed_quote_ends_the_phrase():
    assert parse('!!! "half open').groups == ((Term(("half", "open")),),)
    assert not parse("from:@ada").has_text


@pytest.mark.parametrize(
    "text",
    [
        "before:yesterday plans",
        "after:2026-13-01 x",
        "has:pony x",
        "-party",
        "-a -b",
        "*",
        "OR",
        "((((",
        '""',
        "-",
    ],
)
def test_a_query_that_cannot_run_says_why(text):
    with pytest.raises(QueryError):
        parse(text)


@given(st.text(alphabet=st.sampled_from(list("ab \"-:ORr()*^.@#'x1é")), max_size=40))
def test_any_text_becomes_a_valid_fts5_expression(text):
    """Whatever is typed, the FTS5 expression parses (nothing typed is FTS5 syntax)."""
    try:
        query = parse(text)
    except QueryError:
        return
    if not query.has_text:
        return
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61')")
    db.execute("SELECT * FROM t WHERE t MATCH ?", [fts5_match(query)]).fetchall()


# --- both databases answer alike


@pytest.mark.django_db
def test_postgresql_answers_the_scenario():
    ada = search_scenario.build()
    found = search_scenario.answers(ada)
    assert found == {
        f"{text}|{public}": sorted(want) for (text, public), want in search_scenario.EXPECTED.items()
    }


def test_sqlite_fts5_answers_the_scenario_as_postgresql_does(tmp_path):
    """Embedded mode, in its own process: migrate (which builds the FTS5 index), then the same searches."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "chatproject.settings.base",
        "PARLEY_DATA_DIR": str(tmp_path),
    }
    script = "import django; django.setup(); from tests.messaging.search_scenario import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    expected = {f"{text}|{public}": sorted(want) for (text, public), want in search_scenario.EXPECTED.items()}
    assert output["answers"] == expected
    assert "<mark>running</mark>" in output["snippet"]
    assert "&lt;" in output["snippet"]


# --- the API


@pytest.mark.django_db
def test_search_finds_stemmed_words_in_my_conversations_only(as_user, ada, bob, eve, team):
    store_message(team, ada, 1, "The deploy is on Friday")
    store_message(team, bob, 2, "lunch?")
    store_message(make_conversation(eve, title="Eve's"), eve, 1, "secret deploy plans")
    assert bodies(as_user(bob).get(SEARCH_URL, {"q": "DEPLOYS"})) == ["The deploy is on Friday"]
    assert bodies(as_user(eve).get(SEARCH_URL, {"q": "friday"})) == []


@pytest.mark.django_db
def test_a_hit_names_its_conversation_and_marks_the_words_in_escaped_text(as_user, ada, team):
    store_message(team, ada, 1, "<script>alert(1)</script> we are running out of <b>coffee</b>")
    [hit] = as_user(ada).get(SEARCH_URL, {"q": "run"}).json()["results"]
    assert hit["conversation"] == {"id": team.pk, "kind": "group", "title": "Team"}
    assert hit["message"]["seq"] == 1
    assert "<mark>running</mark>" in hit["snippet"]
    assert not re.search(r"<(?!/?mark>)", hit["snippet"])  # no tag but our marks


@pytest.mark.django_db
def test_the_better_match_comes_first(as_user, ada, team):
    store_message(team, ada, 1, "a long note that mentions the budget once among many other words here")
    store_message(team, ada, 2, "budget budget budget")
    assert [
        hit["message"]["seq"] for hit in as_user(ada).get(SEARCH_URL, {"q": "budget"}).json()["results"]
    ] == [
        2,
        1,
    ]


@pytest.mark.django_db
def test_each_filter_narrows_the_hits(as_user, ada, bob, team):
    plain = store_message(team, ada, 1, "plans from ada")
    store_message(team, bob, 2, "plans from bob")
    store_message(team, ada, 3, "plans with a file").attachments.add(StoredFileFactory(owner=ada))
    ops = make_conversation(ada, bob, title="Ops", kind="channel")
    store_message(ops, bob, 1, "plans in ops")
    type(plain).objects.filter(pk=plain.pk).update(created_at="2026-01-01T12:00:00Z")
    client = as_user(ada)
    assert bodies(client.get(SEARCH_URL, {"q": "plans from:@BOB"})) == ["plans in ops", "plans from bob"]
    assert bodies(client.get(SEARCH_URL, {"q": "plans in:#ops"})) == ["plans in ops"]
    assert bodies(client.get(SEARCH_URL, {"q": "has:file"})) == ["plans with a file"]
    assert bodies(client.get(SEARCH_URL, {"q": "plans before:2026-01-02"})) == ["plans from ada"]
    assert "plans from ada" not in bodies(client.get(SEARCH_URL, {"q": "plans after:2026-01-01"}))
    assert bodies(client.get(SEARCH_URL, {"q": "plans from:@nobody"})) == []


@pytest.mark.django_db
def test_public_channels_are_searched_only_when_asked(as_user, ada, eve):
    lobby = make_conversation(eve, title="lobby", kind="channel", is_public=True)
    store_message(lobby, eve, 1, "welcome aboard")
    hidden = make_conversation(eve, title="hidden", kind="channel")
    store_message(hidden, eve, 1, "welcome to the secret room")
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "welcome"})) == []
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "welcome", "public": "true"})) == ["welcome aboard"]


@pytest.mark.django_db
def test_a_removed_member_and_a_deleted_or_removed_message_never_hit(as_user, ada, bob, team):
    kept = store_message(team, ada, 1, "roadmap draft")
    store_message(team, bob, 2, "roadmap final")
    deleted = store_message(team, bob, 3, "roadmap leaked")
    assert as_user(bob).delete(f"/api/v1/messages/{deleted.id}/").status_code == 204
    assert sorted(bodies(as_user(ada).get(SEARCH_URL, {"q": "roadmap"}))) == [
        "roadmap draft",
        "roadmap final",
    ]
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "leaked"})) == []
    as_user(ada).delete(f"/api/v1/conversations/{team.pk}/members/{bob.pk}/")
    assert bodies(as_user(bob).get(SEARCH_URL, {"q": "roadmap"})) == []
    assert kept.pk


@pytest.mark.django_db
def test_a_message_a_moderator_removed_never_hits(as_user, ada, bob, team):
    message = store_message(team, bob, 1, "buy cheap pills")
    moderator = UserFactory(username="mod", is_staff=True, is_superuser=True)
    moderation_services.message_remove(moderator=moderator, message=message, reason="spam")
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "pills"})) == []
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "from:@bob"})) == []


@pytest.mark.django_db
def test_an_edit_is_found_by_its_new_words_only(as_user, ada, team):
    message = store_message(team, ada, 1, "meeting at noon")
    response = as_user(ada).patch(
        f"/api/v1/messages/{message.id}/", {"body": "meeting at dusk"}, format="json"
    )
    assert response.status_code == 200
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "noon"})) == []
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "dusk"})) == ["meeting at dusk"]


@pytest.mark.django_db
def test_pages_follow_the_cursor_without_repeats(as_user, ada, team):
    for seq in range(1, 6):
        store_message(team, ada, seq, "standup notes")
    seen, cursor = [], None
    while True:
        params = {"q": "standup", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = as_user(ada).get(SEARCH_URL, params).json()
        seen += [hit["message"]["seq"] for hit in page["results"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == [5, 4, 3, 2, 1]  # equal ranks: newest first


@pytest.mark.django_db
def test_filters_alone_page_newest_first(as_user, ada, team):
    for seq in range(1, 4):
        store_message(team, ada, seq, f"note {seq}")
    first = as_user(ada).get(SEARCH_URL, {"q": "from:@ada", "limit": 2}).json()
    second = (
        as_user(ada).get(SEARCH_URL, {"q": "from:@ada", "limit": 2, "cursor": first["next_cursor"]}).json()
    )
    assert [hit["message"]["seq"] for hit in first["results"] + second["results"]] == [3, 2, 1]
    assert second["next_cursor"] is None
    assert first["results"][0]["snippet"] == "note 3"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "plans before:someday"}, "q"),
        ({"q": "-only"}, "q"),
        ({"q": "*"}, "q"),  # it listed every message
        ({"q": "x", "cursor": "!!"}, "cursor"),  # it was named q
    ],
)
def test_a_bad_search_is_a_400_naming_the_field(as_user, ada, team, params, field):
    store_message(team, ada, 1, "plans for the launch")
    response = as_user(ada).get(SEARCH_URL, params)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


@pytest.mark.django_db
def test_search_is_a_fixed_number_of_queries(as_user, ada, team, django_assert_num_queries):
    for seq in range(1, 8):
        message = store_message(team, ada, seq, f"standup notes {seq}")
        message.attachments.add(StoredFileFactory(owner=ada))
        Reaction.objects.create(message=message, user=ada, emoji="👍")
    with django_assert_num_queries(5):  # conversations, hits, messages, attachments, reactions
        results = as_user(ada).get(SEARCH_URL, {"q": "standup"}).json()["results"]
    assert len(results) == 7


@pytest.mark.django_db
def test_the_index_is_used(ada, team):
    store_message(team, ada, 1, "hello")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM messaging_message "
            "WHERE search_vector @@ websearch_to_tsquery('english', 'hello')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "messaging_message_search" in plan


@pytest.fixture
def search_config_restored(settings):
    """The rebuilt index outlives the test's transaction: it is built again in the configuration the other
    tests search in (with stemming), whatever the test changed."""
    original = settings.SEARCH_CONFIG
    yield
    settings.SEARCH_CONFIG = original
    call_command("search_reindex", stdout=StringIO())


@pytest.mark.django_db(transaction=True)  # as in production: the rows are committed before the rebuild
def test_the_index_is_rebuilt_in_a_new_search_config(as_user, ada, team, settings, search_config_restored):
    """Stemming comes from the configuration the column was built in: after SEARCH_CONFIG changes to
    'simple' (no stemming), only `search_reindex` makes the exact word findable and the stem not."""
    store_message(team, ada, 1, "The deploys are on Friday")
    settings.SEARCH_CONFIG = "simple"
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "deploys"})) == []  # still the english column
    call_command("search_reindex", stdout=StringIO())
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "deploys"})) == ["The deploys are on Friday"]
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "deploy"})) == []


@pytest.mark.django_db(transaction=True)  # so it runs after the rebuild above (pytest-django orders them so)
def test_a_word_finds_its_other_forms_after_the_index_was_rebuilt_elsewhere(as_user, ada, team):
    """The index the rebuild above leaves is the one every later search expects."""
    store_message(team, ada, 1, "The deploys are on Friday")
    assert bodies(as_user(ada).get(SEARCH_URL, {"q": "deploy"})) == ["The deploys are on Friday"]


# --- history around a message


def window(client, conversation, **params):
    response = client.get(f"/api/v1/conversations/{conversation.pk}/messages/", params)
    assert response.status_code == 200, response.content
    page = response.json()
    return [m["seq"] for m in page["results"]], page["has_more"], page["has_more_newer"]


@pytest.mark.django_db
def test_history_opens_around_a_message(as_user, ada, team):
    for seq in range(1, 61):
        store_message(team, ada, seq, f"m{seq}")
    client = as_user(ada)
    assert window(client, team, around=30, limit=10) == (list(range(34, 24, -1)), True, True)
    assert window(client, team, around=2, limit=10) == ([6, 5, 4, 3, 2, 1], False, True)
    assert window(client, team, around=59, limit=10) == ([60, 59, 58, 57, 56, 55, 54], True, False)


@pytest.mark.django_db
def test_history_around_a_message_is_the_main_timeline_as_history_pages_are(as_user, ada, bob, team):
    # given: 30 events, every third one a reply in the thread of message 1 (as a busy thread interleaves)
    root = store_message(team, ada, 1, "root")
    for seq in range(2, 31):
        if seq % 3:
            store_message(team, ada, seq, f"m{seq}")
        else:
            store_message(team, bob, seq, f"reply {seq}", thread_root=root)
    client = as_user(ada)

    # when: the history is opened around a message, and around a reply's seq
    # then: a page of the main timeline, as the pages before and after it are: the replies are in their thread
    assert window(client, team, around=14, limit=6) == ([17, 16, 14, 13, 11, 10], True, True)
    assert window(client, team, around=15, limit=6) == ([19, 17, 16, 14, 13, 11], True, True)
    older = client.get(f"/api/v1/conversations/{team.pk}/messages/", {"before_seq": 10, "limit": 3}).json()
    assert [m["seq"] for m in older["results"]] == [8, 7, 5]
    assert window(client, team, around=29, limit=6) == ([29, 28, 26, 25], True, False)


@pytest.mark.django_db
def test_around_is_gated_and_not_mixed_with_other_cursors(as_user, ada, eve, team):
    store_message(team, ada, 1, "m1")
    url = f"/api/v1/conversations/{team.pk}/messages/"
    assert as_user(eve).get(url, {"around": 1}).status_code == 404
    assert as_user(ada).get(url, {"around": 1, "before_seq": 5}).status_code == 400
