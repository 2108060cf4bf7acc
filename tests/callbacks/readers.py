"""Readers for what the loggers write, so tests check the files, not the calls."""

from __future__ import annotations

import glob
import os
import struct


def tensorboard_events(folder: str):
    """Every event in the TFRecord event files under ``folder``."""
    from tensorboardX.proto import event_pb2

    for path in sorted(
        glob.glob(os.path.join(folder, "**", "events.out.tfevents*"), recursive=True)
    ):
        with open(path, "rb") as file:
            data = file.read()
        position = 0
        while position < len(data):
            (length,) = struct.unpack("<Q", data[position : position + 8])
            position += 12
            event = event_pb2.Event()
            event.ParseFromString(data[position : position + length])
            position += length + 4
            yield event


def wandb_history(path: str) -> list[dict[str, str]]:
    """The history rows of an offline W&B run file (a LevelDB-style log of protobufs)."""
    from wandb.proto import wandb_internal_pb2

    with open(path, "rb") as file:
        data = file.read()
    assert data[:4] == b":W&B"
    rows, position, block, pending = [], 7, 32768, b""
    while position + 7 <= len(data):
        left = block - position % block
        if left < 7:
            position += left
            continue
        _, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if kind == 0 and length == 0:
            break
        chunk = data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (2, 3):
            pending = chunk if kind == 2 else pending + chunk
            continue
        record = wandb_internal_pb2.Record()
        record.ParseFromString(pending + chunk if kind == 4 else chunk)
        if record.WhichOneof("record_type") == "history":
            rows.append(
                {
                    item.key or "/".join(item.nested_key): item.value_json
                    for item in record.history.item
                }
            )
    return rows
