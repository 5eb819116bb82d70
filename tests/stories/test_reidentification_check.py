"""The re-identification check: never-publish terms kept only as digests, findings in the
editor, and publishing refused on every path until each finding is fixed or acknowledged."""

from __future__ import annotations

import datetime
import hashlib
import importlib
import logging

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, PageLogEntry, Revision
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import rich_text, streamfield

from tests.factories import (
    approve_safety_review,
    make_live_story,
    make_need,
    make_need_update,
    make_reviewer,
    make_story,
    make_story_index,
    make_superuser,
    translate,
)
from tests.helpers import edit_url, login, story_form_data
from wagtail_sixdegrees.models import NeedUpdate, StoryConsent, StoryNeed, SurvivorStoryPage
from wagtail_sixdegrees.stories.publishing import PublicationRefused
from wagtail_sixdegrees.stories.reidentification import compact
from wagtail_sixdegrees.stories.reidentification_check import (
    FindingAcknowledgement,
    NeverPublishTerm,
    acknowledge,
    story_findings,
    unresolved_findings,
)
from wagtail_sixdegrees.stories.workflow import CHECKLIST

pytestmark = pytest.mark.django_db

TERM_MESSAGE = "Matches a term recorded with the consent."


def consent_of(story) -> StoryConsent:
    return StoryConsent.objects.get(translation_key=story.translation_key)


def record_terms(story, *terms: str) -> StoryConsent:
    consent = consent_of(story)
    consent.add_never_publish_terms(list(terms))
    return consent


def body(text: str) -> list:
    return [("paragraph", RichText(f"<p>{text}</p>"))]


def set_body(story, text: str):
    """A new draft of ``story`` whose story text is ``text``."""
    story = SurvivorStoryPage.objects.get(pk=story.pk)
    story.body = body(text)
    story.save_revision()
    return story


def findings_of(story, text: str) -> list[str]:
    story.body = body(text)
    return [finding.kind for finding in story_findings(story)]


# Terms in the eight languages ------------------------------------------------------------

#: (language, recorded term, a story text carrying it, a near miss that must not match)
TERMS = [
    (
        "en",
        "Maria Santos",
        "Everyone called her MARIA   SANTOS back then.",
        "Her friend Maria Santosa came too.",
    ),
    ("th", "สมศรี ใจดี", "ก่อนหน้านั้นเธอชื่อสมศรีใจดีและทำงานในโรงงาน", "เพื่อนของเธอชื่อสมศรี ใจเย็น"),
    (
        "vi",
        "Nguyễn Thị Lan",
        "Hồi đó mọi người gọi chị là nguyễn thị  lan.",
        "Chị Nguyễn Thị Lana đến sau.",
    ),
    ("km", "ភូមិត្រពាំងថ្ម", "នាងធ្លាប់រស់នៅភូមិត្រពាំងថ្មជាមួយគ្រួសារ", "នាងធ្លាប់រស់នៅភូមិត្រពាំងឈើជាមួយគ្រួសារ"),
    ("my", "မြင့်မြင့်ချို", "သူမကိုမြင့်မြင့်ချိုလို့ခေါ်ကြတယ်", "သူမကိုမြင့်မြင့်လို့ခေါ်ကြတယ်"),
    (
        "id",
        "Siti Rahayu",
        "Dulu ia dipanggil siti-rahayu oleh majikannya.",
        "Temannya, Siti Rahayuningsih, ikut.",
    ),
    (
        "tl",
        "Dizon",
        "Nagtrabaho siya sa pamilya DIZON sa lungsod.",
        "Nagtrabaho siya sa Dizonville.",
    ),
    ("lo", "ບ້ານນາໄຊ", "ລາວເຄີຍຢູ່ບ້ານນາໄຊກັບຄອບຄົວ", "ລາວເຄີຍຢູ່ບ້ານນາຄູນກັບຄອບຄົວ"),
]


@pytest.mark.parametrize(
    ("language", "term", "carrying", "near_miss"), TERMS, ids=[t[0] for t in TERMS]
)
def test_a_recorded_term_is_found_in_each_site_language(language, term, carrying, near_miss):
    story = make_story()
    record_terms(story, term)

    assert findings_of(story, carrying) == ["term"]


@pytest.mark.parametrize(
    ("language", "term", "carrying", "near_miss"), TERMS, ids=[t[0] for t in TERMS]
)
def test_a_near_miss_of_a_recorded_term_is_not_a_finding(language, term, carrying, near_miss):
    story = make_story()
    record_terms(story, term)

    assert findings_of(story, near_miss) == []


