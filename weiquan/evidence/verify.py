"""Checks an exported evidence bundle offline, on any machine with Python and this package: no Django, no server.

What is checked (each finding names the file or the log entry, in Chinese):

1. every file the manifest lists is in the ZIP, once, and its SHA-256 equals the manifest's; no file is extra;
2. every log entry's hash equals the SHA-256 of its canonical JSON (canonical.py), each entry's prev_hash is
   the hash of the entry before, the numbering has no gap, and the last hash equals the manifest's log head;
3. every uploaded file's hash in the manifest equals the hash its upload entry in the log recorded, so a file
   swapped together with its manifest line is still caught by the log.

The log head is the anchor: compared with a copy kept elsewhere (a notarised printout, a trusted timestamp, a
mail sent to the other side), it shows that nothing in the log was removed or rewritten since.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weiquan.cases.canonical import event_hash
from weiquan.domain.facts import JSONTooDeep, loads_bounded

MANIFEST = "manifest.json"
UPLOAD_EVENT = "evidence_uploaded"
# The deepest manifest we write: manifest → log → events → [i] → payload → the case file (4 levels). A log payload
# holds a whole case file, so allow some room; a manifest nested 100,000 deep is refused, not recursed into.
MANIFEST_MAX_DEPTH = 64


@dataclass
class VerifyReport:
    path: str
    case: str | None = None
    generated_at: str | None = None
    head: str | None = None
    files_checked: int = 0
    events_checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # trusted-time results, what the hashes alone prove

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = [f"证据包校验：{self.path}"]
        if self.case:
            lines.append(f"案件编号：{self.case}　生成时间：{self.generated_at or '未知'}")
        lines.append(f"已核对文件：{self.files_checked} 个；案件日志：{self.events_checked} 条")
        if self.head:
            lines.append(f"日志头（最后一条日志的哈希）：{self.head}")
        if self.ok:
            lines.append("结论：未发现改动。每个文件的 SHA-256 都与清单一致，日志的哈希链完整。")
        else:
            lines.append(f"结论：发现 {len(self.problems)} 处问题：")
            lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        lines += [f"时间戳：{n}" for n in self.notes]
        lines.append(
            "说明：把日志头与另行保存的记录（公证书、可信时间戳、发给对方的邮件等）核对；一致则说明导出后日志没有被删改。"
        )
        return "\n".join(lines) + "\n"


def verify_bundle(path: str | Path) -> VerifyReport:
    report = VerifyReport(path=str(path))
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.problems.append(f"无法打开证据包：不是有效的 ZIP 文件（{exc}）")
        return report
    with zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        if MANIFEST not in names:
            report.problems.append("压缩包中没有 manifest.json（证据清单数据），无法核对")
            return report
        try:
            manifest = loads_bounded(zf.read(MANIFEST).decode("utf-8"), MANIFEST_MAX_DEPTH)
        except JSONTooDeep:
            report.problems.append(
                f"manifest.json 嵌套层数超过 {MANIFEST_MAX_DEPTH} 层，不是本工具导出的清单，无法核对"
            )
            return report
        except (ValueError, zipfile.BadZipFile, OSError) as exc:
            report.problems.append(f"manifest.json 无法读取（{type(exc).__name__}: {exc}）")
            return report
        try:
            if not isinstance(manifest, dict):
                raise TypeError("最外层不是 JSON 对象")
            report.case, report.generated_at = manifest.get("case"), manifest.get("generated_at")
            _check_files(zf, names, manifest, report)
            _check_log(manifest, report)
            _check_uploads_logged(manifest, report)
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            RecursionError,
            zipfile.BadZipFile,
        ) as exc:
            report.problems.append(f"manifest.json 无法读取或格式不对（{type(exc).__name__}: {exc}）")
    return report


def _check_files(
    zf: zipfile.ZipFile, names: list[str], manifest: dict[str, Any], report: VerifyReport
) -> None:
    expected: dict[str, str] = {}
    for item in manifest["evidence"]:
        if item.get("path"):
            expected[item["path"]] = item["sha256"]
    for doc in manifest.get("documents", []):
        expected[doc["path"]] = doc["sha256"]
    counts = Counter(names)
    for name, n in counts.items():
        if n > 1:
            # zipfile reads the last copy; a second entry of the same name is a classic way to swap a file.
            report.problems.append(f"{name} 在压缩包中出现了 {n} 次")
    for name, sha in expected.items():
        if name not in counts:
            report.problems.append(f"清单中的 {name} 在压缩包中不存在")
            continue
        report.files_checked += 1
        actual = _hash_member(zf, name)
        if actual is None:
            report.problems.append(f"{name} 已损坏（ZIP 校验失败），内容与清单不符")
        elif actual != sha:
            report.problems.append(f"{name} 的 SHA-256 与清单不符")
    for name in counts:
        if name.endswith(".tsr") and name[:-4] in counts:
            _check_member_token(zf, name, report)  # an RFC 3161 token beside the file it stamps
        elif name != MANIFEST and name not in expected:
            report.problems.append(f"压缩包中有清单之外的文件：{name}")


def _check_member_token(zf: zipfile.ZipFile, name: str, report: VerifyReport) -> None:
    from weiquan.evidence.tsa import verify_token_bytes

    check = verify_token_bytes(zf.read(name[:-4]), zf.read(name), name[:-4], name)
    report.problems += check.problems
    if check.ok:
        report.notes.append(f"{name[:-4]}：{check.summary()}")


def _hash_member(zf: zipfile.ZipFile, name: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with zf.open(name) as fh:
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
    except zipfile.BadZipFile:
        return None  # CRC-32 mismatch: the bytes were changed inside the ZIP without rewriting it
    return digest.hexdigest()


def _check_log(manifest: dict[str, Any], report: VerifyReport) -> None:
    log = manifest["log"]
    events: list[dict[str, Any]] = log["events"]
    report.events_checked = len(events)
    report.head = log.get("head") or None
    previous: dict[str, Any] | None = None
    for event in events:
        seq = event["seq"]
        computed = event_hash(
            seq=seq,
            at=event["at"],
            kind=event["kind"],
            payload=event["payload"],
            prev_hash=event["prev_hash"],
        )
        if computed != event["hash"]:
            report.problems.append(f"日志第{seq}条被改动（哈希不符）")
        if previous is None:
            if seq != 1:
                report.problems.append(f"日志开头缺少第1至第{seq - 1}条")
            if event["prev_hash"]:
                report.problems.append(f"日志第{seq}条之前还有日志，但包中没有（第一条的前一条哈希应为空）")
        else:
            if seq != previous["seq"] + 1:
                missing = seq - previous["seq"] - 1
                gap = f"缺少 {missing} 条" if missing > 0 else "编号顺序不对"
                report.problems.append(f"日志第{previous['seq']}条与第{seq}条之间{gap}")
            if event["prev_hash"] != previous["hash"]:
                report.problems.append(f"日志第{seq}条的前一条哈希与第{previous['seq']}条不符")
        previous = event
    last = events[-1]["hash"] if events else ""
    if (log.get("head") or "") != last:
        where = f"第{events[-1]['seq']}条" if events else "空日志"
        report.problems.append(f"日志末条（{where}）的哈希与清单记录的日志头不符：日志末尾可能被删减")


def _check_uploads_logged(manifest: dict[str, Any], report: VerifyReport) -> None:
    uploads = {
        e["payload"].get("evidence"): e
        for e in manifest["log"]["events"]
        if e["kind"] == UPLOAD_EVENT and isinstance(e["payload"], dict)
    }
    for item in manifest["evidence"]:
        if not item.get("path"):
            continue
        entry = uploads.get(item["id"])
        if entry is None:
            report.problems.append(f"{item['path']} 在案件日志中没有上传记录")
        elif entry["payload"].get("sha256") != item["sha256"]:
            report.problems.append(f"{item['path']} 的 SHA-256 与日志第{entry['seq']}条记录的不符")
