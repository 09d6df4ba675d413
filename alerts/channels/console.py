"""Print alerts to standard output: ``console://``.

Setup: nothing. For development and for `yuqing run` in a terminal or under systemd, where stdout
goes to the journal (``journalctl -u yuqing``). Markdown is turned into plain text.
"""

from __future__ import annotations

import sys

from alerts.channels.base import Channel, ChannelConfigError, ChannelOptions, ChannelUrl
from alerts.messages import markdown_to_text


class ConsoleChannel(Channel):
    kind = "console"
    display_name = "控制台"

    @classmethod
    def from_url(cls, url: ChannelUrl, options: ChannelOptions) -> ConsoleChannel:
        if url.host or url.path.strip("/"):
            raise ChannelConfigError("控制台渠道写作 console://，不需要其他内容")
        return cls(url.raw, [], options)

    def _send(self, title: str, body: str, mentions: tuple[str, ...]) -> bool:
        text = f"{title}\n{markdown_to_text(body)}"
        if mentions:
            text += "\n提醒：" + "、".join(mentions)
        # sys.stdout looked up at call time, so redirection (and pytest's capture) is honoured.
        print(text + "\n", file=sys.stdout, flush=True)
        return True
