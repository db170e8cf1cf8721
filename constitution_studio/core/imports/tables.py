"""Parquet files and Hugging Face `datasets` folders, read with pyarrow (the optional `import` extra).

A folder is one of: what `Dataset.save_to_disk` writes (`state.json` naming its Arrow
files), what `DatasetDict.save_to_disk` writes (`dataset_dict.json` and one such folder per
split), or a folder of `*.parquet` files (a dataset repository's `data/` layout, split by the
file name's prefix: `train-00000-of-00001.parquet`). The `datasets` library itself is not
needed. Only files inside the folder are read (names from `state.json` are checked, links
leaving the folder refused), all of them together within the input size limit.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from constitution_studio.core.imports.records import (
    MAX_DOCUMENT_BYTES,
    MAX_INPUT_BYTES,
    MAX_RECORDS,
    ImportExtraMissing,
    Record,
    check_input,
    display,
    read_document,
)
from constitution_studio.errors import BadInputError

BATCH_ROWS = 2048
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.ipc
        import pyarrow.parquet
    except ImportError:
        raise ImportExtraMissing(
            "reading parquet files and datasets folders needs pyarrow: pip install 'constitution-studio[import]'"
        ) from None
    return pyarrow


def _inside(folder: Path, name: str) -> Path:
    """`folder/name` for a plain file name that stays inside `folder` (no separators, no links out)."""
    if not _PLAIN_NAME.fullmatch(name):
        raise BadInputError(f"{display(folder)}: refusing data file name {name!r} (not a plain file name)")
    path = folder / name
    real, base = os.path.realpath(path), os.path.realpath(folder)
    if not real.startswith(base.rstrip(os.sep) + os.sep):
        raise BadInputError(f"{display(path)} is a link out of the dataset folder; refusing to read it")
    return path


def _json(path: Path) -> Any:
    try:
        return json.loads(read_document(path, MAX_DOCUMENT_BYTES))
    except (json.JSONDecodeError, RecursionError):
        raise BadInputError(f"{display(path)}: not JSON") from None


def _split_folder(folder: Path, split: str | None) -> Path:
    """The split's folder of a `DatasetDict.save_to_disk` folder."""
    splits = _json(folder / "dataset_dict.json").get("splits")
    if not isinstance(splits, list) or not all(isinstance(s, str) for s in splits) or not splits:
        raise BadInputError(f"{display(folder / 'dataset_dict.json')}: no `splits` list")
    if split is None:
        if len(splits) > 1:
            raise BadInputError(f"{display(folder)} has splits {', '.join(splits)}; choose one with --split")
        split = splits[0]
    if split not in splits:
        raise BadInputError(f"--split {split}: {display(folder)} has {', '.join(splits)}")
    return _inside(folder, split)


def _data_files(folder: Path, split: str | None) -> list[Path]:
    if (folder / "dataset_dict.json").is_file():
        return _data_files(_split_folder(folder, split), None)
    if (folder / "state.json").is_file():
        files = _json(folder / "state.json").get("_data_files")
        if not isinstance(files, list) or not files:
            raise BadInputError(f"{display(folder / 'state.json')}: no `_data_files` list")
        names = [f.get("filename") if isinstance(f, dict) else None for f in files]
        if not all(isinstance(n, str) for n in names):
            raise BadInputError(f"{display(folder / 'state.json')}: a data file has no `filename`")
        return [_inside(folder, str(n)) for n in names]
    found = sorted(p for p in [*folder.glob("*.parquet"), *folder.glob("data/*.parquet")] if p.is_file())
    found = [_inside(p.parent, p.name) for p in found]
    if not found:
        raise BadInputError(
            f"{display(folder)} is not a dataset folder (no state.json, dataset_dict.json or *.parquet files)"
        )
    prefixes = sorted({re.split(r"[-.]", p.name, maxsplit=1)[0] for p in found})
    if split is not None:
        found = [p for p in found if re.split(r"[-.]", p.name, maxsplit=1)[0] == split]
        if not found:
            raise BadInputError(f"--split {split}: {display(folder)} has files of {', '.join(prefixes)}")
    elif len(prefixes) > 1:
        raise BadInputError(f"{display(folder)} has parquet files of {', '.join(prefixes)}; choose one with --split")
    return found


def _batches(pa: Any, path: Path) -> Iterator[Any]:
    """Record batches of a parquet file or an Arrow IPC file/stream (what save_to_disk writes)."""
    try:
        if path.suffix == ".parquet":
            yield from pa.parquet.ParquetFile(str(path)).iter_batches(batch_size=BATCH_ROWS)
            return
        with pa.memory_map(str(path), "r") as source:
            try:
                reader = pa.ipc.open_stream(source)
            except pa.ArrowInvalid:
                source.seek(0)
                reader = pa.ipc.open_file(source)
                for i in range(reader.num_record_batches):
                    yield reader.get_batch(i)
                return
            yield from reader
    except (pa.ArrowException, OSError) as exc:
        raise BadInputError(f"{display(path)}: cannot read ({str(exc).splitlines()[0][:200]})") from None


def read_table(path: Path, split: str | None = None) -> Iterator[Record]:
    """Records of a parquet / Arrow file or a dataset folder, in file and row order."""
    pa = _pyarrow()
    files = _data_files(path, split) if path.is_dir() else [path]
    if path.is_file() and split is not None:
        raise BadInputError("--split goes with a dataset folder")
    total = sum(check_input(f).st_size for f in files)
    if total > MAX_INPUT_BYTES:
        raise BadInputError(
            f"{display(path)} holds {total / 2**20:.1f} MiB; the import limit is {MAX_INPUT_BYTES // 2**20} MiB"
        )

    def rows() -> Iterator[Record]:
        n = 0
        for file in files:
            name, row_number = display(file), 0
            for batch in _batches(pa, file):
                for row in batch.to_pylist():
                    n, row_number = n + 1, row_number + 1
                    if n > MAX_RECORDS:
                        raise BadInputError(f"{display(path)} has more than {MAX_RECORDS:,} rows; split it")
                    yield Record(f"{name}#{row_number}", row)

    return rows()
