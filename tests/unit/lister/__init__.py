"""Unit tier of the lister: its pure core and its handlers on the in-memory broker."""
