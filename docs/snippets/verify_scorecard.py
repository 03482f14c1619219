"""Check a downloaded scorecard.json by hand, with nothing but Python's standard library.

    python verify_scorecard.py scorecard.json path/to/registry

1. The scorecard's own `sha256` must equal the SHA-256 of its canonical JSON
   (keys sorted, no whitespace, UTF-8) computed without the `sha256` field:
   the document was not edited after it was made.
2. Every input file listed under `provenance.inputs` (paths relative to the
   registry root) must still have the SHA-256 recorded: the registry you hold is
   the one the scorecard was made from (check out `provenance.revision` first).

Exit status 0 when both hold, 1 otherwise.
"""

import hashlib
import json
import sys
from pathlib import Path


def main(scorecard: str, registry: str) -> int:
    doc = json.loads(Path(scorecard).read_text(encoding="utf-8"))
    claimed = doc.pop("sha256")
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    ok = hashlib.sha256(canonical.encode("utf-8")).hexdigest() == claimed
    print(f"{'OK' if ok else 'EDITED'}  {scorecard} (its own sha256)")
    for item in doc["provenance"]["inputs"]:
        path = Path(registry) / item["path"]
        if not path.is_file():
            print(f"MISSING  {item['path']}")
            ok = False
            continue
        same = hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256"]
        print(f"{'OK' if same else 'CHANGED'}  {item['path']}")
        ok = ok and same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
