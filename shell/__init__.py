"""The thin I/O shell around the decision core: MQTT link, main loop, lock, signals, logging."""
