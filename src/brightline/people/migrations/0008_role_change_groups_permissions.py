"""Changes of a login's permission groups and individual permissions also wait for a second approver."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0007_sso_link'),
    ]

    operations = [
        migrations.AlterField(
            model_name='rolechange',
            name='field',
            field=models.CharField(choices=[('manager', 'Manager'), ('access_role', 'Access role'), ('is_staff', 'Admin site access'), ('is_superuser', 'Full administrator'), ('groups', 'Permission groups'), ('user_permissions', 'Individual permissions')], max_length=20),
        ),
        migrations.AlterField(
            model_name='rolechange',
            name='from_label',
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name='rolechange',
            name='from_value',
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name='rolechange',
            name='to_label',
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name='rolechange',
            name='to_value',
            field=models.TextField(blank=True),
        ),
    ]
