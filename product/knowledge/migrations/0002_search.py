"""Full-text search on chunks, kept by the database itself (never rebuilt per query).

Postgres: a stored generated tsvector (heading weighted above text) with a GIN index.
SQLite: an FTS5 table over the chunk table (external content, rowid = chunk id), kept by triggers.
"""

from django.db import migrations

PG_FORWARD = [
    """
    ALTER TABLE knowledge_chunk ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(heading, '')), 'A')
        || setweight(to_tsvector('english', text), 'B')
    ) STORED
    """,
    "CREATE INDEX knowledge_chunk_search ON knowledge_chunk USING gin (search)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_chunk_search",
    "ALTER TABLE knowledge_chunk DROP COLUMN IF EXISTS search",
]
SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE knowledge_chunk_fts USING fts5(
        heading, text, content='knowledge_chunk', content_rowid='id',
        tokenize='porter unicode61'
    )
    """,
    """
    CREATE TRIGGER knowledge_chunk_fts_insert AFTER INSERT ON knowledge_chunk BEGIN
        INSERT INTO knowledge_chunk_fts(rowid, heading, text)
        VALUES (new.id, new.heading, new.text);
    END
    """,
    """
    CREATE TRIGGER knowledge_chunk_fts_delete AFTER DELETE ON knowledge_chunk BEGIN
        INSERT INTO knowledge_chunk_fts(knowledge_chunk_fts, rowid, heading, text)
        VALUES ('delete', old.id, old.heading, old.text);
    END
    """,
    """
    CREATE TRIGGER knowledge_chunk_fts_update AFTER UPDATE OF heading, text ON knowledge_chunk
    BEGIN
        INSERT INTO knowledge_chunk_fts(knowledge_chunk_fts, rowid, heading, text)
        VALUES ('delete', old.id, old.heading, old.text);
        INSERT INTO knowledge_chunk_fts(rowid, heading, text)
        VALUES (new.id, new.heading, new.text);
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_chunk_fts_update",
    "DROP TRIGGER IF EXISTS knowledge_chunk_fts_delete",
    "DROP TRIGGER IF EXISTS knowledge_chunk_fts_insert",
    "DROP TABLE IF EXISTS knowledge_chunk_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
