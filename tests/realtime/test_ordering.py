"""Each socket delivers a conversation's messages in seq order, whatever order the workers broadcast them
in."""

from realtime.ordering import SKIPPED_RANGES_KEPT, SeqOrderer


def test_in_order_events_pass_straight_through():
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    assert [orderer.offer(1, seq, f"m{seq}") for seq in (1, 2, 3)] == [["m1"], ["m2"], ["m3"]]


def test_a_later_seq_waits_for_the_missing_one():
    orderer = SeqOrderer()
    orderer.start_after(1, 4)
    assert orderer.offer(1, 6, "m6") == []
    assert orderer.gap(1) == (5, 6)
    assert orderer.offer(1, 5, "m5") == ["m5", "m6"]
    assert orderer.gap(1) is None


def test_duplicates_and_seqs_before_the_start_are_dropped():
    orderer = SeqOrderer()
    orderer.start_after(1, 10)
    assert orderer.offer(1, 10, "old") == []
    assert orderer.offer(1, 11, "m11") == ["m11"]
    assert orderer.offer(1, 11, "m11 again") == []


def test_a_skipped_seq_releases_what_waited_behind_it():
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    assert orderer.offer(1, 2, "m2") == []
    assert orderer.offer(1, 1, None) == ["m2"]  # seq 1's send failed: a skip, not a message


def test_giving_up_on_a_gap_delivers_the_rest_in_order():
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    orderer.offer(1, 4, "m4")
    orderer.offer(1, 3, "m3")
    assert orderer.skip_gap(1, up_to=3) == ["m3", "m4"]
    assert orderer.last_delivered(1) == 4


def test_a_message_that_turns_up_after_its_gap_was_given_up_is_delivered_late_once():
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    orderer.offer(1, 4, "m4")
    assert orderer.skip_gap(1, up_to=4) == ["m4"]  # 1, 2 and 3 given up on
    assert orderer.offer(1, 2, "m2") == ["m2"]  # only slow: late, but not lost
    assert orderer.offer(1, 2, "m2 again") == []
    assert orderer.offer(1, 1, "m1") == ["m1"]
    assert orderer.offer(1, 3, "m3") == ["m3"]
    assert orderer.offer(1, 4, "m4 again") == []
    assert orderer.last_delivered(1) == 4


def test_only_the_most_recent_skipped_gaps_are_remembered():
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    for gap in range(SKIPPED_RANGES_KEPT + 1):  # each gap: seq 2n+1 missing, 2n+2 held
        orderer.offer(1, 2 * gap + 2, f"m{2 * gap + 2}")
        orderer.skip_gap(1, up_to=2 * gap + 2)
    assert orderer.offer(1, 1, "m1") == []  # the oldest gap is forgotten: dropped
    assert orderer.offer(1, 3, "m3") == ["m3"]


def test_giving_up_on_a_gap_leaves_a_newer_gap_waiting():
    # given: seq 1 missing when its timer started (2 held); meanwhile 1 arrived, then 4 behind a new gap
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    orderer.offer(1, 2, "m2")
    assert orderer.offer(1, 1, "m1") == ["m1", "m2"]
    orderer.offer(1, 4, "m4")
    # when: the old timer fires
    released = orderer.skip_gap(1, up_to=2)
    # then: seq 3 is still awaited
    assert released == []
    assert orderer.gap(1) == (3, 4)


def test_conversations_are_ordered_independently():
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    orderer.start_after(2, 0)
    assert orderer.offer(1, 2, "a2") == []
    assert orderer.offer(2, 1, "b1") == ["b1"]


def test_a_conversation_without_baseline_starts_at_its_first_event():
    orderer = SeqOrderer()
    assert orderer.offer(7, 40, "m40") == ["m40"]
    assert orderer.offer(7, 41, "m41") == ["m41"]


def test_restarting_after_a_sync_position_replays_from_there():
    orderer = SeqOrderer()
    orderer.start_after(1, 0)
    orderer.offer(1, 1, "m1")
    orderer.offer(1, 3, "m3")
    orderer.start_after(1, 1)  # the client says it has seen up to 1
    assert orderer.offer(1, 2, "m2") == ["m2", "m3"]
