"""Generate the demo sample conversations (synthetic, deterministic).

    python datasets/samples/make_samples.py        # rewrites chats.jsonl, calls.jsonl, export_gbk.csv

Sixty customer-service contacts for November 2026, six agents in two teams:

* t1 售后一组 (after-sales): a1 (skilled), a2 (good), a3 (slow to reply, average);
* t2 售前组 (pre-sales):     a4 (skilled), a5 (rushed: blunt phrases, talks fast, interrupts),
  a6 (weak: skips greetings, leaks numbers, one illegal promise).

Every utterance is picked with a seeded ``random.Random`` from the hand-written templates below,
so the output is identical on every run and every machine (no clock, no hash order). Each
agent's habits are probabilities in ``AGENTS``; the scenario plan (who handles which topic on
which day, who calls back within a week) is fixed in ``plan()``.

Outputs, all read by ``qa_engine.ingest.read_path``:

* ``chats.jsonl``   - online chats, one JSON object per line, ISO timestamps per message;
* ``calls.jsonl``   - transcribed calls, start/end seconds per utterance (silence, overtalk and
  speech-rate rules apply);
* ``export_gbk.csv`` - a chat-system export in GBK with Chinese headers (会话ID, 发送方, 内容,
  时间, 坐席工号, 班组, 客户ID) and ``meta_*`` columns for the KPI fields.

KPI metadata on every contact: talk_seconds, hold_seconds, acw_seconds, wait_seconds, resolved,
csat (1-5, missing when the customer skipped the survey), role (after_sales / pre_sales),
team_name, topic, and complaint/escalated when they happened.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261101
HERE = Path(__file__).resolve().parent
CST = timezone(timedelta(hours=8))
SPOKEN = re.compile(r"[\s\W_]+", re.UNICODE)

TEAMS = {"t1": ("售后一组", "after_sales"), "t2": ("售前组", "pre_sales")}

# Habits as probabilities per contact (0 = never). slow: a reply waits 35-200 s (chat) or the
# line goes quiet 6-9 s after the customer (call); fast/overtalk only matter on calls.
AGENTS = {
    "a1": dict(team="t1", greet_miss=0.0, close_miss=0.0, further_miss=0.0, forbidden=0.0, rhetorical=0.0,
               slow=0.05, unanswered=0.0, soothe=1.0, read_back=0.6, privacy=0.0, fast=0.0, overtalk=0.0),
    "a2": dict(team="t1", greet_miss=0.0, close_miss=0.1, further_miss=0.15, forbidden=0.12, rhetorical=0.0,
               slow=0.1, unanswered=0.05, soothe=0.85, read_back=0.3, privacy=0.0, fast=0.1, overtalk=0.1),
    "a3": dict(team="t1", greet_miss=0.05, close_miss=0.15, further_miss=0.3, forbidden=0.2, rhetorical=0.05,
               slow=0.45, unanswered=0.2, soothe=0.6, read_back=0.1, privacy=0.05, fast=0.0, overtalk=0.1),
    "a4": dict(team="t2", greet_miss=0.0, close_miss=0.0, further_miss=0.05, forbidden=0.0, rhetorical=0.0,
               slow=0.05, unanswered=0.0, soothe=0.95, read_back=0.5, privacy=0.0, fast=0.05, overtalk=0.0),
    "a5": dict(team="t2", greet_miss=0.1, close_miss=0.2, further_miss=0.4, forbidden=0.55, rhetorical=0.3,
               slow=0.15, unanswered=0.1, soothe=0.5, read_back=0.0, privacy=0.0, fast=0.7, overtalk=0.6),
    "a6": dict(team="t2", greet_miss=0.4, close_miss=0.35, further_miss=0.5, forbidden=0.45, rhetorical=0.2,
               slow=0.3, unanswered=0.15, soothe=0.3, read_back=0.0, privacy=0.3, fast=0.2, overtalk=0.2),
}

# ----------------------------------------------------------------------------- phrase bank

GREETINGS = [  # chat: the customer has already said what they want
    "您好，很高兴为您服务。",
    "您好，工号{wid}为您服务。",
    "您好，欢迎咨询，我是客服小{surname}，很高兴为您服务。",
    "您好，{wid}号客服为您服务。",
]
CALL_GREETINGS = [
    "您好，欢迎致电客服中心，工号{wid}为您服务，请问有什么可以帮您？",
    "您好，工号{wid}很高兴为您服务，请问有什么可以帮您？",
    "您好，这里是客户服务热线，工号{wid}，请问您需要办理什么业务？",
]
BLUNT_OPENERS = ["喂，说吧，什么事？", "嗯，什么问题？", "喂，讲。"]  # call, no greeting
BLUNT_CHAT = ["在。", "嗯，", "哦，", ""]  # chat, no greeting
HOLDS = ["好的，请稍等，我帮您查询一下。", "请您稍候，正在为您查询。", "收到，请稍等，我帮您查一下。"]
CUSTOMER_OK = ["好的", "好", "嗯，你查吧", "行"]
FURTHER = ["请问还有其他可以帮您的吗？", "请问还有什么问题需要咨询吗？", "您看还有其他需要帮助的地方吗？",
           "请问还有别的需要吗？"]
CUSTOMER_NO_MORE = ["没有了，谢谢", "没了，谢谢你", "暂时没有了", "没有了", "就这些，谢谢"]
CLOSINGS = ["感谢您的咨询，祝您生活愉快，再见！", "感谢您的耐心，稍后请您对本次服务进行评价，再见。",
            "好的，祝您生活愉快，再见！", "感谢您的支持，再见。"]
CALL_CLOSINGS = ["感谢您的来电，祝您生活愉快，再见。", "感谢来电，稍后请您对我的服务做出评价，再见。",
                 "好的，感谢您的耐心，再见。"]
FLAT_ENDINGS = ["嗯，就这样。", "好的。", "行，那先这样。"]
SOOTHING = ["非常抱歉给您带来不便，", "实在不好意思让您久等了，", "非常理解您的心情，请您别着急，",
            "抱歉给您添麻烦了，"]
FORBIDDEN_LINES = ["这个我不知道，得问其他部门。", "我也没办法，系统就是这么规定的。", "这个不归我管。",
                   "不清楚，你自己去查一下吧。", "我说过了，等通知就行。", "急什么，都在排队。"]
RHETORICAL_LINES = ["你没听懂吗？我刚才说了要先登录。", "跟你说了多少遍了，要等审核。",
                    "我不是已经告诉过你了吗，按页面提示操作。"]
COMPLAINTS = ["再这样我就要投诉你们了！", "不行我就打12315。", "我要找你们领导反映这个问题。"]
UNHAPPY = {  # dissatisfaction cues (the agent should apologise or soothe next)
    "after_sales": ["你们这效率也太慢了吧。", "都好几天了，你们到底怎么回事？", "这都第二次出问题了，太过分了。",
                    "这服务让我很失望。"],
    "pre_sales": ["排了好久的队才轮到我，太慢了。", "刚才在线问了半天没人回，等了十分钟。"],
}
SURNAMES = "王李张刘陈杨赵黄周吴"

# Topic templates. {order} {phone} {masked} {tail} {amount} {date} {account} are filled per contact.
TOPICS = {
    # ----------------------------------------------------------------- after-sales
    "bill": dict(
        role="after_sales",
        open=["你好，我这个月话费怎么比平时多了{amount}块？", "帮我查一下话费，这个月扣得有点多",
              "为什么我的话费账单多了一笔增值业务费？"],
        ask=["请您提供一下需要查询的手机号码。", "麻烦您提供一下手机号码，我帮您核对账单。"],
        info=["{phone}", "号码是{phone}", "就是这个号，{phone}"],
        read_back=["跟您确认一下手机号尾号{tail}，对吗？", "和您核对一下，手机号尾号是{tail}吧？"],
        answer=["查到了，您尾号{tail}的号码本月多出的{amount}元是视频彩铃包月费，是{date}订购的。",
                "您的号码{masked}本月有一笔{amount}元的流量超出费用，是月底几天产生的。"],
        follow=[("那能帮我退订吗？", "可以的，已经帮您退订了，下个月起不再收取，本月费用按天折算。"),
                ("我没订过啊，能退钱吗？", "我这边帮您提交退费申请，审核通过后会退回到话费账户，请您留意短信。")],
        resolved=0.85),
    "broadband_fault": dict(
        role="after_sales",
        open=["家里宽带断了，一直连不上", "宽带网速特别慢，看视频一直卡", "光猫亮红灯了怎么办"],
        ask=["请您提供一下宽带账号或者装机地址。", "麻烦提供一下宽带账号，我帮您查一下线路。"],
        info=["宽带账号{account}", "账号是{account}", "{account}，地址是幸福小区三栋"],
        read_back=["跟您确认一下装机地址是幸福小区三栋，对吗？"],
        answer=["查到您这条线路有光衰告警，需要安排师傅上门检测。", "您所在小区今天有线路割接，预计晚上八点前恢复。",
                "系统检测您的光猫离线了，请您先把光猫断电重启一下。"],
        follow=[("师傅什么时候能来？", "已经为您提交报修工单，师傅会在24小时内电话联系您预约时间。"),
                ("重启了还是不行", "好的，我这边给您登记报修，维修师傅会尽快联系您。")],
        resolved=0.6),
    "refund": dict(
        role="after_sales",
        open=["我买的东西收到是坏的，想退货", "申请退款三天了还没到账", "退货寄回去了，退款什么时候到？"],
        ask=["请您提供一下订单号。", "麻烦您发一下订单号，我帮您查看。"],
        info=["订单号{order}", "{order}", "订单是{order}"],
        read_back=["好的，跟您确认一下订单号是{order}，对吗？", "和您核对一下订单号{order}，退款金额{amount}元。"],
        answer=["查到了，仓库已经签收您的退货，退款{amount}元已经原路退回，一般1到3个工作日到账。",
                "您的退货申请已经审核通过，快递员明天上门取件，不需要您支付运费。",
                "退款已经提交到支付渠道了，请您留意银行的到账通知。"],
        follow=[("能快点吗？我急用", "我这边帮您加急备注，具体到账时间以银行处理为准。"),
                ("运费谁出？", "商品质量问题的退货运费由商家承担，您不用另外支付。")],
        resolved=0.85),
    "logistics": dict(
        role="after_sales",
        open=["我的快递好几天没更新了", "快递显示已签收，可我没收到", "包裹什么时候能到？"],
        ask=["请您提供一下快递单号。", "麻烦发一下运单号，我帮您查询物流。"],
        info=["单号{order}", "运单号是{order}", "{order}"],
        read_back=["跟您核对一下运单号是{order}，对吗？"],
        answer=["查到了，包裹在转运中心，预计明天下午派送。", "包裹放在了小区驿站，取件码已经重新发到您手机上了。",
                "您的包裹因为天气原因延误，目前已经恢复运输。"],
        follow=[("能送货上门吗？", "可以的，我已经给派送员备注送货上门，派送前会先给您打电话。"),
                ("明天家里没人怎么办", "您可以在小程序里改约派送时间，或者让派送员放到驿站。")],
        resolved=0.8),
    "card_bill": dict(
        role="after_sales",
        open=["我的信用卡账单能分期吗？", "信用卡这个月的账单金额好像不对", "信用卡还款日能不能延后几天？"],
        ask=["请您提供一下卡片尾号和持卡人姓名，我先核实一下身份。"],
        info=["尾号{tail}，我姓{surname}", "卡号尾号是{tail}", "持卡人{surname}先生，尾号{tail}"],
        read_back=["好的，跟您确认一下卡号尾号{tail}，本期账单金额{amount}元。"],
        answer=["核实通过。您本期账单{amount}元可以申请分期，可以选3期、6期或12期，手续费按期收取。",
                "核实通过。您本期账单包含一笔{date}的境外消费，金额{amount}元，账单金额是正确的。"],
        follow=[("分6期每期多少？", "分6期的话每期本金加手续费大约是{amount}的六分之一再加百分之零点六五的手续费，具体以短信为准。"),
                ("那最低还款可以吗？", "可以的，最低还款额是账单金额的百分之十，但未还部分会计息。")],
        resolved=0.9),
    # ----------------------------------------------------------------- pre-sales
    "plan": dict(
        role="pre_sales",
        open=["你好，我想换个流量多一点的套餐", "有没有便宜点的套餐推荐？", "你们现在有什么新套餐？"],
        ask=["请问您现在每个月大概用多少流量和通话？", "方便说一下您平时的用量吗？我帮您推荐合适的套餐。"],
        info=["流量每个月四十个G左右，电话打得少", "一般就二十个G，通话两百分钟", "流量用得多，经常开热点"],
        read_back=[],
        answer=["推荐您88元的套餐，包含60G通用流量和300分钟通话，比您现在多20G。",
                "您可以考虑59元的套餐，30G流量加200分钟通话，正好符合您的用量。"],
        follow=[("现在换下个月生效吗？", "是的，套餐变更次月1日生效，本月还是原套餐。"),
                ("有合约期吗？", "这个套餐没有合约期，随时可以更改。")],
        resolved=0.95),
    "product": dict(
        role="pre_sales",
        open=["这件外套一米七穿什么码？", "这款扫地机器人和上一代有什么区别？", "这个空气炸锅有现货吗？"],
        ask=["请问您平时穿什么尺码呢？", "方便说一下您主要想解决什么需求吗？", "请问您需要哪个颜色呢？"],
        info=["平时穿L码，体重一百三十斤", "家里有猫，掉毛比较多", "要白色的"],
        read_back=[],
        answer=["根据您的身高体重，建议选L码，这款版型偏宽松。", "新款吸力提升了一倍，还增加了自动集尘，更适合有宠物的家庭。",
                "白色目前有现货，今天下午五点前下单当天就能发货。"],
        follow=[("现在有优惠吗？", "目前店铺有满299减30的活动，您可以在结算页直接使用。"),
                ("不合适能退吗？", "支持七天无理由退换，商品不影响二次销售就可以。")],
        resolved=0.9),
    "card_apply": dict(
        role="pre_sales",
        open=["我想办一张信用卡，需要什么条件？", "你们的白金卡年费多少？", "信用卡申请要多久能批下来？"],
        ask=["请问您是想了解哪一种卡呢？", "方便说一下您的职业和用卡需求吗？"],
        info=["上班族，主要日常消费", "经常出差，想要有机场贵宾厅的", "就想要免年费的"],
        read_back=[],
        answer=["您可以申请我们的标准金卡，首年免年费，刷卡满六次免次年年费。",
                "推荐您白金卡，每年有六次机场贵宾厅权益，年费可以用积分抵扣。"],
        follow=[("审批要多久？", "一般提交资料后7到15个工作日出审批结果，具体以审核为准。"),
                ("额度大概多少？", "额度要根据您的资质综合评估，审批结果会短信通知您。")],
        resolved=0.9),
    "broadband_new": dict(
        role="pre_sales",
        open=["我想装宽带，你们有什么套餐？", "新房子能装千兆宽带吗？", "宽带装机要多少钱？"],
        ask=["请问您的装机地址是哪个小区？", "方便提供一下装机地址吗？我帮您查一下能否覆盖。"],
        info=["阳光花园二期", "是滨江新城的新小区", "在人民路附近的老小区"],
        read_back=["跟您确认一下装机地址是{community}，对吗？"],
        answer=["查询到您的小区已经覆盖千兆光纤，千兆宽带每月129元，首月免费。",
                "您的小区可以安装500兆宽带，每月99元，装机费和光猫都是免费的。"],
        follow=[("多久能装好？", "下单后一般两到三个工作日内安排师傅上门安装。"),
                ("可以和手机套餐一起办吗？", "可以的，融合套餐每月能再优惠20元，我把办理链接发给您。")],
        resolved=0.9),
}
FOLLOW_UP_OPEN = {  # the same customer, days later, about the same thing
    "after_sales": ["你好，我前几天反映的问题还没处理好", "上次说的问题还没解决，我再问一下",
                    "我又来了，上次那个事一直没人联系我"],
    "pre_sales": ["你好，我前几天问过，还想再确认一下", "上次咨询的事我还有点没弄明白"],
}
AGENT_PROMISE = "您放心，我保证三天内一定给您退款到账。"
AGENT_PRIVACY = "您登记的手机号是{phone}，对吧？"


# ----------------------------------------------------------------------------- generation


@dataclass
class Contact:
    cid: str
    channel: str  # chat | call
    agent: str
    customer: str
    topic: str
    start: datetime
    follow_up: bool = False  # the same customer about the same issue, days after a first contact
    lines: list[tuple[str, str]] = field(default_factory=list)  # (agent|customer, text)
    events: set[str] = field(default_factory=set)


def _digits(rng: random.Random, n: int) -> str:
    while True:
        s = "".join(rng.choice("0123456789") for _ in range(n))
        # keep numbers clear of the complaint cues 315 / 12345 / 12315 so the demo's flags are real
        if "315" not in s and "12345" not in s:
            return s


def _slots(rng: random.Random, agent: str) -> dict[str, str]:
    phone = rng.choice(["138", "139", "186", "135", "177", "152"]) + _digits(rng, 8)
    return {
        "phone": phone, "masked": f"{phone[:3]}****{phone[-4:]}", "tail": phone[-4:],
        "order": "2026" + _digits(rng, 8), "amount": str(rng.choice([18, 29, 36, 58, 99, 128, 199, 268, 1299])),
        "date": f"11月{rng.randint(1, 20)}日", "account": "gz" + _digits(rng, 8),
        "surname": rng.choice(SURNAMES), "wid": {"a1": "1021", "a2": "1034", "a3": "1047",
                                                  "a4": "2052", "a5": "2068", "a6": "2073"}[agent],
        "community": "阳光花园二期",
    }


def build_lines(rng: random.Random, c: Contact) -> None:
    habits = AGENTS[c.agent]
    topic = TOPICS[c.topic]
    s = _slots(rng, c.agent)

    def p(name: str) -> bool:
        return rng.random() < habits[name]

    def fill(text: str) -> str:
        return text.format(**s)

    A, C = "agent", "customer"
    lines: list[tuple[str, str]] = []
    unhappy = (c.follow_up and topic["role"] == "after_sales") or rng.random() < 0.2
    lines.append((C, fill(rng.choice(FOLLOW_UP_OPEN[topic["role"]] if c.follow_up else topic["open"]))))
    greet = rng.choice(CALL_GREETINGS if c.channel == "call" else GREETINGS)
    if p("greet_miss"):
        c.events.add("no_greeting")
        greet = rng.choice(BLUNT_OPENERS if c.channel == "call" else BLUNT_CHAT)
    if c.channel == "call":  # the agent speaks first on a call
        lines.insert(0, (A, fill(greet)))
        greet = ""
    ask = fill(rng.choice(topic["ask"]))
    if unhappy:
        lines.append((C, rng.choice(UNHAPPY[topic["role"]])))
        if rng.random() < habits["soothe"]:
            ask = rng.choice(SOOTHING) + ask
        else:
            c.events.add("not_soothed")
    lines.append((A, fill(greet) + ask))
    lines.append((C, fill(rng.choice(topic["info"]))))
    if topic["read_back"] and p("read_back"):
        lines.append((A, fill(rng.choice(topic["read_back"]))))
        lines.append((C, rng.choice(["对的", "对", "是的，没错"])))
        c.events.add("read_back")
    if p("privacy"):
        lines.append((A, fill(AGENT_PRIVACY)))
        lines.append((C, "对"))
        c.events.add("privacy")
    lines.append((A, rng.choice(HOLDS)))
    lines.append((C, rng.choice(CUSTOMER_OK)))
    c.events.add("hold")
    lines.append((A, fill(rng.choice(topic["answer"]))))
    question, reply = rng.choice(topic["follow"])
    lines.append((C, question))
    if p("forbidden"):
        lines.append((A, rng.choice(FORBIDDEN_LINES)))
        c.events.add("forbidden")
        if rng.random() < 0.5:
            lines.append((C, rng.choice(COMPLAINTS)))
            c.events.add("complaint")
    elif p("rhetorical"):
        lines.append((A, rng.choice(RHETORICAL_LINES)))
        c.events.add("rhetorical")
    lines.append((A, fill(reply)))
    if c.events & {"forbidden", "rhetorical"} and rng.random() < 0.5:
        lines.append((C, "你这什么态度"))
    if "unanswered" not in c.events and p("unanswered") and c.channel == "chat":
        lines.append((C, rng.choice(["那大概要多久？", "还有别的办法吗？", "好吧"])))
        c.events.add("unanswered")
        c.lines = lines
        return
    if lines[-1] == (C, "你这什么态度"):
        lines.append((C, rng.choice(["算了", "行吧"])))
    else:
        lines.append((C, rng.choice(["好的，谢谢", "明白了", "行，知道了", "好的"])))
    if p("further_miss"):
        c.events.add("no_further_help")
    else:
        lines.append((A, rng.choice(FURTHER)))
        lines.append((C, rng.choice(CUSTOMER_NO_MORE)))
    if p("close_miss"):
        lines.append((A, rng.choice(FLAT_ENDINGS)))
        c.events.add("no_closing")
    else:
        lines.append((A, rng.choice(CALL_CLOSINGS if c.channel == "call" else CLOSINGS)))
    c.lines = lines


def _chars(text: str) -> int:
    return len(SPOKEN.sub("", text))


def timed_chat(rng: random.Random, c: Contact) -> tuple[list[dict], float]:
    habits = AGENTS[c.agent]
    replies = [i for i in range(1, len(c.lines)) if c.lines[i][0] == "agent" and c.lines[i - 1][0] == "customer"]
    # a slow contact has one reply that keeps the customer waiting (the first one, or a later one)
    slow_at = rng.choice(replies) if replies and rng.random() < habits["slow"] else None
    t = 0.0
    out: list[dict] = []
    for i, (speaker, text) in enumerate(c.lines):
        if i:
            if i == slow_at:
                t += rng.uniform(35, 200)
                c.events.add("slow_reply")
            elif i in replies:
                t += rng.uniform(4, 15 if i == replies[0] else 25)
            elif speaker == "agent":  # a second message in a row: longer after 请稍等 (looking it up)
                t += rng.uniform(15, 40) if "稍" in c.lines[i - 1][1] else rng.uniform(3, 10)
            else:
                t += rng.uniform(8, 45)
        out.append({"speaker": speaker, "text": text, "start": (c.start + timedelta(seconds=round(t))).isoformat()})
    return out, round(t)


def timed_call(rng: random.Random, c: Contact) -> tuple[list[dict], float, float]:
    habits = AGENTS[c.agent]
    hold = 0.0
    out: list[dict] = []
    fast_used = overtalk_used = False
    silences_left = int(rng.random() < habits["slow"]) + int(rng.random() < habits["slow"] / 2)
    for i, (speaker, text) in enumerate(c.lines):
        rate = rng.uniform(190, 240) if speaker == "agent" else rng.uniform(200, 260)
        gap = rng.uniform(0.3, 1.2)
        if out:
            prev = out[-1]
            if speaker == "agent" and prev["speaker"] == "customer":
                if any(h in c.lines[i - 2][1] for h in ("稍等", "稍候")) and i >= 2:
                    gap = rng.uniform(12, 45)  # lookup on hold after 请稍等: exempt dead air
                    hold += gap
                elif silences_left and rng.random() < 0.5:
                    gap = rng.uniform(6, 9)  # dead air: nobody speaks after the customer
                    silences_left -= 1
                    c.events.add("silence")
                elif not overtalk_used and _chars(prev["text"]) >= 8 and rng.random() < habits["overtalk"]:
                    gap = -rng.uniform(1.3, 2.0)  # cuts in before the customer has finished
                    overtalk_used = True
                    c.events.add("overtalk")
            if speaker == "agent" and not fast_used and _chars(text) >= 20 and rng.random() < habits["fast"]:
                rate = rng.uniform(320, 380)
                fast_used = True
                c.events.add("fast")
        start = 0.0 if not out else round(max(u["end"] for u in out) + gap, 1)
        end = round(start + max(0.6, _chars(text) / rate * 60), 1)
        if gap < 0:
            end = max(end, round(start + 2.5, 1))
        out.append({"speaker": speaker, "text": text, "start": start, "end": end})
    return out, out[-1]["end"], round(hold, 1)


def metadata(rng: random.Random, c: Contact, talk: float, hold: float) -> dict:
    topic = TOPICS[c.topic]
    bad = c.events & {"forbidden", "rhetorical", "no_greeting", "not_soothed", "unanswered", "privacy", "promise"}
    # a first contact the customer comes back about may still say resolved: the agent thought so;
    # the KPI's repeat-contact window is what catches it
    resolved = rng.random() < topic["resolved"] and "unanswered" not in c.events
    md = {
        "team_name": TEAMS[AGENTS[c.agent]["team"]][0], "role": topic["role"], "topic": c.topic,
        "talk_seconds": talk, "hold_seconds": hold,
        "acw_seconds": rng.randint(15, 60) if c.channel == "chat" else rng.randint(30, 150),
        "wait_seconds": rng.randint(2, 40) if c.channel == "chat" else rng.randint(5, 90),
        "resolved": resolved,
    }
    if rng.random() < 0.75:  # a quarter of customers skip the survey
        base = 5 if not bad else 3
        if not resolved:
            base -= 1
        md["csat"] = max(1, min(5, base + rng.choice([-1, 0, 0, 0, 1]) - (1 if "complaint" in c.events else 0)))
    if "complaint" in c.events:
        md["complaint"] = True
        md["escalated"] = rng.random() < 0.5
    return md


def plan(rng: random.Random) -> list[Contact]:
    """60 contacts, 10 per agent: 2 calls each, the rest chats, 8 of which go to the GBK export;
    repeats by the same customer within 7 days for FCR."""
    contacts: list[Contact] = []
    after = ["bill", "broadband_fault", "refund", "logistics", "card_bill"]
    pre = ["plan", "product", "card_apply", "broadband_new"]
    n = 0
    for agent, habits in AGENTS.items():
        topics = after if habits["team"] == "t1" else pre
        for k in range(10):
            n += 1
            channel = "call" if k in (3, 8) else "chat"
            day = 2 + (k * 5 + int(agent[1]) * 2) % 26
            start = datetime(2026, 11, day, rng.randint(9, 19), rng.choice([0, 10, 20, 30, 40, 50]),
                             rng.randint(0, 59), tzinfo=CST)
            c = Contact(cid="", channel=channel, agent=agent, customer=f"u{200 + n:03d}",
                        topic=rng.choice(topics), start=start)
            contacts.append(c)
    # FCR: six customers come back within 7 days (same customer id, follow-up opening); one more
    # comes back after 10 days, which is a new contact, not a repeat.
    by_agent = {a: [c for c in contacts if c.agent == a] for a in AGENTS}
    repeats = [("a1", 0, "a2", 1, 3), ("a2", 2, "a3", 4, 2), ("a3", 5, "a3", 6, 5),
               ("a4", 0, "a5", 1, 1), ("a5", 3, "a6", 2, 4), ("a6", 6, "a4", 7, 6), ("a2", 7, "a1", 8, 10)]
    for first_agent, i, second_agent, j, days in repeats:
        first, second = by_agent[first_agent][i], by_agent[second_agent][j]
        second.customer = first.customer
        if first.start.day + days > 28:  # keep both contacts inside November
            first.start = first.start.replace(day=rng.randint(2, 28 - days))
        second.start = first.start + timedelta(days=days, hours=rng.randint(1, 3))
        if days <= 7:  # same team, same issue: the customer is back because it was not solved
            second.topic, second.follow_up = first.topic, True
    # the GBK export: eight chats come from the chat system's CSV export instead (1-2 per agent)
    export_ids = {("a1", 5), ("a2", 5), ("a3", 1), ("a3", 9), ("a4", 5), ("a5", 6), ("a6", 1), ("a6", 9)}
    for (agent, k) in export_ids:
        by_agent[agent][k].channel = "csv"
    contacts.sort(key=lambda c: c.start)
    counters = {"chat": 0, "call": 0, "csv": 0}
    for c in contacts:
        counters[c.channel] += 1
        prefix = {"chat": "chat", "call": "call", "csv": "im"}[c.channel]
        c.cid = f"{prefix}-202611-{counters[c.channel]:03d}"
    return contacts


def one_illegal_promise(contacts: list[Contact]) -> None:
    """a6 makes one illegal promise (a veto) on a refund-like question; kept out of chance so the
    demo always shows exactly one veto."""
    target = next(c for c in contacts if c.agent == "a6" and c.channel == "chat" and not c.follow_up)
    idx = max(i for i, (s, _) in enumerate(target.lines) if s == "agent" and i < len(target.lines) - 2)
    target.lines.insert(idx + 1, ("customer", "那这钱到底什么时候能退回来？"))
    target.lines.insert(idx + 2, ("agent", AGENT_PROMISE))
    target.events.add("promise")


def render(contacts: list[Contact], rng: random.Random) -> tuple[list[dict], list[dict], list[list[str]]]:
    chats, calls, rows = [], [], []
    for c in contacts:
        build_lines(rng, c)
    one_illegal_promise(contacts)
    for c in contacts:
        if c.channel == "call":
            utterances, talk, hold = timed_call(rng, c)
        else:
            utterances, talk = timed_chat(rng, c)
            hold = 0.0
        md = metadata(rng, c, talk, hold)
        team = AGENTS[c.agent]["team"]
        if c.channel == "csv":
            for u in utterances:
                rows.append([c.cid, "坐席" if u["speaker"] == "agent" else "客户", u["text"], u["start"], c.agent,
                             team, c.customer, md["talk_seconds"], md["hold_seconds"], md["acw_seconds"],
                             md["wait_seconds"], json.dumps(md["resolved"]), md.get("csat", ""), md["role"],
                             md["team_name"], md["topic"]])
            continue
        record = {"id": c.cid, "channel": c.channel, "agent_id": c.agent, "team_id": team,
                  "customer_id": c.customer, "started_at": c.start.isoformat(), "metadata": md,
                  "utterances": utterances}
        (calls if c.channel == "call" else chats).append(record)
    return chats, calls, rows


CSV_HEADER = ["会话ID", "发送方", "内容", "时间", "坐席工号", "班组", "客户ID", "meta_talk_seconds",
              "meta_hold_seconds", "meta_acw_seconds", "meta_wait_seconds", "meta_resolved", "meta_csat",
              "meta_role", "meta_team_name", "meta_topic"]


def main() -> None:
    rng = random.Random(SEED)
    contacts = plan(rng)
    chats, calls, rows = render(contacts, rng)
    for name, records in (("chats.jsonl", chats), ("calls.jsonl", calls)):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        (HERE / name).write_text(text, encoding="utf-8", newline="\n")
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    (HERE / "export_gbk.csv").write_bytes(buf.getvalue().encode("gbk"))
    print(f"chats.jsonl: {len(chats)}  calls.jsonl: {len(calls)}  export_gbk.csv: "
          f"{len({r[0] for r in rows})} conversations, {len(rows)} rows")


if __name__ == "__main__":
    main()
