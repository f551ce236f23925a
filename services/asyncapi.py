"""Every Kafka service's AsyncAPI document, as FastStream generates it from the service's app
(`faststream docs gen services.<name>.app:app` writes the same), kept in docs/asyncapi/.

`python -m services.asyncapi` (scripts/asyncapi) writes them; `--print` writes them to stdout
as one JSON object by service instead (the drift test compares that with the files)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from faststream import FastStream

# The services on Kafka (polygon_sim is an HTTP server).
SERVICES = ("scheduler", "lister", "fetcher", "loader", "transformer")
FOLDER = Path(__file__).resolve().parent.parent / "docs" / "asyncapi"


def document(service: str) -> str:
    """The service's document, as JSON text; importing the app builds it, but connects nothing."""
    app = importlib.import_module(f"services.{service}.app").app
    assert isinstance(app, FastStream)
    schema = app.schema.to_specification().to_jsonable()
    # FastStream keeps publishers in a WeakSet, so their order changes from run to run: sorted
    # by name, a regenerated document differs only where the code did.
    for part in (schema, schema["components"]):
        for name in ("channels", "operations", "messages", "schemas"):
            if name in part:
                part[name] = dict(sorted(part[name].items()))
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def path(service: str) -> Path:
    return FOLDER / f"{service}.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--print", action="store_true", help="to stdout, not docs/asyncapi/")
    args = parser.parse_args(argv)
    documents = {service: document(service) for service in SERVICES}
    if args.print:
        sys.stdout.write(json.dumps(documents) + "\n")
        return
    FOLDER.mkdir(parents=True, exist_ok=True)
    for service, text in documents.items():
        path(service).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {path(service)}\n")


if __name__ == "__main__":
    main()
