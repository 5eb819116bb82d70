"""Offline gifts: recording one, and importing many from a CSV or XLSX file.

An offline gift is validated like the donate form (amounts through ``money``, preferences
through :func:`.forms.clean_preferences`), then becomes a paid :class:`Donation` with its
``channel`` and no Stripe ids, and is announced exactly like a payment Stripe confirmed
(:func:`.fulfilment.announce_paid`): allocation, the ``donation_paid`` signal and the receipt
follow from there.

Imports happen in two steps. :func:`preview_import` reads the file and keeps every row, accepted
or refused with the reason, on an :class:`OfflineBatch`; :func:`commit_import` records the
accepted rows from what was kept (never from anything the browser posts back), all or none, in
one transaction. A payment is identified by its fingerprint (channel, date, amount, currency,
reference): a unique constraint keeps each one to a single standing gift, so committing the same
file twice, or two commits racing each other, create each gift once.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf, money
from ..keyed_digest import keyed_digest, keyed_digests
from . import fulfilment, money_log
from .forms import PreferenceError, clean_preferences, language_codes, need_currency_errors
from .models import OFFLINE_CHANNELS, Channel, Donation, Donor, OfflineBatch, OfflineGift
from .models.offline import REFERENCE_MAX_LENGTH
from .targets import Target

#: The columns of an import file, in the template's order. The first five are required.
COLUMNS = (
    "received_on",
    "channel",
    "amount",
    "currency",
    "reference",
    "donor_name",
    "donor_email",
    "anonymous",
    "send_receipt",
    "language",
    "targets",
    "shares",
)
REQUIRED_COLUMNS = COLUMNS[:5]
#: Repeated targets and shares in one cell: ``need:3;cause:1`` with ``60;40``.
LIST_SEPARATOR = ";"
#: What a multipart request may carry besides the file itself (boundaries, part headers, the
#: CSRF token): a request declaring more than the file limit plus this is refused unread.
UPLOAD_OVERHEAD_BYTES = 16 * 1024
#: A file with more gifts than this is refused (split it).
MAX_ROWS = 2_000
#: What an XLSX file may unpack to: a small file that unpacks to gigabytes is an attack.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
_TRUE = frozenset(["yes", "y", "true", "1", "x"])
_FALSE = frozenset(["no", "n", "false", "0", ""])
NAME_MAX_LENGTH = 200


class OfflineGiftError(ValueError):
    """A gift that cannot be recorded, with a message a giving manager can act on.

    ``field`` names the form field (or import column) at fault, ``code`` the kind of refusal.
    """

    def __init__(self, message: Any, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message, self.field, self.code = str(message), field, code


class ImportRefused(OfflineGiftError):
    """A file that cannot be imported at all (too large, unreadable, missing columns)."""


@dataclass
class OfflineGiftRequest:
    """A valid offline gift: everything needed to record it."""

    channel: str
    received_on: datetime.date
    amount: int
    currency: str
    reference: str
    name: str = ""
    email: str = ""
    anonymous: bool = False
    receipt_consent: bool = False
    locale: str = ""
    targets: list[tuple[Target, int]] = field(default_factory=list)

    def fingerprint(self) -> str:
        """What identifies the payment itself, whoever gave it and wherever it should go."""
        return payment_fingerprint(
            self.channel, self.received_on, self.currency, self.amount, self.reference
        )

    def fingerprints(self) -> list[str]:
        """This payment's fingerprint under the current key and under every key still
        accepted (``SECRET_KEY_FALLBACKS``): a gift recorded before a key rotation still
        stops the same payment from being recorded again."""
        return payment_fingerprints(
            self.channel, self.received_on, self.currency, self.amount, self.reference
        )


#: Keys the fingerprint apart from every other keyed digest made with ``SECRET_KEY``.
FINGERPRINT_SALT = "wagtail_sixdegrees.offline_gift"


def _fingerprint_content(
    channel: str, received_on: datetime.date, currency: str, amount: int, reference: str
) -> str:
    return json.dumps(
        [channel, received_on.isoformat(), currency, amount, " ".join(reference.split()).casefold()]
    )


def payment_fingerprint(
    channel: str,
    received_on: datetime.date,
    currency: str,
    amount: int,
    reference: str,
    *,
    secret: str | None = None,
) -> str:
    """A keyed digest (HMAC-SHA256 with ``SECRET_KEY``) of what identifies a payment.

    Keyed, so the stored fingerprint does not give the reference away to someone holding only
    the database, who could otherwise hash guesses (a name, a cheque number) until one matches:
    erasure blanks the reference and keeps this (docs/decisions.md).
    """
    content = _fingerprint_content(channel, received_on, currency, amount, reference)
    return keyed_digest(FINGERPRINT_SALT, content, secret=secret)


def payment_fingerprints(
    channel: str, received_on: datetime.date, currency: str, amount: int, reference: str
) -> list[str]:
    """The fingerprint under ``SECRET_KEY`` first, then under each of its fallbacks."""
    content = _fingerprint_content(channel, received_on, currency, amount, reference)
    return keyed_digests(FINGERPRINT_SALT, content)


# --- Reading one gift -------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    value = value.strip()
    return [part.strip() for part in value.split(LIST_SEPARATOR)] if value else []


def _flag(values: dict[str, str], name: str) -> bool:
    text = values.get(name, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise OfflineGiftError(_("Write yes or no."), field=name, code="bad_flag")


def channel_of(text: str) -> str:
    """A channel from its code (``bank_transfer``) or its English or translated label."""
    wanted = " ".join(text.replace("_", " ").split()).casefold()
    for channel in OFFLINE_CHANNELS:
        if wanted in (channel.value.replace("_", " "), str(channel.label).casefold()):
            return channel.value
    raise OfflineGiftError(
        _("Unknown channel %(channel)s: use %(choices)s.")
        % {"channel": text[:40], "choices": ", ".join(c.value for c in OFFLINE_CHANNELS)},
        field="channel",
        code="unknown_channel",
    )


def _date(text: str, today: datetime.date) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise OfflineGiftError(
            _("Write the date received as YYYY-MM-DD, for example 2026-03-31."),
            field="received_on",
            code="bad_date",
        ) from None
    if day > today:
        raise OfflineGiftError(
            _("The date received is in the future."), field="received_on", code="future_date"
        )
    return day


def read_gift(values: dict[str, Any], *, today: datetime.date | None = None) -> OfflineGiftRequest:
    """Validate one gift given as text (a form's fields or a file's row, with ``targets`` and
    ``shares`` as lists or ``;``-separated text). Raises :class:`OfflineGiftError`."""
    today = today or timezone.localdate()
    text = {
        name: (LIST_SEPARATOR.join(value) if isinstance(value, list | tuple) else str(value or ""))
        for name, value in values.items()
    }
    for name, value in text.items():
        if value.strip().startswith("="):
            raise OfflineGiftError(
                _("This cell holds a formula: type the value itself."),
                field=name,
                code="formula",
            )
    for name in REQUIRED_COLUMNS:
        if not text.get(name, "").strip():
            raise OfflineGiftError(_("This is required."), field=name, code="missing")
    channel = channel_of(text["channel"])
    received_on = _date(text["received_on"], today)
    try:
        currency = money.get_currency(text["currency"]).code
    except money.AmountError as error:
        raise OfflineGiftError(error.message, field="currency", code="unknown_currency") from None
    # The one-gift form offers only the site's currencies; a file row is held to the same list.
    if currency not in conf.currencies():
        raise OfflineGiftError(
            _("%(code)s is not one of this site's currencies: use %(codes)s.")
            % {"code": currency, "codes": ", ".join(conf.currencies())},
            field="currency",
            code="currency_not_offered",
        )
    try:
        amount = money.parse_amount(text["amount"], currency)
    except money.AmountError as error:
        raise OfflineGiftError(error.message, field="amount", code="bad_amount") from None
    reference = " ".join(text["reference"].split())
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise OfflineGiftError(
            _("Keep the reference under %(count)d characters.") % {"count": REFERENCE_MAX_LENGTH},
            field="reference",
            code="bad_reference",
        )
    name = " ".join(text.get("donor_name", "").split())
    if len(name) > NAME_MAX_LENGTH:
        raise OfflineGiftError(
            _("Keep the name under %(count)d characters.") % {"count": NAME_MAX_LENGTH},
            field="donor_name",
            code="bad_name",
        )
    email = text.get("donor_email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise OfflineGiftError(
                _("Enter an email address like name@example.org."),
                field="donor_email",
                code="bad_email",
            ) from None
    anonymous = _flag(text, "anonymous")
    receipt = _flag(text, "send_receipt")
    if receipt and not email:
        raise OfflineGiftError(
            _("A receipt needs the donor's email address."),
            field="donor_email",
            code="receipt_without_email",
        )
    locale = text.get("language", "").strip()
    if locale and locale not in language_codes():
        raise OfflineGiftError(
            _("Unknown language %(code)s: use one of %(codes)s.")
            % {"code": locale[:16], "codes": ", ".join(sorted(language_codes()))},
            field="language",
            code="bad_language",
        )
    try:
        targets = clean_preferences(_split(text.get("targets", "")), _split(text.get("shares", "")))
    except PreferenceError as error:
        raise OfflineGiftError(error.message, field="targets", code="bad_preferences") from None
    currency_errors = need_currency_errors(targets, currency)
    if currency_errors:
        raise OfflineGiftError(currency_errors[0], field="targets", code="need_currency")
    return OfflineGiftRequest(
        channel=channel,
        received_on=received_on,
        amount=amount,
        currency=currency,
        reference=reference,
        name=name,
        email=email,
        anonymous=anonymous,
        receipt_consent=receipt,
        locale=locale,
        targets=targets,
    )


# --- Recording ----------------------------------------------------------------------------


def _donor(request: OfflineGiftRequest) -> Donor:
    """The donor with this address (created if new); without one, a donor of this gift only."""
    if not request.email:
        return Donor.objects.create()
    return Donor.objects.for_email(request.email)


def _actor(user: Any) -> tuple[int | None, str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return None, "automatic"
    return user.pk, user.get_username()


def is_recorded(fingerprints: str | list[str]) -> bool:
    """Whether a standing (not voided) gift has this fingerprint (or one of these)."""
    wanted = [fingerprints] if isinstance(fingerprints, str) else fingerprints
    return OfflineGift.objects.filter(fingerprint__in=wanted, voided_at__isnull=True).exists()


def _record(
    request: OfflineGiftRequest,
    *,
    actor: Any,
    site: Any = None,
    batch: OfflineBatch | None = None,
    row_number: int | None = None,
) -> Donation:
    """Create the paid donation, its preferences and its record, inside the caller's
    transaction, and announce the payment once that transaction commits."""
    paid_at = timezone.make_aware(datetime.datetime.combine(request.received_on, datetime.time()))
    donation = Donation.objects.create(
        donor=_donor(request),
        site=site,
        channel=request.channel,
        status=Donation.Status.PAID,
        amount=request.amount,
        currency=request.currency,
        anonymous=request.anonymous,
        locale=request.locale,
        donor_name=request.name,
        # No processor took a fee: settled, gross and net are the amount received.
        settlement_currency=request.currency,
        settlement_amount=request.amount,
        fee_amount=0,
        net_amount=request.amount,
        paid_at=paid_at,
        created_at=paid_at,
    )
    donation.preferences.bulk_create(
        [
            donation.preferences.model(
                donation=donation,
                position=position,
                share_bps=share,
                **target.preference_fields(),
            )
            for position, (target, share) in enumerate(request.targets)
        ]
    )
    actor_id, actor_label = _actor(actor)
    OfflineGift.objects.create(
        donation=donation,
        received_on=request.received_on,
        payment_reference=request.reference,
        receipt_consent=request.receipt_consent,
        fingerprint=request.fingerprint(),
        batch=batch,
        row_number=row_number,
        recorded_by_id=actor_id,
        recorded_by_label=actor_label,
    )
    money_log.log_on_commit(
        "offline_recorded",
        donation=donation,
        channel=request.channel,
        batch=batch.pk if batch is not None else None,
    )
    fulfilment.announce_paid(donation)
    return donation


def record_gift(request: OfflineGiftRequest, *, actor: Any, site: Any = None) -> Donation:
    """Record one offline gift; refused (``already_recorded``) if the same payment stands."""
    if is_recorded(request.fingerprints()):
        raise _already_recorded()
    try:
        with transaction.atomic():
            return _record(request, actor=actor, site=site)
    except IntegrityError:  # the same payment, recorded a moment ago by someone else
        raise _already_recorded() from None


def _already_recorded() -> OfflineGiftError:
    return OfflineGiftError(
        _(
            "A gift with the same channel, date, amount, currency and reference is already "
            "recorded. Void it first if it was wrong."
        ),
        field="reference",
        code="already_recorded",
    )


# --- Reading files ------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a person typed (numbers exactly, dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # The shortest text that reads back as this float: what the person typed, never
        # "25.499999". Amounts are then read as text, never as floats.
        return format(decimal.Decimal(repr(value)), "f")
    return str(value)


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            _(
                "The file is not UTF-8 text. Save it from your spreadsheet as "
                '"CSV UTF-8" and upload it again.'
            ),
            code="encoding",
        ) from None
    if "\x00" in text:
        raise ImportRefused(_("This is not a CSV file."), code="format")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportRefused(_("This file is too large to import."), code="too_large")
        # Formulas come back as their text (never evaluated here) and are refused per row.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except ImportRefused:
        raise
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportRefused(_("This is not an XLSX workbook we can read."), code="format") from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    finally:
        workbook.close()


def max_file_bytes() -> int:
    """The largest import file (``OFFLINE_IMPORT_MAX_BYTES``)."""
    return int(conf.get_setting("OFFLINE_IMPORT_MAX_BYTES"))


def too_large() -> ImportRefused:
    return ImportRefused(
        _("This file is larger than %(size)s: split it into smaller files.")
        % {"size": filesizeformat(max_file_bytes())},
        code="too_large",
    )


def declared_too_large(content_length: Any) -> bool:
    """Whether a request declaring ``content_length`` bytes (``CONTENT_LENGTH``) cannot hold an
    import file within the limit. Django never reads more of a body than it declares, so this
    refuses a large upload before any of it is read."""
    try:
        declared = int(str(content_length or "0").strip() or "0")
    except ValueError:
        return True  # a length we cannot read: Django would read nothing either
    return declared > max_file_bytes() + UPLOAD_OVERHEAD_BYTES


def read_rows(file_name: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The gifts in a CSV or XLSX file: (line number, column -> text), blank lines skipped.

    Raises :class:`ImportRefused` for a file that is too large, unreadable or has no header
    naming the required columns.
    """
    if len(content) > max_file_bytes():
        raise too_large()
    is_xlsx = content[:4] == b"PK\x03\x04" or file_name.lower().endswith(".xlsx")
    lines = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for number, cells in enumerate(lines, start=1):
            cells = [str(cell) for cell in cells]
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip().lower().replace(" ", "_") for cell in cells]
                missing = [name for name in REQUIRED_COLUMNS if name not in header]
                if missing:
                    raise ImportRefused(
                        _("The first row must name the columns; missing: %(columns)s.")
                        % {"columns": ", ".join(missing)},
                        code="columns",
                    )
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportRefused(
                    _("This file has more than %(count)d gifts: split it into smaller files.")
                    % {"count": MAX_ROWS},
                    code="too_many_rows",
                )
            values = {
                name: cells[index].strip() if index < len(cells) else ""
                for index, name in enumerate(header)
                if name in COLUMNS
            }
            rows.append((number, values))
    except csv.Error:
        raise ImportRefused(_("This CSV file cannot be read."), code="format") from None
    if header is None:
        raise ImportRefused(_("The file is empty."), code="empty")
    return rows


