"""Export routes: ``/export.<fmt>?q=...`` (a whole search) or ``?ids=1,2,3`` (a selection).

The formats and their writers are ``ketawatch.exports``; this module only picks the studies
and answers with a download (``Content-Disposition: attachment``).
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from ketawatch.errors import UsageError
from ketawatch.exports import FORMATS, write_export
from ketawatch.web import searching
from ketawatch.web.context import get_store

bp = Blueprint("exports", __name__)

#: the most studies one export carries
EXPORT_CAP = 5000
#: the most ids a selection may name
MAX_SELECTION = 1000


def parse_ids(text: str) -> list[int]:
    """``"1,2, 3"`` as [1, 2, 3] (repeats dropped); UsageError for anything else."""
    ids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or len(part) > 18:
            raise UsageError(f"ids must be study numbers separated by commas, not {part[:40]!r}")
        value = int(part)
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_SELECTION:
        raise UsageError(f"a selection may name at most {MAX_SELECTION} studies")
    return ids


@bp.get("/export.<fmt>")
def export(fmt: str):
    """Download the studies of a search (up to EXPORT_CAP) or of a selection in a format."""
    if fmt not in FORMATS:
        raise NotFound(f"no export format {fmt!r}: use one of {', '.join(FORMATS)}")
    store = get_store()
    if "ids" in request.args:
        ids = parse_ids(request.args.get("ids", ""))
    else:
        ids = searching.all_hit_ids(request.args, cap=EXPORT_CAP)
    seen: set[int] = set()
    # two selected ids of studies merged since are one study: export it once
    studies = [s for s in store.get_studies(ids) if not (s.id in seen or seen.add(s.id))]
    out = io.StringIO()
    write_export(studies, fmt, out)
    extension, media_type = FORMATS[fmt]
    response = Response(out.getvalue().encode("utf-8"), content_type=media_type)
    # the file name is ours, never taken from the request
    response.headers["Content-Disposition"] = f'attachment; filename="ketawatch.{extension}"'
    response.headers["X-Result-Count"] = str(len(studies))
    return response
