"""Summarise an irctest run (pytest junit XML), optionally against a baseline.

usage: summarize.py <junit.xml> [<baseline.tsv>] [--write-tsv <out.tsv>]

The baseline is `<test id>\t<passed|failed|skipped|xfailed|error>` per line. Prints each test's
result, totals, and for a baseline the tests that passed there and not now (regressions)
and the other way round. Exit code 1 when there is a regression, or (without a baseline)
when any test failed; 0 otherwise.
"""

import sys
import xml.etree.ElementTree as ET


def results(path):
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "")
        # classname is dotted (irctest.server_tests.join.JoinTestCase): back to a node id.
        parts = module.split(".")
        node = "/".join(parts[:-1]) + ".py::" + parts[-1] + "::" + case.get("name", "")
        status = "passed"
        reason = ""
        for child in case:
            if child.tag in ("failure", "error"):
                status = "failed" if child.tag == "failure" else "error"
                reason = (child.get("message") or "").splitlines()[0:1]
                reason = reason[0] if reason else ""
                break
            if child.tag == "skipped":
                # pytest.xfail(): a failure the suite expects of that server (irctest's own list).
                status = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
                reason = child.get("message") or ""
                break
        out[node] = (status, reason[:160])
    return out


def main(argv):
    write_tsv = None
    if "--write-tsv" in argv:
        i = argv.index("--write-tsv")
        write_tsv = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    now = results(argv[0])
    baseline = {}
    if len(argv) > 1:
        with open(argv[1]) as fd:
            for line in fd:
                line = line.rstrip("\n")
                if line and not line.startswith("#"):
                    node, status = line.split("\t")[:2]
                    baseline[node] = status

    for node in sorted(now):
        status, reason = now[node]
        was = baseline.get(node)
        mark = "" if was is None or was == status else f"   (baseline: {was})"
        print(f"{status.upper():8} {node}{(' -- ' + reason) if reason and status != 'passed' else ''}{mark}")

    counts = {}
    for status, _ in now.values():
        counts[status] = counts.get(status, 0) + 1
    print()
    print(f"{counts.get('passed', 0)} passed, {counts.get('failed', 0) + counts.get('error', 0)} failed, "
          f"{counts.get('skipped', 0)} skipped"
          + (f", {counts['xfailed']} xfailed" if counts.get("xfailed") else "") + f" ({len(now)} tests)")

    code = 0
    if baseline:
        regressions = [n for n, s in baseline.items() if s == "passed" and n in now and now[n][0] != "passed"]
        fixed = [n for n, s in baseline.items() if s != "passed" and n in now and now[n][0] == "passed"]
        missing = [n for n in baseline if n not in now]
        base_passed = sum(1 for s in baseline.values() if s == "passed")
        print(f"baseline: {base_passed} of {len(baseline)} passed; now {counts.get('passed', 0)}")
        if missing:
            print(f"not run ({len(missing)}): " + " ".join(missing[:10]) + (" ..." if len(missing) > 10 else ""))
        for node in regressions:
            print(f"REGRESSION {node} -- {now[node][0]}: {now[node][1]}")
        for node in fixed:
            print(f"NEWLY PASSING {node}")
        print(f"{len(regressions)} regressions, {len(fixed)} newly passing")
        code = 1 if regressions else 0
    elif counts.get("failed", 0) + counts.get("error", 0):
        code = 1

    if write_tsv:
        with open(write_tsv, "w") as fd:
            for node in sorted(now):
                fd.write(f"{node}\t{now[node][0]}\t{now[node][1]}\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
