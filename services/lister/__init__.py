"""The lister: turns a run request into a registered run and its ticker batches."""