def test_terms_are_found_in_every_text_a_reader_sees():
    story = make_story(
        title="Bua's story",
        teaser="A teaser naming Ban Nong Bua.",
        seo_title="A field near ban nong bua",
    )
    record_terms(story, "Ban Nong Bua")

    fields = sorted(finding.field for finding in story_findings(story))

    assert fields == ["seo_title", "teaser"]


def test_an_image_whose_file_name_or_alt_text_carries_a_term_is_flagged():
    from tests.factories import make_image

    image = make_image(title="Market stall")
    story = make_story()
    story.body = [("image", {"image": image, "alt_text": "Siti  Rahayu's stall", "caption": ""})]
    story.hero_image = make_image(title="Siti Rahayu at the market")
    record_terms(story, "Siti Rahayu")

    fields = sorted(finding.field for finding in story_findings(story))

    assert fields == ["body", "hero_image"]


def test_identifying_patterns_and_places_finer_than_a_province_are_findings():
    story = make_story()

    kinds = findings_of(
        story,
        "She was 17 years old when she left Mae Sot on 12 March 2019. Call +66 81 234 5678 "
        "or write to helper@example.org.",
    )

    assert sorted(kinds) == ["age", "date", "email", "phone", "place"]


def test_the_sites_own_list_of_places_replaces_the_default(settings):
    settings.WAGTAIL_SIXDEGREES = {"IDENTIFYING_PLACES": ["Fictionalburg"]}
    story = make_story()

    assert findings_of(story, "She grew up in fictionalburg, not in Mae Sot.") == ["place"]


# Terms are kept only as digests ----------------------------------------------------------

SECRET_TERMS = ("Somchai Kaewmanee", "สมศรี ใจดี")


def salted_only_digest(term: str, salt: str) -> str:
    """What a term's digest was before migration 0023 keyed it with ``SECRET_KEY``."""
    return hashlib.blake2b(compact(term).encode(), key=salt.encode(), digest_size=32).hexdigest()


def test_a_term_stored_before_the_keyed_digests_is_still_found_after_the_migration():
    migration = importlib.import_module(
        "wagtail_sixdegrees.migrations.0023_keyed_card_and_term_digests"
    )
    story = make_story()
    consent = record_terms(story, "สมศรี ใจดี")
    NeverPublishTerm.objects.update(digest=salted_only_digest("สมศรี ใจดี", consent.term_salt))

    migration.keyed(apps, None)

    assert findings_of(story, "ก่อนหน้านั้นเธอชื่อสมศรีใจดีและทำงานในโรงงาน") == ["term"]


def test_term_digests_are_keyed_beyond_the_salt_stored_beside_them():
    # The salt sits in the same row: alone, it lets a database copy be checked against names.
    story = make_story()
    consent = record_terms(story, "Maria Santos")

    (stored,) = NeverPublishTerm.objects.values_list("digest", flat=True)
    assert stored != salted_only_digest("Maria Santos", consent.term_salt)


def test_terms_recorded_under_a_rotated_key_are_found_only_while_it_is_a_fallback(settings):
    story = make_story()
    record_terms(story, "Maria Santos")
    old_key, carrying = settings.SECRET_KEY, "Everyone called her Maria Santos back then."
    settings.SECRET_KEY = "a-new-fictional-secret-key-for-the-terms-test-0123456789"

    assert findings_of(story, carrying) == []
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert findings_of(story, carrying) == ["term"]


def forms_of(term: str) -> set[str]:
    return {term, term.casefold(), compact(term), term.replace(" ", "")}


