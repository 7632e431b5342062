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
    result = classify(text, today=today)
    if args.json:
        _print_json(result.to_dict())
        return 0
    d = result.to_dict()
    print(f"类型：{d.get('label', d['type'])}（{d['type']}）")
    for c in d["candidates"]:
        print(f"  {c['type']:<18} {c['score']:.2f}  {'、'.join(c['signals'])}")
    print(f"售后推诿：{'是' if d['cs_runaround'] else '否'}")
    for key, value in d["extracted"].items():
        if value:
            print(f"  {key}: {value}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from weiquan.domain.documents import DOCUMENT_KINDS, build_document
    from weiquan.domain.escalation import plan
    from weiquan.domain.facts import load_case
    from weiquan.domain.render import write_documents

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
    paths = write_documents(docs, Path(args.out), formats)
    for p in paths:
        print(p)
    return 0


def cmd_workdays(args: argparse.Namespace) -> int:
    from weiquan.domain.workdays import default_calendar

    start = _date(args.date, "DATE")
    if not 1 <= args.n <= MAX_WORKDAYS_N:
        raise UsageError(f"N：应在 1 至 {MAX_WORKDAYS_N} 之间")
    cal = default_calendar()
    result = cal.add_days(start, args.n) if args.calendar_days else cal.add_workdays(start, args.n)
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


def cmd_serve(args: argparse.Namespace) -> int:
    _django()
    from django.conf import settings
    from django.core.management import call_command
    from waitress import serve

    from weiquan.wsgi import application

    call_command("migrate", interactive=False, verbosity=0)
    print(
        f"weiquan 已启动：http://{args.host}:{args.port}/  （数据目录：{settings.DATA_DIR}；按 Ctrl+C 停止）",
        flush=True,
    )
    serve(application, host=args.host, port=args.port, threads=args.threads, ident="weiquan")
    return 0


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

    report = verify_bundle(Path(args.bundle))
    sys.stdout.write(report.text())
    return 0 if report.ok else 1


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
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=cmd_workdays)

    p = sub.add_parser("serve", help="启动网页应用（默认 http://127.0.0.1:8000）")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("remind", help="发送到期的期限提醒（--loop 持续运行）")
    p.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒检查一次")
    p.add_argument("--interval", type=int, default=60)
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("verify", help="离线校验证据包（ZIP）：文件哈希与案件日志链")
    p.add_argument("bundle", help="证据包 ZIP 文件")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("moderation", help="审核公开投诉：approve 通过 / reject 驳回")
    p.add_argument("action", choices=["approve", "reject"])
    p.add_argument("case_id", help="案件或公开投诉的编号（UUID）")
    p.add_argument("--note", default="", help="审核说明")
    p.set_defaults(func=cmd_moderation)

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
