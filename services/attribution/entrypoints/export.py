"""Streaming the influence numbers to a BI tool: CSV, NDJSON or Parquet, batch by batch."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.responses import StreamingResponse

from services.attribution.app import reports
from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.settings import AttributionSettings

Batches = AsyncIterator[list[dict[str, Any]]]
MEDIA = {"csv": "text/csv", "ndjson": "application/x-ndjson", "parquet": "application/vnd.apache.parquet"}
FLOATS = {"cost", "cost_per_opp", "return_on_cost"}


async def report_batches(
    uows: Callable[[], AttributionUnitOfWork], settings: AttributionSettings, **query: Any
) -> Batches:
    async with uows() as uow:
        found = await reports.influence(uow, settings, **query)
    yield found["rows"]


async def credit_batches(uows: Callable[[], AttributionUnitOfWork], **query: Any) -> Batches:
    async with uows() as uow:
        async for rows in uow.reports.credits(**query):
            yield rows


def response(batches: Batches, format: str, name: str) -> StreamingResponse:
    body = {"csv": _csv, "ndjson": _ndjson, "parquet": _parquet}[format](batches)
    headers = {"Content-Disposition": f'attachment; filename="{name}.{format}"'}
    return StreamingResponse(body, media_type=MEDIA[format], headers=headers)


def _text(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    return value


async def _csv(batches: Batches) -> AsyncIterator[bytes]:
    columns: list[str] | None = None
    async for rows in batches:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            if columns is None:
                columns = list(row)
                writer.writerow(columns)
            writer.writerow(["" if row.get(c) is None else _text(row.get(c)) for c in columns])
        yield out.getvalue().encode()


async def _ndjson(batches: Batches) -> AsyncIterator[bytes]:
    async for rows in batches:
        yield "".join(json.dumps({k: _text(v) for k, v in row.items()}) + "\n" for row in rows).encode()


def _schema(table: pa.Table) -> pa.Schema:
    """A column with only nulls in the first batch gets the type it has when it has values."""
    fields = [
        pa.field(f.name, pa.float64() if f.name in FLOATS else pa.string()) if pa.types.is_null(f.type) else f
        for f in table.schema
    ]
    return pa.schema(fields)


async def _parquet(batches: Batches) -> AsyncIterator[bytes]:
    sink = io.BytesIO()
    writer: pq.ParquetWriter | None = None
    async for rows in batches:
        if not rows:
            continue
        plain = [{k: json.dumps(v) if isinstance(v, dict) else v for k, v in row.items()} for row in rows]
        table = pa.Table.from_pylist(plain)
        if writer is None:
            writer = pq.ParquetWriter(sink, _schema(table))
        writer.write_table(table.cast(writer.schema))
        yield _drain(sink)
    if writer is None:
        writer = pq.ParquetWriter(sink, pa.schema([pa.field("key", pa.string())]))
    writer.close()
    yield _drain(sink)


def _drain(sink: io.BytesIO) -> bytes:
    data = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return data