def every_stored_value() -> str:
    """Every value of every row of every table, as text."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def test_never_publish_terms_appear_in_no_column_log_record_or_response(client, caplog, clock):
    story = make_story(consent=False)
    officer = make_superuser("officer")
    login(client, officer)
    add = reverse("wagtail_sixdegrees_story_consent:add")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # every SQL statement and its parameters is logged
    try:
        refused = client.post(
            add,
            {
                "story": story.pk,
                "covers_web": "on",
                "given_on": (clock.today() + datetime.timedelta(days=3)).isoformat(),
                "form_reference": "CF-TERMS",
                "never_publish_terms": "\n".join(SECRET_TERMS),
            },
        )
        recorded = client.post(
            add,
            {
                "story": story.pk,
                "covers_web": "on",
                "given_on": clock.today().isoformat(),
                "form_reference": "CF-TERMS",
                "never_publish_terms": "\n".join(SECRET_TERMS),
            },
            follow=True,
        )
        consent = consent_of(story)
        edit_form = client.get(reverse("wagtail_sixdegrees_story_consent:edit", args=[consent.pk]))
        inspect = client.get(reverse("wagtail_sixdegrees_story_consent:inspect", args=[consent.pk]))
        history = client.get(reverse("wagtail_sixdegrees_story_consent:history", args=[consent.pk]))
    finally:
        connection.force_debug_cursor = False

    assert refused.status_code == 200  # a consent given in the future: the form comes back
    assert NeverPublishTerm.objects.filter(consent=consent).count() == 2
    responses = [r.content.decode() for r in (refused, recorded, edit_form, inspect, history)]
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    stored = every_stored_value()
    assert "CF-TERMS" in logged  # the SQL log is on: the test can see what is written
    for term in SECRET_TERMS:
        for form in forms_of(term):
            assert form not in stored
            assert form not in logged
            assert all(form not in response for response in responses)
    # The digests themselves are only in their table: no page shows them, and nothing but the
    # SQL statements this test switched on logs them.
    other_logs = "\n".join(
        f"{r.getMessage()} {r.args!r}" for r in caplog.records if r.name != "django.db.backends"
    )
    for digest in NeverPublishTerm.objects.values_list("digest", flat=True):
        assert digest not in other_logs
        assert all(digest not in response for response in responses)


def test_the_consent_form_adds_terms_and_clears_them_all_but_never_shows_them(client):
    story = make_story()
    consent = record_terms(story, "Maria Santos")
    login(client, make_superuser())
    edit = reverse("wagtail_sixdegrees_story_consent:edit", args=[consent.pk])
    data = {
        "covers_web": "on",
        "given_on": consent.given_on.isoformat(),
        "expires_on": consent.expires_on.isoformat(),
        "form_reference": consent.form_reference,
    }

    client.post(edit, {**data, "never_publish_terms": "Siti Rahayu\n\n"})
    added = NeverPublishTerm.objects.filter(consent=consent).count()
    client.post(edit, {**data, "clear_never_publish_terms": "on"})

    assert added == 2
    assert not NeverPublishTerm.objects.filter(consent=consent).exists()
    assert consent_of(story).term_salt == ""
    assert findings_of(story, "Maria Santos") == []


def test_changing_terms_is_in_the_consents_history_without_the_terms(client):
    story = make_story()
    consent = consent_of(story)
    login(client, make_superuser())

    client.post(
        reverse("wagtail_sixdegrees_story_consent:edit", args=[consent.pk]),
        {
            "covers_web": "on",
            "given_on": consent.given_on.isoformat(),
            "expires_on": consent.expires_on.isoformat(),
            "form_reference": consent.form_reference,
            "never_publish_terms": "Maria Santos",
        },
    )

    from wagtail.models import ModelLogEntry

    entry = ModelLogEntry.objects.get(action="wagtail_sixdegrees.never_publish_terms_changed")
    assert entry.data == {"added": 1, "cleared": False}


# Publishing is blocked on every path -----------------------------------------------------


def test_admin_publish_shows_the_finding_next_to_the_field_without_the_term(client):
    story = make_live_story()
    record_terms(story, "Somchai Kaewmanee")
    login(client, make_superuser())

    response = client.post(
        edit_url(story),
        story_form_data(
            story,
            teaser="Her uncle Somchai Kaewmanee found the job.",
            **{"action-publish": "1"},
        ),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert TERM_MESSAGE in page
    assert "Somchai Kaewmanee" not in page.replace(
        "Her uncle Somchai Kaewmanee found the job.", ""
    )  # only the editor's own text, never the term on its own
    form = response.context["form"]
    assert any(TERM_MESSAGE in error for error in form.errors["teaser"])
    assert (
        SurvivorStoryPage.objects.get(pk=story.pk).teaser
        != "Her uncle Somchai Kaewmanee found the job."
    )


def test_admin_publish_of_a_story_body_carrying_a_thai_term_is_refused(client):
    story = make_live_story()
    record_terms(story, "สมศรี ใจดี")
    login(client, make_superuser())

    response = client.post(
        edit_url(story),
        story_form_data(
            story,
            body=streamfield([("paragraph", rich_text("<p>ก่อนหน้านั้นเธอชื่อสมศรีใจดี</p>"))]),
            **{"action-publish": "1"},
        ),
    )

    assert response.status_code == 200
    assert any(TERM_MESSAGE in error for error in response.context["form"].errors["body"])
    live = SurvivorStoryPage.objects.get(pk=story.pk)
    assert "สมศรี" not in str(live.body)


def test_the_editor_panel_lists_findings_in_the_storys_language_without_the_term(client):
    story = make_story()
    record_terms(story, "Somchai Kaewmanee")
    set_body(story, "Somchai Kaewmanee drove the van.")
    login(client, make_superuser())

    page = client.get(edit_url(story)).content.decode()

    assert "data-sixdegrees-findings-panel" in page
    assert TERM_MESSAGE in page


def test_workflow_approval_is_refused_while_a_thai_term_is_in_the_story():
    story = make_story()
    record_terms(story, "สมศรี ใจดี")
    story = set_body(story, "ก่อนหน้านั้นเธอชื่อสมศรีใจดีและทำงานในโรงงาน")
    reviewer = make_reviewer()
    state = story.get_workflow().start(story, make_superuser("author"))
    task_state = state.current_task_state.specific

    offered = [name for name, _l, _m in task_state.task.specific.get_actions(story, reviewer)]
    with pytest.raises(PermissionDenied, match="could identify"):
        task_state.task.specific.on_action(
            task_state, reviewer, "approve", **{name: True for name, _label in CHECKLIST}
        )

    assert "approve" not in offered
    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_publishing_a_khmer_translation_carrying_a_term_is_refused():
    story = make_live_story()
    translation = translate(story, "km")
    record_terms(story, "ភូមិត្រពាំងថ្ម")
    translation.body = body("នាងធ្លាប់រស់នៅភូមិត្រពាំងថ្មជាមួយគ្រួសារ")

    with pytest.raises(PublicationRefused, match="could identify"):
        translation.save_revision().publish()

    assert "ភូមិ" not in str(SurvivorStoryPage.objects.get(pk=translation.pk).body)


def test_revision_publish_as_the_api_and_bulk_actions_do_is_refused():
    from wagtail.actions.publish_page_revision import PublishPageRevisionAction

    story = make_live_story()
    record_terms(story, "Maria Santos")
    story = set_body(story, "Maria Santos left in May.")

    with pytest.raises(PublicationRefused):
        PublishPageRevisionAction(story.get_latest_revision()).execute()
    with pytest.raises(PublicationRefused):
        story.get_latest_revision().publish()

    assert "Maria" not in str(SurvivorStoryPage.objects.get(pk=story.pk).body)


def test_scheduling_a_story_with_a_finding_is_refused_before_anything_is_written():
    story = make_live_story()
    story.teaser = "Call +66 81 234 5678 for her."
    story.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    revision = story.save_revision()

    with pytest.raises(PublicationRefused):
        revision.publish()

    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()


def test_publish_scheduled_refuses_a_story_whose_term_was_recorded_after_scheduling():
    story = make_live_story()
    story.teaser = "Somchai Kaewmanee's story."
    story.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    revision = story.save_revision()
    revision.publish()
    record_terms(story, "Somchai Kaewmanee")
    past = timezone.now() - datetime.timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    Revision.objects.filter(pk=revision.pk).update(
        content=revision.content, approved_go_live_at=past
    )

    with pytest.raises(PublicationRefused):
        call_command("publish_scheduled")

    assert "Somchai" not in SurvivorStoryPage.objects.get(pk=story.pk).teaser


def test_copying_a_story_with_a_finding_never_publishes_the_copy(client):
    story = make_live_story(teaser="Maria Santos's story.")
    record_terms(story, "Maria Santos")  # recorded after publishing: the live text carries it
    login(client, make_superuser())

    copied = story.copy(update_attrs={"slug": "copied-story", "title": "Copied"}, keep_live=True)
    response = client.post(
        reverse("wagtailadmin_pages:copy", args=[story.pk]),
        {
            "new_title": "Copied in the admin",
            "new_slug": "copied-in-admin",
            "new_parent_page": story.get_parent().pk,
            "publish_copies": "on",
        },
    )

    admin_copy = SurvivorStoryPage.objects.get(slug="copied-in-admin")
    assert response.status_code == 302
    assert not copied.live
    assert not admin_copy.live


def test_copying_a_story_index_with_its_stories_never_publishes_them():
    index = make_story_index()
    record_terms(make_live_story(index, teaser="Maria Santos's story."), "Maria Santos")

    index.copy(
        recursive=True,
        update_attrs={"slug": "copied-index", "title": "Copied index"},
        keep_live=True,
    )

    copied = Page.objects.get(slug="copied-index")
    assert not SurvivorStoryPage.objects.child_of(copied).live().exists()


def test_moving_a_story_does_not_publish_its_draft_with_a_finding():
    story = make_live_story()
    record_terms(story, "Maria Santos")
    set_body(story, "Maria Santos left in May.")
    other_index = make_story_index()

    SurvivorStoryPage.objects.get(pk=story.pk).move(other_index, pos="last-child")

    moved = SurvivorStoryPage.objects.get(pk=story.pk)
    assert moved.get_parent().pk == other_index.pk
    assert "Maria" not in str(moved.body)
    assert moved.has_unpublished_changes


# Need updates that link the story ---------------------------------------------------------


def story_supporting(need):
    story = make_story()
    StoryNeed.objects.create(page=story, need=need)
    return story


def test_publishing_a_need_update_naming_a_term_of_a_linked_story_is_refused():
    need = make_need()
    record_terms(story_supporting(need), "Siti Rahayu")

    with pytest.raises(PublicationRefused, match="recorded with the consent"):
        make_need_update(need, text="Siti Rahayu started her course this week.")

    assert not NeedUpdate.objects.filter(live=True).exists()


def test_a_need_update_without_terms_of_its_stories_publishes():
    need = make_need()
    record_terms(story_supporting(need), "Siti Rahayu")

    update = make_need_update(need, text="Three people started their course this week.")

    assert update.live


# Acknowledgement by a safety reviewer -------------------------------------------------------


def refused(response) -> bool:
    """Wagtail's admin answers PermissionDenied with a redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def findings_url(story) -> str:
    return reverse("wagtail_sixdegrees_story_consent:findings", args=[story.pk])


