"""Personal data masked on the public disclosure page: phone numbers, ID and bank card numbers, e-mail
addresses, and personal names where the text marks them (市民张某某反映…, 联系人：李四, 王小明先生).

A rule-based pass cannot find every name in free text; it is a second line of defence. The first is the
staff member who writes the public summary (the form says not to include personal data) and marks the
incident public.
"""

from __future__ import annotations

import re

# Common surnames (the hundred most frequent plus a few two-character ones): names are only masked
# after a cue or before a title, and must start with one of these.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温"
    "康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂"
    "成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党"
    "宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "夏侯")
_SURNAME = "(?:" + "|".join(_COMPOUND) + "|[" + _SURNAMES + "])"
#: a given name: one or two CJK characters, but not the verbs and particles that follow a name
#: ("王五反映" is 王五 + 反映, not 王 + 五反)
_GIVEN = r"(?:(?![反投举称说表向在于和与及的等了是家到从对把被将已也都就还要想来去住曾])[\u4e00-\u9fff]){1,2}"
_CUES = (
    "市民|网友|村民|居民|业主|家长|学生|患者|职工|工人|农民工|群众|当事人|投诉人|举报人|反映人|来信人|留言人|"
    "联系人|姓名|我叫|名叫|本人|户主|租户|车主|老人|孩子|儿子|女儿|丈夫|妻子"
)
_TITLES = "先生|女士|小姐|同志|老师|师傅|阿姨|大爷|大妈|老伯|奶奶|爷爷|同学"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # e-mail before numbers: the local part may be digits
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "[邮箱已隐藏]"),
    # ID (18 or 15 digits), bank cards (16–19 digits): any long run of digits
    (re.compile(r"(?<![0-9])[0-9]{14,19}[0-9Xx]?(?![0-9])"), "[证件号已隐藏]"),
    # mobile numbers, optionally with +86 and separators: keep the first three and last four digits
    (
        re.compile(r"(?<![0-9])(?:\+?86[\s\-]?)?(1[3-9][0-9])[\s\-]?[0-9]{4}[\s\-]?([0-9]{4})(?![0-9])"),
        r"\1****\2",
    ),
    # landlines 0xx(x)-xxxxxxx(x)
    (re.compile(r"(?<![0-9])(0[0-9]{2,3})[\s\-]?[0-9]{3,4}([0-9]{4})(?![0-9])"), r"\1-****\2"),
    # names after a cue: 市民张某某 / 联系人：李四 → 市民张某 / 联系人：李某
    (re.compile(rf"({_CUES})([：:\s]?)({_SURNAME})(?!某){_GIVEN}"), r"\1\2\3某"),
    # names before a title: 王小明先生 → 王先生
    (re.compile(rf"({_SURNAME}){_GIVEN}(?=(?:{_TITLES}))"), r"\1"),
)


def mask_personal(text: str | None) -> str:
    out = text or ""
    for pattern, replacement in _PATTERNS:
        out = pattern.sub(replacement, out)
    return out