# --- Importing ------------------------------------------------------------------------------


def _row(number: int, values: dict[str, str], today: datetime.date) -> dict[str, Any]:
    """One row as kept on the batch: its text, and accepted (with its fingerprint) or refused
    (with the reason and the code of the refusal)."""
    row: dict[str, Any] = {"line": number, "values": values}
    try:
        request = read_gift(values, today=today)
    except OfflineGiftError as error:
        column = f"{error.field}: " if error.field else ""
        row.update(accepted=False, code=error.code, reason=f"{column}{error.message}")
        return row
    row.update(
        accepted=True,
        fingerprint=request.fingerprint(),
        fingerprints=request.fingerprints(),
        amount_display=money.format_money(request.amount, request.currency),
        targets=", ".join(
            target.label if len(request.targets) == 1 else f"{target.label} {share // 100}%"
            for target, share in request.targets
        ),
    )
    return row


def _refuse(row: dict[str, Any], code: str, reason: Any) -> None:
    row.update(accepted=False, code=code, reason=str(reason))
    row.pop("fingerprint", None)
    row.pop("fingerprints", None)


def check_rows(rows: Iterable[tuple[int, dict[str, str]]]) -> list[dict[str, Any]]:
    """Every row accepted or refused with its reason: invalid, a duplicate of an earlier row of
    the file, or a payment already recorded."""
    today = timezone.localdate()
    checked = [_row(number, values, today) for number, values in rows]
    seen: dict[str, int] = {}
    for row in checked:
        if not row["accepted"]:
            continue
        first = seen.setdefault(row["fingerprint"], row["line"])
        if first != row["line"]:
            _refuse(
                row,
                "duplicate_in_file",
                _("The same payment as row %(line)d of this file.") % {"line": first},
            )
    recorded = _recorded_among(
        [candidate for row in checked if row["accepted"] for candidate in row["fingerprints"]]
    )
    for row in checked:
        if row["accepted"] and recorded.intersection(row["fingerprints"]):
            _refuse(row, "already_recorded", _("Already recorded (imported or typed in before)."))
    for row in checked:
        row.pop("fingerprints", None)  # a key rotation's candidates are recomputed at commit
    return checked


