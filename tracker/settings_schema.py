"""The typed settings object: one dataclass per section of ``yuqing.toml``.

Every field here is a setting users may write; ``docs/configuration.md`` documents each one (a test checks).
Field metadata ``doc`` is the one-line Chinese description used in error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def doc(text: str, **extra: Any) -> dict[str, Any]:
    return {"doc": text, **extra}


@dataclass
class DatabaseSettings:
    url: str = field(
        default="sqlite:///var/yuqing.db",
        metadata=doc("数据库地址 (sqlite:///路径 或 postgresql+psycopg://…)"),
    )
    busy_timeout_ms: int = field(default=30000, metadata=doc("SQLite 等待写锁的毫秒数"))
    echo: bool = field(default=False, metadata=doc("是否打印 SQL（调试用）"))


@dataclass
class SourceSettings:
    name: str = field(default="", metadata=doc("来源名称（唯一）", required=True))
    kind: str = field(default="", metadata=doc("来源类型", required=True))
    url: str = field(default="", metadata=doc("入口地址（http/https）"))
    urls: list[str] = field(default_factory=list, metadata=doc("多个入口地址"))
    interval: str = field(default="10m", metadata=doc("抓取间隔，如 5m、1h"))
    region: str = field(default="", metadata=doc("所属地区"))
    enabled: bool = field(default=True, metadata=doc("是否启用"))
    cookie_env: str = field(default="", metadata=doc("保存登录 Cookie 的环境变量名"))
    channel: str = field(
        default="", metadata=doc("渠道（时限规则按它匹配；默认等于 kind，留言板填 msgboard）")
    )
    reply_days: int = field(default=5, metadata=doc("留言板答复时限（工作日）"))
    #: kind-specific keys (selectors, field paths, follow…), validated per kind in tracker.config
    options: dict[str, Any] = field(default_factory=dict, metadata=doc("类型专属配置项"))


@dataclass
class TopicSettings:
    name: str = field(default="", metadata=doc("专题名称", required=True))
    query: str = field(default="", metadata=doc("布尔检索式，如 (食堂 OR 学校) AND 中毒", required=True))
    region: str = field(default="", metadata=doc("地区"))
    units: list[str] = field(default_factory=list, metadata=doc("默认责任单位"))


@dataclass
class UnitSettings:
    name: str = field(default="", metadata=doc("单位名称", required=True))
    parent: str = field(default="", metadata=doc("上级单位名称"))
    region: str = field(default="", metadata=doc("地区"))
    categories: list[str] = field(default_factory=list, metadata=doc("默认负责的舆情分类代码"))
    duty_mobiles: list[str] = field(default_factory=list, metadata=doc("值班手机号（用于 @提醒）"))


@dataclass
class MilestoneSettings:
    kind: str = field(
        default="", metadata=doc("义务类型，如 权威信息发布、新闻发布会、回应、答复", required=True)
    )
    within: str = field(default="", metadata=doc("时限，如 5h、48h、5wd、5个工作日", required=True))
    basis: str = field(
        default="first_post", metadata=doc("起算点：first_post(首发)/detected(发现)/graded(定级)")
    )


@dataclass
class RuleSettings:
    name: str = field(default="", metadata=doc("规则名称", required=True))
    grades: list[str] = field(default_factory=list, metadata=doc("适用等级（空=全部）"))
    categories: list[str] = field(default_factory=list, metadata=doc("适用分类代码（空=全部）"))
    source_kinds: list[str] = field(default_factory=list, metadata=doc("适用来源类型（空=全部）"))
    regions: list[str] = field(default_factory=list, metadata=doc("适用地区（空=全部）"))
    milestones: list[MilestoneSettings] = field(default_factory=list, metadata=doc("时限节点"))


@dataclass
class PolicySettings:
    warn_fractions: list[float] = field(
        default_factory=lambda: [0.6, 0.9], metadata=doc("预警点（时限已过比例）")
    )
    office_close: str = field(default="24:00", metadata=doc("按日计算的期限截止时刻"))
    auto_grade_min: str = field(
        default="II", metadata=doc("自动建议等级达到此级时按建议等级开启时限（人工确认前）")
    )
    escalate_after: float = field(default=0.5, metadata=doc("超时后再过多少倍时限窗口升级至值班领导"))
    commitment_remind_days: int = field(default=3, metadata=doc("承诺到期前几天提醒"))
    commitment_review_days: int = field(
        default=30, metadata=doc("无明确期限的承诺（持续推进）每隔几天复查提醒")
    )
    rules: list[RuleSettings] = field(default_factory=list, metadata=doc("时限规则（空=内置默认规则）"))


@dataclass
class RouteSettings:
    name: str = field(default="", metadata=doc("路由名称", required=True))
    channels: list[str] = field(
        default_factory=list, metadata=doc("渠道：[alerts.channels] 中的名称，或 console://、file://路径")
    )
    events: list[str] = field(default_factory=list, metadata=doc("匹配的事件类型（空=全部）"))
    grades: list[str] = field(default_factory=list, metadata=doc("匹配的等级（空=全部）"))
    min_grade: str = field(default="", metadata=doc("匹配此等级及以上（与 grades 二选一）"))
    categories: list[str] = field(default_factory=list, metadata=doc("匹配的分类（空=全部）"))
    regions: list[str] = field(default_factory=list, metadata=doc("匹配的地区（空=全部）"))
    units: list[str] = field(default_factory=list, metadata=doc("匹配的单位（空=全部）"))
    topics: list[str] = field(default_factory=list, metadata=doc("匹配的专题（空=全部）"))
    mention_mobiles: list[str] = field(default_factory=list, metadata=doc("@提醒的手机号"))
    escalate_to: list[str] = field(default_factory=list, metadata=doc("升级链：逐级追加通知的路由名称"))


@dataclass
class AlertsSettings:
    channels: dict[str, Any] = field(
        default_factory=dict, metadata=doc("命名的告警渠道：url 与 key_env/token_env/secret_env/password_env")
    )
    routes: list[RouteSettings] = field(default_factory=list, metadata=doc("告警路由"))
    max_attempts: int = field(default=12, metadata=doc("单条告警最多重试次数"))


@dataclass
class WebSettings:
    host: str = field(default="127.0.0.1", metadata=doc("监听地址"))
    port: int = field(default=8000, metadata=doc("监听端口"))
    base_url: str = field(default="http://127.0.0.1:8000", metadata=doc("告警中链接使用的网址"))
    secret_key_env: str = field(default="YUQING_SECRET_KEY", metadata=doc("会话密钥所在的环境变量名"))
    public_disclosure: bool = field(default=False, metadata=doc("是否开启公开回应页面"))


@dataclass
class CrawlSettings:
    runner: str = field(default="local", metadata=doc("local（本机子进程）或 scrapyd"))
    scrapyd_nodes: list[str] = field(default_factory=list, metadata=doc("Scrapyd 节点地址"))
    user_agent: str = field(default="yuqing/0.1 (+public-sentiment monitor)", metadata=doc("User-Agent"))
    obey_robots: bool = field(default=True, metadata=doc("是否遵守 robots.txt"))
    max_response_mb: int = field(default=10, metadata=doc("单个响应的大小上限（MB）"))
    failure_alert_after: int = field(default=3, metadata=doc("连续失败多少次后告警"))
    timeout_s: int = field(default=600, metadata=doc("单次抓取的最长秒数"))
    replay_port: int = field(default=8765, metadata=doc("内置回放站点端口"))


@dataclass
class IncidentSettings:
    merge_window_hours: int = field(default=72, metadata=doc("近重复帖子归并为同一事件的时间窗（小时）"))
    max_hamming: int = field(default=3, metadata=doc("SimHash 近重复的最大汉明距离"))


@dataclass
class PrivacySettings:
    author_salt_file: str = field(
        default="var/author.salt", metadata=doc("作者哈希盐值文件（首次运行自动生成）")
    )


@dataclass
class RetentionSettings:
    post_text_days: int = field(default=180, metadata=doc("帖子原文保留天数（到期清除原文，保留台账与统计）"))


@dataclass
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    sources: list[SourceSettings] = field(default_factory=list)
    topics: list[TopicSettings] = field(default_factory=list)
    units: list[UnitSettings] = field(default_factory=list)
    policy: PolicySettings = field(default_factory=PolicySettings)
    alerts: AlertsSettings = field(default_factory=AlertsSettings)
    web: WebSettings = field(default_factory=WebSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    incidents: IncidentSettings = field(default_factory=IncidentSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    #: where the settings came from (not a setting)
    path: str = ""
    root: str = ""

    def source(self, name: str) -> SourceSettings | None:
        return next((s for s in self.sources if s.name == name), None)
