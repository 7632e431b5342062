"""The ``weiquan`` command: plan, classify, docs, workdays."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")
FORMATS = ("txt", "docx", "pdf")
MAX_WORKDAYS_N = 10_000  # about forty years of working days


class UsageError(Exception):
    """Bad input from the user: printed in Chinese, exit status 2."""


def _today(value: str | None) -> dt.date:
    if value is None:
        return dt.datetime.now(CHINA_TZ).date()
    return _date(value, "--today")


def _date(value: str, name: str) -> dt.date:
    from weiquan.domain.facts import check_today

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name}：不是有效的日期「{value}」，请写成 YYYY-MM-DD，例如 2026-11-25") from None
    problem = check_today(day)  # 9999-12-31 would overflow the deadline arithmetic
    if problem:
        raise UsageError(f"{name}：{problem}")
    return day


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def cmd_plan(args: argparse.Namespace) -> int:
    from weiquan.domain.escalation import plan
    from weiquan.domain.facts import load_case
    from weiquan.domain.plantext import render_plan_text

    result = plan(load_case(args.case), _today(args.today))
    if args.json:
        _print_json(result.to_dict())
    else:
        sys.stdout.write(render_plan_text(result))
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from weiquan.domain.classify import classify, classify_batch

    today = _today(args.today)
    if args.batch:
        source = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")  # noqa: SIM115
        with source:
            for line in classify_batch(source, today=today):
                sys.stdout.write(line + "\n")
        return 0
    if args.text is None:
        raise UsageError("请给出要分类的文字，或用 - 从标准输入读取，或用 --batch FILE.jsonl")
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise UsageError("文字为空：请描述发生了什么")
    try:
        result = classify(text, today=today, answers=args.answer or [])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        _print_json(result.to_dict())
        return 0
    d = result.to_dict()
    print(f"类型：{d.get('label', d['type'])}（{d['type']}）{'' if d['confident'] else '，还不确定'}")
    if d["answers"] and d["confident"]:
        print("  由你的回答确定：" + "，".join(f"{q}={a}" for q, a in d["answers"].items()))
    for c in d["candidates"]:
        print(f"  {c['type']:<18} {c['score']:.2f}  {'、'.join(c['signals'])}")
    for q in d["questions"]:
        options = "；".join(f"{a['id']} = {a['text']}" for a in q["answers"])
        print(f"请回答：{q['text']}（--answer {q['id']}=…：{options}）")
    print(f"售后推诿：{'是' if d['cs_runaround'] else '否'}")
    for key, value in d["extracted"].items():
        if value:
            print(f"  {key}: {value}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from weiquan.domain.documents import DOCUMENT_KINDS, build_document
    from weiquan.domain.escalation import plan
    from weiquan.domain.facts import load_case
    from weiquan.domain.render import RenderError, pdf_unavailable_reason, write_documents

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"--format：不支持「{','.join(bad) or args.format}」，可选 txt,docx,pdf")
    facts = load_case(args.case)
    today = _today(args.today)
    result = plan(facts, today)
    kinds = list(DOCUMENT_KINDS) if args.all else result.document_kinds
    docs = [
        build_document(
            k, facts, problem_type=result.problem_type, today=today, reply_by=result.cs_reply_by.date
        )
        for k in kinds
    ]
    failed: list[tuple[str, str]] = []
    written = 0
    no_pdf = pdf_unavailable_reason() if "pdf" in formats else None
    for doc in docs:
        for fmt in formats:
            if fmt == "pdf" and no_pdf:
                failed.append((f"{doc.filename}.pdf", f"这台电脑上暂时无法生成 PDF 文件（{no_pdf}）"))
                continue
            try:
                paths = write_documents([doc], Path(args.out), [fmt])
            except RenderError as exc:  # a plain Chinese reason; the other formats are still written
                failed.append((f"{doc.filename}.{fmt}", str(exc)))
                continue
            written += len(paths)
            for p in paths:
                print(p)
    reasons: dict[str, list[str]] = {}
    for name, reason in failed:
        reasons.setdefault(reason, []).append(f"「{name}」")
    for reason, names in reasons.items():
        print(f"未生成{'、'.join(names)}：{reason}", file=sys.stderr)
    if failed and written:
        print(
            f"有 {len(failed)} 个文件没能生成，其余 {written} 个文件已写出（见上方列出的路径）。",
            file=sys.stderr,
        )
    elif failed:
        print("没有写出任何文件；可以改用 --format txt,docx 生成文本和 Word 版本。", file=sys.stderr)
    return 2 if failed else 0


def cmd_workdays(args: argparse.Namespace) -> int:
    from weiquan.domain.workdays import default_calendar

    start = _date(args.date, "DATE")
    if not 1 <= args.n <= MAX_WORKDAYS_N:
        raise UsageError(f"N：应在 1 至 {MAX_WORKDAYS_N} 之间")
    cal = default_calendar()
    result = cal.add_days(start, args.n) if args.calendar_days else cal.add_workdays(start, args.n)
    if args.consumer:
        result = result.for_consumer()
    if args.json:
        _print_json(result.to_dict())
    else:
        print(result.date.isoformat())
        print(result.explain())
    return 0


def _django() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weiquan.settings")
    django.setup()


def _configured() -> str | None:
    """Sets Django up; the configuration problem in Chinese (no traceback) when the settings refuse to load."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        _django()
    except ImproperlyConfigured as exc:
        return f"配置有误：{exc}"
    return None


