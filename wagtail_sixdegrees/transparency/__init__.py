"""Donor transparency and reach beyond Wagtail.

* ``tokens.py`` — signed links: a donor's impact page, stopping updates, embedded forms.
* ``impact.py`` — what one gift did, read from the ledger (the ``gift`` page).
* ``models.py`` — need updates, the notices sent about them, erasure records, the totals page.
* ``notifications.py`` — one localised email per update and donor, on commit.
* ``totals.py`` — public totals from ledger aggregates, cached on the ledger's latest ids.
* ``embed.py`` — the iframe widget: frame-ancestors, the signed form token.
* ``api.py`` — the read-only JSON API (Wagtail API v2 for stories).
* ``data_rights.py`` — export and erasure of everything we hold about a donor.
"""
