#!/usr/bin/env python3
"""Joins the GPU check's results into summary.json and the short table printed last.

Inputs (any may be missing: the table then says what is missing): gpu_bench.json (GpuBench,
nfn4j), torch_baseline.json (native/torch_baseline.py), the JUnit XML report of the test
suite, and each stage's exit status. Targets (same GPU, one run, medians):
  zoo_hnp_train_step, zoo_np_train_step (graph-captured): >= 10x faster than PyTorch eager;
  np_mlp1024_c32_fwd: >= 75% of the measured copy bandwidth and >= 1.5x faster than torch.compile;
  np_mlp1024_c32_fwd_bwd: >= 1.5x faster than torch.compile.

    python3 native/gpu_summary.py --bench gpu_bench.json --torch torch_baseline.json \
        --tests-xml tests.xml --stage tests=0 --stage bench=0 --out summary.json
"""
import argparse
import glob
import gzip
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

TARGETS = {
    "zoo_hnp_train_step": dict(vs_eager=10.0),
    "zoo_np_train_step": dict(vs_eager=10.0),
    "np_mlp1024_c32_fwd": dict(copy_fraction=0.75, vs_compiled=1.5),
    "np_mlp1024_c32_fwd_bwd": dict(vs_compiled=1.5),
}


def load(path):
    if not path or not os.path.exists(path):
        return None, f"{path or 'file'} missing"
    try:
        with open(path) as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        return None, f"{path} unreadable: {e}"


def canonical(d):
    """A workload definition from either side, in one form: GpuBench writes strings, the baseline lists."""
    if d is None:
        return None

    def csv(v):
        if v is None or v == "":
            return ""
        return v if isinstance(v, str) else ",".join(str(x) for x in v)

    filters = d.get("filters")
    if isinstance(filters, str):
        filters = [f.strip() for f in filters.split(",")] if filters else []
    else:
        filters = ["-" if f is None else "x".join(str(x) for x in f) for f in filters or []]
    n_layers = len(csv(d.get("sizes")).split(",")) - 1
    if not filters or all(f == "-" for f in filters):
        filters = ["-"] * n_layers
    return dict(kind=d.get("kind"), mode=d.get("mode"), sizes=csv(d.get("sizes")), filters=",".join(filters),
                cin=d.get("cin"), cout=d.get("cout"), batch=d.get("batch"), hidden=csv(d.get("hidden")),
                head=d.get("head") or 0)


