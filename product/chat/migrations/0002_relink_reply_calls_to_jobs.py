"""Point chat replies' ledger rows at their job instead of their message.

`run_reply` passed the message id as the gateway's job id, so `LLMCall.job_id` held a Message id
and the reply's job reported no usage. The message knows its job: use that. Runs before llm's
0002, which turns the column into a foreign key and unlinks whatever still names no job.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def relink_reply_calls(apps, schema_editor):
    LLMCall = apps.get_model("llm", "LLMCall")
    Message = apps.get_model("chat", "Message")
    LLMCall.objects.filter(job_id__in=Message.objects.values("id")).update(
        job_id=Subquery(Message.objects.filter(id=OuterRef("job_id")).values("job_id")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0001_initial"),
        ("llm", "0001_initial"),
    ]
    run_before = [("llm", "0002_llmcall_job_foreign_key")]

    operations = [
        migrations.RunPython(relink_reply_calls, migrations.RunPython.noop, elidable=True),
    ]
