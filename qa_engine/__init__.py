"""qa_engine: automatic quality inspection (智能质检) of customer-service calls and chats.

Glossary — the Chinese call-centre terms used by QA teams, and the identifiers used in code:

=================  ===========================  ==============================================
中文                identifier                    meaning
=================  ===========================  ==============================================
智能质检            quality inspection            scoring every contact automatically
坐席 / 客服          agent                         the call-centre employee
客户 / 用户          customer                      the caller or chat visitor
质检规则 / 规则包     rule / rule pack              declarative checks in ``rules/*.yaml``
质检评分表           scorecard                     dimensions, weights, deductions, grades
扣分制              deduction                     start at 100 and subtract per hit
一票否决 / 致命项     veto                          any hit fails the contact outright
加分项              bonus                         points earned for good practice
不适用              not applicable (N/A)          the item drops out of the denominator
合规率              compliance_score              share of checked items passed
开场白 / 结束语       opening / closing             greeting and farewell scripts
禁用语              forbidden phrase              words an agent must never use
违规承诺            illegal promise               guarantees an agent may not give
身份核实            identity verification         checks before account changes
投诉倾向            complaint tendency            customer signals a complaint (flag)
静音 / 冷场          silence (dead air)            nobody speaks for too long
抢话 / 打断          overtalk                      agent talks over the customer
语速                speech rate                   characters per minute
情绪指数            emotion_index                 0–100, higher = calmer, more satisfied
情感转化            recovery                      customer turned from negative to positive
复核 / 申诉          review / appeal               human check of machine hits; agent's appeal
首次响应时间         first response time (FRT)     chat: customer's first message to first reply
平均处理时长         AHT                           (talk + hold + after-call work) / contacts
首次解决率           FCR                           resolved with no repeat contact in N days
满意度              CSAT                          satisfied survey answers / answers
=================  ===========================  ==============================================
"""

__version__ = "0.1.0"
