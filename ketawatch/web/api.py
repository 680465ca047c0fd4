"""The JSON API: ``/api/search`` and ``/api/studies/<id>``.

``/api/search`` answers what ``ketawatch search --json`` prints, plus paging links;
``/api/studies/<id>`` answers the export shape of a study plus its events. Every error, from
routing to a bad query, has one shape: ``{"error": {"status": N, "message": "..."}}``
(see ``ketawatch.web.errors``).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from ketawatch.links import study_links
from ketawatch.sanitize import clean_snippet
from ketawatch.web import searching
from ketawatch.web.context import get_store

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_ID = 2**63 - 1
#: Hit fields the JSON contract of ``search --json`` leaves out and a web client wants
EXTRA_HIT_FIELDS = ("authors", "author_count", "pub_date", "preprint", "human", "corrected",
                    "first_seen")


@bp.get("/search")
def search():
    """Search results as JSON: the search response plus page information and links."""
    _req, response = searching.run_search(request.args)
    data = response.to_dict()
    data["results"] = [_hit_dict(hit) for hit in response.results]
    data.update(searching.page_info(response, endpoint="api.search", external=True))
    data["took_ms"] = response.took_ms
    data["message"] = response.message
    return jsonify(data)


def _hit_dict(hit) -> dict:
    """A result as ``search --json`` has it, plus display fields and our own links.

    ``url`` is rebuilt from the identifiers (a crawled URL could be anything) and the snippet
    goes through the allow-list again: API clients may put both straight into a page.
    """
    data = hit.to_dict()
    data["url"] = searching.hit_url(hit)
    data["snippet"] = str(clean_snippet(hit.snippet))
    for name in EXTRA_HIT_FIELDS:
        data[name] = getattr(hit, name, None)
    data["study_url"] = url_for("pages.study", study_id=int(hit.id), _external=True)
    data["api_url"] = url_for("api.study", study_id=int(hit.id), _external=True)
    return data


@bp.get("/studies/<int:study_id>")
def study(study_id: int):
    """One study: its export shape, its events, and links built from its identifiers."""
    if study_id > MAX_ID:
        raise NotFound(f"no study {study_id}")
    store = get_store()
    stored = store.get_study(study_id)
    data = stored.to_export()
    data["events"] = [e.to_dict() for e in store.events(study_id=stored.id)]
    data["links"] = [{"label": link.label, "identifier": link.identifier, "url": link.url}
                     for link in study_links(stored.study, stored.sources)]
    data["trial"] = stored.study.trial
    data["versions"] = stored.study.versions
    data["study_url"] = url_for("pages.study", study_id=stored.id, _external=True)
    if stored.id != study_id:
        data["merged_from"] = study_id
    return jsonify(data)

