"""E-mail: ``smtp://user@host:port?tls=starttls|ssl|none&to=a@x,b@y&from=…&from_name=…``.

Setup: ask the mail administrator (or see the mailbox's settings page: 设置 → 客户端设置 / POP3/SMTP/IMAP)
for the SMTP server, port and whether it uses SSL (usually port 465) or STARTTLS (587). Many
Chinese providers (QQ/163/腾讯企业邮/阿里企业邮) want a client 授权码 instead of the login password.
Configure ``url = "smtp://yuqing%40example.gov.cn@smtp.example.gov.cn:465?tls=ssl&to=duty@example.gov.cn"``
(an ``@`` inside the user name is written ``%40``) and ``password_env = "YUQING_SMTP_PASSWORD"``.
A mail server with a private (政务内网) CA: add ``cafile=/path/ca.pem``.

Headers are UTF-8 (RFC 2047), so Chinese subjects and display names (``from_name=舆情值班``) work.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from urllib.parse import unquote, urlsplit

from alerts.channels.base import Channel, ChannelConfigError, ChannelOptions, ChannelUrl, pick_secret
from alerts.messages import markdown_to_text

DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


def _address(where: str, text: str, display_name: str = "") -> Address:
    name, addr = getaddresses([text])[0]
    if "@" not in addr:
        raise ChannelConfigError(f"邮件渠道 {where} 的地址无效：{text}")
    user, _, domain = addr.rpartition("@")
    return Address(display_name=display_name or name, username=user, domain=domain)


class SmtpChannel(Channel):
    kind = "smtp"
    display_name = "邮件"
    params = frozenset({"tls", "to", "from", "from_name", "cafile", "helo"})
    secret_names = ("password",)

    def __init__(self, url: ChannelUrl, user: str, password: str | None, options: ChannelOptions) -> None:
        super().__init__(url.raw, [password], options)
        parts = urlsplit(url.raw)
        self.host = parts.hostname or ""
        self.tls = url.params.get("tls", "starttls")
        if self.tls not in DEFAULT_PORTS:
            raise ChannelConfigError(f"邮件渠道的 tls 应为 starttls、ssl 或 none，而不是“{self.tls}”")
        try:
            self.port = parts.port or DEFAULT_PORTS[self.tls]
        except ValueError as exc:
            raise ChannelConfigError("邮件渠道的端口号无效") from exc
        self.user, self.password = user, password
        to = [t for t in url.params.get("to", "").replace("，", ",").split(",") if t.strip()]
        if not self.host or not to:
            raise ChannelConfigError("邮件渠道应形如 smtp://用户@服务器:端口?to=收件人1,收件人2")
        self.to = [_address("to", t) for t in to]
        sender = url.params.get("from") or user
        self.sender = _address("from", sender, url.params.get("from_name", "舆情回应跟踪"))
        self.cafile = url.params.get("cafile") or None
        self.helo = url.params.get("helo") or None

    @classmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> SmtpChannel:
        try:
            parts = urlsplit(url.raw)
            user, in_url = unquote(parts.username or ""), parts.password
        except ValueError as exc:
            raise ChannelConfigError("邮件渠道地址无法解析") from exc
        password = pick_secret(url, "password", unquote(in_url) if in_url else None, options.secrets)
        if user and not password:
            raise ChannelConfigError(
                "邮件渠道有用户名但缺少密码：请配置 password_env（密码或授权码所在的环境变量）"
            )
        if not (user + (password or "")).isascii():
            # smtplib sends AUTH as ASCII; providers issue ASCII 授权码 for mail clients anyway.
            raise ChannelConfigError(
                "邮件渠道的用户名或密码含非 ASCII 字符，无法登录；请改用邮箱提供的客户端授权码"
            )
        return cls(url, user, password, options)

    def build(self, title: str, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = title
        msg["From"] = self.sender
        msg["To"] = self.to
        msg["Date"] = format_datetime(datetime.fromtimestamp(self.clock(), tz=UTC))
        # An explicit domain keeps make_msgid from a slow reverse-DNS lookup of this host.
        msg["Message-ID"] = make_msgid(domain=self.sender.domain)
        msg.set_content(markdown_to_text(body) + "\n\n——本邮件由舆情回应跟踪系统自动发送\n")
        return msg

    def connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            context = ssl.create_default_context(cafile=self.cafile)
            return smtplib.SMTP_SSL(self.host, self.port, self.helo, timeout=self.timeout, context=context)
        return smtplib.SMTP(self.host, self.port, self.helo, timeout=self.timeout)

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        message = self.build(title, body)
        try:
            with self.connect() as server:
                if self.tls == "starttls":
                    server.starttls(context=ssl.create_default_context(cafile=self.cafile))
                if self.user:
                    server.login(self.user, self.password or "")
                refused = server.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            return self.fail(f"邮件发送失败：登录被拒绝，请检查用户名和密码/授权码（{exc}）", permanent=True)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            return self.fail(f"邮件发送失败：发件人或收件人被拒绝（{exc}）", permanent=True)
        except smtplib.SMTPNotSupportedError as exc:
            return self.fail(
                f"邮件发送失败：服务器不支持所需功能（如 STARTTLS），请检查 tls 设置（{exc}）", permanent=True
            )
        except smtplib.SMTPResponseException as exc:
            return self.fail(
                f"邮件发送失败：服务器返回 {exc.smtp_code}（{exc}）", permanent=exc.smtp_code >= 500
            )
        except ssl.SSLCertVerificationError as exc:
            return self.fail(
                f"邮件发送失败：TLS 证书校验失败，内网 CA 请用 cafile 指定（{exc}）", permanent=True
            )
        except TimeoutError:
            return self.fail(f"邮件发送失败：{self.timeout:g}秒内未响应（超时）")
        except (OSError, smtplib.SMTPException) as exc:
            return self.fail(f"邮件发送失败：{type(exc).__name__}: {exc}")
        if refused:
            # Some recipients got it: resending would duplicate for them, so this counts as sent.
            self.last_error = self.mask(f"部分收件人被拒绝：{'、'.join(refused)}")
        return True
