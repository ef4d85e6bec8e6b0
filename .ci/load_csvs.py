"""Loads every CSV under the given folders with pandas.read_csv and no options (issue 13).

A tidy file gives typed columns: each column that holds numbers must come out numeric (or all
missing), never as text. tests/csv_shape.rs enforces the same shape in Rust.
"""
import pathlib
import sys

import pandas as pd

files = sorted(p for root in sys.argv[1:] for p in pathlib.Path(root).rglob("*.csv"))
if not files:
    sys.exit("no CSV files found under " + " ".join(sys.argv[1:]))
for path in files:
    frame = pd.read_csv(path)
    if frame.columns.str.startswith("Unnamed").any():
        sys.exit(f"{path}: unnamed column")
    for name in frame.columns:
        unit = name.endswith(("_s", "_ms", "_bytes")) or name.startswith("bytes_")
        if unit and not pd.api.types.is_numeric_dtype(frame[name]):
            sys.exit(f"{path}: {name} has a unit but pandas reads it as {frame[name].dtype}")
    print(f"{path}: {len(frame)} rows x {len(frame.columns)} columns")
