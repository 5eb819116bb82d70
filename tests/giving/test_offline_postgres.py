"""On real PostgreSQL: the same file committed twice at the same moment records each gift once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.concurrency import run_concurrently
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import Donation, LedgerEntry, OfflineBatch, OfflineGift

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 40


def file_content() -> bytes:
    day = timezone.localdate().isoformat()
    lines = [",".join(offline.COLUMNS[:5])]
    lines += [f"{day},bank_transfer,{10 + n}.25,USD,TRF-{n}" for n in range(ROWS)]
    return ("\r\n".join(lines) + "\r\n").encode()


def commit_together(batches: list[OfflineBatch]) -> list[BaseException]:
    """Commit every batch at the same moment; the errors they raised (none expected)."""

    def commit(index: int) -> BaseException | None:
        try:
            offline.commit_import(batches[index], actor=None)
        except Exception as error:  # collected: the test says which errors it expects
            return error
        return None

    results = run_concurrently(commit, len(batches), timeout=120)
    return [error for error in results if error is not None]


def test_two_uploads_of_one_file_committed_at_once_create_the_gifts_once():
    content = file_content()
    batches = [offline.preview_import("gifts.csv", content, actor=None) for _ in range(2)]
    assert all(len(batch.accepted_rows) == ROWS for batch in batches)

    assert commit_together(batches) == []

    assert OfflineGift.objects.count() == ROWS
    assert Donation.objects.count() == ROWS
    counts = sorted(OfflineBatch.objects.values_list("created_count", flat=True))
    assert sum(counts) == ROWS and all(
        status == OfflineBatch.Status.COMMITTED
        for status in OfflineBatch.objects.values_list("status", flat=True)
    )
    expected = sum(1025 + 100 * n for n in range(ROWS))
    assert LedgerEntry.objects.filter(kind="allocate").balance() == expected
    assert run_audit().ok


def test_one_upload_committed_twice_at_once_creates_the_gifts_once():
    batch = offline.preview_import("gifts.csv", file_content(), actor=None)
    assert commit_together([batch, batch]) == []
    assert OfflineGift.objects.count() == ROWS
    batch.refresh_from_db()
    assert batch.created_count == ROWS
