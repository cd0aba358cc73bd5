"""shell/while_down.WhileDown: what the daemon drops while it knows the broker link is down, and the stop, whose offs
are all handed to paho whatever the link."""

from __future__ import annotations

from shell.while_down import WhileDown, kept_dropped


def test_dropped_while_down_and_said_at_the_reconnect() -> None:
    watch = WhileDown()
    assert not watch.drops("cmnd/radiator/POWER")
    watch.went_down()
    assert watch.drops("cmnd/radiator/POWER") and watch.drops("regul/vload/ECS/cmd")
    said = watch.back()
    assert "2 messages made while the broker was unreachable dropped" in said and "cmnd/radiator/POWER" in said
    assert not watch.drops("cmnd/radiator/POWER") and watch.back() == ""


def test_every_off_of_the_stop_goes_to_paho_even_after_one_it_kept_for_a_reconnect() -> None:
    # The link down at the stop: the first load's off, kept by paho (no connection), said the link down again, and
    # the next loads' offs were dropped, never handed over (lost had paho reconnected within the stop's wait).
    watch = WhileDown()
    watch.went_down()
    watch.stopping()
    for topic in ("regul/vload/ECS/cmd", "cmnd/radiator/POWER", "cmnd/towel/POWER"):
        assert not watch.drops(topic)
        watch.went_down()  # (paho answered "no connection": it keeps the message for the reconnect)


def test_what_paho_held_for_a_connection_is_said_by_count_its_topics_each_once() -> None:
    assert kept_dropped(()) == ""
    said = kept_dropped(("regul/cload/small", "regul/cload/small", "domoticz/in"))
    assert said == ("; 3 messages paho held unacknowledged on the lost connection dropped, not sent late (on "
                    "regul/cload/small, domoticz/in): what is in effect replaces them")
    said = kept_dropped(tuple(f"cmnd/load{k}/POWER" for k in range(6)))
    assert said.startswith("; 6 messages") and "cmnd/load3/POWER, ...)" in said and "load4" not in said
    assert kept_dropped(("regul/report",)).startswith("; 1 message paho held")

