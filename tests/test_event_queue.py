"""The main loop's event queue: in order, its MQTT messages bounded (by count and by bytes), and a full queue drops the
oldest meter reading waiting, never a command or a device's notice for one (a flood of readings lost a user's force,
a variator's boot_detected)."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from shell.event_queue import MAX_WAITING_BYTES, MAX_WAITING_MESSAGES, Dropped, EventQueue
from shell.link_events import Connected, Message

CONS, PROD, MODE, BOOT = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/mode", "regul/vload/ECS"


def message(topic: str, k: int = 0, size: int = 0) -> Message:
    """A message whose bytes (its topic and payload, as the queue counts them) are `size`, or a short one."""
    payload = b"%d" % k
    return Message(topic, payload.ljust(size - len(topic), b" ") if size else payload, 0.0)


def events(max_messages: int = 5, max_bytes: int = MAX_WAITING_BYTES) -> EventQueue:
    return EventQueue(lambda e: e.topic if isinstance(e, Message) else None, {CONS, PROD}, max_messages, max_bytes)


def drain(q: EventQueue) -> list[object]:
    taken = []
    while True:
        try:
            taken.append(q.get_nowait())
        except queue.Empty:
            return taken


def test_events_come_out_in_the_order_they_came() -> None:
    q = events()
    put = [message(CONS, 1), message(MODE), Connected(0.0, True), message(PROD, 2), "a forecast", message(BOOT)]
    for event in put:
        q.put(event)
    assert q.qsize() == 6
    assert drain(q) == put
    assert q.take_dropped() == Dropped()


def test_a_full_queue_drops_the_oldest_reading_for_a_command_or_a_notice() -> None:
    q = events()
    for k in range(5):
        q.put(message(CONS if k % 2 else PROD, k))
    q.put(message(MODE))
    q.put(message(BOOT))
    q.put(message(CONS, 9))  # (a fresh reading: the oldest waiting makes room for it too)
    assert drain(q) == [message(CONS, 3), message(PROD, 4), message(MODE), message(BOOT), message(CONS, 9)]
    assert q.take_dropped() == Dropped(readings=3, last_reading_topic=PROD)  # (the oldest: 0, 1, 2)
    assert q.take_dropped() == Dropped()  # (taken: counted from 0 again)


def test_a_queue_full_of_commands_is_bounded_anyway() -> None:
    # Someone flooding regul/mode: with no reading waiting to make room, the new message is dropped, whatever it is.
    q = events()
    for k in range(5):
        q.put(message(MODE, k))
    q.put(message(CONS, 7))
    q.put(message(BOOT))
    q.put(Connected(0.0, False))  # (the link's own events are few: never dropped, nor counted in the bound)
    assert q.qsize() == 6
    assert drain(q) == [*(message(MODE, k) for k in range(5)), Connected(0.0, False)]
    dropped = q.take_dropped()
    assert dropped == Dropped(readings=1, last_reading_topic=CONS, others=1, last_other_topic=BOOT)
    assert dropped.count == 2


def test_a_reading_waiting_behind_commands_still_makes_room() -> None:
    q = events()
    for k in range(4):
        q.put(message(MODE, k))
    q.put(message(PROD, 4))
    q.put(message(BOOT))
    assert drain(q) == [*(message(MODE, k) for k in range(4)), message(BOOT)]
    assert q.take_dropped() == Dropped(readings=1, last_reading_topic=PROD)


def test_a_signal_s_request_comes_first_and_wakes_a_waiting_get() -> None:
    q = events()
    q.put(message(CONS))
    q.put_from_signal("stop")
    assert q.get(timeout=1.0) == "stop"
    assert q.get(timeout=1.0) == message(CONS)
    threading.Timer(0.1, q.put_from_signal, ("stop",)).start()
    assert q.get(timeout=5.0) == "stop"


def test_a_get_waits_for_its_timeout_or_an_event() -> None:
    q = events()
    started = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.1)
    assert time.monotonic() - started >= 0.1
    threading.Timer(0.1, q.put, (message(MODE),)).start()
    assert q.get(timeout=5.0) == message(MODE)


def test_a_flood_rings_one_bell() -> None:
    # (the wake-up queue beside the deques holds one bell at most: it does not grow with a flood either)
    q = events(max_messages=10)
    for k in range(10_000):
        q.put(message(CONS, k))
    assert q._wake.qsize() == 1
    assert drain(q) == [message(CONS, k) for k in range(9990, 10_000)]
    assert q.take_dropped() == Dropped(readings=9990, last_reading_topic=CONS)


def test_threads_putting_while_the_loop_takes_lose_nothing() -> None:
    q = events(max_messages=100_000)
    per_thread = 5000

    def put_many(topic: str) -> None:
        for k in range(per_thread):
            q.put(message(topic, k))

    threads = [threading.Thread(target=put_many, args=(topic,)) for topic in (CONS, MODE, BOOT)]
    for thread in threads:
        thread.start()
    taken = [q.get(timeout=5.0) for _ in range(3 * per_thread)]
    for thread in threads:
        thread.join()
    for topic in (CONS, MODE, BOOT):
        assert [e for e in taken if isinstance(e, Message) and e.topic == topic] == [message(topic, k)
                                                                                    for k in range(per_thread)]
    with pytest.raises(queue.Empty):
        q.get_nowait()


def test_the_bytes_waiting_are_bounded_too() -> None:
    # Bounded by count only, the queue held each message whole until handled: 2000 x 1 MB on a broker that passes
    # big messages (mosquitto's default limit is 256 MB), a Pi Zero's memory (512 MB) gone. A message that would take
    # the bytes waiting over the budget makes room as a message over the count does: the oldest readings go.
    q = events(max_messages=100, max_bytes=1000)
    for k in range(10):
        q.put(message(CONS if k % 2 else PROD, k, size=240))
        assert q.waiting_bytes() <= 1000
    assert q.waiting_bytes() == 4 * 240
    assert drain(q) == [message(CONS if k % 2 else PROD, k, size=240) for k in range(6, 10)]
    assert q.take_dropped() == Dropped(readings=6, last_reading_topic=CONS)
    assert q.waiting_bytes() == 0


def test_a_big_command_drops_as_many_of_the_oldest_readings_as_it_needs() -> None:
    q = events(max_messages=100, max_bytes=1000)
    for k in range(9):
        q.put(message(CONS, k, size=100))
    q.put(message(MODE, size=450))  # (900 + 450: the oldest 4 readings make room, 100 bytes each)
    assert q.waiting_bytes() == 500 + 450
    assert drain(q) == [*(message(CONS, k, size=100) for k in range(4, 9)), message(MODE, size=450)]
    assert q.take_dropped() == Dropped(readings=4, last_reading_topic=CONS)


def test_a_message_the_readings_cannot_make_room_for_is_dropped_and_the_readings_kept() -> None:
    # Commands hold most of the budget: dropping every reading would not make room for a big one, so none is
    # dropped for it (they would be lost for nothing), and the new message is, whatever it is.
    q = events(max_messages=100, max_bytes=1000)
    q.put(message(MODE, 1, size=700))
    q.put(message(CONS, 2, size=100))
    q.put(message(BOOT, size=350))  # (700 + 350: over the budget with the reading dropped too)
    q.put(message(CONS, 3, size=200))  # (fits: 1000 is the budget reached, not passed)
    assert drain(q) == [message(MODE, 1, size=700), message(CONS, 2, size=100), message(CONS, 3, size=200)]
    assert q.take_dropped() == Dropped(others=1, last_other_topic=BOOT)


@pytest.mark.parametrize("topic", [CONS, MODE])
def test_a_message_bigger_than_the_whole_budget_is_dropped_at_once(topic: str) -> None:
    # Nothing it could drop would make room: it is never queued, and the readings waiting stay.
    q = events(max_messages=100, max_bytes=1000)
    q.put(message(CONS, 1, size=300))
    q.put(message(topic, 2, size=1001))
    q.put(message(MODE, 3, size=1000 - 300))  # (the budget itself is reached, not passed: it fits)
    assert drain(q) == [message(CONS, 1, size=300), message(MODE, 3, size=700)]
    dropped = q.take_dropped()
    assert dropped == Dropped(too_big=1, last_too_big_topic=topic)
    assert dropped.count == 1


def test_the_other_events_take_none_of_the_budget() -> None:
    q = events(max_messages=100, max_bytes=1000)
    q.put(Connected(0.0, True))
    q.put("a forecast")
    q.put(message(MODE, size=1000))
    assert q.waiting_bytes() == 1000
    assert drain(q) == [Connected(0.0, True), "a forecast", message(MODE, size=1000)]
    assert q.take_dropped() == Dropped()


def test_a_real_flood_of_readings_meets_the_count_bound_first() -> None:
    # The budget is there for big messages: readings of the size meters send (~300 bytes, a few KiB at most) fill
    # the count long before it.
    q = EventQueue(lambda e: e.topic if isinstance(e, Message) else None, {CONS, PROD})
    for k in range(MAX_WAITING_MESSAGES + 10):
        q.put(message(CONS, k, size=4096))
    assert q.qsize() == MAX_WAITING_MESSAGES
    assert q.take_dropped() == Dropped(readings=10, last_reading_topic=CONS)
