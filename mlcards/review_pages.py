"""The review feature's card slots, registered on import: "changes" and "top"
callouts (`mlcards.history`), "checklist" (`mlcards.checklist`).

`mlcards.site` may list this module or the two it imports; either registers
each fragment once.
"""

from __future__ import annotations

from mlcards.checklist import checklist_fragment
from mlcards.history import history_fragment

__all__ = ["checklist_fragment", "history_fragment"]
