"""Unit tier of the transformer: its pure core and its handlers on the in-memory broker."""