def _recorded_among(fingerprints: list[str]) -> set[str]:
    """Which of ``fingerprints`` belong to a standing (not voided) gift."""
    return set(
        OfflineGift.objects.filter(
            fingerprint__in=fingerprints, voided_at__isnull=True
        ).values_list("fingerprint", flat=True)
    )


def preview_import(file_name: str, content: bytes, *, actor: Any) -> OfflineBatch:
    """Read a file and keep its rows, checked, for review. Records no gift."""
    rows = check_rows(read_rows(file_name, content))
    actor_id, actor_label = _actor(actor)
    return OfflineBatch.objects.create(
        file_name=file_name[:255],
        file_digest=hashlib.sha256(content).hexdigest(),
        rows=rows,
        created_by_id=actor_id,
        created_by_label=actor_label,
    )


class StaleImport(OfflineGiftError):
    """Rows accepted at preview would now be refused: nothing was recorded."""


class ExpiredImport(OfflineGiftError):
    """The preview is older than ``OFFLINE_IMPORT_PREVIEW_HOURS``: nothing was recorded."""


# --- Expiry of previews ---------------------------------------------------------------------


def preview_lifetime() -> datetime.timedelta:
    """How long a preview that was never committed is kept (``OFFLINE_IMPORT_PREVIEW_HOURS``)."""
    return datetime.timedelta(hours=int(conf.get_setting("OFFLINE_IMPORT_PREVIEW_HOURS")))


