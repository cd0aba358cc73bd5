"""Configuration: reading config.ini into validated, frozen settings (all problems reported at once)."""
