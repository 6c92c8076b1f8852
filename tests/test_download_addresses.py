"""Image downloads reach public addresses only, and connect to the address that was checked.

The classifier judges IPv6 forms that embed an IPv4 address by that address too. The
connection tests run https servers on loopback with a certificate of a test authority for
`images.rebind.test`, and answer that name through a resolver patched in-process (there is no
DNS here): the checked address is made to count as public, as a real public address would.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gallery import addresses
from gallery.addresses import embedded_ipv4, is_public_address
from gallery.mka1 import ImageFetchError, download, download_client

pytestmark = pytest.mark.security

NAME = "images.rebind.test"
CHECKED, REBOUND = "127.0.0.1", "127.0.0.2"
CHECKED_BYTES, REBOUND_BYTES = b"\x89PNG the checked server's", b"\x89PNG an internal server's"


# -- which addresses are public ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104
        ("224.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff0e::1", False),
        # IPv4-mapped: the IPv4 peer it names.
        ("::ffff:8.8.8.8", True),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        # NAT64, well-known prefix: public only if the embedded address is.
        ("64:ff9b::808:808", True),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::a01:203", False),
        # NAT64, local-use prefix.
        ("64:ff9b:1::7f00:1", False),
        # 6to4: the IPv4 address is bits 16 to 48.
        ("2002:7f00:1::1", False),
        ("2002:a9fe:a9fe::1", False),
        ("2002:c0a8:101::1", False),
        # Teredo: the client is the last 32 bits inverted (here 127.0.0.1, then 10.0.0.1).
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),
        # IPv4-compatible (deprecated) and IPv4-translated forms.
        ("::7f00:1", False),
        ("::a9fe:a9fe", False),
        ("::ffff:0:7f00:1", False),
        ("::ffff:0:a9fe:a9fe", False),
    ],
)
def test_an_address_is_public_only_with_every_ipv4_address_it_embeds(
    address: str, public: bool
) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:10.0.0.1", ["10.0.0.1"]),
        ("64:ff9b::a00:1", ["10.0.0.1"]),
        ("64:ff9b:1::a00:1", ["10.0.0.1"]),
        ("2002:a00:1::1", ["10.0.0.1"]),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", ["65.54.227.120", "10.0.0.1"]),
        ("::ffff:0:a00:1", ["10.0.0.1"]),
        ("2001:4860:4860::8888", []),
    ],
)
def test_the_embedded_ipv4_addresses_are_found(address: str, embedded: list[str]) -> None:
    import ipaddress

    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert [str(ip) for ip in found] == embedded


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::7f00:1]/x.png",
        "https://[::ffff:127.0.0.1]/x.png",
        "https://[2002:a9fe:a9fe::1]/x.png",
        "https://[::a9fe:a9fe]/x.png",
        "https://169.254.169.254/latest/meta-data/",
    ],
)
def test_a_url_naming_a_private_address_in_any_form_is_not_fetched(url: str) -> None:
    with pytest.raises(ImageFetchError, match="points at a private address"):
        download(url, max_bytes=1024, timeout=2)


# -- connecting to the checked address -----------------------------------------------------------


def _certificate(
    subject: str, key: Any, issuer: x509.Name, issuer_key: Any, *, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class Authority:
    """A test certificate authority, and a certificate it issued for NAME."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    directory = tmp_path_factory.mktemp("tls")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MKA1 test authority")])
    ca = _certificate("MKA1 test authority", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate(NAME, key, ca_name, ca_key, ca=False)
    files = Authority(directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class ImageServer(ThreadingHTTPServer):
    """An https server that answers every path with its bytes (or a redirect), and remembers
    each request's path and Host header and each handshake's server name."""

    daemon_threads = True

    def __init__(self, address: str, port: int, authority: Authority, body: bytes) -> None:
        super().__init__((address, port), _Handler)
        self.body = body
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.server_names: list[str | None] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(authority.cert_file, authority.key_file)
        context.sni_callback = self._sni
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def _sni(self, _socket: Any, server_name: str | None, _context: Any) -> None:
        self.server_names.append(server_name)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: ImageServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append((self.path, self.headers.get("Host", "")))
        target = self.server.redirects.get(self.path)
        if target:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@dataclass
class Servers:
    checked: ImageServer
    rebound: ImageServer

    @property
    def port(self) -> int:
        return self.checked.port


@pytest.fixture
def servers(authority: Authority) -> Iterator[Servers]:
    """The checked address's server, and an internal one on the same port of another address
    (where a second resolution would lead)."""
    checked = ImageServer(CHECKED, 0, authority, CHECKED_BYTES)
    rebound = ImageServer(REBOUND, checked.port, authority, REBOUND_BYTES)
    yield Servers(checked, rebound)
    checked.stop()
    rebound.stop()


@dataclass
class Resolver:
    """getaddrinfo for the test names: each name's answers in turn (the last one repeated; an
    empty one is a name that does not resolve), the system's for every other name."""

    answers: dict[str, list[list[str]]]
    calls: dict[str, int] = field(default_factory=dict)
    system: Callable[..., Any] = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in self.answers:
            return self.system(host, port, *args, **kwargs)
        turn = self.calls.get(host, 0)
        self.calls[host] = turn + 1
        answer = self.answers[host][min(turn, len(self.answers[host]) - 1)]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))
            for address in answer
        ]


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[list[str]]]], Resolver]:
    """Answer test names through a patched resolver; CHECKED counts as a public address."""
    is_public = addresses.is_public_address
    monkeypatch.setattr(
        addresses, "is_public_address", lambda address: address == CHECKED or is_public(address)
    )

    def install(answers: dict[str, list[list[str]]]) -> Resolver:
        resolver = Resolver(answers)
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        return resolver

    return install


