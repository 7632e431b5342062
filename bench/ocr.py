"""OCR seconds per phone screenshot (1080×2400) after warm-up, with the machine's cores.

Target (issue 10): < 2 s a screenshot on 2 cores. Renders the four test screenshots (tests/screenshots.py: a 支付宝
bill, a 微信支付 bill, an order page, an error screen), reads each once to warm up, then ROUNDS more times; prints
the mean and the ratio to the target (≤ 1.0 passes), and whether every field was read as drawn.

    uv run python bench/ocr.py [ROUNDS]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from screenshots import alipay_bill, error_screen, order_page, wechat_bill  # noqa: E402

from weiquan.evidence.reader import engine, read_file  # noqa: E402

TARGET_S = 2.0
EXPECTED = {
    "alipay": {
        "amount": 1299.0,
        "merchant_order_no": "KM20261120001",
        "merchant_name": "深圳市某某网络科技有限公司",
    },
    "wechat": {
        "amount": 100.0,
        "merchant_order_no": "KM20261120002",
        "merchant_name": "广州某某贸易有限公司",
    },
    "order": {"amount": 1299.0, "order_no": "KM20261120001"},
    "error": {"error_text": "该卡密已被使用"},
}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shots = {
            "alipay": alipay_bill(folder / "a.png"),
            "wechat": wechat_bill(folder / "w.png"),
            "order": order_page(folder / "o.png"),
            "error": error_screen(folder / "e.png"),
        }
        start = time.perf_counter()
        engine()
        first = {name: read_file(path) for name, path in shots.items()}
        print(f"engine + first reads: {time.perf_counter() - start:.1f} s")
        correct = all(first[n].values().get(k) == v for n, exp in EXPECTED.items() for k, v in exp.items())
        times = []
        for _ in range(rounds):
            for path in shots.values():
                t = time.perf_counter()
                read_file(path)
                times.append(time.perf_counter() - t)
    mean = sum(times) / len(times)
    print(
        f"cores: {os.cpu_count()}  screenshots read: {len(times)}  fields as drawn: {'yes' if correct else 'NO'}"
    )
    print(
        f"OCR per screenshot (warm): {mean:.2f} s   ratio to {TARGET_S:.0f} s target: {mean / TARGET_S:.2f}"
    )


if __name__ == "__main__":
    main()
