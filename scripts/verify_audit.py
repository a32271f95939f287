#!/usr/bin/env python3
"""Verify a Healthlink audit export without any Healthlink code.

    python3 -m pip install cryptography
    python3 scripts/verify_audit.py EXPORT.json KEYS.json

EXPORT.json is the answer of GET /v1/users/{user_id}/audit/export; KEYS.json
that of GET /v1/audit/keys (a JSON Web Key Set of Ed25519 keys). Checks that
every row hashes to its `hash` and chains from the row before, that the last
row is the chain head, and that the Ed25519 signature covers the document.
Prints which row breaks, if any; exits 0 only if everything holds.

Only the standard library and the `cryptography` package: the canonical
bytes (RFC 8785 for the JSON an export holds) are what `json.dumps` writes
with sorted keys, no whitespace and no ASCII escaping.
"""

import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "healthlink-audit-export/1"
GENESIS = "0" * 64


def canonical(value):
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def chain_break(export):
    """The first break in the chain, as a sentence; None if it holds."""
    chain = export["chain"]
    if chain["algorithm"] != "sha-256":
        return f"the chain uses {chain['algorithm']!r}, not sha-256"
    entries = export["entries"]
    for before, after in zip(entries, entries[1:]):
        if after["id"] == before["id"]:
            return f"two rows carry id {after['id']}: a row was inserted with the id of another"
        if after["id"] < before["id"]:
            return f"row {after['id']} comes after row {before['id']}: rows were reordered"
    pruned = chain.get("pruned")
    expected = pruned["last_hash"] if pruned else GENESIS
    floor = pruned["through_id"] if pruned else 0
    previous = None
    for entry in entries:
        if previous is None and entry["id"] <= floor:
            return f"row {entry['id']} comes after row {floor}, the last one pruned"
        fields = {name: value for name, value in entry.items() if name != "hash"}
        if hashlib.sha256(canonical(fields)).hexdigest() != entry["hash"]:
            return f"row {entry['id']} was changed: its fields no longer hash to its hash"
        if entry["prev_hash"] != expected:
            where = f"row {previous}, the row before it" if previous else "the trail's start"
            return f"row {entry['id']} does not chain from {where}: a row was removed or inserted"
        expected = entry["hash"]
        previous = entry["id"]
    last = entries[-1] if entries else None
    holds = (
        last["id"] == chain["head_id"] and last["hash"] == chain["head_hash"]
        if last
        else expected == chain["head_hash"]
    )
    if not holds:
        return f"the trail ends at row {previous} but its head is row {chain['head_id']}"
    return None


def signature_problem(export, keys):
    """Why the signature does not hold, as a sentence; None if it does."""
    signature = export["signature"]
    if signature["alg"] != "Ed25519":
        return f"the signature's algorithm is {signature['alg']!r}, not Ed25519"
    key = next((k for k in keys["keys"] if k["kid"] == signature["kid"]), None)
    if key is None or key.get("kty") != "OKP" or key.get("crv") != "Ed25519":
        return f"the key {signature['kid']!r} is not in the key set"
    unsigned = {name: value for name, value in export.items() if name != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(unb64url(key["x"])).verify(
            unb64url(signature["value"]), canonical(unsigned)
        )
    except (InvalidSignature, ValueError):
        return f"key {signature['kid']} did not sign these contents"
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], "rb") as file:
        export = json.load(file)
    with open(argv[2], "rb") as file:
        keys = json.load(file)
    if export.get("format") != FORMAT:
        print(f"{argv[1]} is not a {FORMAT} document", file=sys.stderr)
        return 1
    signature = signature_problem(export, keys)
    chain = chain_break(export)
    print(f"signature: {'valid' if signature is None else 'INVALID: ' + signature}")
    print(f"chain:     {'intact' if chain is None else 'BROKEN: ' + chain}")
    return 0 if signature is None and chain is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