def previews_expired(now: datetime.datetime | None = None) -> QuerySet[OfflineBatch]:
    """Previews never committed (waiting or out of date) older than their lifetime: they hold
    donors' names and addresses as typed in the file, so they are not kept."""
    cutoff = (now or timezone.now()) - preview_lifetime()
    return OfflineBatch.objects.exclude(status=OfflineBatch.Status.COMMITTED).filter(
        created_at__lt=cutoff
    )


def is_expired(batch: OfflineBatch, now: datetime.datetime | None = None) -> bool:
    return (
        batch.status != OfflineBatch.Status.COMMITTED
        and batch.created_at < (now or timezone.now()) - preview_lifetime()
    )


def _expired() -> ExpiredImport:
    return ExpiredImport(
        _(
            "This preview is older than %(hours)d hours and can no longer be recorded: "
            "nothing was recorded. Upload the file again."
        )
        % {"hours": int(conf.get_setting("OFFLINE_IMPORT_PREVIEW_HOURS"))},
        code="expired",
    )


def purge_previews(now: datetime.datetime | None = None) -> int:
    """Delete expired previews; returns how many. Idempotent. A batch with gifts is committed,
    so never expired: a gift's record keeps its batch."""
    deleted, _by_model = previews_expired(now).filter(gifts__isnull=True).delete()
    return deleted


