"""The audit: the invariants of docs/concepts.md#rule-8, checked against the whole ledger.

A violation is a broken invariant that someone must investigate; a note is something finance
should know (money waiting, shortfalls to cover) that is not an error.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext_lazy as _

from .. import conf, money
from ..giving import rollups
from ..giving.models import Donation, NeedChoice, PreferenceKind
from . import balances, ledger
from .models import AccountKind, Disbursement, LedgerEntry

CHUNK = 2_000


@dataclass(frozen=True)
class Finding:
    check: str
    message: str


@dataclass
class AuditReport:
    violations: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    donations_checked: int = 0
    needs_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations

    def text(self) -> str:
        """A report a person can read in a terminal or an email."""
        lines = [
            str(
                _("Audit of %(donations)d donations and %(needs)d needs: %(result)s.")
                % {
                    "donations": self.donations_checked,
                    "needs": self.needs_checked,
                    "result": _("all invariants hold")
                    if self.ok
                    else _("%(count)d violation(s)") % {"count": len(self.violations)},
                }
            )
        ]
        for finding in self.violations:
            lines.append(f"  VIOLATION [{finding.check}] {finding.message}")
        for finding in self.notes:
            lines.append(f"  note [{finding.check}] {finding.message}")
        return "\n".join(lines)


def _fmt(amount: int, currency: str) -> str:
    return money.format_money(amount, currency, "en")


def run_audit() -> AuditReport:
    report = AuditReport()
    _check_entries(report)
    _check_account_currencies(report)
    _check_donations(report)
    _check_needs(report)
    _check_kept_balances(report)
    _check_rollups(report)
    _check_unallocated(report)
    _notes(report)
    check_payment_mismatches(report)
    check_voided_gifts(report)
    return report


def _check_entries(report: AuditReport) -> None:
    zero = LedgerEntry.objects.filter(amount=0).count()
    if zero:
        report.violations.append(
            Finding(
                "zero-amount",
                str(_("%(count)d ledger entries have a zero amount.") % {"count": zero}),
            )
        )
    wrong_currency = (
        LedgerEntry.objects.exclude(currency=F("donation__settlement_currency"))
        .values_list("pk", "donation_id", "currency", "donation__settlement_currency")
        .order_by("pk")[:50]
    )
    for pk, donation_id, currency, settlement in wrong_currency:
        report.violations.append(
            Finding(
                "currency",
                str(
                    _(
                        "Entry %(entry)d of donation %(donation)d is in %(currency)s, not the donation's settlement currency %(settlement)s."
                    )
                    % {
                        "entry": pk,
                        "donation": donation_id,
                        "currency": currency,
                        "settlement": settlement or "-",
                    }
                ),
            )
        )


def _check_account_currencies(report: AuditReport) -> None:
    """Every need-account entry and every disbursement is in its need's currency.

    A need's balance is read in the need's currency, and counts its translations together, so
    a row in another currency (or a translation in another currency) silently changes what the
    need appears to hold. Pools carry their currency in the entry itself.
    """
    from ..needs.models import Need

    # Some translation of the row's need is in another currency than the row.
    other_currency = Exists(
        Need.objects.filter(translation_key=OuterRef("need__translation_key")).exclude(
            currency=OuterRef("currency")
        )
    )
    checks = (
        (
            LedgerEntry.objects.filter(account_kind=AccountKind.NEED),
            "entry",
            _(
                "Ledger entry %(entry)d is in %(currency)s, but its need %(need)s is in %(need_currency)s."
            ),
        ),
        (
            Disbursement.objects.all(),
            "disbursement",
            _(
                "Disbursement %(disbursement)d is in %(currency)s, but its need %(need)s is in %(need_currency)s."
            ),
        ),
    )
    for rows, name, message in checks:
        found = (
            rows.filter(other_currency)
            .values_list("pk", "currency", "need__title", "need__currency")
            .order_by("pk")[:50]
        )
        for pk, currency, title, need_currency in found:
            values = {name: pk, "currency": currency, "need": title, "need_currency": need_currency}
            report.violations.append(Finding("account-currency", str(message % values)))


def _check_donations(report: AuditReport) -> None:
    per_donation = balances.donation_sums()
    # A donation's balance in any one account must never go below zero (shortfall aside).
    for negative in balances.negative_donation_accounts(limit=50):
        report.violations.append(
            Finding(
                "negative-balance",
                str(
                    _("Donation %(donation)d has %(amount)s in a %(kind)s account.")
                    % {
                        "donation": negative["donation_id"],
                        "amount": _fmt(negative["total"], negative["currency"]),
                        "kind": negative["account_kind"],
                    }
                ),
            )
        )
    general = balances.general_by_donation()

    ids = sorted(per_donation)
    report.donations_checked = len(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = Donation.objects.filter(pk__in=ids[start : start + CHUNK]).prefetch_related(
            "preferences"
        )
        for donation in chunk:
            row = per_donation[donation.pk]
            currency = donation.settlement_currency or donation.currency
            allocatable = donation.allocatable_amount
            if allocatable is None or row["allocated"] != allocatable:
                report.violations.append(
                    Finding(
                        "donation-sum",
                        str(
                            _(
                                "Donation %(donation)s: allocations add up to %(allocated)s, but its allocatable amount is %(allocatable)s."
                            )
                            % {
                                "donation": donation.reference,
                                "allocated": _fmt(row["allocated"], currency),
                                "allocatable": _fmt(allocatable, currency)
                                if allocatable is not None
                                else _("unknown"),
                            }
                        ),
                    )
                )
                continue
            if row["moved"] != 0:
                report.violations.append(
                    Finding(
                        "reallocation-sum",
                        str(
                            _(
                                "Donation %(donation)s: reallocations do not net to zero (%(moved)s)."
                            )
                            % {
                                "donation": donation.reference,
                                "moved": _fmt(row["moved"], currency),
                            }
                        ),
                    )
                )
            due = ledger.reversal_target(donation, row["allocated"])
            if -row["reversed"] > due:
                report.violations.append(
                    Finding(
                        "reversal-sum",
                        str(
                            _(
                                "Donation %(donation)s: %(reversed)s was reversed, more than its refunds and disputes require (%(due)s)."
                            )
                            % {
                                "donation": donation.reference,
                                "reversed": _fmt(-row["reversed"], currency),
                                "due": _fmt(due, currency),
                            }
                        ),
                    )
                )
            elif -row["reversed"] < due:
                report.violations.append(
                    Finding(
                        "reversal-pending",
                        str(
                            _(
                                "Donation %(donation)s: refunds or a lost dispute require %(due)s to be reversed, but only %(reversed)s has been."
                            )
                            % {
                                "donation": donation.reference,
                                "reversed": _fmt(-row["reversed"], currency),
                                "due": _fmt(due, currency),
                            }
                        ),
                    )
                )
            if not donation.allow_flexible_use and general.get(donation.pk, 0) > 0:
                preferences = list(donation.preferences.all())
                parts = money.split_by_basis_points(allocatable, [p.share_bps for p in preferences])
                allowed = sum(
                    part
                    for p, part in zip(preferences, parts, strict=True)
                    if p.kind == PreferenceKind.GENERAL
                )
                if general[donation.pk] > allowed:
                    report.violations.append(
                        Finding(
                            "restriction",
                            str(
                                _(
                                    "Donation %(donation)s: %(amount)s of restricted money is in the general pool without the donor's consent."
                                )
                                % {
                                    "donation": donation.reference,
                                    "amount": _fmt(general[donation.pk] - allowed, currency),
                                }
                            ),
                        )
                    )


def _check_needs(report: AuditReport) -> None:
    # From the raw ledger, not the kept balances: the audit checks those too, below.
    received, paid_out = balances.recomputed_need_totals()
    report.needs_checked = len(set(received) | set(paid_out))
    for need_id, disbursed in sorted(paid_out.items()):
        if disbursed > received.get(need_id, 0):
            from ..needs.models import Need

            need = Need.objects.get(pk=need_id)
            report.violations.append(
                Finding(
                    "over-disbursed",
                    str(
                        _("Need %(need)s has disbursed %(disbursed)s but holds only %(received)s.")
                        % {
                            "need": need.title,
                            "disbursed": _fmt(disbursed, need.currency),
                            "received": _fmt(received.get(need_id, 0), need.currency),
                        }
                    ),
                )
            )


def _check_kept_balances(report: AuditReport) -> None:
    """Every balance kept with the ledger must equal the one recomputed from the ledger."""
    for kept, truth in balances.balance_differences():
        shown = kept or truth
        if shown is None:  # pragma: no cover - a difference has at least one side
            continue
        currency = shown.account.currency

        def figures(row: balances.KeptBalance | None, currency: str = currency) -> str:
            if row is None:
                return str(_("nothing"))
            return ", ".join(
                [
                    str(_("held %(amount)s") % {"amount": _fmt(row.held, currency)}),
                    str(_("raised %(amount)s") % {"amount": _fmt(row.raised, currency)}),
                    str(_("disbursed %(amount)s") % {"amount": _fmt(row.disbursed, currency)}),
                ]
            )

        report.violations.append(
            Finding(
                "kept-balance",
                str(
                    _(
                        "The balance kept for account %(account)s says %(kept)s; the ledger says %(truth)s."
                    )
                    % {"account": shown.key, "kept": figures(kept), "truth": figures(truth)}
                ),
            )
        )


def _check_rollups(report: AuditReport) -> None:
    """The dashboard's roll-ups must equal what the donations and the ledger say."""
    for currency, day, kept, truth in rollups.day_differences():
        report.violations.append(
            Finding(
                "kept-day",
                str(
                    _(
                        "What was given in %(currency)s on %(day)s is kept as %(kept)s in "
                        "%(kept_count)d payment(s); the donations say %(truth)s in "
                        "%(truth_count)d. Run sixdegrees_audit --rebuild-rollups after "
                        "changing TIME_ZONE."
                    )
                    % {
                        "currency": currency,
                        "day": day.isoformat(),
                        "kept": _fmt(kept[0], currency),
                        "kept_count": kept[1],
                        "truth": _fmt(truth[0], currency),
                        "truth_count": truth[1],
                    }
                ),
            )
        )
    for month, kept_month, truth_month in balances.month_differences():
        shown = kept_month or truth_month
        if shown is None:  # pragma: no cover - a difference has at least one side
            continue
        currency = shown.account.currency
        report.violations.append(
            Finding(
                "kept-month",
                str(
                    _(
                        "The movement kept for account %(account)s in %(month)s says %(kept)s; "
                        "the ledger says %(truth)s."
                    )
                    % {
                        "account": shown.key,
                        "month": month.strftime("%Y-%m"),
                        "kept": _fmt(kept_month.held if kept_month else 0, currency),
                        "truth": _fmt(truth_month.held if truth_month else 0, currency),
                    }
                ),
            )
        )


