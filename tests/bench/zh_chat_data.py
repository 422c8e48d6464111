"""A Chinese personal-chat retrieval set, written for mirix-app's benches.

Half a year of one person's chats (林晓, who lives in Hangzhou, then moves to
Shanghai): the facts of her life, each stated once, with near-miss
distractors (a friend's cat, another flight, another appointment) and a few
hundred everyday filler messages around them. Every question is worded the
way someone would ask it later, not the way the fact was written: most share
few or no character bigrams with their answer ("我是什么血型？" against "我是O型血":
血型 is not 型血), so keyword search alone cannot carry them.

``messages()`` gives the conversation (deterministic; external ids ``zh-N``),
``QUESTIONS`` the questions, each with the keys of the messages that answer it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

ME = "林晓"

# (key or None, speaker, text): a session of one day. Keys mark answers.
Turn = tuple[str | None, str, str]
SESSIONS: list[tuple[str, list[Turn]]] = [
    (
        "2024-03-02 10:10",
        [
            ("cat", ME, "周末去动物救助站领养了一只橘色的小猫，给它起名叫年糕，三个月大"),
            (None, "小雨", "哇好可爱！快发照片，它亲人吗？"),
            (None, ME, "一开始躲在沙发底下，晚上就敢出来了"),
            (None, "阿杰", "我家豆豆是只柯基，改天让它们见见面"),
        ],
    ),
    (
        "2024-03-05 20:30",
        [
            ("food", ME, "宠物店的店员推荐渴望的幼猫粮，一袋三百多，贵是贵了点，它很爱吃"),
            (None, "小雨", "我家咪咪吃的是皇家，便宜一些"),
            (None, ME, "先吃完这袋再说"),
        ],
    ),
    (
        "2024-03-09 09:00",
        [
            ("vaccine", ME, "约好了4月12号下午带年糕去宠物医院打第一针猫三联"),
            (None, "阿杰", "豆豆下周三要打狂犬疫苗，我得请半天假"),
            (None, ME, "宠物医院周末人太多了，所以约的工作日"),
        ],
    ),
    (
        "2024-03-15 19:45",
        [
            ("allergy", ME, "提醒一下自己：我对芒果过敏，吃一口嘴巴就肿，聚餐点甜品要避开"),
            (None, "小雨", "那杨枝甘露你是碰不了了"),
            (None, "阿杰", "我对花生过敏，每次吃饭都要问服务员"),
        ],
    ),
    (
        "2024-03-21 12:20",
        [
            ("blood", ME, "体检报告出来了，我是O型血，别的都正常，就是胆固醇偏高"),
            ("chol", "助手", "胆固醇偏高的话，可以少吃油炸食品和动物内脏，多运动，三个月后复查"),
            (None, "妈妈", "你爸是A型血，当年体检也是血脂高，要注意饮食"),
        ],
    ),
    (
        "2024-03-28 22:05",
        [
            ("sister", ME, "我姐林悦国庆节在厦门结婚，她让我当伴娘，好紧张"),
            (None, "小雨", "恭喜恭喜！厦门那时候天气正好"),
            (None, ME, "酒店订在鼓浪屿对面，亲戚们要提前一天到"),
            (None, "阿杰", "我表哥明年春天在成都办喜酒"),
        ],
    ),
    (
        "2024-04-03 08:40",
        [
            ("job", ME, "终于拿到网易的录用通知了，五月中旬入职，做产品经理"),
            (None, "阿杰", "太厉害了！原来那家公司提离职了吗"),
            (None, ME, "今天就去找领导谈，交接大概要一个月"),
            ("salary", ME, "新工作月薪两万三，比现在多了五千"),
            (None, "小雨", "阿里那个面试你后来没去吗"),
            (None, ME, "二面挂了，算了"),
        ],
    ),
    (
        "2024-04-12 18:30",
        [
            (None, ME, "年糕今天打完针有点蔫，一直在睡觉"),
            (None, "助手", "接种疫苗后一两天精神差、食欲下降是常见反应，注意保暖，持续发烧要复诊"),
            (None, ME, "医生说一个月后打第二针"),
        ],
    ),
    (
        "2024-04-20 07:50",
        [
            ("marathon", ME, "杭州半程马拉松完赛！成绩两小时零五分，比去年快了八分钟"),
            (None, "阿杰", "我全马跑了四小时二十分，腿都废了"),
            (None, ME, "下次一起报名上海的比赛吧"),
        ],
    ),
    (
        "2024-04-27 21:15",
        [
            ("book", ME, "熬夜把《三体》第三部看完了，结尾太震撼，宇宙都归零了"),
            (None, "小雨", "我在看《百年孤独》，名字太多记不住"),
            (None, ME, "下一本打算看刘慈欣的短篇集"),
        ],
    ),
    (
        "2024-05-06 13:00",
        [
            ("dentist", ME, "右边下面的智齿又疼了，挂了口腔医院的号，星期五下午三点"),
            (None, "妈妈", "拔了吧，我当年拔完就好了"),
            (None, "阿杰", "我周四去眼科复查近视"),
        ],
    ),
    (
        "2024-05-16 09:30",
        [
            (None, ME, "第一天上班，工位靠窗，同事都挺友好"),
            ("weekly", ME, "组里规定每周五下午五点之前交周报，写这周做了什么和下周计划"),
            (None, "助手", "周报可以按目标、进展、风险、下周计划四部分写，领导看着清楚"),
        ],
    ),
    (
        "2024-05-20 20:00",
        [
            ("met", ME, "和陈默在一起三周年了，三年前的今天我们在西湖边的断桥上第一次见面"),
            ("bfjob", ME, "他最近在赶一个美术馆的设计图，当建筑师真是天天加班"),
            (None, "小雨", "好甜！我和男朋友是相亲认识的，一点都不浪漫"),
        ],
    ),
    (
        "2024-06-01 11:10",
        [
            ("move", ME, "搬家搬完了！正式住到上海徐汇区，离公司地铁四站"),
            ("rent", ME, "一室一户，每月六千五，押一付三，心在滴血"),
            (None, "阿杰", "我在深圳租的房子一个月四千八"),
            (None, "妈妈", "一个人在外面住，门窗要关好"),
        ],
    ),
    (
        "2024-06-08 16:40",
        [
            ("plants", ME, "阳台朝南，种了两盆薄荷和一盆罗勒，做饭的时候随手掐几片"),
            (None, "小雨", "我种的多肉全被我浇死了"),
            (None, ME, "薄荷真的很好养，晒太阳就行"),
        ],
    ),
    (
        "2024-06-15 19:00",
        [
            ("laptop", ME, "MacBook Pro 的键盘有几个键失灵了，送去南京西路的 Apple Store 修了"),
            (None, "助手", "维修一般需要五到七个工作日，记得提前备份重要文件"),
            (None, "阿杰", "我的 ThinkPad 电池也不行了"),
        ],
    ),
    (
        "2024-06-22 10:00",
        [
            ("car", ME, "提车了！一辆白色的比亚迪海豚，纯电的，上海绿牌不用摇号"),
            (None, "阿杰", "我还是开我那辆老款卡罗拉"),
            (None, ME, "小区地下车库可以装充电桩"),
        ],
    ),
    (
        "2024-07-01 21:30",
        [
            ("mom_bday", "妈妈", "晓晓，八月十五号是我生日，今年别买东西了，回家吃顿饭就行"),
            (None, ME, "那我带您喜欢的茉莉花茶回去"),
            ("mom_tea", "妈妈", "好，茉莉花茶我每天早上都要泡一杯"),
        ],
    ),
    (
        "2024-07-08 12:45",
        [
            ("flight", ME, "订好了7月20号去成都的机票，东航MU5401，早上八点十分起飞"),
            (None, "小雨", "我25号飞重庆，国航CA4113"),
            (None, ME, "成都回来那天是高铁"),
        ],
    ),
    (
        "2024-07-14 18:20",
        [
            ("gift", ME, "小雨过生日，我给她买了一副索尼的降噪耳机，她坐地铁通勤正好用"),
            (None, "阿杰", "我送了她一本手账本，被你比下去了"),
            (None, "小雨", "谢谢你们！耳机音质太好了"),
        ],
    ),
    (
        "2024-07-25 09:10",
        [
            ("vitd", ME, "医生说我缺维生素D，让我每天吃一粒补充剂，多晒太阳"),
            (None, "妈妈", "你小时候就不爱出门"),
            (None, "阿杰", "我每天吃鱼油，不知道有没有用"),
        ],
    ),
    (
        "2024-08-03 15:30",
        [
            ("jlpt", ME, "报名了12月的日语能力考试N3，每天下班背半小时单词"),
            (None, "小雨", "加油！我当年考N2考了两次"),
            (None, ME, "听力最难，打算每天听一期日语播客"),
        ],
    ),
    (
        "2024-08-10 20:15",
        [
            ("grandpa", "妈妈", "你爷爷老家是绍兴的，中秋要不要一起回去看看老房子"),
            (None, ME, "好啊，顺便去吃臭豆腐"),
            (None, "阿杰", "我爷爷是东北的，过年回去冻死了"),
        ],
    ),
    (
        "2024-08-18 11:00",
        [
            ("volunteer", ME, "每个星期六上午我在徐汇区图书馆当义工，帮小朋友找绘本"),
            (None, "小雨", "好有意义，我周日去上瑜伽课"),
        ],
    ),
    (
        "2024-08-24 19:40",
        [
            ("piano", ME, "路过琴行想起来，我小时候弹了八年钢琴，考到了十级，现在全忘了"),
            (None, "阿杰", "我小时候被逼学了两年小提琴"),
        ],
    ),
    (
        "2024-09-01 14:20",
        [
            ("shoes", ME, "网上买运动鞋又买大了，我明明穿37码，这双偏大半码"),
            (None, "小雨", "我穿39，要不给我？"),
        ],
    ),
    (
        "2024-09-07 08:15",
        [
            ("coffee", ME, "楼下咖啡店的店员都记住我了：大杯燕麦拿铁，不加糖"),
            (None, "阿杰", "我只喝冰美式"),
        ],
    ),
    (
        "2024-09-14 17:30",
        [
            ("passport", ME, "查了一下护照有效期到2027年3月，办日本签证够用"),
            (None, "小雨", "我的护照去年就过期了，还没去换"),
        ],
    ),
    (
        "2024-09-20 21:00",
        [
            ("gym", ME, "在公司附近的乐刻办了健身卡，每个月一百九十九，下班去练一个小时"),
            (None, "阿杰", "我办了年卡结果只去了三次"),
        ],
    ),
    (
        "2024-09-25 10:30",
        [
            ("ajie_move", "阿杰", "跟你们说个事，我下个月调去深圳总部了，要搬家"),
            (None, ME, "那以后见面就难了，走之前一起吃个饭"),
        ],
    ),
]

# (question, keys of the messages that answer it)
QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("我的宠物叫什么名字？", ("cat",)),
    ("我的猫是从哪里来的？", ("cat",)),
    ("年糕吃的是什么牌子的粮？", ("food",)),
    ("猫什么时候去打针？", ("vaccine",)),
    ("我不能吃哪种水果？", ("allergy",)),
    ("我是什么血型？", ("blood",)),
    ("体检查出了什么问题？", ("blood", "chol")),
    ("姐姐的婚礼在哪座城市办？", ("sister",)),
    ("我换工作后去了哪家公司？", ("job",)),
    ("新工作一个月能挣多少钱？", ("salary",)),
    ("我现在的职位是什么？", ("job",)),
    ("我半马跑了多长时间？", ("marathon",)),
    ("我最近读完了哪本小说？", ("book",)),
    ("看牙医约在星期几？", ("dentist",)),
    ("每周什么时候要交工作总结？", ("weekly",)),
    ("我和男朋友是在哪儿认识的？", ("met",)),
    ("陈默是做什么的？", ("bfjob",)),
    ("我搬到了哪个城市？", ("move",)),
    ("我的房租是多少？", ("rent",)),
    ("我在阳台上养了什么植物？", ("plants",)),
    ("我的笔记本电脑拿去哪里修了？", ("laptop",)),
    ("我买的是什么车？", ("car",)),
    ("我妈妈的生日是哪天？", ("mom_bday",)),
    ("给妈妈带什么礼物好？她爱喝什么？", ("mom_tea", "mom_bday")),
    ("去成都的航班号是多少？", ("flight",)),
    ("我送了小雨什么生日礼物？", ("gift",)),
    ("医生让我补充什么营养？", ("vitd",)),
    ("我在准备什么考试？", ("jlpt",)),
    ("爷爷的家乡在哪里？", ("grandpa",)),
    ("我周末去哪里做志愿者？", ("volunteer",)),
    ("我小时候学过什么乐器？", ("piano",)),
    ("我穿多大的鞋？", ("shoes",)),
    ("我平时喝什么咖啡？", ("coffee",)),
    ("我的护照什么时候到期？", ("passport",)),
    ("我每月健身要花多少钱？", ("gym",)),
    ("阿杰要搬去哪里？", ("ajie_move",)),
]

# Everyday filler: recombined into a few hundred messages around the facts.
_FILLER_SUBJECTS = [
    "今天的午饭",
    "早上的地铁",
    "下午的会议",
    "这周的天气",
    "楼下新开的面馆",
    "昨晚的电视剧",
    "公司的电梯",
    "小区门口的超市",
    "周末的综艺",
    "新买的雨伞",
    "办公室的空调",
    "外卖的奶茶",
    "隔壁的装修",
    "手机的电量",
    "晚上的夜跑",
]
_FILLER_COMMENTS = [
    "一般般吧，没什么特别的",
    "比想象中好一点",
    "又出了点小状况，真让人头大",
    "还行，就是人有点多",
    "说不上来，感觉怪怪的",
    "挺不错的，下次还可以试试",
    "有点失望，排了很久的队",
    "一如既往，没有惊喜",
    "把我折腾得够呛",
    "意外地让人开心",
]
_FILLER_REPLIES = [
    "哈哈，我也是",
    "真的吗？改天我也去看看",
    "辛苦了，早点休息",
    "同感，最近大家都很累",
    "这种事情常有，别太在意",
    "好的，收到",
    "那就好",
    "笑死我了",
]
_FRIENDS = ("小雨", "阿杰", "妈妈")


def _filler(rng: random.Random, n: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        if rng.random() < 0.6:
            speaker = ME if rng.random() < 0.6 else rng.choice(_FRIENDS)
            out.append((speaker, f"{rng.choice(_FILLER_SUBJECTS)}{rng.choice(_FILLER_COMMENTS)}"))
        else:
            out.append((rng.choice((ME, *_FRIENDS)), rng.choice(_FILLER_REPLIES)))
    return out


def messages(filler_per_session: int = 8, seed: int = 13) -> list[dict[str, str]]:
    """The conversation as mirix-app message dicts, a key on each answer."""
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    for day, turns in SESSIONS:
        start = datetime.strptime(day, "%Y-%m-%d %H:%M")
        # Filler the day before and after the session's own turns.
        before = filler_per_session // 2
        lines: list[Turn] = [(None, s, t) for s, t in _filler(rng, before)]
        lines += turns
        lines += [(None, s, t) for s, t in _filler(rng, filler_per_session - before)]
        for i, (key, speaker, text) in enumerate(lines):
            out.append(
                {
                    "external_id": f"zh-{len(out) + 1}",
                    "speaker": speaker,
                    "role": "assistant" if speaker == "助手" else "other",
                    "text": text,
                    "at": (start + timedelta(minutes=3 * i)).isoformat(),
                    "session": day[:10],
                    "key": key or "",
                }
            )
    return out
