"""Imports: eval cases and principles brought in from the formats teams already keep.

One module per source format turns a file into *records* (plain mappings, each with where it
came from); `mapping` turns a record into a case through the column and label mappings;
`conversation` is the one place a message list with roles becomes a case's conversation;
`plan` decides what is new, unchanged or different against the constitution on disk and
`writer` places it in files, validates the result as `cstudio validate` would and commits it
through one `Transaction`. Nothing here prints: the CLI renders the `ImportReport`.

* `records`    JSONL / JSON / CSV / YAML, bounded; parquet and `datasets` folders through pyarrow
* `promptfoo`  promptfoo test files (vars, assertions as far as they map)
* `inspect`    inspect-style datasets (`input` / `target`, message lists)
* `markdown`, `principles`   principles from a Markdown document
"""
