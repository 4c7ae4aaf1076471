#!/usr/bin/env python3
"""Brings docs/tactical-rmm-compatibility.md in line with the routes a host serves.

usage: GARRISON_ROUTES_OUT=/tmp/routes.txt swift test --skip-build --filter CompatibilityTableTests
       scripts/update-compat-table.py /tmp/routes.txt

Tactical RMM rows flip between `no` and `yes` as the served routes say (a `differs` row that is
no longer served becomes `no`; its note stays for whoever serves it again); Garrison's own
routes are listed again from the served ones, keeping the descriptions already written; the
coverage line is counted again. Review the diff: a row that became `yes` may deserve `differs`.
"""
import re
import sys

DOC = "docs/tactical-rmm-compatibility.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def shape(path):
    return re.sub(r"[<{][^>}]*[>}]", "{}", path)


def main(routes_file):
    served = {}
    for line in open(routes_file, encoding="utf-8"):
        line = line.rstrip("\n")
        if line:
            key, _, summary = line.partition("\t")
            method, _, path = key.partition(" ")
            served[(method, shape(path))] = (path, summary)

    lines = open(DOC, encoding="utf-8").read().split("\n")
    out, trmm, own_descriptions, in_own = [], set(), {}, False
    for line in lines:
        if line.startswith("## Garrison's own routes"):
            in_own = True
        cells = [c.strip() for c in line.split("|")]
        if len(cells) >= 5 and cells[1] in METHODS:
            key = (cells[1], shape(cells[2].strip("`")))
            if in_own:
                own_descriptions[key] = cells[4]
                continue
            trmm.add(key)
            status = cells[3]
            if key in served and status == "no":
                status = "yes"
            elif key not in served and status in ("yes", "differs"):
                status = "no"
            cells[3] = status
            line = "| " + " | ".join(cells[1:-1]) + " |"
        out.append(line)

    # Garrison's own table: header lines kept, rows rebuilt.
    end = len(out)
    while end > 0 and not out[end - 1].startswith("|---"):
        end -= 1
    out = out[:end]
    for key in sorted(served):
        if key not in trmm:
            path, summary = served[key]
            out.append(f"| {key[0]} | `{path}` | garrison | {own_descriptions.get(key) or summary} |")
    out.append("")

    text = "\n".join(out)
    rows = re.findall(r"^\| (?:GET|POST|PUT|PATCH|DELETE) \| `[^`]+` \| (yes|differs|no|excluded) \|", text, re.M)
    present = sum(1 for r in rows if r in ("yes", "differs"))
    text = re.sub(
        r"\*\*Coverage: \d+ of \d+ route and method pairs \(\d+%\)\.\*\*",
        f"**Coverage: {present} of {len(rows)} route and method pairs ({round(100 * present / len(rows))}%).**",
        text)
    open(DOC, "w", encoding="utf-8").write(text)
    print(f"{present} of {len(rows)} Tactical RMM route and method pairs served")


if __name__ == "__main__":
    main(sys.argv[1])
