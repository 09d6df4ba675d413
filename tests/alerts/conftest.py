"""Fixtures for the alerts tests: a settable clock, local mock services, a TLS certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.helpers import FakeClock
from tests.alerts.mockservers import DingTalkMock, FeishuMock, WebhookMock, WeComMock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def wecom() -> Iterator[WeComMock]:
    service = WeComMock(key="6f1e2d3c-aaaa-4bbb-8ccc-0123456789ab")
    yield service
    service.close()


@pytest.fixture
def dingtalk(clock: FakeClock) -> Iterator[DingTalkMock]:
    service = DingTalkMock(token="a1b2c3d4e5f6token", secret="SECf00dbabe+/=secret", now=clock)
    yield service
    service.close()


@pytest.fixture
def feishu(clock: FakeClock) -> Iterator[FeishuMock]:
    service = FeishuMock(token="0d9c8b7a-feishu-token", secret="fsSecret+/xyz", now=clock)
    yield service
    service.close()


@pytest.fixture
def receiver(clock: FakeClock) -> Iterator[WebhookMock]:
    service = WebhookMock(secret="hook-shared-secret", now=clock)
    yield service
    service.close()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert.pem doubles as the CA file)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)  # the certificate must be valid for the real TLS handshake
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    return context
