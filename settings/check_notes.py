"""What `regulation.py --check` says of the links beyond the broker: Domoticz, Home Assistant, the forecast
and the day recorder. One line each, on or off: a user checking a migrated config must see that its idx are
read (or that none is), and where the recorder will write, before the daemon runs."""

from __future__ import annotations

from field.config import relay_idx
from settings.config import Settings


def link_notes(settings: Settings) -> tuple[str, ...]:
    """One line per link, in the order --check prints them."""
    return (_domoticz(settings), _homeassistant(settings), _forecast(settings), _recording(settings))


def _domoticz(settings: Settings) -> str:
    ds = settings.field.domoticz
    parts: list[str] = []
    if ds.send:
        flows = [f"{what} to idx {idx}" for what, idx, on in (("grid import", ds.idx_grid, ds.send_grid),
                                                              ("injection", ds.idx_injection, ds.send_injection))
                 if on and idx]
        if flows:
            parts.append(f"{' and '.join(flows)} on {ds.topic_in} (0 again every {ds.keepalive_s:g} s while a "
                         "flow stays at 0)")
    if ds.idx_ecs_mode and settings.field.water_heater is not None:
        parts.append(f"{settings.field.water_heater}'s mode from selector idx {ds.idx_ecs_mode} on "
                     f"{ds.topic_out}")
    switches = [f"{load.name} idx {idx}" for load in settings.equipments
                if (idx := load.options.get("domoticz_idx_force") or 0)]
    if switches:
        parts.append(f"force switches {', '.join(switches)} on {ds.topic_out}")
    # (a relay whose commands are switchlights Domoticz reads: the seed's relays were Domoticz switches)
    relays = [f"{load.name} idx {' and '.join(map(str, sorted(idx)))}" for load in settings.equipments
              if load.options.get("topic_set_power") == ds.topic_in and (idx := relay_idx(load))]
    if relays:
        parts.append(f"relays {', '.join(relays)} switched through {ds.topic_in}")
    if ds.idx_keep_alive:  # (the seed's heartbeat, for Domoticz's "last seen")
        parts.append(f'heartbeat {{"idx": {ds.idx_keep_alive}, "nvalue": 1}} on {ds.topic_in} every hour at hh:21')
    if not parts and (ds.idx_grid or ds.idx_injection):
        # The idx are there and turned off: "no idx set" sent a migrated user looking for a typo in them.
        given = " and ".join(f"{key} {idx}" for key, idx in (("idx_grid", ds.idx_grid),
                                                              ("idx_injection", ds.idx_injection)) if idx)
        why = "send_domoticz = false" if not ds.send else "send_grid and send_injection turn those flows off"
        return f"Domoticz:    off ([domoticz] {given} set, but {why})"
    return f"Domoticz:    {'; '.join(parts) if parts else 'off (no idx set in [domoticz] or on a load)'}"


def _homeassistant(settings: Settings) -> str:
    ha = settings.field.homeassistant
    if ha.discovery:
        # (the text it was made of, when the id is not that text: two instances whose texts make one id collide)
        made_of = f" (made of {ha.node_source})" if ha.node_source and not ha.node_source.endswith(f" {ha.node_id!r}") \
            else ""
        return f"Home Assistant discovery: on, under {ha.prefix}/ as node {ha.node_id!r}{made_of}"
    return "Home Assistant discovery: off ([homeassistant] discovery = true to announce PySEB)"


def _forecast(settings: Settings) -> str:
    fc = settings.field.forecast
    sources: list[str] = []
    unused_because = settings.field.owm_unused_because()
    if fc.owm is not None and unused_because is None:
        sources.append(f"OpenWeatherMap for {fc.owm.location}")
    if fc.mqtt_topic:
        sources.append(f"MQTT topic {fc.mqtt_topic}")
    said = ' and '.join(sources) if sources else 'none'
    if fc.owm is not None and unused_because is not None:
        # (listed as a source, the owner counted on a forecast the daemon never fetches)
        said += f" (OpenWeatherMap for {fc.owm.location} is configured but not used, nor fetched: {unused_because})"
    return f"forecast:    {said}"


def _recording(settings: Settings) -> str:
    rec = settings.record
    if not rec.enabled:
        return "recording:   off ([record] enabled = true keeps each day's decisions, to replay them)"
    return (f"recording:   each decision into {rec.dir}, written every {rec.flush_interval_s:g} s, "
            f"{rec.keep_days} days kept, at most {rec.max_day_bytes / 1e6:g} MB a day")
