"""The API server's serving certificate, as kubeadm makes one for kube-apiserver.

kubectl (client-go) sends a bearer token only over TLS, so the Kubernetes API
is served on https (port 6443, kube-apiserver's own) beside the dashboard's
http port. The certificate is self-signed for the serving addresses; the
kubeconfig kubeclass hands out embeds it as the certificate authority, so
kubectl verifies the server as it would a real cluster's.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KEY_NAME, CERT_NAME = "apiserver.key", "apiserver.crt"


def _san(hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host.strip("[]"))))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def create_certificate(directory: Path, hosts: list[str], days: int = 825) -> tuple[Path, Path]:
    """Write a new self-signed key and certificate for `hosts` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver (kubeclass)")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(_san(hosts), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / KEY_NAME, directory / CERT_NAME
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def ensure_certificate(directory: Path, hosts: list[str]) -> tuple[Path, Path]:
    """Keep an existing certificate (kubeconfigs already handed out trust it); create one if missing."""
    key_file, cert_file = directory / KEY_NAME, directory / CERT_NAME
    if key_file.exists() and cert_file.exists():
        return key_file, cert_file
    return create_certificate(directory, hosts)


def certificate_pem(directory: Path) -> bytes | None:
    cert_file = directory / CERT_NAME
    return cert_file.read_bytes() if cert_file.exists() else None
