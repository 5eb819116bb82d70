"""Five fictional survivor stories with generated, faceless illustrations.

Every person, place detail and event here is invented. The stories go through the real
consent record and the real "Story safety review" workflow, approved by a fictional reviewer
account that cannot sign in, so the demo shows exactly what a site would do.
"""

from __future__ import annotations

import datetime
import io
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter
from wagtail.images import get_image_model
from wagtail.models import Locale, Page
from wagtail.rich_text import RichText

from wagtail_sixdegrees.models import (
    Cause,
    Need,
    Region,
    StoryConsent,
    StoryIndexPage,
    SurvivorStoryPage,
)
from wagtail_sixdegrees.stories.workflow import CHECKLIST, REVIEWERS_GROUP_NAME

FICTIONAL = "Fictional story for the demonstration: this person does not exist."

#: The heading of every story's donate block (the browser tests measure the form under it).
DONATE_HEADING = "Fund the work behind this story"

# (slug, pseudonym, title, region slug, cause slugs, need titles, palette, teaser, paragraphs, quote)
STORIES = [
    (
        "lans-story",
        "Lan",
        "Lan's story: a bed, and then a plan",
        "chiang-rai",
        ["shelter", "medical-care"],
        ["Six months of safe shelter", "Trauma counselling sessions"],
        ((244, 196, 150), (120, 86, 140), (62, 74, 110)),
        "After leaving a job that was not what she was promised, Lan found a safe bed and "
        "people who listened.",
        [
            "Lan answered an advertisement for work in a restaurant. The work turned out to be "
            "something else, and the wages never came.",
            "When she was able to leave, a partner shelter gave her a bed, meals and time. "
            "Counsellors helped her sleep again before anyone asked her to plan.",
            "Today Lan is learning bookkeeping and says the first thing she wants is to be "
            "useful to someone else.",
        ],
        "The first night I slept without listening for the door, I knew I could start again.",
    ),
    (
        "minhs-story",
        "Minh",
        "Minh's story: a lawyer who spoke his language",
        "an-giang",
        ["legal-aid"],
        ["Legal representation in labour cases"],
        ((180, 214, 200), (60, 120, 110), (30, 60, 70)),
        "Minh worked for two years without pay on a fishing boat. Legal aid helped him claim "
        "what he was owed.",
        [
            "Minh was told the job would last six months. It lasted two years, far from shore, "
            "and his documents were kept from him.",
            "Back on land, a legal aid lawyer and an interpreter sat with him through every "
            "hearing, so he never had to tell his story to a stranger alone.",
        ],
        "They explained every paper before I signed it. Nobody had done that before.",
    ),
    (
        "sreys-story",
        "Srey",
        "Srey's story: back to school",
        "battambang",
        ["education"],
        ["School fees and uniforms for returning teenagers"],
        ((250, 224, 160), (200, 120, 70), (110, 70, 60)),
        "Srey missed three years of school. Catch-up classes and a uniform brought her back "
        "into a classroom.",
        [
            "Srey was fourteen when she was taken across the border to work. When she came "
            "home, she was three years behind her friends.",
            "Catch-up classes, books and a uniform meant she could sit with students her own "
            "age again. She likes mathematics best.",
        ],
        "I want to be a teacher, so the next girl has someone to ask.",
    ),
    (
        "hnins-story",
        "Hnin",
        "Hnin's story: the journey home",
        "mekong-border",
        ["safe-return"],
        ["Bus fares and escorts for the journey home"],
        ((200, 210, 240), (110, 130, 190), (50, 60, 100)),
        "Hnin wanted to go home, but not alone. An escort and a plan made the journey safe.",
        [
            "After leaving a factory where she was locked in at night, Hnin wanted one thing: "
            "to see her mother.",
            "The journey crossed two borders. A caseworker travelled with her, and a partner "
            "met her at the other side with a plan for the first months back.",
        ],
        "I was afraid of the road. Not having to travel it alone changed everything.",
    ),
    (
        "daos-story",
        "Dao",
        "Dao's story: a sewing machine of her own",
        "an-giang",
        ["livelihood"],
        ["Sewing cooperative start-up kits"],
        ((230, 200, 220), (170, 100, 140), (90, 50, 80)),
        "Dao now runs a small tailoring business with two other women from the cooperative.",
        [
            "Dao learned to sew in a workshop she could not leave. When she was free, sewing "
            "was the one thing she did not want to do again.",
            "A year later she changed her mind, on her own terms: with a start-up kit from the "
            "cooperative she now chooses her work, her hours and her customers.",
        ],
        "The machine is the same. What changed is that the door is mine.",
    ),
]


