"""Trusted time (RFC 3161): ask a time-stamping authority (TSA) to sign a file's SHA-256, and check the token offline.

- ``stamp(path)`` sends a TimeStampReq (SHA-256 imprint, a nonce, certReq) to ``WEIQUAN_TSA_URL`` and keeps the
  TSA's answer (TimeStampResp, DER) beside the file as ``<file>.tsr`` — the form ``openssl ts -verify -in`` reads;
- ``verify_token(data_path, tsr_path)`` checks, with no network: the response was granted; the token's message
  imprint is the SHA-256 of the file as it is now; the CMS signature over the signed attributes is valid with the
  signer certificate in the token, and the message-digest attribute matches the TSTInfo; the certificate is for
  time stamping. Trust in the TSA itself: certificates in ``WEIQUAN_TSA_CERTS`` (PEM file) are trusted issuers;
  without them the report says the signature is intact but the TSA was not checked against a trusted list.

Built with asn1crypto (ASN.1) and cryptography (signatures); no other package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms, tsp, x509

from weiquan.domain.documents import sha256_file

TOKEN_SUFFIX = ".tsr"
CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"
NO_TSA_NOTE = (
    "没有配置可信时间戳服务（WEIQUAN_TSA_URL）：文件的 SHA-256 只能证明文件在算出哈希之后没有被改动，"
    "不能证明文件在某个时间之前就已存在——哈希可以随时重新计算。要证明时间，请配置 RFC 3161 时间戳服务，"
    "或通过公证处、电子存证平台固定证据。"
)


class TsaError(Exception):
    """Stamping failed or a token is unusable; the message is Chinese."""


@dataclass
class TokenCheck:
    ok: bool
    gen_time: dt.datetime | None = None
    tsa: str | None = None
    serial: int | None = None
    trusted: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.ok:
            return "；".join(self.problems)
        when = self.gen_time.isoformat() if self.gen_time else "未知时间"
        trust = "时间戳机构证书在受信任列表中" if self.trusted else "未与受信任的时间戳机构列表核对"
        return f"可信时间戳有效：文件在 {when} 已存在且此后未被改动（签发：{self.tsa}；{trust}）"


def tsa_url() -> str | None:
    value = os.environ.get("WEIQUAN_TSA_URL")
    if value is None:
        try:
            from django.conf import settings

            value = getattr(settings, "WEIQUAN_TSA_URL", None)
        except Exception:  # noqa: BLE001 - outside Django (the CLI without settings)
            value = None
    return value or None


def token_path(path: Path) -> Path:
    return path.with_name(path.name + TOKEN_SUFFIX)


def sha256_of(path: Path) -> bytes:
    return bytes.fromhex(sha256_file(path))


def build_request(digest: bytes, nonce: int) -> bytes:
    req = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return bytes(req.dump())


def request_token(digest: bytes, url: str, timeout: float = 15.0) -> bytes:
    """Asks the TSA at ``url`` to stamp ``digest``; returns the DER TimeStampResp after checking imprint and nonce."""
    nonce = secrets.randbits(63)
    req = urllib.request.Request(
        url, data=build_request(digest, nonce), headers={"Content-Type": CONTENT_TYPE_QUERY}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the operator configures the URL
            body = bytes(resp.read(1024 * 1024))
    except OSError as exc:
        raise TsaError(f"无法连接时间戳服务 {url}：{exc}") from None
    try:
        parsed = tsp.TimeStampResp.load(body)
        status = parsed["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            text = parsed["status"]["status_string"].native
            raise TsaError(f"时间戳服务拒绝了请求（{status}{'：' + '；'.join(text) if text else ''}）")
        info = _tst_info(parsed["time_stamp_token"])
    except (ValueError, KeyError, TypeError) as exc:
        raise TsaError(f"时间戳服务的答复无法解析（{exc}）") from None
    if info["message_imprint"]["hashed_message"].native != digest:
        raise TsaError("时间戳服务签的不是这个文件的哈希")
    if info["nonce"].native != nonce:
        raise TsaError("时间戳服务的答复与请求不对应（nonce 不符）")
    return body


def stamp(path: str | Path, url: str | None = None, timeout: float = 15.0) -> Path:
    """Stamps the file and writes ``<file>.tsr`` beside it; TsaError when no TSA is configured or it fails."""
    path = Path(path)
    url = url or tsa_url()
    if not url:
        raise TsaError(NO_TSA_NOTE)
    body = request_token(sha256_of(path), url, timeout)
    out = token_path(path)
    out.write_bytes(body)
    return out


def _tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    signed = token["content"]
    return signed["encap_content_info"]["content"].parsed


def _load_token(data: bytes) -> cms.ContentInfo:
    """A TimeStampResp or a bare TimeStampToken (ContentInfo)."""
    try:
        resp = tsp.TimeStampResp.load(data)
        status = resp["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            raise TsaError(f"时间戳答复的状态不是“已签发”（{status}）")
        token = resp["time_stamp_token"]
        if token.native is not None:
            return token
    except (ValueError, TypeError, KeyError):
        pass
    token = cms.ContentInfo.load(data)
    if token["content_type"].native != "signed_data":
        raise ValueError("not a SignedData")
    return token


def _verify_signature(
    cert: x509.Certificate, signature: bytes, data: bytes, sig_algo: str, hash_algo: str
) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    public = serialization.load_der_public_key(cert.public_key.dump())
    chosen: hashes.HashAlgorithm = {
        "sha256": hashes.SHA256(),
        "sha384": hashes.SHA384(),
        "sha512": hashes.SHA512(),
        "sha1": hashes.SHA1(),  # noqa: S303 - old TSAs; the imprint itself is always SHA-256 here
    }[hash_algo]
    if isinstance(public, rsa.RSAPublicKey):
        if sig_algo == "rsassa_pss":
            public.verify(signature, data, padding.PSS(padding.MGF1(chosen), padding.PSS.AUTO), chosen)
        else:
            public.verify(signature, data, padding.PKCS1v15(), chosen)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, data, ec.ECDSA(chosen))
    else:
        raise TsaError("不支持的签名算法")


def _trusted_issuers() -> list[x509.Certificate]:
    path = os.environ.get("WEIQUAN_TSA_CERTS")
    if not path or not Path(path).is_file():
        return []
    from asn1crypto import pem

    certs = []
    for _type, _headers, der in pem.unarmor(Path(path).read_bytes(), multiple=True):
        certs.append(x509.Certificate.load(der))
    return certs


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    algo = cert["signature_algorithm"]
    try:
        _verify_signature(
            issuer,
            cert["signature_value"].native,
            cert["tbs_certificate"].dump(),
            algo.signature_algo,
            algo.hash_algo,
        )
    except Exception:  # noqa: BLE001 - any failure means "not issued by it"
        return False
    return True


def verify_token(data_path: str | Path, tsr_path: str | Path | None = None) -> TokenCheck:
    """Checks the token beside ``data_path`` (or at ``tsr_path``) offline; never raises for a bad token."""
    data_path = Path(data_path)
    tsr = Path(tsr_path) if tsr_path else token_path(data_path)
    if not tsr.is_file():
        return TokenCheck(ok=False, problems=[f"{data_path.name} 没有时间戳文件 {tsr.name}"])
    data = data_path.read_bytes() if data_path.is_file() else None
    return verify_token_bytes(data, tsr.read_bytes(), data_path.name, tsr.name)


def verify_token_bytes(data: bytes | None, token_der: bytes, name: str, tsr_name: str) -> TokenCheck:
    """The same check on bytes (files inside a ZIP); ``data`` None: the stamped file is missing."""
    check = TokenCheck(ok=False)
    tsr_label = tsr_name
    try:
        token = _load_token(token_der)
        signed: cms.SignedData = token["content"]
        info = _tst_info(token)
    except TsaError as exc:
        check.problems.append(f"{tsr_label}：{exc}")
        return check
    except (ValueError, TypeError, KeyError) as exc:
        check.problems.append(f"{tsr_label} 不是有效的 RFC 3161 时间戳（{type(exc).__name__}）")
        return check
    check.gen_time = info["gen_time"].native
    check.serial = info["serial_number"].native
    imprint = info["message_imprint"]
    algo = imprint["hash_algorithm"]["algorithm"].native
    if algo not in ("sha256", "sha384", "sha512"):
        check.problems.append(f"{tsr_label} 使用的哈希算法 {algo} 不够安全")
        return check
    actual = hashlib.new(algo, data).digest() if data is not None else None
    if actual is None:
        check.problems.append(f"找不到时间戳对应的文件 {name}")
    elif imprint["hashed_message"].native != actual:
        check.problems.append(f"{name} 在加盖时间戳之后被改动过（哈希与时间戳中记录的不符）")

    signers = list(signed["signer_infos"])
    certs = [c.chosen for c in signed["certificates"] or [] if isinstance(c.chosen, x509.Certificate)]
    if len(signers) != 1:
        check.problems.append(f"{tsr_label} 的签名者数量不对")
        return check
    signer: cms.SignerInfo = signers[0]
    sid = signer["sid"]
    cert = None
    for c in certs:
        if sid.name == "issuer_and_serial_number":
            if c.issuer == sid.chosen["issuer"] and c.serial_number == sid.chosen["serial_number"].native:
                cert = c
        elif c.key_identifier == sid.chosen.native:
            cert = c
    if cert is None:
        check.problems.append(f"{tsr_label} 中没有签名者的证书，无法离线核对签名")
        return check
    check.tsa = cert.subject.human_friendly
    hash_algo = signer["digest_algorithm"]["algorithm"].native
    content = signed["encap_content_info"]["content"].contents
    attrs = signer["signed_attrs"]
    digest_attr = next((a for a in attrs if a["type"].native == "message_digest"), None)
    if digest_attr is None or digest_attr["values"][0].native != hashlib.new(hash_algo, content).digest():
        check.problems.append(f"{tsr_label} 的签名内容与时间戳信息不符（可能被篡改）")
        return check
    signed_bytes = b"\x31" + attrs.dump()[1:]  # the signature covers the attributes as a SET (RFC 5652 §5.4)
    try:
        _verify_signature(
            cert,
            signer["signature"].native,
            signed_bytes,
            signer["signature_algorithm"].signature_algo,
            hash_algo,
        )
    except Exception:  # noqa: BLE001 - InvalidSignature and friends
        check.problems.append(f"{tsr_label} 的签名无效：时间戳被改动过，或不是这个机构签发的")
        return check
    usage = cert.extended_key_usage_value
    if usage is None or "time_stamping" not in usage.native:
        check.problems.append(f"{tsr_label} 的签名证书不是时间戳专用证书")
    issuers = _trusted_issuers()
    if issuers:
        check.trusted = any(cert.dump() == i.dump() or _issued_by(cert, i) for i in issuers)
        if not check.trusted:
            check.problems.append(f"{tsr_label} 的签发机构（{check.tsa}）不在受信任的时间戳机构列表中")
    else:
        check.notes.append("未配置受信任的时间戳机构证书（WEIQUAN_TSA_CERTS），只核对了签名本身")
    check.ok = not check.problems
    return check


__all__ = [
    "NO_TSA_NOTE",
    "TokenCheck",
    "TsaError",
    "build_request",
    "request_token",
    "stamp",
    "token_path",
    "verify_token",
    "verify_token_bytes",
]
