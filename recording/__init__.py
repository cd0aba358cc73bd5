"""Recorded days: each decision's readings and load states, one compressed CSV file a day."""
