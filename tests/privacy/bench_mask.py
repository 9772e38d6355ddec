"""Speed of mask_text / mask_result on typical call-centre utterances.

Run: ``.venv/bin/python -m tests.privacy.bench_mask`` (not collected by pytest).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from qa_engine.privacy import mask_result, mask_text

SAMPLE = Path(__file__).parent / "data" / "sample_result.json"  # a scored 17-utterance call

PLAIN = [
    "您好，这里是客服中心，请问有什么可以帮您？",
    "我上周买的洗衣机到现在还没发货，订单号2026110212345678，你们到底什么时候发？",
    "非常抱歉给您带来不便，我这边帮您查询一下，请您稍等。",
    "这已经是我第三次打电话了，两三天了都没人处理，我要投诉！",
    "好的，已经为您加急处理，预计明天下午三点前送达，退款金额1299元会原路返回。",
    "请问还有其他可以帮您的吗？感谢您的来电，祝您生活愉快，再见。",
]
WITH_PII = [
    "我的手机号是幺三八幺二三四五六七八，你们记一下。",
    "好的，跟您核对一下，手机号138 1234 5678，身份证号11010519491231002X，对吗？",
    "退款打到我卡上，卡号6222 0212 3456 7890 128。",
]


def bench(texts: list[str], seconds: float = 1.0) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for t in texts:
            mask_text(t)
        n += len(texts)
    return n / (time.perf_counter() - start)


def main() -> None:
    typical = PLAIN * 3 + WITH_PII  # roughly one utterance in seven carries a number
    for name, texts in (("no PII", PLAIN), ("with PII", WITH_PII), ("typical mix", typical)):
        avg = sum(map(len, texts)) / len(texts)
        print(f"mask_text {name:12s} ({avg:.0f} chars avg): {bench(texts):10,.0f} utterances/s")
    result = json.loads(SAMPLE.read_text(encoding="utf-8"))
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        mask_result(result)
        n += 1
    per_s = n / (time.perf_counter() - start)
    print(f"mask_result ({len(result['utterances'])} utterances, {len(result['hits'])} hits): {per_s:,.0f} results/s")


if __name__ == "__main__":
    main()