def illustration(seed: int, palette, size=(960, 600)) -> bytes:
    """An abstract landscape: sky, sun and layered hills. No people, no faces, no places."""
    rng = random.Random(seed)
    width, height = size
    sky, hills, ground = palette
    picture = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(picture)
    for row in range(height):
        shade = row / height
        draw.line(
            [(0, row), (width, row)],
            fill=tuple(int(sky[i] * (1 - shade * 0.35)) for i in range(3)),
        )
    sun_x, sun_y, radius = rng.randint(120, width - 120), rng.randint(80, 220), rng.randint(40, 70)
    draw.ellipse(
        [sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius], fill=(255, 236, 190)
    )
    for layer in range(4):
        base = int(height * (0.5 + layer * 0.12))
        colour = tuple(int(hills[i] + (ground[i] - hills[i]) * layer / 3) for i in range(3))
        points = [(0, height)]
        for x in range(0, width + 80, 80):
            points.append((x, base - rng.randint(0, 90 - layer * 15)))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    picture = picture.filter(ImageFilter.SMOOTH)
    output = io.BytesIO()
    picture.save(output, "JPEG", quality=85)
    return output.getvalue()


def demo_reviewer():
    reviewer, created = get_user_model().objects.get_or_create(
        username="demo-safety-reviewer",
        defaults={"email": "demo-safety-reviewer@example.org", "is_active": True},
    )
    if created:
        reviewer.set_unusable_password()
        reviewer.save()
    reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP_NAME))
    return reviewer


def review_and_publish(story: SurvivorStoryPage, reviewer) -> None:
    """Submit the story's latest revision to its safety review, which the fictional reviewer
    approves with the checklist ticked: approval publishes it, through the publishing guard."""
    state = story.get_workflow().start(story, reviewer)
    task_state = state.current_task_state.specific
    task_state.task.specific.on_action(
        task_state,
        reviewer,
        "approve",
        comment="Fictional demo story: checklist completed.",
        **{name: True for name, _label in CHECKLIST},
    )


def ensure_story_index(home: Page) -> StoryIndexPage:
    index = StoryIndexPage.objects.child_of(home).first()
    if index is None:
        index = StoryIndexPage(
            title="Survivors' stories",
            slug="stories",
            intro=(
                "<p>Stories shared by survivors, told under pseudonyms with details changed "
                "for their safety. <b>Every story on this demonstration site is fictional.</b>"
                "</p>"
            ),
        )
        home.add_child(instance=index)
        index.save_revision().publish()
    return index


def ensure_stories(home: Page) -> dict[str, int]:
    locale = Locale.get_default()
    index = ensure_story_index(home)
    reviewer = demo_reviewer()
    created = 0
    for number, (
        slug,
        pseudonym,
        title,
        region,
        causes,
        needs,
        palette,
        teaser,
        paragraphs,
        quote,
    ) in enumerate(STORIES):
        if SurvivorStoryPage.objects.child_of(index).filter(slug=slug).exists():
            continue
        image = get_image_model().objects.create(
            title=f"Fictional illustration: hills at dusk ({pseudonym})",
            file=ContentFile(illustration(number, palette), name="illustration.jpg"),
        )
        need_objects = list(Need.objects.filter(locale=locale, title__in=needs))
        body = [("paragraph", RichText(f"<p><i>{FICTIONAL}</i></p>"))]
        body.append(("paragraph", RichText(f"<p>{paragraphs[0]}</p>")))
        body.append(("pull_quote", {"quote": quote, "attribution": pseudonym}))
        body += [("paragraph", RichText(f"<p>{text}</p>")) for text in paragraphs[1:]]
        if need_objects:
            body.append(("needs_callout", {"heading": "", "needs": need_objects}))
        # Gifts go to the needs this story supports, never to the person in it.
        body.append(
            (
                "donate",
                {
                    "heading": DONATE_HEADING,
                    "mode": "split",
                    "needs": need_objects,
                    "frequencies": ["once", "monthly"],
                },
            )
        )
        story = SurvivorStoryPage(
            title=title,
            slug=slug,
            pseudonym=pseudonym,
            teaser=f"{teaser} (Fictional.)",
            content_warning="This fictional story mentions exploitation and forced labour.",
            region=Region.objects.get(locale=locale, slug=region),
            hero_image=image,
            hero_alt_text="An abstract drawing of hills under an evening sun.",
            body=body,
            featured=number == 0,
            live=False,
        )
        index.add_child(instance=story)
        story.causes.set(Cause.objects.filter(locale=locale, slug__in=causes))
        for need in need_objects:
            story.story_needs.create(need=need)
        story.save_revision()
        StoryConsent.objects.create(
            translation_key=story.translation_key,
            covers_web=True,
            covers_social=False,
            given_on=timezone.localdate() - datetime.timedelta(days=30 + number * 40),
            form_reference=f"FICTIONAL-DEMO-{number + 1:03d}",
        )
        review_and_publish(story, reviewer)
        created += 1
    return {
        "stories": SurvivorStoryPage.objects.child_of(index).live().count(),
        "stories created": created,
    }


