"""Alerts leave here: a chat incoming webhook (Slack or Teams) by HTTP POST, an email by SMTP."""

from __future__ import annotations

import asyncio
import smtplib
from email import policy
from email.message import EmailMessage

import httpx

from services.outbound.adapters.webhooks import tls_context
from services.outbound.settings import OutboundSettings

# A subject longer than a line stays on its header line (RFC 5322 allows 998 characters).
UNFOLDED = policy.SMTP.clone(max_line_length=998)


class Notifier:
    def __init__(self, settings: OutboundSettings) -> None:
        self._settings = settings

    async def chat(self, url: str, body: str) -> str | None:
        try:
            async with httpx.AsyncClient(timeout=10.0, verify=tls_context()) as client:
                response = await client.post(
                    url, content=body.encode(), headers={"content-type": "application/json"}
                )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return None if response.is_success else f"{response.status_code}: {response.text[:300]}"

    async def email(self, to: str, subject: str, text: str) -> str | None:
        message = EmailMessage(policy=UNFOLDED)
        message["From"], message["To"], message["Subject"] = self._settings.smtp_from, to, subject
        message.set_content(text)
        try:
            await asyncio.to_thread(self._send, message)
        except (OSError, smtplib.SMTPException) as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return None

    def _send(self, message: EmailMessage) -> None:
        s = self._settings
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=15) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=tls_context())
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(message)
