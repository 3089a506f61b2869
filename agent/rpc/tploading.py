"""Staged tariff plans in and out: import a CSV folder, export one, compile one for loading.

- ``import_folder`` (ImportTariffPlanFromFolder): every known CSV file of a folder becomes
  staged documents under a TPid; all or nothing.
- ``export_folder`` (ExportTPToFolder): a TPid's staged documents written as CSV files
  (or one ``tpexport.zip``), answered with CGRateS's ExportedTPStats.
- ``staged_plan`` (LoadTariffPlanFromStorDb): a TPid's documents parsed by the tariff-plan
  loader's row parsers into a ``TariffPlan`` the engine loads like a folder.
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path
from typing import Any

from rating.errors import ServerError
from rating.loader import FILES
from rating.store.base import Store
from rating.tpcsv import check_rates
from rating.tpplan import LoadError, ParseContext, Row, TariffPlan

from .schema import Args
from .tp import INDEX_KIND, tp_kind
from .tpfiles import (
    CSV_LOAD_ID,
    LAYOUTS,
    TP_OBJECT,
    doc_rows,
    docs_from_rows,
    rows_of_folder,
    write_csv,
)

log = logging.getLogger(__name__)

#: The loader's row parser of each TP object kind (the CSV file stem).
_PARSERS = {name[:-len(".csv")]: parser for name, _, _, parser in FILES}
EXPORT_ZIP = "tpexport.zip"


def first_error(errors: list[LoadError]) -> ServerError:
    """The API error for a failed import or load: the first problem, and how many more."""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ServerError(f"{errors[0]}{more}")


def check_separator(sep: str) -> str:
    if len(sep) != 1 or sep in "\"\r\n":
        raise ServerError(f"Invalid field separator: {sep}")
    return sep


def import_folder(store: Store, tpid: str, folder: str, sep: str, run_id: str) -> dict[str, int]:
    """Stage every known CSV file of the folder under tpid; nothing is written on errors."""
    errors: list[LoadError] = []
    load_id = f"{CSV_LOAD_ID}_{run_id}" if run_id else CSV_LOAD_ID
    staged: dict[str, dict[str, Any]] = {}
    for kind, rows in rows_of_folder(Path(folder), check_separator(sep), errors).items():
        layout = next(layout for layout in LAYOUTS if layout.kind == kind)
        staged[kind] = docs_from_rows(layout, rows, load_id, errors)
    if errors:
        for error in errors:
            log.info("ImportTariffPlanFromFolder %s: %s", folder, error)
        raise first_error(errors)
    for kind, docs in staged.items():
        if docs:
            store.put_many(tp_kind(tpid, TP_OBJECT[kind]), docs)
            store.put(INDEX_KIND, f"{tpid}:{kind}", {"TPid": tpid, "Kind": kind})
    return {kind: len(docs) for kind, docs in staged.items()}


def _staged_docs(store: Store, tpid: str, kind: str) -> list[dict[str, Any]]:
    store_kind = tp_kind(tpid, TP_OBJECT[kind])
    docs = store.get_many(store_kind, store.list_ids(store_kind))
    return [docs[doc_id] for doc_id in sorted(docs)]


def export_folder(store: Store, tpid: str, path: str, sep: str, file_format: str,
                  compress: bool) -> dict[str, Any]:
    """Write the TPid's staged documents as CSV files; CGRateS's ExportedTPStats."""
    if file_format.lower() not in ("", "csv"):
        raise ServerError("Unsupported file format")
    check_separator(sep)
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files = _write_files(store, tpid, folder, sep, compress)
    except OSError as exc:
        raise ServerError(str(exc)) from None
    return {"ExportPath": str(folder), "ExportedFiles": files or None, "Compressed": compress}


def _write_files(store: Store, tpid: str, folder: Path, sep: str, compress: bool) -> list[str]:
    files = []
    archive = zipfile.ZipFile(folder / EXPORT_ZIP, "w", zipfile.ZIP_DEFLATED) if compress \
        else None
    try:
        for layout in LAYOUTS:
            docs = _staged_docs(store, tpid, layout.kind)
            if not docs:
                continue
            files.append(layout.file)
            if archive is None:
                with (folder / layout.file).open("w", encoding="utf-8", newline="") as out:
                    write_csv(out, layout, docs, sep)
                continue
            buffer = io.StringIO()
            write_csv(buffer, layout, docs, sep)
            archive.writestr(layout.file, buffer.getvalue())
    finally:
        if archive is not None:
            archive.close()
    return files


def staged_plan(store: Store, tpid: str, ctx: ParseContext) -> tuple[TariffPlan, list[LoadError]]:
    """The TPid's documents parsed into a TariffPlan, with every problem found."""
    plan = TariffPlan()
    errors: list[LoadError] = []
    for layout in LAYOUTS:
        parser = _PARSERS[layout.kind]
        for doc in _staged_docs(store, tpid, layout.kind):
            source = f"{tpid}/{layout.kind}/{TP_OBJECT[layout.kind].doc_id(Args(doc))}"
            for line, fields in enumerate(doc_rows(layout, doc), 1):
                parser(plan, Row(source, line, fields, errors), ctx)
    check_rates(plan, errors)
    return plan, errors

