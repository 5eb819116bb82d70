"""Small builders for test data: plain functions, sensible defaults, override what matters."""

from __future__ import annotations

import datetime
import io
import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from PIL import Image, PngImagePlugin
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText

from wagtail_sixdegrees.models import (
    Cause,
    Need,
    Partner,
    Region,
    StoryConsent,
    StoryIndexPage,
    SurvivorStoryPage,
)
from wagtail_sixdegrees.stories.workflow import CHECKLIST, REVIEWERS_GROUP_NAME

_counter = itertools.count(1)

PASSWORD = "correct horse"
"""Every user the factories make signs in with this password."""


def default_locale() -> Locale:
    """The default locale, recreated if a transactional test's flush removed Wagtail's row."""
    from django.conf import settings

    return Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)[0]


def make_cause(name: str | None = None, **fields: Any) -> Cause:
    number = next(_counter)
    name = name or f"Cause {number}"
    fields.setdefault("slug", f"cause-{number}")
    fields.setdefault("locale", default_locale())
    return Cause.objects.create(name=name, **fields)


def make_region(name: str | None = None, **fields: Any) -> Region:
    number = next(_counter)
    name = name or f"Region {number}"
    fields.setdefault("slug", f"region-{number}")
    fields.setdefault("locale", default_locale())
    return Region.objects.create(name=name, **fields)


def make_partner(name: str | None = None, **fields: Any) -> Partner:
    return Partner.objects.create(name=name or f"Partner {next(_counter)}", **fields)


def make_need(**fields: Any) -> Need:
    number = next(_counter)
    fields.setdefault("title", f"Need {number}")
    fields.setdefault("summary", "A fictional need for tests.")
    fields.setdefault("cause", fields.pop("cause", None) or make_cause())
    fields.setdefault("region", fields.pop("region", None) or make_region())
    fields.setdefault("partner", fields.pop("partner", None) or make_partner())
    fields.setdefault("target_amount", 100_000)
    fields.setdefault("currency", "USD")
    fields.setdefault("locale", default_locale())
    return Need.objects.create(**fields)


def make_donor(email: str | None = None, **fields: Any):
    from wagtail_sixdegrees.models import Donor

    return Donor.objects.create(email=email or f"donor{next(_counter)}@example.org", **fields)


def make_donation(**fields: Any):
    """A pending one-off donation with a single "where most needed" preference."""
    from wagtail_sixdegrees.models import Donation

    fields.setdefault("donor", fields.pop("donor", None) or make_donor())
    fields.setdefault("amount", 2500)
    fields.setdefault("currency", "USD")
    preferences = fields.pop("preferences", [{"kind": "general", "share_bps": 10_000}])
    donation = Donation.objects.create(**fields)
    for position, preference in enumerate(preferences):
        donation.preferences.create(position=position, **preference)
    return donation


def make_paid_donation(amount: int = 10_000, currency: str = "USD", *, fee: int = 0, **fields: Any):
    """A paid donation settled in its own currency: net = amount - fee.

    ``preferences`` is a list of dicts as for :func:`make_donation` (default: where most needed).
    No signal is sent: tests that need automatic allocation go through the webhook.
    """
    from django.utils import timezone

    fields.setdefault("status", "paid")
    fields.setdefault("paid_at", timezone.now())
    fields.setdefault("settlement_currency", currency)
    fields.setdefault("settlement_amount", amount)
    fields.setdefault("fee_amount", fee)
    fields.setdefault("net_amount", amount - fee)
    return make_donation(amount=amount, currency=currency, **fields)


def need_pref(need, bps: int = 10_000) -> dict[str, Any]:
    return {"kind": "need", "need": need, "share_bps": bps}


def cause_pref(cause, bps: int = 10_000) -> dict[str, Any]:
    return {"kind": "cause", "cause": cause, "share_bps": bps}


def region_pref(region, bps: int = 10_000) -> dict[str, Any]:
    return {"kind": "region", "region": region, "share_bps": bps}


def general_pref(bps: int = 10_000) -> dict[str, Any]:
    return {"kind": "general", "share_bps": bps}


def ensure_wagtail_tree() -> None:
    """Recreate what Wagtail's migrations put in an empty database: the default locale, the
    root collection, the root page, a home page and the default site. A transactional test's flush removes them,
    and the admin and page serving need them."""
    from wagtail.models import Collection, Page, Site

    locale = default_locale()
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    if not Site.objects.exists():
        home = root.get_children().first()
        if home is None:
            home = root.add_child(instance=Page(title="Welcome", slug="home", locale=locale))
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)