def fetch(url: str, authority: Authority) -> bytes:
    with download_client(verify=authority.client_context()) as client:
        return download(url, max_bytes=1024, timeout=10, http=client)


def test_a_rebound_name_is_fetched_from_the_address_that_was_checked(
    servers: Servers, authority: Authority, resolve: Callable[..., Resolver]
) -> None:
    # The first answer is checked; any later one would point inside.
    resolver = resolve({NAME: [[CHECKED], [REBOUND]]})
    url = f"https://{NAME}:{servers.port}/picture.png"

    assert fetch(url, authority) == CHECKED_BYTES

    assert resolver.calls == {NAME: 1}
    assert servers.rebound.requests == []
    # The connection went to the address, the request and TLS to the name.
    assert servers.checked.requests == [("/picture.png", f"{NAME}:{servers.port}")]
    assert servers.checked.server_names == [NAME]


def test_a_name_with_any_private_address_is_not_connected_to(
    servers: Servers, authority: Authority, resolve: Callable[..., Resolver]
) -> None:
    resolve({NAME: [[CHECKED, REBOUND]]})
    with pytest.raises(ImageFetchError, match="points at a private address"):
        fetch(f"https://{NAME}:{servers.port}/picture.png", authority)
    assert servers.checked.requests == servers.rebound.requests == []


def test_a_redirect_to_a_name_that_resolves_inside_is_not_followed(
    servers: Servers, authority: Authority, resolve: Callable[..., Resolver]
) -> None:
    inner = "inner.rebind.test"
    resolver = resolve({NAME: [[CHECKED]], inner: [[REBOUND]]})
    servers.checked.redirects["/picture.png"] = f"https://{inner}:{servers.port}/secret"
    with pytest.raises(ImageFetchError, match="points at a private address"):
        fetch(f"https://{NAME}:{servers.port}/picture.png", authority)
    assert resolver.calls == {NAME: 1, inner: 1}
    assert servers.rebound.requests == []


def test_the_certificate_is_still_checked_for_the_name(
    servers: Servers, authority: Authority, resolve: Callable[..., Resolver]
) -> None:
    other = "other.rebind.test"
    resolve({other: [[CHECKED]]})
    with pytest.raises(ImageFetchError, match="could not be downloaded"):
        fetch(f"https://{other}:{servers.port}/picture.png", authority)
    assert servers.checked.requests == []
    assert servers.checked.server_names == [other]


def test_a_name_that_does_not_resolve_is_refused_with_a_reason(
    authority: Authority, resolve: Callable[..., Resolver]
) -> None:
    resolve({"nowhere.rebind.test": [[]]})
    with pytest.raises(ImageFetchError, match="could not be resolved"):
        fetch("https://nowhere.rebind.test/x.png", authority)


def test_an_unreachable_address_is_a_download_error(
    authority: Authority, resolve: Callable[..., Resolver]
) -> None:
    with socket.socket() as unused:
        unused.bind((CHECKED, 0))
        port = unused.getsockname()[1]
    resolve({NAME: [[CHECKED]]})
    with pytest.raises(ImageFetchError, match=r"could not be downloaded \(ConnectError\)"):
        fetch(f"https://{NAME}:{port}/picture.png", authority)