def _commit(batch_pk: int, actor: Any, site: Any) -> OfflineBatch:
    batch = OfflineBatch.objects.select_for_update().get(pk=batch_pk)
    if batch.status == OfflineBatch.Status.COMMITTED:
        return batch
    if is_expired(batch):
        raise _expired()
    if batch.status == OfflineBatch.Status.STALE:
        raise StaleImport(batch.stale_reason, code="stale")
    today = timezone.localdate()
    accepted = batch.accepted_rows
    kept = _recorded_among([row["fingerprint"] for row in accepted])
    requests = []
    for row in accepted:
        if row["fingerprint"] in kept:
            continue  # recorded since the preview (another import, or this one retried)
        try:
            requests.append((row, read_gift(row["values"], today=today)))
        except OfflineGiftError as error:
            raise StaleImport(
                _("Row %(line)d would now be refused (%(reason)s). Upload the file again.")
                % {"line": row["line"], "reason": error.message},
                code="stale",
            ) from None
    # Fingerprints are recomputed from the kept values (never trusted from the preview), under
    # every key still accepted.
    recorded = _recorded_among(
        [candidate for _row, request in requests for candidate in request.fingerprints()]
    )
    created = 0
    for row, request in requests:
        if recorded.intersection(request.fingerprints()):
            continue  # recorded before a key rotation
        _record(request, actor=actor, site=site, batch=batch, row_number=row["line"])
        created += 1
    actor_id, actor_label = _actor(actor)
    # Recorded: the donors' names and addresses now live on their donor records only (where
    # erasure finds them), not in a copy of the file.
    batch.rows = [_without_personal_data(row) for row in batch.rows]
    batch.status = OfflineBatch.Status.COMMITTED
    batch.committed_at = timezone.now()
    batch.committed_by_id, batch.committed_by_label = actor_id, actor_label
    batch.created_count = created
    batch.save(
        update_fields=[
            "rows",
            "status",
            "committed_at",
            "committed_by",
            "committed_by_label",
            "created_count",
        ]
    )
    return batch


