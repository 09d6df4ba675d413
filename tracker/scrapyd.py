"""Scale-out runner (`crawl.runner = "scrapyd"`): each crawl is posted to the least busy Scrapyd node and
followed until it finishes; the CrawlRun is finished exactly like a local one.

The node runs `scrapy crawl <kind> -a source=<name>` with its own environment: YUQING_CONFIG points at a
yuqing.toml whose database is the shared PostgreSQL, so the crawl stores posts and reports health itself
(crawlers/health.py). Here we only choose a node, schedule, wait and record what the node could not:
every node down, a lost node, a timeout. Those become source failures with a Chinese message, never a
traceback. Nodes must have yuqing installed and the project registered (docs/deployment.md).

`python -m tracker.scrapyd [--config PATH]` checks every configured node and prints what it finds.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from tracker.app import App
from tracker.crawl_runner import CrawlSummary, begin_run, finish_run, resolve_source
from tracker.db import transaction
from tracker.models import CrawlRun

log = logging.getLogger(__name__)
PROJECT = "yuqing"
POLL_S = 1.0
HTTP_TIMEOUT_S = 10.0
#: a node that does not answer for this long while our job is on it: the job is given up as lost
LOST_AFTER_S = 60.0
#: a node that just failed is not asked again for this long (a firewalled node costs a full timeout)
REST_S = 30.0

# Node choice is serialised in this process: two crawls starting together would otherwise both read the
# same load and pick the same node. Ties go to the node chosen least recently (round robin).
_pick_lock = threading.Lock()
_last_used: dict[str, int] = {}
_sequence = itertools.count()
_resting_until: dict[str, float] = {}


class NodeError(Exception):
    """One node could not do what we asked; the message is Chinese and names the node."""


@dataclass(frozen=True)
class Node:
    url: str  # base URL without credentials: safe to log and to store in CrawlRun.node
    auth: str | None = None  # "Basic …" header from user:password in the configured URL

    @classmethod
    def parse(cls, raw: str) -> Node:
        parts = urllib.parse.urlsplit(raw.strip())
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        auth = None
        if parts.username:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        path = parts.path.rstrip("/")
        return cls(f"{parts.scheme}://{netloc}{path}", auth)

    def call(self, endpoint: str, params: list[tuple[str, str]] | None = None, post: bool = False) -> Any:
        """One Scrapyd JSON API call. Scrapyd reports errors as {"status": "error"} with HTTP 200."""
        query = urllib.parse.urlencode(params or [])
        url = f"{self.url}/{endpoint}"
        data = query.encode() if post else None
        if query and not post:
            url += "?" + query
        request = urllib.request.Request(url, data=data, method="POST" if post else "GET")
        if self.auth:
            request.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            hint = "（用户名或密码错误）" if exc.code == 401 else ""
            raise NodeError(f"节点 {self.url} 返回 HTTP {exc.code}{hint}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NodeError(f"节点 {self.url} 无法连接：{reason}") from None
        except ValueError:
            raise NodeError(
                f"节点 {self.url} 的 {endpoint} 返回的不是 JSON（地址是否指向 Scrapyd？）"
            ) from None
        if not isinstance(body, dict) or body.get("status") == "error":
            message = " ".join(str(body.get("message") if isinstance(body, dict) else body).split())
            raise NodeError(f"节点 {self.url} 拒绝请求 {endpoint}：{message[:300]}{_hint(message)}")
        return body

    def load(self) -> int:
        status = self.call("daemonstatus.json")
        return int(status.get("pending", 0)) + int(status.get("running", 0))


_HINTS = {
    "no active project": "（节点的环境缺少 SCRAPY_SETTINGS_MODULE=crawlers.settings，见 deploy/scrapyd.env.example）",
    f"project '{PROJECT}' not found": f"（节点的 scrapyd.conf 缺少 [settings] {PROJECT} = crawlers.settings）",
    "ModuleNotFoundError": "（节点上未安装 yuqing 或其依赖）",
}


def _hint(message: str) -> str:
    return next((hint for needle, hint in _HINTS.items() if needle in message), "")


class AllNodesDown(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


def crawl_settings(app: App) -> list[tuple[str, str]]:
    """The [crawl] settings a local crawl gets through its environment, passed to the node as Scrapy
    settings so every node crawls with the scheduler's configuration."""
    c = app.settings.crawl
    size = c.max_response_mb * 1024 * 1024
    values = {
        "USER_AGENT": c.user_agent,
        "ROBOTSTXT_OBEY": str(c.obey_robots),
        "DOWNLOAD_MAXSIZE": str(size),
        "DOWNLOAD_WARNSIZE": str(size // 2),
    }
    return [("setting", f"{key}={value}") for key, value in values.items()]


def schedule(app: App, kind: str, name: str, run_id: int) -> tuple[Node, str]:
    """Post the crawl to the least busy node that accepts it; AllNodesDown when none does."""
    params = [("project", PROJECT), ("spider", kind), ("source", name), ("run_id", str(run_id))]
    params += crawl_settings(app)
    errors: list[str] = []
    with _pick_lock:
        ranked: list[tuple[int, int, Node]] = []
        for node in _candidates([Node.parse(raw) for raw in app.settings.crawl.scrapyd_nodes], errors):
            try:
                ranked.append((node.load(), _last_used.get(node.url, -1), node))
            except NodeError as exc:
                _failed(node, str(exc), errors)
        for _load, _used, node in sorted(ranked, key=lambda r: (r[0], r[1])):
            try:
                jobid = str(node.call("schedule.json", params, post=True)["jobid"])
            except (NodeError, KeyError) as exc:
                _failed(
                    node,
                    str(exc) if isinstance(exc, NodeError) else f"节点 {node.url} 未返回任务编号",
                    errors,
                )
                continue
            _last_used[node.url] = next(_sequence)
            _resting_until.pop(node.url, None)
            return node, jobid
    raise AllNodesDown(errors or ["未配置 Scrapyd 节点（crawl.scrapyd_nodes）"])


def _candidates(nodes: list[Node], errors: list[str]) -> list[Node]:
    """Nodes not resting after a recent failure; all of them when every node is resting."""
    now = time.monotonic()
    awake = [n for n in nodes if _resting_until.get(n.url, 0.0) <= now]
    if not awake:
        return nodes
    errors.extend(f"节点 {n.url} 刚失败过，{REST_S:.0f} 秒内不再尝试" for n in nodes if n not in awake)
    return awake


def _failed(node: Node, message: str, errors: list[str]) -> None:
    log.warning("节点不可用，改投其他节点：%s", message)
    errors.append(message)
    _resting_until[node.url] = time.monotonic() + REST_S


@dataclass
class JobOutcome:
    error: str | None = None
    kind: str | None = None  # the source failure kind to record with the error
    log_url: str = ""


def _job_state(jobs: dict[str, Any], jobid: str) -> tuple[str | None, dict[str, Any]]:
    for state in ("pending", "running", "finished"):
        for job in jobs.get(state) or []:
            if job.get("id") == jobid:
                return state, job
    return None, {}


def wait_for_job(node: Node, jobid: str, timeout_s: float) -> JobOutcome:
    """Poll listjobs.json until the job finishes. A timeout kills the job (like the local runner)."""
    t0 = time.monotonic()
    last_answer = t0
    while True:
        try:
            state, job = _job_state(node.call("listjobs.json", [("project", PROJECT)]), jobid)
            last_answer = time.monotonic()
        except NodeError as exc:
            if time.monotonic() - last_answer > LOST_AFTER_S:
                return JobOutcome(f"与节点失去联系超过 {LOST_AFTER_S:.0f} 秒：{exc}", "network")
            state, job = "unknown", {}
        if state == "finished":
            return JobOutcome(log_url=f"{node.url}{job.get('log_url') or ''}")
        if state is None:
            return JobOutcome(f"节点 {node.url} 上找不到任务 {jobid}（节点可能已重启）", "crashed")
        if time.monotonic() - t0 > timeout_s:
            _cancel(node, jobid)
            return JobOutcome(
                f"抓取超过 {timeout_s:.0f} 秒被终止（节点 {node.url}，任务 {jobid}）", "timeout"
            )
        time.sleep(POLL_S)


def _cancel(node: Node, jobid: str) -> None:
    try:
        node.call("cancel.json", [("project", PROJECT), ("job", jobid), ("signal", "KILL")], post=True)
    except NodeError as exc:
        log.warning("无法取消节点上的任务 %s：%s", jobid, exc)


def run_on_scrapyd(app: App, name: str) -> CrawlSummary:
    """Crawl now on a Scrapyd node and wait. Records a CrawlRun (with the node) like the local runner."""
    name, kind = resolve_source(app, name)
    started = app.clock.now()
    t0 = time.monotonic()
    run_id = begin_run(app, name, started, "scrapyd")
    try:
        node, jobid = schedule(app, kind, name, run_id)
    except AllNodesDown as exc:
        message = f"所有 Scrapyd 节点都不可用：{exc}"
        log.error("来源 %s：%s", name, message)
        return finish_run(app, name, run_id, started, time.monotonic() - t0, message, kind="network")
    log.info("来源 %s 已投递到节点 %s（任务 %s）", name, node.url, jobid)
    _set_node(app, run_id, node.url)
    outcome = wait_for_job(node, jobid, app.settings.crawl.timeout_s)
    error = outcome.error
    if error is None and not _reported(app, run_id):
        # The node's crawl process died before its health report (crash, OOM, missing config).
        error = f"节点上的抓取进程未报告结果，日志：{outcome.log_url}"
    seconds = time.monotonic() - t0
    return finish_run(app, name, run_id, started, seconds, error, node.url, outcome.kind or "crashed")


def _set_node(app: App, run_id: int, node: str) -> None:
    with transaction(app.sessions) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        run.node = node


def _reported(app: App, run_id: int) -> bool:
    with transaction(app.sessions) as session:
        run = session.get(CrawlRun, run_id)
        return run is not None and run.ok is not None


def check_nodes(app: App) -> list[str]:
    """One Chinese line per problem found on the configured nodes (empty: all nodes ready)."""
    kinds = sorted({s.kind for s in app.settings.sources if s.enabled})
    problems: list[str] = []
    for raw in app.settings.crawl.scrapyd_nodes:
        node = Node.parse(raw)
        try:
            load = node.load()
            projects = node.call("listprojects.json").get("projects") or []
            if PROJECT not in projects:
                problems.append(f"节点 {node.url}：未注册项目 {PROJECT}（见 docs/deployment.md）")
                continue
            spiders = node.call("listspiders.json", [("project", PROJECT)]).get("spiders") or []
        except NodeError as exc:
            problems.append(str(exc))
            continue
        missing = [k for k in kinds if k not in spiders]
        if missing:
            problems.append(f"节点 {node.url}：缺少爬虫 {'、'.join(missing)}（yuqing 版本是否一致？）")
            continue
        print(f"节点 {node.url}：正常，项目 {PROJECT}，爬虫 {len(spiders)} 个，排队与运行中 {load} 个")
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m tracker.scrapyd` (same as `yuqing nodes`)."""
    import sys

    from tracker.cli import main as cli_main

    return cli_main([*(sys.argv[1:] if argv is None else argv), "nodes"])


if __name__ == "__main__":
    raise SystemExit(main())
