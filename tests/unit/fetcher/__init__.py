"""Unit tier of the fetcher: its pure core and its handlers on the in-memory broker."""