#: Columns of a kept row that name a person.
PERSONAL_COLUMNS = ("donor_name", "donor_email")


def _without_personal_data(row: dict[str, Any]) -> dict[str, Any]:
    return _without(row, PERSONAL_COLUMNS)


def commit_import(
    batch: OfflineBatch, *, actor: Any, site: Any = None, retries: int = 3
) -> OfflineBatch:
    """Record a previewed batch's accepted rows: all of them, or (on any error) none.

    Committing twice records nothing more. A row whose payment was recorded since the preview
    is skipped; a row that would now be refused (its need closed, say) stops the whole commit
    and marks the batch out of date. When another commit records the same payments at the same
    moment, the unique fingerprint refuses ours; it is then retried and skips them.
    """
    for attempt in range(retries):
        try:
            with transaction.atomic():
                return _commit(batch.pk, actor, site)
        except IntegrityError:
            if attempt == retries - 1:
                raise
        except StaleImport as stale:
            OfflineBatch.objects.filter(pk=batch.pk).update(
                status=OfflineBatch.Status.STALE, stale_reason=stale.message[:500]
            )
            raise
    raise AssertionError("unreachable")  # pragma: no cover


# --- Erasure ----------------------------------------------------------------------------------

#: What stands in for a void's reason once its donor is erased (a voided gift needs one).
ERASED_NOTE = "[erased]"


