"""Ask once used to keep its input on the job (`{"text", "task", "instruction"}`): give each such
job its Question, and point the job's input at it, so old jobs show, retry and answer as new ones."""

import uuid

from django.db import migrations


def questions_from_jobs(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    Question = apps.get_model("ask", "Question")
    for job in Job.objects.filter(kind="ask.once", question__isnull=True).iterator():
        old = job.input or {}
        if "question_id" in old:
            continue
        question = Question.objects.create(
            id=uuid.uuid4(),
            workspace_id=job.workspace_id,
            created_by_id=job.created_by_id,
            task=old.get("task") or "summarise",
            instruction=old.get("instruction") or "",
            text=old.get("text") or "",
            job=job,
        )
        # auto_now_add stamped "now": keep the question as old as its job.
        Question.objects.filter(pk=question.pk).update(created_at=job.created_at)
        job.input = {"question_id": str(question.pk)}
        job.save(update_fields=["input"])


def jobs_from_questions(apps, schema_editor):
    Question = apps.get_model("ask", "Question")
    for question in Question.objects.select_related("job").iterator():
        job = question.job
        job.input = {"text": question.text, "task": question.task}
        if question.instruction:
            job.input["instruction"] = question.instruction
        job.save(update_fields=["input"])
    Question.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("ask", "0001_initial"), ("jobs", "0002_job_reservation")]

    operations = [migrations.RunPython(questions_from_jobs, jobs_from_questions)]