def _check_unallocated(report: AuditReport) -> None:
    """The money kept as waiting for allocation must equal what the donations and the ledger
    say (allocation/waiting.py)."""
    for currency, kept, truth in balances.unallocated_differences():
        report.violations.append(
            Finding(
                "kept-unallocated",
                str(
                    _(
                        "Money waiting for allocation in %(currency)s is kept as %(kept_net)s "
                        "net in %(kept_count)d donation(s) (gross %(kept_gross)s); the "
                        "donations and the ledger say %(net)s net in %(count)d (gross "
                        "%(gross)s). Run sixdegrees_audit --rebuild-rollups to recompute it."
                    )
                    % {
                        "currency": currency,
                        "kept_net": _fmt(kept.net, currency),
                        "kept_count": kept.net_count,
                        "kept_gross": _fmt(kept.gross, currency),
                        "net": _fmt(truth.net, currency),
                        "count": truth.net_count,
                        "gross": _fmt(truth.gross, currency),
                    }
                ),
            )
        )


def _notes(report: AuditReport) -> None:
    pending = balances.unallocated_donations().count()
    if pending:
        report.notes.append(
            Finding(
                "unallocated",
                str(_("%(count)d paid donation(s) are not allocated yet.") % {"count": pending}),
            )
        )
    pools: dict[tuple[str, str], int] = defaultdict(int)
    for row in balances.recomputed_balances().values():
        if row.account.kind != AccountKind.NEED and row.held:
            pools[(str(row.account.kind), row.account.currency)] += row.held
    labels = {
        AccountKind.GENERAL: _("waiting in the general pool"),
        AccountKind.RESTRICTED: _("waiting in restricted pools"),
        AccountKind.SHORTFALL: _("shortfall for finance to cover (refunded after being disbursed)"),
    }
    for (kind, currency), total in sorted(pools.items()):
        if not total:
            continue
        report.notes.append(
            Finding(kind, f"{_fmt(abs(total), currency)} {labels[AccountKind(kind)]}")
        )
    _need_choice_notes(report)
    if conf.allocatable_field() == "settlement_amount":
        report.notes.append(
            Finding("settings", str(_("Allocating gross amounts (ALLOCATE_FROM = gross).")))
        )