@dataclass
class ErasedOfflineData:
    gifts: int = 0
    previews: int = 0


def erase_offline_data(donor: Donor, needles: list[str]) -> ErasedOfflineData:
    """Forget what an erased donor's offline gifts say about them, inside the caller's
    transaction: the payment reference (a bank transfer's often holds the payer's name) and the
    void's reason (free text) on each gift and, for an imported gift, the reference in its
    file's kept row. Amounts, dates, channel, fingerprint and the ledger stay (reversal lines
    keep the reason they were written with: the ledger is append-only). Previews not yet
    committed holding the donor (``needles``: lower-case address and names) lose those rows'
    personal values and become out of date, so they cannot bring the donor back."""
    gifts = OfflineGift.objects.filter(donation__donor=donor)
    rows_by_batch: dict[int, set[int | None]] = {}
    for batch_id, row_number in gifts.exclude(batch=None).values_list("batch_id", "row_number"):
        rows_by_batch.setdefault(batch_id, set()).add(row_number)
    erased = ErasedOfflineData(gifts=gifts.update(payment_reference=""))
    gifts.exclude(voided_at=None).update(void_reason=ERASED_NOTE)
    for batch in OfflineBatch.objects.select_for_update().filter(pk__in=rows_by_batch):
        lines = rows_by_batch[batch.pk]
        batch.rows = [
            _without(row, ("reference",)) if row.get("line") in lines else row for row in batch.rows
        ]
        batch.save(update_fields=["rows"])
    waiting = OfflineBatch.objects.select_for_update().exclude(status=OfflineBatch.Status.COMMITTED)
    for batch in waiting:
        mentioned = [row for row in batch.rows if _mentions(row, needles)]
        if not mentioned:
            continue
        batch.rows = [
            _without(row, (*PERSONAL_COLUMNS, "reference")) if _mentions(row, needles) else row
            for row in batch.rows
        ]
        batch.status = OfflineBatch.Status.STALE
        batch.stale_reason = str(
            _("A donor in this file asked to be erased since it was read. Upload the file again.")
        )
        batch.save(update_fields=["rows", "status", "stale_reason"])
        erased.previews += 1
    return erased


def _mentions(row: dict[str, Any], needles: list[str]) -> bool:
    values = row.get("values", {})
    texts = [str(values.get(name, "")).strip().lower() for name in PERSONAL_COLUMNS]
    return any(text and text in needles for text in texts)


def _without(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    values = {name: ("" if name in columns else value) for name, value in row["values"].items()}
    return {**row, "values": values}


# --- The template ---------------------------------------------------------------------------


def template_csv() -> str:
    """The import template: the header and two fictional example rows."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    today = timezone.localdate().isoformat()
    currency = conf.default_currency()
    examples = [
        [today, Channel.BANK_TRANSFER.value, "25.00", currency, "TRF-0001", "Example Donor"],
        [today, Channel.CASH.value, "10", currency, "RECEIPT-0042", ""],
    ]
    extras = [
        ["donor@example.org", "no", "yes", "", "general", ""],
        ["", "yes", "no", "", "", ""],
    ]
    for first, rest in zip(examples, extras, strict=True):
        writer.writerow([*first, *rest])
    return output.getvalue()
