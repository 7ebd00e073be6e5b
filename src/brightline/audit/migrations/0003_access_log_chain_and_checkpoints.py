import django.utils.timezone
from django.db import migrations, models

GENESIS_HASH = "0" * 64


def chain_existing_reads(apps, schema_editor):
    """Number and link the reads logged before the access log was a chain, oldest first, and sign both heads."""
    import hashlib

    from brightline.audit.services import CHAIN_ACCESS, CHAIN_AUDIT, access_content, sign_checkpoint

    AccessLog = apps.get_model("audit", "AccessLog")
    AccessHead = apps.get_model("audit", "AccessHead")
    AuditHead = apps.get_model("audit", "AuditHead")
    AuditCheckpoint = apps.get_model("audit", "AuditCheckpoint")
    previous, seq, batch = GENESIS_HASH, 0, []
    for read in AccessLog.objects.order_by("at", "id").iterator(chunk_size=2000):
        seq += 1
        read.seq, read.prev_hash = seq, previous
        content = access_content(seq=seq, at=read.at, viewer_id=read.viewer_id, viewer_label=read.viewer_label,
                                 subject_id=read.subject_id, record=read.record, via=read.via, reason=read.reason,
                                 prev_hash=previous)
        read.hash = previous = hashlib.sha256(content.encode("utf-8")).hexdigest()
        batch.append(read)
        if len(batch) >= 1000:
            AccessLog.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    AccessLog.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
    AccessHead.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": previous})
    # Anchor what exists today, so the first checkpoint is not a hundred entries away.
    audit_head = AuditHead.objects.filter(pk=1).first()
    heads = [(CHAIN_ACCESS, seq, previous)]
    if audit_head is not None:
        heads.append((CHAIN_AUDIT, audit_head.seq, audit_head.hash))
    for chain, head_seq, head_hash in heads:
        if head_seq:
            AuditCheckpoint.objects.get_or_create(chain=chain, seq=head_seq, defaults={
                "hash": head_hash, "mac": sign_checkpoint(chain, head_seq, head_hash)})


class Migration(migrations.Migration):
    """The access log becomes a hash chain; both chains get checkpoints signed with the audit key."""

    dependencies = [("audit", "0002_audit_head_row")]

    operations = [
        migrations.CreateModel(
            name="AccessHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS_HASH, max_length=64)),
                ("pruned_seq", models.PositiveBigIntegerField(default=0)),
                ("pruned_hash", models.CharField(default=GENESIS_HASH, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("chain", models.CharField(choices=[("audit", "audit trail"), ("access", "access log"),
                                                    ("pruned", "access log start")], max_length=8)),
                ("seq", models.PositiveBigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("mac", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["chain", "seq"],
                "constraints": [models.UniqueConstraint(fields=("chain", "seq"), name="audit_checkpoint_unique_seq")],
            },
        ),
        migrations.AddField(model_name="accesslog", name="seq", field=models.PositiveBigIntegerField(null=True)),
        migrations.AddField(model_name="accesslog", name="prev_hash",
                            field=models.CharField(default=GENESIS_HASH, max_length=64), preserve_default=False),
        migrations.AddField(model_name="accesslog", name="hash", field=models.CharField(max_length=64, null=True)),
        migrations.AlterField(model_name="accesslog", name="at",
                              field=models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
        migrations.RunPython(chain_existing_reads, migrations.RunPython.noop),
        migrations.AlterField(model_name="accesslog", name="seq", field=models.PositiveBigIntegerField(unique=True)),
        migrations.AlterField(model_name="accesslog", name="hash", field=models.CharField(max_length=64, unique=True)),
    ]