def serve_options(args: argparse.Namespace) -> dict[str, object]:
    """gunicorn's settings for `weiquan serve`: one process per core, each with a few threads (gthread)."""
    import os

    from django.conf import settings

    workers = args.workers or int(os.getenv("WEIQUAN_WORKERS") or 0) or os.cpu_count() or 1
    return {
        "bind": f"{args.host}:{args.port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": args.threads,
        # X-Forwarded-Proto (so request.is_secure()) believed only from our reverse proxies, as X-Forwarded-For is.
        "forwarded_allow_ips": settings.WEIQUAN_TRUSTED_PROXIES,
        # The app is imported once in the master and forked: workers start in milliseconds and share its memory.
        "preload_app": True,
        # A worker that stops answering its heartbeat this long is restarted (long uploads run in threads and do
        # not block it); on SIGTERM, requests in flight get this long to finish.
        "timeout": 120,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": os.getenv("WEIQUAN_ACCESS_LOG") or None,
        "errorlog": "-",
        "loglevel": os.getenv("WEIQUAN_LOG_LEVEL", "warning"),
        "proc_name": "weiquan",
    }


def cmd_serve(args: argparse.Namespace) -> int:
    if problem := _configured():
        print(problem, file=sys.stderr)
        return 2
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from weiquan.domain.render import pdf_unavailable_reason
    from weiquan.wsgi import application

    call_command("migrate", interactive=False, verbosity=0)
    if reason := pdf_unavailable_reason():
        print(
            f"警告：PDF 文书无法生成（{reason}），用户只能下载文本和 Word 版本。"
            "请在项目目录运行 uv sync 重新安装依赖。",
            file=sys.stderr,
            flush=True,
        )
    connections.close_all()  # never hand an open database connection to the forked workers
    options = serve_options(args)

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> object:
            return application

    print(
        f"weiquan 已启动：http://{args.host}:{args.port}/  （{options['workers']} 个进程 × {args.threads} 线程；"
        f"数据目录：{settings.DATA_DIR}；按 Ctrl+C 停止）",
        flush=True,
    )
    Server().run()
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    if problem := _configured():
        print(problem, file=sys.stderr)
        return 2
    from weiquan.ops.backup import BackupError, backup

    try:
        manifest = backup(Path(args.out))
    except BackupError as exc:
        print(f"备份失败：{exc}", file=sys.stderr)
        return 1
    size = sum(item["size"] for item in manifest["evidence"])
    print(
        f"已备份到 {args.out}：数据库（{manifest['database']['engine']}）和 {len(manifest['evidence'])} 个证据文件"
        f"（共 {size} 字节）。恢复：weiquan restore {args.out}"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    if problem := _configured():
        print(problem, file=sys.stderr)
        return 2
    from django.conf import settings

    from weiquan.ops.backup import BackupError, restore

    try:
        report = restore(Path(args.archive))
    except BackupError as exc:
        print(f"恢复失败：{exc}", file=sys.stderr)
        return 1
    sys.stdout.write(f"数据目录：{settings.DATA_DIR}\n" + report.text())
    return 0 if report.ok else 1


def cmd_manage(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["weiquan manage", *args.rest])
    return 0


def cmd_remind(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("remind", loop=args.loop, interval=args.interval)
    return 0


def cmd_moderation(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    call_command("moderation", args.action, args.case_id, note=args.note)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from weiquan.evidence.verify import verify_bundle
    from weiquan.evidence.verify_capture import verify_capture, verify_stamped

    path = Path(args.bundle)
    if path.is_dir() or not path.name.lower().endswith(".zip"):
        report = verify_capture(path) if path.is_dir() else verify_stamped(path)
        sys.stdout.write(report.text())
        return 0 if report.ok else 1
    report = verify_bundle(path)
    verify_stamped(path, report)
    sys.stdout.write(report.text())
    return 0 if report.ok else 1


def cmd_chat(args: argparse.Namespace) -> int:
    from weiquan.domain.chatlog import ChatLogError, merge_into_case, read_chat

    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError:
        raise UsageError(f"找不到或无法读取聊天记录文件：{args.file}") from None
    try:
        log = read_chat(data, platform=args.platform, me=args.me)
    except ChatLogError as exc:
        raise UsageError(f"{args.file}：{exc}") from None
    if args.case:
        from weiquan.domain.facts import load_case

        load_case(args.case)  # the case file must be valid before anything is merged into it
        case = json.loads(Path(args.case).read_text(encoding="utf-8"))
        _print_json(merge_into_case(case, log.findings))
        return 0
    if args.json:
        _print_json(log.to_dict())
        return 0
    from weiquan.domain.chatlog import render_text

    sys.stdout.write(render_text(log))
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    from weiquan.domain.ocr_fields import FIELD_LABELS
    from weiquan.evidence.reader import ReadError, read_file

    try:
        reading = read_file(args.file)
    except ReadError as exc:
        raise UsageError(f"{args.file}：{exc}") from None
    if args.json:
        _print_json(reading.to_dict())
        return 0
    from weiquan.domain.evidence import kind_label

    kind = kind_label(reading.kind) if reading.kind != "unknown" else "未能判断"
    print(f"看起来是：{kind}")
    if not reading.fields:
        print("没有读出金额、订单号、时间等信息；下面是识别出的全部文字。")
    methods = {"alipay": "支付宝", "wechat_pay": "微信支付", "bank_card": "银行卡", "other": "其他"}
    for name, f in reading.fields.items():
        value = f"{f.value:,.2f}元" if name == "amount" else methods.get(f.value, f.value)
        shown = f"{value}（{f.text}）" if name == "payment_method" and f.text else value
        print(f"  {FIELD_LABELS[name]}：{shown}（把握 {f.confidence:.0%}）")
    print("识别出的文字：")
    print(reading.text)
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    from weiquan.evidence.capture import CaptureError, CaptureUnavailable, capture
    from weiquan.evidence.tsa import NO_TSA_NOTE, TsaError, stamp, tsa_url

    try:
        result = capture(args.url, Path(args.out), timeout=args.timeout)
    except CaptureUnavailable as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 3
    except CaptureError as exc:
        raise UsageError(str(exc)) from None
    for f in result.files:
        print(f)
    if tsa_url():
        try:
            print(stamp(result.folder / "manifest.json"))
        except TsaError as exc:
            print(f"时间戳未加盖：{exc}", file=sys.stderr)
    else:
        print(NO_TSA_NOTE)
    return 0


def cmd_stamp(args: argparse.Namespace) -> int:
    from weiquan.evidence.tsa import TsaError, stamp

    url = args.tsa or None
    for name in args.files:
        path = Path(name)
        target = path / "manifest.json" if path.is_dir() else path
        if not target.is_file():
            raise UsageError(f"找不到文件：{target}")
        try:
            print(stamp(target, url))
        except TsaError as exc:
            raise UsageError(str(exc)) from None
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="weiquan", description="卡盟维权助手：分类、证据、逐级升级计划、期限与投诉文书"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="根据案件文件生成维权计划")
    p.add_argument("case", help="案件文件（JSON，格式见 docs/case-file.md）")
    p.add_argument("--today", help="按哪一天计算（YYYY-MM-DD，默认今天，北京时间）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("classify", help="判断一段投诉文字属于哪类问题")
    p.add_argument("text", nargs="?", help="投诉文字；- 表示从标准输入读取")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument(
        "--batch", metavar="FILE.jsonl", help='逐行读取 {"id","text"}，逐行输出 JSON（- 为标准输入）'
    )
    p.add_argument("--today", help='解析"昨天"等相对日期所用的日期（YYYY-MM-DD）')
    p.add_argument(
        "--answer",
        action="append",
        metavar="QID=AID",
        help="回答分类时提出的问题（可重复），例如 --answer received=no --answer reachable=no",
    )
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("docs", help="生成投诉文书（txt/docx/pdf）")
    p.add_argument("case", help="案件文件（JSON）")
    p.add_argument("--out", required=True, help="输出目录")
    p.add_argument("--format", default="txt,docx,pdf", help="格式，逗号分隔：txt,docx,pdf")
    p.add_argument("--today", help="按哪一天计算（YYYY-MM-DD）")
    p.add_argument("--all", action="store_true", help="生成全部文书，而不只是计划中用得到的")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("workdays", help="工作日计算")
    wsub = p.add_subparsers(dest="workdays_command", required=True)
    w = wsub.add_parser("add", help="DATE 之后第 N 个工作日（含法定节假日和调休）")
    w.add_argument("date", help="起算日 YYYY-MM-DD（当天不计入）")
    w.add_argument("n", type=int, help="工作日数")
    w.add_argument("--calendar-days", action="store_true", help="按自然日计算，末日遇休息日顺延")
    w.add_argument(
        "--consumer", action="store_true", help="你自己必须遵守的期限：调休安排未发布时按最早可能的日期"
    )
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=cmd_workdays)

    p = sub.add_parser("serve", help="启动网页应用（默认 http://127.0.0.1:8000）")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers", type=int, default=0, help="进程数（默认每个 CPU 核一个，或环境变量 WEIQUAN_WORKERS）"
    )
    p.add_argument("--threads", type=int, default=4, help="每个进程的线程数（默认 4）")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("remind", help="发送到期的期限提醒（--loop 持续运行）")
    p.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒检查一次")
    p.add_argument("--interval", type=int, default=60)
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("verify", help="离线校验证据包（ZIP）、网页取证目录或带 .tsr 时间戳的文件")
    p.add_argument("bundle", help="证据包 ZIP 文件、网页取证目录，或带 .tsr 的文件")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("capture", help="网页取证：无头浏览器打开网页，保存 WARC、整页截图、文字和清单")
    p.add_argument("url", help="网址（http:// 或 https://）")
    p.add_argument("--out", required=True, help="输出目录（新的或空的）")
    p.add_argument("--timeout", type=float, default=30.0, help="最长等待秒数（默认 30）")
    p.set_defaults(func=cmd_capture)

    p = sub.add_parser("stamp", help="加盖可信时间戳（RFC 3161，WEIQUAN_TSA_URL）：在文件旁写 .tsr")
    p.add_argument(
        "files", nargs="+", help="文件、证据包 ZIP 或网页取证目录（目录则为其 manifest.json 加盖）"
    )
    p.add_argument("--tsa", help="时间戳服务网址（默认 WEIQUAN_TSA_URL）")
    p.set_defaults(func=cmd_stamp)

    p = sub.add_parser("read", help="离线识别截图或照片：金额、付款时间、订单号、收款方、商品、错误提示")
    p.add_argument("file", help="图片文件（PNG/JPEG/WebP）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=cmd_read)

    p = sub.add_parser("chat", help="导入客服聊天记录（QQ/微信导出或复制粘贴），找出承诺、拒绝和推诿")
    p.add_argument("file", help="聊天记录文件（txt/CSV/HTML；UTF-8、UTF-16 或 GBK）；- 为标准输入")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument(
        "--case", metavar="CASE.json", help="把找到的承诺、拒绝和推诿作为联系记录并入该案件文件并输出"
    )
    p.add_argument("--platform", help="平台一方（客服）在记录中的名字；不写则自动判断")
    p.add_argument("--me", help="你自己在记录中的名字；不写则自动判断")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("moderation", help="审核公开投诉：approve 通过 / reject 驳回")
    p.add_argument("action", choices=["approve", "reject"])
    p.add_argument("case_id", help="案件或公开投诉的编号（UUID）")
    p.add_argument("--note", default="", help="审核说明")
    p.set_defaults(func=cmd_moderation)

    p = sub.add_parser("backup", help="备份数据库和全部证据文件到一个文件（服务器运行时也可以）")
    p.add_argument("out", help="备份文件（.tar），不会覆盖已有文件")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="把备份恢复到空的数据目录，并核对每个证据文件和每个案件日志")
    p.add_argument("archive", help="weiquan backup 生成的备份文件")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("manage", help="Django 管理命令（如 createsuperuser）")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from weiquan.domain.facts import CaseFileError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CaseFileError as exc:
        print(f"案件文件有误：\n{exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except IsADirectoryError as exc:
        print(f"错误：「{exc.filename}」是一个文件夹，请给出文件", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"错误：没有权限读写「{exc.filename}」", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"「{exc.filename}」" if exc.filename else ""
        print(f"错误：无法读写文件{where}（{exc.strerror or exc}）", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print("错误：输入不是 UTF-8 编码的文本", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
