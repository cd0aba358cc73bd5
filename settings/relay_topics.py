"""The relays' command topics whose firmware is known, and the payloads each switches with: read by the config's
checks of a relay's payloads (settings.device_checks) and of a load listed as a variator on a relay's topic
(settings.seed_loads), one table for both."""

from __future__ import annotations

import re

# Tasmota's commands are of any case (Power1, POWER1, power); its default prefix is cmnd. Another shape, a custom
# FullTopic say, is not told (a Tasmota dimmer's cmnd/<device>/Dimmer takes 0..100: a variator).
TASMOTA_POWER = re.compile(r"cmnd/[^/]+/(?i:power)\d*")
TASMOTA_WORDS = frozenset({"on", "off", "1", "0", "true", "false"})  # (case aside)
SHELLY_RELAY = re.compile(r"shellies/.+/relay/\d+/command")
SHELLY_WORDS = frozenset({"on", "off"})

# The relays' command topics whose firmware takes on/off words only: a percent sent there switches nothing (Tasmota
# answers it with an error, a Shelly ignores it), so a load commanded there is a relay, whatever it is listed as.
# (shape, firmware, the payloads that switch it as a relay's keys)
RELAY_COMMAND_TOPICS = ((TASMOTA_POWER, "Tasmota", "json_on = ON, json_off = OFF"),
                        (SHELLY_RELAY, "Shelly", "json_on = on, json_off = off"))
