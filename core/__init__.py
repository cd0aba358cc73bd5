"""The regulator and the controller: pure (no socket, no clock, no global); time comes in as an argument."""
