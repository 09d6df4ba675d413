"""Reports built on the ledger: unit scorecards (单位考核), the daily brief (每日舆情简报), and the
file writers they and the ledger share."""