def _need_choice_notes(report: AuditReport) -> None:
    """Closed needs (docs/concepts.md#need-closes): what donors' choices moved, and who has
    yet to choose."""
    for currency, total in sorted(balances.donor_choice_moves().items()):
        report.notes.append(
            Finding(
                "need_choices",
                str(
                    _("%(amount)s moved out of closed needs by donors' choices or defaults")
                    % {"amount": _fmt(total, currency)}
                ),
            )
        )
    waiting = NeedChoice.objects.filter(decided_at__isnull=True).count()
    if waiting:
        report.notes.append(
            Finding(
                "need_choices",
                str(
                    _("%(count)d donor(s) have not yet chosen where money in a closed need goes.")
                    % {"count": waiting}
                ),
            )
        )


def check_payment_mismatches(report: AuditReport) -> None:
    """Payments Stripe reported against one of our donations or monthly gifts that were not
    the ones we asked for (another session, amount, currency or subscription). They were never
    applied, but money may have moved at Stripe: each stays a violation until finance resolves
    it on the donation's page."""
    for reference, detail in (
        Donation.objects.exclude(payment_mismatch="")
        .order_by("pk")
        .values_list("reference", "payment_mismatch")
    ):
        report.violations.append(
            Finding(
                "payment-mismatch",
                str(
                    _("Donation %(reference)s: a payment did not match it: %(detail)s")
                    % {"reference": reference, "detail": detail}
                ),
            )
        )


