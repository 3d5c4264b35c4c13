from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0015_member_role_events"),
    ]

    operations = [
        migrations.AlterField(
            model_name="conversationevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("message.updated", "Message Updated"),
                    ("message.deleted", "Message Deleted"),
                    ("reaction", "Reaction"),
                    ("read", "Read"),
                    ("membership", "Membership"),
                    ("member.updated", "Member Updated"),
                    ("conversation.updated", "Conversation Updated"),
                    ("pin", "Pin"),
                    ("thread.updated", "Thread Updated"),
                    ("user.erased", "User Erased"),
                ],
                max_length=24,
            ),
        ),
    ]
