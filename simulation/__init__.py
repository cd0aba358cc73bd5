"""The simulated house: replay a real day through the decision core, score it against an oracle, and run
a live demo with virtual MQTT devices.

    python3 -m simulation replay TRACE.csv -c config.ini [--from 05:00 --to 21:00] [--plot day.png] [--log steps.csv]
    python3 -m simulation demo [--minutes 30] [--speed 30] [--start 12:10]
"""
