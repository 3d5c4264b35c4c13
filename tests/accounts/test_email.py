"""Email goes out through django.core.mail from templates, by a retried Celery task: over SMTP when it is
configured, else into the data folder with its links on the console."""

import email
from email.policy import default as default_policy

import pytest
from django.db import transaction

from accounts import emails
from core import mail
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_queued_email_reaches_the_smtp_server_with_text_and_html(smtp_server):
    # given: ada
    ada = UserFactory(username="ada", email="ada@example.com")

    # when: an email is queued for her and the transaction commits
    with transaction.atomic():
        emails.password_changed(user=ada, site_url="http://chat.test/")

    # then: the SMTP server received one message for her, from Parley, in two parts naming her account
    [received] = smtp_server.wait_for("ada@example.com")
    assert received.subject == "Your Parley password was changed"
    assert "@ada" in received.body("plain")
    assert '<a href="http://chat.test/forgot-password">' in received.body("html")


def test_an_email_of_a_rolled_back_change_is_never_sent(smtp_server):
    ada = UserFactory(username="ada", email="ada@example.com")

    def change_that_fails() -> None:
        with transaction.atomic():
            emails.password_changed(user=ada, site_url="http://chat.test/")
            raise RuntimeError("the change fails after queuing its email")

    with pytest.raises(RuntimeError):
        change_that_fails()
    emails.password_changed(user=UserFactory(email="bob@example.com"), site_url="http://chat.test/")
    smtp_server.wait_for("bob@example.com")  # sent after ada's would have been
    assert smtp_server.sent_to("ada@example.com") == []


def test_a_refused_delivery_is_retried_until_the_server_takes_it(smtp_server):
    # given: a server that answers "try again later" to the first attempt
    smtp_server.refuse_next(1)
    ada = UserFactory(email="ada@example.com")

    # when
    with transaction.atomic():
        emails.password_changed(user=ada, site_url="http://chat.test/")

    # then: the task tried again and the message arrived once
    assert len(smtp_server.wait_for("ada@example.com")) == 1
    assert smtp_server.refused == 1


def test_without_smtp_each_email_lands_in_the_data_folder_and_its_links_on_the_console(
    settings, tmp_path, capsys
):
    settings.EMAIL_BACKEND = "core.mail.DropFolderBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    message = mail.Email(
        to="ada@example.com", subject="Hello", text="Open http://x.test/a#b now", html="<p>x</p>"
    )

    mail.send(message)

    [path] = (tmp_path / "mail").glob("*.eml")
    stored = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert stored["To"] == "ada@example.com"
    assert "http://x.test/a#b" in capsys.readouterr().err
