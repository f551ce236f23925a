"""Unit tier of the loader: its pure core and its handlers on the in-memory broker."""
