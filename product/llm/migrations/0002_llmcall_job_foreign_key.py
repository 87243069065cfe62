"""Make the ledger's link to a job a real foreign key to jobs.Job.

It was a bare UUID, so nothing stopped a caller from storing another object's id there (chat replies
stored their message id, and the job's usage showed no calls). Rows whose id names no job are
unlinked first: a foreign key cannot point at nothing. Apps that stored other ids repair their rows
before this runs (chat's 0002 does, with `run_before`), so llm need not know about them.
"""

from django.db import migrations, models
import django.db.models.deletion


def unlink_unknown_jobs(apps, schema_editor):
    LLMCall = apps.get_model("llm", "LLMCall")
    Job = apps.get_model("jobs", "Job")
    LLMCall.objects.filter(job_id__isnull=False).exclude(
        job_id__in=Job.objects.values("id")
    ).update(job_id=None)


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0002_job_reservation"),
        ("llm", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(unlink_unknown_jobs, migrations.RunPython.noop, elidable=True),
        # Same column (job_id) before and after: rename the field, then make it a foreign key.
        migrations.RenameField(model_name="llmcall", old_name="job_id", new_name="job"),
        migrations.AlterField(
            model_name="llmcall",
            name="job",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="llm_calls",
                to="jobs.job",
            ),
        ),
    ]