def test_a_reviewer_acknowledges_a_finding_with_a_reason_and_the_story_can_be_published(
    client,
):
    story = make_story(teaser="She was 17 years old when she left.")
    reviewer = make_reviewer()
    login(client, reviewer)
    [finding] = unresolved_findings(story)
    before = timezone.now()

    response = client.post(
        findings_url(story), {"finding": finding.fingerprint, "reason": "Changed: she was not 17."}
    )
    approve_safety_review(story, reviewer=reviewer, requested_by=make_superuser("author"))

    acknowledgement = FindingAcknowledgement.objects.get()
    assert response.status_code == 302
    assert (acknowledgement.acknowledged_by, acknowledgement.reason) == (
        reviewer,
        "Changed: she was not 17.",
    )
    assert before <= acknowledgement.acknowledged_at <= timezone.now()
    assert acknowledgement.kind == "age"
    entry = PageLogEntry.objects.get(action="wagtail_sixdegrees.finding_acknowledged")
    assert (entry.user, entry.data["reason"]) == (reviewer, "Changed: she was not 17.")
    assert SurvivorStoryPage.objects.get(pk=story.pk).live


def test_the_author_cannot_acknowledge_findings_in_their_own_story(client):
    reviewer = make_reviewer()
    story = make_story(owner=reviewer, teaser="She was 17 years old.")
    login(client, reviewer)
    [finding] = unresolved_findings(story)

    response = client.post(findings_url(story), {"finding": finding.fingerprint, "reason": "Fine"})

    assert refused(response)
    assert not FindingAcknowledgement.objects.exists()


