"""Needs may carry a unit ("shelter night") and its cost, so the donate form can say what a
gift buys.

Adding columns with a default rebuilds the need table on SQLite, which drops migration 0013's
trigger with it: it is created again here.
"""

import importlib

import wagtail.fields
from django.db import migrations, models

import wagtail_sixdegrees.giving.blocks

_currency_fixed = importlib.import_module("wagtail_sixdegrees.migrations.0013_need_currency_fixed")


def recreate_currency_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _currency_fixed.drop_trigger(apps, schema_editor)
        _currency_fixed.create_trigger(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("wagtail_sixdegrees", "0016_my_giving")]

    operations = [
        migrations.AddField(
            model_name="need",
            name="unit_name",
            field=models.CharField(
                blank=True,
                help_text="What one unit of this need is, for example: shelter night.",
                max_length=100,
                verbose_name="unit (one)",
            ),
        ),
        migrations.AddField(
            model_name="need",
            name="unit_name_plural",
            field=models.CharField(
                blank=True,
                help_text="The same in the plural, for example: shelter nights.",
                max_length=100,
                verbose_name="unit (several)",
            ),
        ),
        migrations.AddField(
            model_name="need",
            name="unit_cost",
            field=models.BigIntegerField(
                blank=True,
                help_text="In minor units of the need's currency (cents for USD).",
                null=True,
                verbose_name="cost of one unit",
            ),
        ),
        # The donate block's suggested amounts gained editors' impact lines.
        migrations.AlterField(
            model_name="donatepage",
            name="body",
            field=wagtail.fields.StreamField(
                [("heading", 0), ("paragraph", 1), ("donate", 23), ("totals", 28)],
                blank=True,
                block_lookup={
                    0: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {"form_classname": "title", "label": "Heading"},
                    ),
                    1: (
                        "wagtail.blocks.RichTextBlock",
                        (),
                        {"features": ["bold", "italic", "link", "ul", "ol"], "label": "Paragraph"},
                    ),
                    2: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {"default": "Make a gift", "label": "Heading", "required": False},
                    ),
                    3: (
                        "wagtail.blocks.RichTextBlock",
                        (),
                        {
                            "features": ["bold", "italic", "link"],
                            "label": "Introduction",
                            "required": False,
                        },
                    ),
                    4: (
                        "wagtail.blocks.ChoiceBlock",
                        [],
                        {
                            "choices": [
                                ("fixed", "Fixed: gifts go to the needs picked below"),
                                (
                                    "choose",
                                    "Donor's choice: one need, cause, region or where most needed",
                                ),
                                (
                                    "split",
                                    "Split: the donor shares the gift across up to three choices",
                                ),
                            ],
                            "label": "What donors choose",
                        },
                    ),
                    5: (
                        "wagtail.snippets.blocks.SnippetChooserBlock",
                        ("wagtail_sixdegrees.Need",),
                        {},
                    ),
                    6: (
                        "wagtail.blocks.ListBlock",
                        (5,),
                        {
                            "default": [],
                            "help_text": "Fixed mode: the needs gifts go to (up to three, shared equally). Other modes: the needs donors may choose from; leave empty to offer every open need.",
                            "label": "Needs",
                            "required": False,
                        },
                    ),
                    7: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": True, "label": 'Offer "where most needed"', "required": False},
                    ),
                    8: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": True, "label": "Offer causes", "required": False},
                    ),
                    9: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": True, "label": "Offer regions", "required": False},
                    ),
                    10: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": False,
                            "label": "Offer causes within regions",
                            "required": False,
                        },
                    ),
                    11: (
                        "wagtail.blocks.MultipleChoiceBlock",
                        [],
                        {
                            "choices": [("once", "Once"), ("monthly", "Monthly")],
                            "label": "Frequencies offered",
                        },
                    ),
                    12: (
                        "wagtail.blocks.MultipleChoiceBlock",
                        [],
                        {
                            "choices": wagtail_sixdegrees.giving.blocks.currency_choices,
                            "help_text": "Leave empty to offer every currency the site accepts.",
                            "label": "Currencies offered",
                            "required": False,
                        },
                    ),
                    13: (
                        "wagtail.blocks.ChoiceBlock",
                        [],
                        {
                            "choices": wagtail_sixdegrees.giving.blocks.currency_choices,
                            "label": "Currency",
                        },
                    ),
                    14: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {
                            "help_text": "In the currency's usual units, separated by spaces: 300 500 1000.",
                            "label": "Amounts",
                        },
                    ),
                    15: (
                        "wagtail.blocks.TextBlock",
                        (),
                        {
                            "help_text": "Optional, one line per amount in the same order, for example: a week of meals. An empty line keeps the line worked out from the need's unit; a single - shows none.",
                            "label": "What each amount does",
                            "required": False,
                        },
                    ),
                    16: (
                        "wagtail.blocks.StructBlock",
                        [[("currency", 13), ("amounts", 14), ("impact_lines", 15)]],
                        {},
                    ),
                    17: (
                        "wagtail.blocks.ListBlock",
                        (16,),
                        {
                            "default": [],
                            "help_text": "Leave empty to use the amounts in the site's giving settings.",
                            "label": "Suggested amounts",
                            "required": False,
                        },
                    ),
                    18: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": True,
                            "label": "Let donors type their own amount",
                            "required": False,
                        },
                    ),
                    19: (
                        "wagtail.blocks.TextBlock",
                        (),
                        {
                            "help_text": "What donors agree to when they allow flexible use. Leave empty for the site's text.",
                            "label": "If a chosen need is already funded",
                            "required": False,
                        },
                    ),
                    20: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": True,
                            "label": "Offer to cover the payment fee",
                            "required": False,
                        },
                    ),
                    21: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": True,
                            "label": "Offer a dedication (in honour or memory)",
                            "required": False,
                        },
                    ),
                    22: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {"label": "Button text", "required": False},
                    ),
                    23: (
                        "wagtail.blocks.StructBlock",
                        [
                            [
                                ("heading", 2),
                                ("intro", 3),
                                ("mode", 4),
                                ("needs", 6),
                                ("offer_general", 7),
                                ("offer_causes", 8),
                                ("offer_regions", 9),
                                ("offer_cause_regions", 10),
                                ("frequencies", 11),
                                ("currencies", 12),
                                ("suggested_amounts", 17),
                                ("allow_custom_amount", 18),
                                ("overflow_text", 19),
                                ("show_cover_fees", 20),
                                ("show_dedication", 21),
                                ("submit_label", 22),
                            ]
                        ],
                        {},
                    ),
                    24: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {"default": "Where gifts go", "label": "Heading", "required": False},
                    ),
                    25: (
                        "wagtail.blocks.ChoiceBlock",
                        [],
                        {
                            "choices": wagtail_sixdegrees.giving.blocks.currency_choices,
                            "help_text": "Leave empty to show every currency, each on its own.",
                            "label": "Currency",
                            "required": False,
                        },
                    ),
                    26: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": True, "label": "Show by cause", "required": False},
                    ),
                    27: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": False, "label": "Show by region", "required": False},
                    ),
                    28: (
                        "wagtail.blocks.StructBlock",
                        [
                            [
                                ("heading", 24),
                                ("currency", 25),
                                ("show_by_cause", 26),
                                ("show_by_region", 27),
                            ]
                        ],
                        {},
                    ),
                },
                verbose_name="body",
            ),
        ),
        migrations.AlterField(
            model_name="givingsettings",
            name="currency_options",
            field=wagtail.fields.StreamField(
                [("currency", 4)],
                blank=True,
                block_lookup={
                    0: (
                        "wagtail.blocks.ChoiceBlock",
                        [],
                        {
                            "choices": wagtail_sixdegrees.giving.blocks.currency_choices,
                            "label": "Currency",
                        },
                    ),
                    1: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {
                            "help_text": "In the currency's usual units, separated by spaces: 300 500 1000.",
                            "label": "Amounts",
                        },
                    ),
                    2: (
                        "wagtail.blocks.TextBlock",
                        (),
                        {
                            "help_text": "Optional, one line per amount in the same order, for example: a week of meals. An empty line keeps the line worked out from the need's unit; a single - shows none.",
                            "label": "What each amount does",
                            "required": False,
                        },
                    ),
                    3: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {
                            "help_text": "Used to estimate the fee donors may cover, for example 0.30 for USD.",
                            "label": "Fixed part of the payment fee",
                            "required": False,
                        },
                    ),
                    4: (
                        "wagtail.blocks.StructBlock",
                        [[("currency", 0), ("amounts", 1), ("impact_lines", 2), ("fixed_fee", 3)]],
                        {},
                    ),
                },
                help_text="Suggested amounts and the fixed part of the fee, per currency.",
                verbose_name="currencies",
            ),
        ),
        migrations.AlterField(
            model_name="survivorstorypage",
            name="body",
            field=wagtail.fields.StreamField(
                [
                    ("paragraph", 0),
                    ("pull_quote", 3),
                    ("image", 7),
                    ("needs_callout", 11),
                    ("donate", 33),
                ],
                block_lookup={
                    0: (
                        "wagtail.blocks.RichTextBlock",
                        (),
                        {
                            "features": ["bold", "italic", "link", "ol", "ul"],
                            "label": "Paragraph",
                            "template": "wagtail_sixdegrees/stories/blocks/paragraph.html",
                        },
                    ),
                    1: (
                        "wagtail.blocks.TextBlock",
                        (),
                        {
                            "help_text": "The survivor's own words, agreed with them. No names or places.",
                            "label": "Quote",
                            "max_length": 400,
                        },
                    ),
                    2: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {
                            "help_text": "Usually the pseudonym, for example “Mai”.",
                            "label": "Attribution",
                            "max_length": 80,
                            "required": False,
                        },
                    ),
                    3: ("wagtail.blocks.StructBlock", [[("quote", 1), ("attribution", 2)]], {}),
                    4: (
                        "wagtail_sixdegrees.stories.blocks.StoryImageChooserBlock",
                        (),
                        {
                            "help_text": "An illustration or a photo in which nobody can be recognised.",
                            "label": "Image",
                        },
                    ),
                    5: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {
                            "help_text": "Describe the image for people who cannot see it.",
                            "label": "Alternative text",
                            "max_length": 250,
                        },
                    ),
                    6: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {"label": "Caption", "max_length": 250, "required": False},
                    ),
                    7: (
                        "wagtail.blocks.StructBlock",
                        [[("image", 4), ("alt_text", 5), ("caption", 6)]],
                        {},
                    ),
                    8: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {
                            "help_text": "For example “You can help”. Leave empty for the default.",
                            "label": "Heading",
                            "max_length": 120,
                            "required": False,
                        },
                    ),
                    9: (
                        "wagtail_sixdegrees.stories.blocks.NeedChooserBlock",
                        (),
                        {"label": "Need"},
                    ),
                    10: ("wagtail.blocks.ListBlock", (9,), {"label": "Needs", "min_num": 1}),
                    11: ("wagtail.blocks.StructBlock", [[("heading", 8), ("needs", 10)]], {}),
                    12: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {"default": "Make a gift", "label": "Heading", "required": False},
                    ),
                    13: (
                        "wagtail.blocks.RichTextBlock",
                        (),
                        {
                            "features": ["bold", "italic", "link"],
                            "label": "Introduction",
                            "required": False,
                        },
                    ),
                    14: (
                        "wagtail.blocks.ChoiceBlock",
                        [],
                        {
                            "choices": [
                                ("fixed", "Fixed: gifts go to the needs picked below"),
                                (
                                    "choose",
                                    "Donor's choice: one need, cause, region or where most needed",
                                ),
                                (
                                    "split",
                                    "Split: the donor shares the gift across up to three choices",
                                ),
                            ],
                            "label": "What donors choose",
                        },
                    ),
                    15: (
                        "wagtail.snippets.blocks.SnippetChooserBlock",
                        ("wagtail_sixdegrees.Need",),
                        {},
                    ),
                    16: (
                        "wagtail.blocks.ListBlock",
                        (15,),
                        {
                            "default": [],
                            "help_text": "Fixed mode: the needs gifts go to (up to three, shared equally). Other modes: the needs donors may choose from; leave empty to offer every open need.",
                            "label": "Needs",
                            "required": False,
                        },
                    ),
                    17: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": True, "label": 'Offer "where most needed"', "required": False},
                    ),
                    18: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": True, "label": "Offer causes", "required": False},
                    ),
                    19: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {"default": True, "label": "Offer regions", "required": False},
                    ),
                    20: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": False,
                            "label": "Offer causes within regions",
                            "required": False,
                        },
                    ),
                    21: (
                        "wagtail.blocks.MultipleChoiceBlock",
                        [],
                        {
                            "choices": [("once", "Once"), ("monthly", "Monthly")],
                            "label": "Frequencies offered",
                        },
                    ),
                    22: (
                        "wagtail.blocks.MultipleChoiceBlock",
                        [],
                        {
                            "choices": wagtail_sixdegrees.giving.blocks.currency_choices,
                            "help_text": "Leave empty to offer every currency the site accepts.",
                            "label": "Currencies offered",
                            "required": False,
                        },
                    ),
                    23: (
                        "wagtail.blocks.ChoiceBlock",
                        [],
                        {
                            "choices": wagtail_sixdegrees.giving.blocks.currency_choices,
                            "label": "Currency",
                        },
                    ),
                    24: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {
                            "help_text": "In the currency's usual units, separated by spaces: 300 500 1000.",
                            "label": "Amounts",
                        },
                    ),
                    25: (
                        "wagtail.blocks.TextBlock",
                        (),
                        {
                            "help_text": "Optional, one line per amount in the same order, for example: a week of meals. An empty line keeps the line worked out from the need's unit; a single - shows none.",
                            "label": "What each amount does",
                            "required": False,
                        },
                    ),
                    26: (
                        "wagtail.blocks.StructBlock",
                        [[("currency", 23), ("amounts", 24), ("impact_lines", 25)]],
                        {},
                    ),
                    27: (
                        "wagtail.blocks.ListBlock",
                        (26,),
                        {
                            "default": [],
                            "help_text": "Leave empty to use the amounts in the site's giving settings.",
                            "label": "Suggested amounts",
                            "required": False,
                        },
                    ),
                    28: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": True,
                            "label": "Let donors type their own amount",
                            "required": False,
                        },
                    ),
                    29: (
                        "wagtail.blocks.TextBlock",
                        (),
                        {
                            "help_text": "What donors agree to when they allow flexible use. Leave empty for the site's text.",
                            "label": "If a chosen need is already funded",
                            "required": False,
                        },
                    ),
                    30: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": True,
                            "label": "Offer to cover the payment fee",
                            "required": False,
                        },
                    ),
                    31: (
                        "wagtail.blocks.BooleanBlock",
                        (),
                        {
                            "default": True,
                            "label": "Offer a dedication (in honour or memory)",
                            "required": False,
                        },
                    ),
                    32: (
                        "wagtail.blocks.CharBlock",
                        (),
                        {"label": "Button text", "required": False},
                    ),
                    33: (
                        "wagtail.blocks.StructBlock",
                        [
                            [
                                ("heading", 12),
                                ("intro", 13),
                                ("mode", 14),
                                ("needs", 16),
                                ("offer_general", 17),
                                ("offer_causes", 18),
                                ("offer_regions", 19),
                                ("offer_cause_regions", 20),
                                ("frequencies", 21),
                                ("currencies", 22),
                                ("suggested_amounts", 27),
                                ("allow_custom_amount", 28),
                                ("overflow_text", 29),
                                ("show_cover_fees", 30),
                                ("show_dedication", 31),
                                ("submit_label", 32),
                            ]
                        ],
                        {},
                    ),
                },
                verbose_name="story",
            ),
        ),
        migrations.RunPython(recreate_currency_trigger, migrations.RunPython.noop),
    ]
