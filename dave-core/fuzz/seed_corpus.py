#!/usr/bin/env python3
"""Seeds the fuzz corpora from the byte-exact vectors of PROTOCOL.md §1-§4.

Writes corpus/decode_message/ (every valid and invalid message vector, plus PUT bodies behind
the PUT and GET_ACK ops) and corpus/decode_dat_body/ (every record encoding). The corpora are
not committed (.gitignore); run this before the first `cargo +nightly fuzz run`.
"""
import json
import pathlib

here = pathlib.Path(__file__).resolve().parent
vectors = json.loads((here.parent / "tests" / "vectors" / "dave-v1.json").read_text())

def write(target, name, data):
    out = here / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(data)

for v in vectors["messages"]:
    write("decode_message", "msg-" + v["name"], bytes.fromhex(v["encoded"]))
for i, v in enumerate(vectors["invalid"]):
    write("decode_message", "invalid-%d" % i, bytes.fromhex(v["encoded"]))
for i, v in enumerate(vectors["dats"]):
    body = bytes.fromhex(v["encoded_dat"])
    write("decode_dat_body", "dat-%d" % i, body)
    write("decode_message", "put-%d" % i, bytes([2]) + body)
    write("decode_message", "get-ack-found-%d" % i, bytes([4, 1]) + body)
for i, v in enumerate(vectors["addresses"]):
    write("decode_message", "getmyaddrport-ack-%d" % i, bytes([6]) + bytes.fromhex(v["encoded"]))
