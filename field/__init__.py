"""The field features, beside the controller under the regulator: full tanks, the water heater's mode and
low-energy fallback rules, forecasts, and the Domoticz and Home Assistant links (features.FieldFeatures is
the one object the regulator calls). They use the load models, integrations and values below them, never
the regulator or the controller (tests/test_layers.py)."""