def console_counts(path):
    """Totals from the JUnit console launcher's output (tests.txt), where no XML report was written
    (a run stopped at its timeout): its closing summary, else the tree's [OK] and [X] marks so far."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError as e:
        return dict(error=f"no test report, and {path} unreadable: {e}")
    summary = {k: int(n) for n, k in re.findall(r"^\[\s+(\d+) tests (successful|failed|skipped|aborted)\s+\]", text, re.M)}
    if summary:
        return dict(tests=sum(summary.values()), passed=summary.get("successful", 0), failures=summary.get("failed", 0),
                    errors=0, skipped=summary.get("skipped", 0) + summary.get("aborted", 0), failed=[],
                    source="console summary (no XML report)")
    ok, bad = len(re.findall(r"\[OK\]", text)), len(re.findall(r"\[X\]", text))
    return dict(tests=ok + bad, passed=ok, failures=bad, errors=0, skipped=0, failed=[],
                source="partial: the run ended before its summary (timeout?); [OK]/[X] marks counted, containers included")


def junit_counts(path, console=None):
    """Totals of a JUnit XML report (plain or .gz): tests, failures, errors, skipped, and the failed test names."""
    if not path or not os.path.exists(path):
        if console and os.path.exists(console):
            return console_counts(console)
        return dict(error=f"{path or 'test report'} missing")
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            root = ET.parse(f).getroot()
    except (OSError, ET.ParseError) as e:
        return dict(error=f"{path} unreadable: {e}")
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    c = dict(tests=0, failures=0, errors=0, skipped=0, failed=[])
    for s in suites:
        for k in ("tests", "failures", "errors", "skipped"):
            c[k] += int(s.get(k, 0))
        for tc in s.iter("testcase"):
            if tc.find("failure") is not None or tc.find("error") is not None:
                bad = tc.find("failure") if tc.find("failure") is not None else tc.find("error")
                c["failed"].append(f"{tc.get('classname')}.{tc.get('name')}: {(bad.get('message') or '')[:200]}")
    c["passed"] = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
    return c


def median(block):
    return block.get("median_ms") if isinstance(block, dict) else None


def evaluate(name, nf, tb, copy_gbps):
    """One table row: nfn4j's and PyTorch's medians, ratios, and the target's verdict."""
    row = dict(name=name)
    if nf is not None:
        row["nfn4j_graph_ms"] = median(nf.get("graph"))
        row["nfn4j_eager_ms"] = median(nf.get("eager"))
        row["nfn4j_gbps"] = (nf.get("graph") or {}).get("gbps")
        row["bytes"], row["flops"] = nf.get("bytes"), nf.get("flops")
        if nf.get("graph_matches_eager") is False:
            row["warning"] = "graph replay differs from the eager run"
        if "error" in nf:
            row["nfn4j_error"] = nf["error"]
        if "skipped" in nf:
            row["nfn4j_error"] = "skipped: " + nf["skipped"]
    if tb is not None:
        row["torch_eager_ms"] = median(tb.get("eager"))
        row["torch_compiled_ms"] = median(tb.get("compiled"))
        if "error" in tb:
            row["torch_error"] = tb["error"]
        if "compile_error" in tb or "compile_skipped" in tb:
            row["torch_compile_note"] = tb.get("compile_error") or tb.get("compile_skipped")
    ours = row.get("nfn4j_graph_ms")
    if ours and row.get("torch_eager_ms"):
        row["speedup_vs_eager"] = row["torch_eager_ms"] / ours
    if ours and row.get("torch_compiled_ms"):
        row["speedup_vs_compiled"] = row["torch_compiled_ms"] / ours
    if copy_gbps and row.get("nfn4j_gbps"):
        row["fraction_of_copy"] = row["nfn4j_gbps"] / copy_gbps
        if row.get("bytes"):
            row["floor_ms"] = row["bytes"] / (copy_gbps * 1e6)
    t = TARGETS.get(name)
    if t is None:
        row["target"], row["verdict"] = "-", "-"
        return row
    parts, verdicts = [], []
    for key, need in t.items():
        have = {"vs_eager": row.get("speedup_vs_eager"), "vs_compiled": row.get("speedup_vs_compiled"),
                "copy_fraction": row.get("fraction_of_copy")}[key]
        label = {"vs_eager": f">= {need:g}x eager", "vs_compiled": f">= {need:g}x compile",
                 "copy_fraction": f">= {need:.0%} copy"}[key]
        parts.append(label)
        verdicts.append(None if have is None else have >= need)
    row["target"] = ", ".join(parts)
    row["verdict"] = "n/a" if any(v is None for v in verdicts) else ("PASS" if all(verdicts) else "FAIL")
    return row


