"""Offline check of a web-capture folder (capture.py) and of RFC 3161 tokens beside files.

For a capture folder: manifest.json is readable; every file it lists exists with the same size and SHA-256; no
file was added; the WARC reads to its end and holds the response for the captured URL; a ``manifest.json.tsr``
(trusted time) is checked against the manifest as it is now. Each finding names the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from weiquan.evidence.capture import MANIFEST_NAME, SHA256_NOTE, WARC_NAME, sha256_file
from weiquan.evidence.tsa import TOKEN_SUFFIX, verify_token
from weiquan.evidence.verify import VerifyReport


class CaptureReport(VerifyReport):
    url: str = ""

    def text(self) -> str:
        lines = [f"网页取证校验：{self.path}", f"网址：{self.url}　取证时间：{self.generated_at or '未知'}"]
        lines.append(f"已核对文件：{self.files_checked} 个")
        if self.ok:
            lines.append("结论：未发现改动。每个文件的大小和 SHA-256 都与清单一致，WARC 文件完整。")
        else:
            lines.append(f"结论：发现 {len(self.problems)} 处问题：")
            lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        lines += [f"说明：{n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _check_warc(path: Path, url: str, report: VerifyReport) -> None:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    found = False
    try:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == url:
                    found = True
                record.content_stream().read()
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        report.problems.append(f"{path.name} 无法完整读取（{type(exc).__name__}），WARC 文件已损坏")
        return
    if not found:
        report.problems.append(f"{path.name} 中没有 {url} 的响应记录")


def verify_capture(folder: str | Path) -> VerifyReport:
    folder = Path(folder)
    report = CaptureReport(path=str(folder))
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        report.problems.append(f"目录中没有 {MANIFEST_NAME}（取证清单），无法核对")
        return report
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = {f["path"]: f for f in manifest["files"]}
        url = manifest["url"]
    except (ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"{MANIFEST_NAME} 无法读取或格式不对（{type(exc).__name__}）")
        return report
    report.url = url
    report.generated_at = manifest.get("captured_at_beijing") or manifest.get("captured_at")
    for name, item in files.items():
        path = folder / name
        if "/" in name or not path.is_file():
            report.problems.append(f"清单中的 {name} 不存在")
            continue
        report.files_checked += 1
        if path.stat().st_size != item.get("size") or sha256_file(path) != item.get("sha256"):
            report.problems.append(f"{name} 已被改动（SHA-256 与清单不符）")
        elif name == WARC_NAME:
            _check_warc(path, url, report)
    allowed = {MANIFEST_NAME, *files} | {n + TOKEN_SUFFIX for n in (MANIFEST_NAME, *files)}
    for path in sorted(folder.iterdir()):
        if path.name not in allowed:
            report.problems.append(f"目录中有清单之外的文件：{path.name}")
    report.notes = check_tokens(folder, [MANIFEST_NAME, *files], report)
    return report


def check_tokens(folder: Path, names: list[str], report: VerifyReport) -> list[str]:
    """Checks every ``<name>.tsr`` present; returns notes for the report (what the hashes alone prove)."""
    notes: list[str] = []
    stamped = False
    for name in names:
        if not (folder / (name + TOKEN_SUFFIX)).is_file():
            continue
        stamped = True
        check = verify_token(folder / name)
        if check.ok:
            notes.append(f"{name}：{check.summary()}")
            notes += check.notes
        else:
            report.problems += check.problems
    if not stamped:
        notes.append(SHA256_NOTE)
    return notes


class StampReport(VerifyReport):
    def text(self) -> str:
        lines = [f"时间戳校验：{self.path}"]
        if self.ok:
            lines.append("结论：未发现改动。")
        else:
            lines.append(f"结论：发现 {len(self.problems)} 处问题：")
            lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        lines += [f"说明：{n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def verify_stamped(path: Path, report: VerifyReport | None = None) -> VerifyReport:
    """Checks ``<path>.tsr`` against the file (a bundle ZIP or any evidence file); adds to ``report`` if given."""
    if report is None:
        report = StampReport(path=str(path))
        if not path.is_file():
            report.problems.append(f"找不到文件：{path}")
            return report
        report.files_checked = 1
        if not (path.parent / (path.name + TOKEN_SUFFIX)).is_file():
            report.problems.append(f"{path.name} 旁边没有时间戳文件 {path.name}{TOKEN_SUFFIX}，无法核对")
            report.notes.append(SHA256_NOTE)
            return report
    if (path.parent / (path.name + TOKEN_SUFFIX)).is_file():
        report.notes += check_tokens(path.parent, [path.name], report)
    return report