def insert_rows(model: Any, rows: list[dict[str, Any]], batch: int = 5_000) -> None:
    """Insert many rows fast with ``executemany`` (Django's ``bulk_create`` spends most of its
    time preparing every field of every row). Columns missing from ``rows`` get their field's
    default, prepared once; the varying ones are prepared per row."""
    from django.db import connection

    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    varying = set(rows[0]) if rows else set()
    constants = {
        field.attname: field.get_db_prep_save(field.get_default(), connection)
        for field in fields
        if field.attname not in varying
    }
    # Only these need converting for the database; numbers, text and None go as they are.
    prepare = {
        field.attname: field
        for field in fields
        if field.attname in varying
        and field.get_internal_type() in ("UUIDField", "DateTimeField", "DateField")
    }
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    # Names come from the model, values go as parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(
                sql,
                [
                    [
                        prepare[field.attname].get_db_prep_save(row[field.attname], connection)
                        if field.attname in prepare
                        else row[field.attname]
                        if field.attname in varying
                        else constants[field.attname]
                        for field in fields
                    ]
                    for row in rows[start : start + batch]
                ],
            )


def bulk_paid_donations(
    count: int, *, currencies: tuple[str, ...] = ("USD", "THB", "VND"), days: int = 400
) -> None:
    """``count`` one-off donations spread over ``days`` up to now (mostly paid; some pending,
    failed or disputed), from one donor, without preferences: for listings and aggregates."""
    import datetime
    import uuid

    from django.utils import timezone

    from wagtail_sixdegrees.models import Donation

    donor = make_donor()
    now = timezone.now()
    amounts = {"USD": 2_500, "THB": 50_000, "VND": 500_000}
    statuses = ["paid"] * 17 + ["pending", "failed", "disputed"]
    rows = []
    for index in range(count):
        currency = currencies[index % len(currencies)]
        amount = amounts.get(currency, 2_500) + index % 97
        status = statuses[index % len(statuses)]
        paid = status not in ("pending", "failed")
        when = now - datetime.timedelta(minutes=index * days * 1440 // count)
        rows.append(
            {
                "reference": uuid.uuid4(),
                "donor_id": donor.pk,
                "amount": amount,
                "currency": currency,
                "status": status,
                "paid_at": when if paid else None,
                "created_at": when,
                "updated_at": when,
                "settlement_currency": currency if paid else "",
                "settlement_amount": amount if paid else None,
                "fee_amount": amount // 30 if paid else None,
                "net_amount": amount - amount // 30 if paid else None,
            }
        )
    insert_rows(Donation, rows)


def make_superuser(username: str = "admin"):
    """The suite's one way to make a superuser (pytest-django's ``admin_user`` aside)."""
    return get_user_model().objects.create_superuser(username, f"{username}@example.org", PASSWORD)


def panel_user(role: str, username: str | None = None):
    """A user for the Giving panel: ``superuser``, ``manager`` or ``viewer`` (the groups the data
    migration creates), ``editor`` (Wagtail's Editors group) or ``staff`` (admin access only)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from wagtail_sixdegrees.panel.permissions import (
        MANAGERS_GROUP,
        VIEWERS_GROUP,
        ensure_giving_groups,
    )

    users = get_user_model().objects
    username = username or f"{role}-{next(_counter)}"
    if role == "superuser":
        return make_superuser(username)
    user = users.create_user(username, f"{username}@example.org", PASSWORD)
    if role in ("manager", "viewer"):
        groups = ensure_giving_groups()
        user.groups.add(groups[MANAGERS_GROUP if role == "manager" else VIEWERS_GROUP])
    elif role == "editor":
        user.groups.add(Group.objects.get_or_create(name="Editors")[0])
    elif role == "staff":
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return user


# Stories ---------------------------------------------------------------------------------


def site_root() -> Page:
    return Site.objects.get(is_default_site=True).root_page.specific


def make_story_index(parent: Page | None = None, **fields: Any) -> StoryIndexPage:
    number = next(_counter)
    fields.setdefault("title", f"Stories {number}")
    fields.setdefault("slug", f"stories-{number}")
    index = StoryIndexPage(**fields)
    (parent or site_root()).add_child(instance=index)
    return index


def make_consent(story: Page, **fields: Any) -> StoryConsent:
    fields.setdefault("given_on", datetime.date.today() - datetime.timedelta(days=10))
    fields.setdefault("form_reference", "CF-FICTIONAL-0001")
    return StoryConsent.objects.create(translation_key=story.translation_key, **fields)


def make_story(index: StoryIndexPage | None = None, *, consent: bool = True, **fields: Any):
    """A draft story (never live on creation), with consent on record unless told otherwise."""
    number = next(_counter)
    fields.setdefault("title", f"Story {number}")
    fields.setdefault("slug", f"story-{number}")
    fields.setdefault("pseudonym", f"Pseudonym {number}")
    fields.setdefault("teaser", "A fictional story written for the tests.")
    fields.setdefault("region", fields.pop("region", None) or make_region())
    fields.setdefault("body", [("paragraph", RichText("<p>A fictional story paragraph.</p>"))])
    fields["live"] = False
    causes = fields.pop("causes", [])
    story = SurvivorStoryPage(**fields)
    (index or make_story_index()).add_child(instance=story)
    if causes:
        story.causes.set(causes)
    story.save_revision()
    if consent:
        make_consent(story)
    return story


def make_reviewer(username: str = "reviewer"):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name=REVIEWERS_GROUP_NAME))
    return user


def approve_safety_review(story, reviewer=None, requested_by=None):
    """Run the story through its workflow as Wagtail does: submit, then approve the checklist."""
    reviewer = reviewer or make_reviewer(f"reviewer{next(_counter)}")
    state = story.get_workflow().start(story, requested_by or reviewer)
    task_state = state.current_task_state.specific
    task_state.task.specific.on_action(
        task_state, reviewer, "approve", **{name: True for name, _label in CHECKLIST}
    )
    story.refresh_from_db()
    return story


def make_live_story(index: StoryIndexPage | None = None, **fields: Any):
    return approve_safety_review(make_story(index, **fields))


def image_bytes(
    image_format: str = "JPEG", size: tuple[int, int] = (64, 48), orientation: int = 1
) -> bytes:
    """An image carrying GPS coordinates, camera details, XMP and (for PNG) text chunks."""
    picture = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "FictionalCameraMaker"
    exif[0x0110] = "FictionalCam 3000"
    exif[0x0112] = orientation
    exif[0x013B] = "Real Person Name"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (13.0, 45.0, 30.5), 3: "E", 4: (100.0, 30.0, 12.25)})
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Real Person Name</dc:creator></x:xmpmeta>'
    )
    output = io.BytesIO()
    if image_format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "Real Person Name")
        info.add_itxt("XML:com.adobe.xmp", xmp.decode())
        picture.save(output, "PNG", exif=exif, pnginfo=info)
    else:
        picture.save(output, image_format, exif=exif, xmp=xmp)
    return output.getvalue()


def make_image(image_format: str = "JPEG", name: str = "IMG_Real_Person_Name.jpg", **kwargs: Any):
    extra = {key: kwargs.pop(key) for key in ("collection",) if key in kwargs}
    return get_image_model().objects.create(
        title=kwargs.pop("title", "Fictional image"),
        file=ContentFile(image_bytes(image_format, **kwargs), name=name),
        **extra,
    )


# Transparency ----------------------------------------------------------------------------


def make_need_update(need, *, publish: bool = True, **fields: Any):
    """A need update, published (through a revision, as the admin does) unless told not to."""
    from wagtail_sixdegrees.models import NeedUpdate

    number = next(_counter)
    fields.setdefault("title", f"Fictional update {number}")
    fields.setdefault("text", "Fictional progress for the tests.")
    fields.setdefault("locale", need.locale)
    update = NeedUpdate.objects.create(need=need, live=False, **fields)
    if publish:
        update.save_revision().publish()
        update.refresh_from_db()
    return update


def translate(obj, language_code: str, **fields: Any):
    """The suite's one ``translate``: a translation of a translatable record (a snippet or a
    page) in another language, saved, and published if it has drafts. A page's ancestors are
    translated first, as Wagtail requires; a story's translation shares its consent through
    the translation key."""
    locale = Locale.objects.get_or_create(language_code=language_code)[0]
    if isinstance(obj, Page):
        for ancestor in obj.get_ancestors().filter(depth__gt=1).specific():
            if not ancestor.has_translation(locale):
                ancestor.copy_for_translation(locale)
    copy = obj.copy_for_translation(locale)
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    if hasattr(copy, "save_revision"):
        copy.save_revision().publish()
        copy.refresh_from_db()
    return copy


def impact_path(donation) -> str:
    from django.urls import reverse

    from wagtail_sixdegrees.transparency.tokens import impact_token

    return reverse("wagtail_sixdegrees:gift", args=[impact_token(donation)])


def need_edit_data(need: Any, **changes: Any) -> dict[str, Any]:
    """What the need snippet's edit form posts to publish ``need`` as it is, with ``changes``."""
    return {
        "title": need.title,
        "summary": need.summary,
        "cause": need.cause_id,
        "region": need.region_id,
        "partner": need.partner_id,
        "target_amount": "1000",
        "currency": need.currency,
        "priority": str(need.priority),
        "opens_on": need.opens_on.isoformat(),
        "action-publish": "publish",
        **changes,
    }