def fmt(v, pattern="{:.3f}"):
    return "-" if v is None else pattern.format(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", help="GpuBench JSON")
    ap.add_argument("--torch", help="torch_baseline JSON")
    ap.add_argument("--tests-xml", help="JUnit XML report (or a folder of them, or .gz)")
    ap.add_argument("--tests-txt", help="the console launcher's output, read where the XML report is missing")
    ap.add_argument("--stage", action="append", default=[], help="NAME=EXIT_STATUS of a stage of the check")
    ap.add_argument("--facts", action="append", default=[], help="KEY=VALUE device facts to record")
    ap.add_argument("--out", help="summary JSON to write")
    args = ap.parse_args(argv)

    bench, bench_err = load(args.bench)
    torch_, torch_err = load(args.torch)
    xml = args.tests_xml
    if xml and os.path.isdir(xml):
        found = sorted(glob.glob(os.path.join(xml, "*.xml")))
        xml = found[0] if found else None
    tests = junit_counts(xml, args.tests_txt)
    copy = (torch_ or {}).get("copy") or {}
    copy_gbps = copy.get("gbps")
    nf_by = {w["name"]: w for w in (bench or {}).get("workloads", [])}
    tb_by = {w["name"]: w for w in (torch_ or {}).get("workloads", [])}
    names = [n for n in list(nf_by) + [n for n in tb_by if n not in nf_by] if n != "nfn4j_copy"]
    rows, mismatched = [], []
    for n in names:
        a = canonical((nf_by.get(n) or {}).get("definition"))
        b = canonical((tb_by.get(n) or {}).get("definition"))
        if a and b and a != b:
            mismatched.append(dict(name=n, nfn4j=a, torch=b))
        rows.append(evaluate(n, nf_by.get(n), tb_by.get(n), copy_gbps))
    summary = dict(
        device=(bench or {}).get("device"), torch_facts=(torch_ or {}).get("facts"),
        date=(bench or torch_ or {}).get("date"), stages=dict(s.split("=", 1) for s in args.stage),
        facts=dict(f.split("=", 1) for f in args.facts), tests=tests,
        copy=dict(gbps=copy_gbps, median_ms=copy.get("median_ms"), bytes=copy.get("bytes"), error=copy.get("error")),
        nfn4j_copy=nf_by.get("nfn4j_copy"), workloads=rows, definition_mismatches=mismatched,
        fixtures_checked=[f for f in (torch_ or {}).get("fixtures", [])],
        missing=[e for e in (bench_err, torch_err) if e])
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(summary, f, indent=2)
        os.replace(tmp, args.out)

    # The table: last in the output, short.
    print()
    print(f"== nfn4j GPU check: {summary['device'] or '(no nfn4j device)'}; torch "
          f"{(summary['torch_facts'] or {}).get('torch', '-')} on {(summary['torch_facts'] or {}).get('name', '-')}; "
          f"{summary['date'] or ''}")
    print(f"{'workload':<24} {'nfn4j ms':>9} {'eager*':>9} {'torch ms':>9} {'compile':>9} {'x eager':>8} {'x comp':>7} "
          f"{'GB/s':>7} {'%copy':>6}  target -> verdict")
    for r in rows:
        err = r.get("nfn4j_error") or r.get("torch_error") or (
            None if r.get("torch_compiled_ms") is not None or not r.get("torch_compile_note") else "compile: " + r["torch_compile_note"])
        print(f"{r['name']:<24} {fmt(r.get('nfn4j_graph_ms')):>9} {fmt(r.get('nfn4j_eager_ms')):>9} "
              f"{fmt(r.get('torch_eager_ms')):>9} {fmt(r.get('torch_compiled_ms')):>9} "
              f"{fmt(r.get('speedup_vs_eager'), '{:.1f}x'):>8} {fmt(r.get('speedup_vs_compiled'), '{:.2f}x'):>7} "
              f"{fmt(r.get('nfn4j_gbps'), '{:.4g}'):>7} {fmt(r.get('fraction_of_copy'), '{:.0%}'):>6}  "
              f"{r['target']} -> {r['verdict']}" + (f"  [{err[:80]}]" if err else "")
              + (f"  [{r['warning']}]" if r.get("warning") else ""))
    print("  (nfn4j ms: graph-captured replay; eager*: nfn4j launched op by op; torch ms: PyTorch eager; compile: torch.compile)")
    nc = summary["nfn4j_copy"] or {}
    print(f"copy bandwidth: torch {fmt(copy_gbps, '{:.0f}')} GB/s"
          + (f" ({copy['error']})" if copy.get("error") else "")
          + f"; nfn4j copy4d {fmt((nc.get('graph') or {}).get('gbps'), '{:.0f}')} GB/s")
    if "error" in tests:
        print(f"tests: {tests['error']}")
    else:
        print(f"tests: {tests['tests']} run, {tests['passed']} passed, {tests['failures']} failed, "
              f"{tests['errors']} errors, {tests['skipped']} skipped" + (f" ({tests['source']})" if "source" in tests else ""))
        for f in tests["failed"][:8]:
            print(f"  FAILED {f}")
        if len(tests["failed"]) > 8:
            print(f"  ... and {len(tests['failed']) - 8} more (tests.txt)")
    fx = summary["fixtures_checked"]
    if fx:
        print(f"torch baseline vs nfn fixtures: {sum(1 for f in fx if f.get('passed'))}/{len(fx)} match")
    for m in mismatched:
        print(f"DEFINITION MISMATCH {m['name']}: nfn4j {m['nfn4j']} vs torch {m['torch']}")
    for e in summary["missing"]:
        print(f"missing: {e}")
    print("stages: " + ", ".join(f"{k}={'ok' if v == '0' else ('rc ' + v if v.isdigit() else v)}" for k, v in summary["stages"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