def ensure_withdrawal_card() -> str | None:
    """A withdrawal card, in Thai, for the demo's last story, as a caseworker would issue it.

    Returns the card's typed address the first time (its secret exists in clear only then), and
    None on later runs, which leave the card as it is. Using it takes that story down: that is
    the demo."""
    from django.urls import reverse

    from wagtail_sixdegrees.stories.cards import issue_card

    slug = STORIES[-1][0]
    story = SurvivorStoryPage.objects.filter(slug=slug, locale=Locale.get_default()).first()
    if story is None:
        return None
    consent = StoryConsent.objects.filter(translation_key=story.translation_key).first()
    if consent is None or consent.withdrawn_on or consent.withdrawal_cards.exists():
        return None
    issued = issue_card(
        consent,
        language="th",
        contact="สำนักงานตัวอย่าง (สมมติ) โทร 000 000 0000",  # a fictional office and number
        user=demo_reviewer(),
    )
    return reverse("wagtail_sixdegrees:withdraw_consent_code", args=[issued.printed_code])


#: A draft story the re-identification check stops: a never-publish term (the fictional home
#: village recorded with the consent) and an age in its text.
DRAFT_WITH_FINDINGS = {
    "slug": "ploys-story-draft",
    "pseudonym": "Ploy",
    "title": "Ploy's story (draft waiting for its safety review)",
    "teaser": "A fictional draft the re-identification check stops before publishing.",
    "paragraphs": [
        "Ploy was 19 years old when a recruiter from her village, Ban Nong Bua, offered her "
        "work in a city far away.",
        "This draft is fictional. It shows what an editor sees when a story carries details "
        "that could identify the person in it.",
    ],
    "never_publish_terms": ["Ban Nong Bua"],
}


def ensure_story_with_findings(home: Page) -> int | None:
    """A draft story whose consent records a never-publish term that its text carries, so the
    editor shows the check's findings. Returns the draft's page id (None if it is missing)."""
    locale = Locale.get_default()
    index = ensure_story_index(home)
    draft = DRAFT_WITH_FINDINGS
    story = SurvivorStoryPage.objects.child_of(index).filter(slug=draft["slug"]).first()
    if story is not None:
        return story.pk
    region = Region.objects.filter(locale=locale).order_by("pk").first()
    body = [("paragraph", RichText(f"<p><i>{FICTIONAL}</i></p>"))]
    body += [("paragraph", RichText(f"<p>{text}</p>")) for text in draft["paragraphs"]]
    story = SurvivorStoryPage(
        title=draft["title"],
        slug=draft["slug"],
        pseudonym=draft["pseudonym"],
        teaser=draft["teaser"],
        region=region,
        body=body,
        live=False,
    )
    index.add_child(instance=story)
    story.save_revision()
    consent = StoryConsent.objects.create(
        translation_key=story.translation_key,
        covers_web=True,
        given_on=timezone.localdate() - datetime.timedelta(days=5),
        form_reference="FICTIONAL-DEMO-DRAFT",
    )
    # As a caseworker types them into the consent form: kept only as salted digests.
    consent.add_never_publish_terms(draft["never_publish_terms"])
    return story.pk
