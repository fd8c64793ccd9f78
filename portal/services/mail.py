"""Sending e-mail through the SMTP server named by PORTAL_SMTP_URL (stdlib smtplib)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from portal.config import current_settings
from portal.validation import is_loopback_host

TIMEOUT_SECONDS = 15


class MailFailed(Exception):
    """The message was not sent; the message says why (never the SMTP password)."""


def smtp_configured() -> bool:
    return current_settings().smtp_url is not None


def sender_address() -> str:
    return current_settings().mail_sender


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message: STARTTLS on smtp://, TLS from the start on smtps://."""
    url = urlsplit(current_settings().smtp_url)
    host = url.hostname or ""
    user = unquote(url.username) if url.username else None
    password = unquote(url.password) if url.password else None
    message = EmailMessage()
    message["From"] = sender_address()
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    context = ssl.create_default_context()
    try:
        if url.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                host, url.port or 465, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            server = smtplib.SMTP(host, url.port or 587, timeout=TIMEOUT_SECONDS)
        with server:
            server.ehlo()
            if url.scheme == "smtp":
                if server.has_extn("starttls"):
                    server.starttls(context=context)
                    server.ehlo()
                elif not is_loopback_host(host):
                    raise MailFailed(
                        f"the SMTP server {host} does not offer STARTTLS; the portal will not "
                        "send a setup link over an unencrypted connection"
                    )
            if user:
                server.login(user, password or "")
            server.send_message(message)
    except MailFailed:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        reason = type(exc).__name__
        if isinstance(exc, smtplib.SMTPResponseException):
            reason = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')[:200]}"
        elif isinstance(exc, smtplib.SMTPRecipientsRefused):
            reason = "the server refused the recipient"
        raise MailFailed(f"the SMTP server {host} did not accept the message ({reason})") from None
