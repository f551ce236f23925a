"""The loader: a raw object announced by MinIO, upserted into the raw tables."""
