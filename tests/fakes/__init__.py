"""In-memory fakes of the ports, one module per service (lister, fetcher, loader, transformer)
and per shared port (storage, polygon, kafka). Each implements its Protocol, and mypy checks it
there, so a fake cannot drift from the port the real adapter implements; tests pass them as
they are, without `cast`."""