def test_without_four_eyes_the_author_may_acknowledge(client, settings):
    settings.WAGTAIL_SIXDEGREES = {"SAFETY_REVIEW_FOUR_EYES": False}
    reviewer = make_reviewer()
    story = make_story(owner=reviewer, teaser="She was 17 years old.")
    login(client, reviewer)
    [finding] = unresolved_findings(story)

    client.post(findings_url(story), {"finding": finding.fingerprint, "reason": "Fictional age"})

    assert FindingAcknowledgement.objects.filter(acknowledged_by=reviewer).exists()


def test_an_editor_who_is_not_a_safety_reviewer_cannot_acknowledge(client, django_user_model):
    editor = django_user_model.objects.create_user("editor", password="correct horse")
    editor.groups.add(Group.objects.get(name="Editors"))
    story = make_story(teaser="She was 17 years old.")
    login(client, editor)
    [finding] = unresolved_findings(story)

    response = client.post(findings_url(story), {"finding": finding.fingerprint, "reason": "Fine"})

    assert refused(response)
    assert not FindingAcknowledgement.objects.exists()


def test_acknowledging_without_a_reason_changes_nothing(client):
    story = make_story(teaser="She was 17 years old.")
    login(client, make_reviewer())
    [finding] = unresolved_findings(story)

    response = client.post(findings_url(story), {"finding": finding.fingerprint, "reason": "  "})

    assert response.status_code == 400
    assert not FindingAcknowledgement.objects.exists()


