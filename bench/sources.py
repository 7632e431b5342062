"""How many rules cite a source: counts over the rule data files (printed for the issue notes)."""

from __future__ import annotations

import collections

from weiquan.domain.channels import CHANNELS
from weiquan.domain.citations import all_citations
from weiquan.domain.datafiles import load
from weiquan.domain.taxonomy import TYPES


def main() -> None:
    cites = all_citations()
    by_conf = collections.Counter(c.confidence for c in cites)
    print(
        f"citations: {len(cites)} ({', '.join(f'{k} {v}' for k, v in sorted(by_conf.items()))}); "
        f"with a source: {sum(bool(c.source) for c in cites)}"
    )
    print(f"problem types: {len(TYPES)}, each with {min(len(t.basis) for t in TYPES.values())}+ legal bases")
    print(
        f"channels: {len(CHANNELS)}, with basis: {sum(bool(c.basis) for c in CHANNELS.values())}, "
        f"with sources: {sum(bool(c.sources) for c in CHANNELS.values())}"
    )
    limits = [t for c in CHANNELS.values() for t in c.time_limits]
    print(f"channel time limits: {len(limits)}, citing a source: {sum(bool(t.citation) for t in limits)}")
    rules = load("rules")["complaint_rules"]
    print(f"12315 rule versions: {len(rules)}, each with a source: {all(r['source'] for r in rules)}")
    rows = load("small_claims")
    rows = rows["rows"]
    print(f"small-claims rows: {len(rows)}, with a source URL: {sum(bool(r.get('source')) for r in rows)}")
    defaults = load("rules")["product_defaults"]
    print(f"product defaults (not law, each with a note saying so): {len(defaults)}")


if __name__ == "__main__":
    main()
