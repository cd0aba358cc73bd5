"""Links to home-automation systems (Domoticz): pure translators between their MQTT messages and the
regulator's state; the regulator publishes what they return."""