def test_an_acknowledgement_does_not_cover_a_detail_added_later():
    story = make_story(teaser="She was 17 years old.")
    [finding] = unresolved_findings(story)
    acknowledge(story, finding, make_reviewer(), "Fictional age")

    story.teaser = "She was 17 years old. Call +66 81 234 5678."

    assert [finding.kind for finding in unresolved_findings(story)] == ["phone"]


def test_the_findings_page_shows_who_acknowledged_what_and_why_but_no_term(client):
    story = make_story()
    record_terms(story, "Maria Santos")
    story = set_body(story, "Maria Santos left in May.")
    reviewer = make_reviewer()
    [finding] = unresolved_findings(story.get_latest_revision_as_object())
    acknowledge(story, finding, reviewer, "The survivor chose to be named.")
    login(client, reviewer)

    page = client.get(findings_url(story)).content.decode()

    assert "The survivor chose to be named." in page
    assert TERM_MESSAGE in page
    assert "Maria Santos" not in page


def test_submitting_for_review_runs_the_check_and_warns_without_blocking(client):
    story = make_story()
    record_terms(story, "Somchai Kaewmanee")
    login(client, make_superuser())

    response = client.post(
        edit_url(story),
        story_form_data(story, teaser="Somchai Kaewmanee drove.", **{"action-submit": "1"}),
        follow=True,
    )

    page = SurvivorStoryPage.objects.get(pk=story.pk)
    assert page.workflow_in_progress
    assert "Submitted with 1 detail that could identify the survivor" in response.content.decode()


def test_the_bulk_publish_action_is_refused_with_a_message_naming_the_story(client):
    story = make_live_story(title="Fictional story of the river")
    record_terms(story, "Maria Santos")
    set_body(story, "Maria Santos left in May.")
    other = make_story(title="Fictional draft without consent issues")
    login(client, make_superuser())
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))

    listing = reverse("wagtailadmin_explore", args=[story.get_parent().pk])

    response = client.post(f"{url}?id={story.pk}&id={other.pk}&next={listing}", {}, follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [(listing, 302)]
    assert "“Fictional story of the river” cannot be published" in page
    assert "1 detail could identify the survivor" in page
    assert "Nothing was published." in page
    assert "Maria" not in page
    assert "Maria" not in str(SurvivorStoryPage.objects.get(pk=story.pk).body)
    assert not SurvivorStoryPage.objects.get(pk=other.pk).live


def test_the_bulk_publish_action_publishes_stories_that_pass_the_check(client):
    story = make_live_story()
    set_body(story, "She finished her course in the spring.")
    login(client, make_superuser())
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))

    client.post(f"{url}?id={story.pk}", {})

    assert "finished her course" in str(SurvivorStoryPage.objects.get(pk=story.pk).body)


def test_scheduling_a_need_update_naming_a_term_of_a_linked_story_is_refused():
    need = make_need()
    record_terms(story_supporting(need), "Siti Rahayu")
    update = make_need_update(need, publish=False, text="Siti Rahayu started her course.")
    update.go_live_at = timezone.now() + datetime.timedelta(hours=1)

    with pytest.raises(PublicationRefused):
        update.save_revision().publish()

    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()


def test_findings_in_a_thai_translation_are_described_in_thai(client):
    story = make_live_story()
    translation = translate(story, "th")
    translation.teaser = "ตอนนั้นเธออายุ 17 ปี"
    translation.save_revision()
    login(client, make_superuser())

    page = client.get(edit_url(translation)).content.decode()

    assert "ข้อความเกริ่นนำ:" in page  # "Teaser:" in Thai, whatever the editor's own language


def test_the_consent_form_says_how_many_terms_are_recorded_but_not_which(client):
    story = make_story()
    consent = record_terms(story, "Maria Santos", "Ban Nong Bua")
    login(client, make_superuser())

    page = client.get(reverse("wagtail_sixdegrees_story_consent:edit", args=[consent.pk]))

    assert "2 terms are recorded." in page.content.decode()
    assert "Maria" not in page.content.decode()
