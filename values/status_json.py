"""The status document's JSON as PySEB publishes it: one encoder for every status, and the fragment naming the
instance that published it, written by that very encoder (field.instance_watch knows its own statuses by those
bytes, without parsing each one: the two must not drift apart)."""

from __future__ import annotations

import json

__all__ = ["STATUS_INSTANCE_KEY", "STATUS_JSON", "instance_fragment"]

# allow_nan=False: NaN is not JSON, and a dashboard reading it would choke. One encoder for every status
# (json.dumps with an option makes a new one each call; encoding keeps no state between calls).
STATUS_JSON = json.JSONEncoder(allow_nan=False)

STATUS_INSTANCE_KEY = "client_id"  # the status document's field naming the instance that published it


def instance_fragment(client_id: str) -> bytes:
    """`"client_id": "<id>"` as STATUS_JSON writes it inside a status (its separators, its escaping), UTF-8 encoded
    as the status is published: an object of that one field, its braces taken off."""
    return STATUS_JSON.encode({STATUS_INSTANCE_KEY: client_id})[1:-1].encode()
