# The Summary model, moved here from transcripts with its table (transcripts_summary): no data moves.

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    # Admin permissions and log entries follow the model to its new app.
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label='summaries', model='summary').exists():
        ContentType.objects.filter(app_label='transcripts', model='summary').update(app_label='summaries')


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    if not ContentType.objects.filter(app_label='transcripts', model='summary').exists():
        ContentType.objects.filter(app_label='summaries', model='summary').update(app_label='transcripts')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('rooms', '0001_initial'),
        ('transcripts', '0003_summary_moves_to_summaries'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Summary',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('empty', 'Nothing to summarize'), ('failed', 'Failed')], default='queued', max_length=10)),
                        ('error', models.TextField(blank=True)),
                        ('summary', models.TextField(blank=True)),
                        ('decisions', models.JSONField(blank=True, default=list)),
                        ('action_items', models.JSONField(blank=True, default=list)),
                        ('model_name', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='summaries', to='rooms.meeting')),
                    ],
                    options={
                        'db_table': 'transcripts_summary',
                        'ordering': ['-version'],
                        'constraints': [models.UniqueConstraint(fields=('meeting', 'version'), name='one_summary_per_version')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
