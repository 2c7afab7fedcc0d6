"""Evaluations run by a worker: a status (existing rows are done), the error of a failed one, and the time of
the last change (the reaper's clock)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("modeling", "0005_learning_inference"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelevaluation",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="done",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="modelevaluation",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="modelevaluation",
            name="error",
            field=models.TextField(blank=True, help_text="why a failed evaluation failed"),
        ),
        migrations.AddField(
            model_name="modelevaluation",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True,
                default=django.utils.timezone.now,
                help_text="last change of status (the reaper's clock)",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="modelevaluation",
            name="beats",
            field=models.BooleanField(default=False),
        ),
    ]