#: Voided offline gifts listed by name in the audit's notes (the newest; all are counted).
VOIDS_LISTED = 50


def check_voided_gifts(report: AuditReport) -> None:
    """Voids of offline gifts: a voided status and a recorded void always go together (the
    reversals themselves are checked with every donation), and each void is listed with its
    reason, so the audit shows what was taken back and why."""
    from ..giving.models import OfflineGift

    status_without_record = Donation.objects.filter(status=Donation.Status.VOIDED).exclude(
        offline__voided_at__isnull=False
    )
    record_without_status = OfflineGift.objects.filter(voided_at__isnull=False).exclude(
        donation__status=Donation.Status.VOIDED
    )
    for reference in status_without_record.values_list("reference", flat=True)[:50]:
        report.violations.append(
            Finding(
                "void",
                str(_("Donation %(donation)s is voided, but no void is recorded for it."))
                % {"donation": reference},
            )
        )
    for reference in record_without_status.values_list("donation__reference", flat=True)[:50]:
        report.violations.append(
            Finding(
                "void",
                str(_("Offline gift %(donation)s was voided, but its donation still counts."))
                % {"donation": reference},
            )
        )
    voids = OfflineGift.objects.filter(voided_at__isnull=False)
    count = voids.count()
    if not count:
        return
    report.notes.append(
        Finding("voided", str(_("%(count)d offline gift(s) voided.") % {"count": count}))
    )
    rows = voids.order_by("-voided_at", "-pk").values_list(
        "donation__reference",
        "donation__amount",
        "donation__currency",
        "voided_at",
        "voided_by_label",
        "void_reason",
    )[:VOIDS_LISTED]
    for reference, amount, currency, voided_at, by, reason in rows:
        report.notes.append(
            Finding(
                "voided",
                str(
                    _(
                        "Offline gift %(donation)s (%(amount)s) voided on %(date)s by %(by)s: %(reason)s"
                    )
                    % {
                        "donation": reference,
                        "amount": _fmt(amount, currency),
                        "date": voided_at.date().isoformat() if voided_at else "-",
                        "by": by or "-",
                        "reason": reason,
                    }
                ),
            )
        )
