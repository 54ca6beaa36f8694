# The Summary model moved to the summaries app; its table (transcripts_summary) stays as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('transcripts', '0002_processed_final'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Summary')],
            database_operations=[],
        ),
    ]
