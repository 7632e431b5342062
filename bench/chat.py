"""Chat import of 100,000 lines (a QQ 消息管理器 export in GBK), on one core.

Target (issue 10): < 5 s for 100,000 lines. Prints the seconds (decode + parse + findings) and the ratio to the
target (≤ 1.0 passes).

    uv run python bench/chat.py [LINES]
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

from weiquan.domain.chatlog import read_chat

TARGET_S = 5.0
CONSUMER = [
    "你好，订单号：KM{n}，卡密显示已被使用，怎么回事？",
    "还没到账，什么时候处理？",
    "我要退款",
    "好的",
]
PLATFORM = [
    "亲，已记录，我们24小时内处理",
    "请耐心等待",
    "3个工作日内给您答复",
    "卡密发出后概不退换",
    "您好，在的",
]


def export(lines: int, seed: int = 20261204) -> bytes:
    rng = random.Random(seed)
    out = [
        "消息记录（此消息记录为文本格式，不支持重新导入）",
        "",
        "=" * 64,
        "消息对象:某某卡盟客服",
        "=" * 64,
        "",
    ]
    t = dt.datetime(2026, 1, 1, 9, 0, 0)
    while len(out) < lines:
        t += dt.timedelta(minutes=rng.randrange(1, 90))
        mine = rng.random() < 0.5
        sender = "小明" if mine else "某某卡盟客服(800012345)"
        text = rng.choice(CONSUMER if mine else PLATFORM).format(n=rng.randrange(10**8))
        out += [f"{t:%Y-%m-%d %H:%M:%S} {sender}", text, ""]
    return "\n".join(out[:lines]).encode("gbk")


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = export(lines)
    start = time.perf_counter()
    log = read_chat(data)
    took = time.perf_counter() - start
    print(
        f"{lines} lines ({len(data) / 1e6:.1f} MB, {log.encoding}): {len(log.messages)} messages, {len(log.findings)} findings"
    )
    print(f"chat import: {took:.2f} s   ratio to {TARGET_S:.0f} s target: {took / TARGET_S:.2f}")


if __name__ == "__main__":
    main()
