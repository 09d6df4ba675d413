"""Append-only JSON Lines file: ``file:///var/lib/yuqing/alerts.jsonl`` (absolute) or
``file://var/alerts.jsonl`` (relative to the working directory).

Setup: nothing to create in any app. For development, for tests, and for offices without WeCom,
DingTalk or Feishu: another program (or a person with ``tail -f``) reads the file. Each alert is one
line ``{"title", "body", "sent_at", "mention_mobiles"}``, written with a single ``write`` on an
``O_APPEND`` descriptor (so lines from two processes do not interleave) and ``fsync``-ed before
``send`` returns True: a delivered alert survives a power cut.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from alerts.channels.base import Channel, ChannelConfigError, ChannelOptions, ChannelUrl


class FileChannel(Channel):
    kind = "file"
    display_name = "文件"

    def __init__(self, url: ChannelUrl, path: str, options: ChannelOptions) -> None:
        super().__init__(url.raw, [], options)
        self.path = path

    @classmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> FileChannel:
        path = url.host + url.path
        if not path or path.endswith("/"):
            raise ChannelConfigError(
                "文件渠道应形如 file:///绝对路径/alerts.jsonl 或 file://相对路径/alerts.jsonl"
            )
        return cls(url, path, options)

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        sent_at = datetime.fromtimestamp(self.clock(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = {"title": title, "body": body, "sent_at": sent_at, "mention_mobiles": list(mentions)}
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            parent = os.path.dirname(self.path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                start = os.lseek(fd, 0, os.SEEK_END)
                written = os.write(fd, line)
                if written != len(line):  # a short write (disk full): the line is incomplete
                    os.ftruncate(fd, start)  # take the half line back, so a retry starts on a clean line
                    return self.fail(
                        f"写入预警文件 {self.path} 不完整（{written}/{len(line)} 字节），磁盘可能已满"
                    )
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            return self.fail(f"写入预警文件 {self.path} 失败：{exc.strerror or exc}")
        return True
