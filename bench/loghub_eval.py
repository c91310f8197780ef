#!/usr/bin/python3
"""loghub_eval: score a template miner on the 16 LogHub 2k samples.

Usage:
    loghub_eval.py [--data DIR] [--variant corrected|loghub2|original]
                   [--datasets A,B,...] [--misses N] [-- COMMAND ...]

For each dataset the Content column of <D>/<D>_2k.log_structured_<variant>.csv
is written to COMMAND's stdin, one message per line; COMMAND must print
exactly one template per input line, in order.  The default COMMAND is
`logwarden templates --raw`; before that exists, use the masking tool:

    bench/loghub_eval.py -- build/bench/lw-miner-speed --raw

Metrics (per dataset, then the plain average over the datasets scored):

GA, grouping accuracy: messages are grouped by the identical predicted
template string, and by the identical ground-truth EventTemplate.  A message
counts as correct when its predicted group holds exactly the same messages
as its true group.  This is the definition of Zhu et al. (ICSE-SEIP 2019)
as computed by the Loghub-2.0 evaluator (grouped by EventTemplate, not
EventId).

PA, parsing accuracy: share of messages whose predicted template equals the
true template.  Loghub-2.0 compares the two strings exactly; both strings
are normalised here first, in the same way:
  1. every run of white space becomes one space; leading and trailing white
     space is removed (HealthApp's ground truth keeps trailing blanks, and
     miners collapse spaces);
  2. adjacent placeholders with nothing between them, "<*><*>", become one
     "<*>" (the post-processing every Loghub-2.0 parser applies).
Nothing else is treated as equivalent: "<*>" is a literal placeholder on
both sides, it does not match arbitrary text, so "<*>:<*>" and "<*>" differ.

Only the Python standard library is used; run with /usr/bin/python3.
"""

import argparse
import csv
import os
import re
import subprocess
import sys
import time

DATASETS = [
    "HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird",
    "Windows", "Linux", "Android", "HealthApp", "Apache", "Proxifier",
    "OpenSSH", "OpenStack", "Mac",
]

# The benchmark's header formats (see loghub2k/README.md), handed to the
# command as LOGHUB_LOG_FORMAT for tools that parse raw lines themselves.
LOG_FORMATS = {
    "HDFS": r"<Date> <Time> <Pid> <Level> <Component>: <Content>",
    "Hadoop": r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
    "Spark": r"<Date> <Time> <Level> <Component>: <Content>",
    "Zookeeper": r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
    "BGL": r"<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
    "HPC": r"<LogId> <Node> <Component> <State> <Time> <Flag> <Content>",
    "Thunderbird": r"<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>",
    "Windows": r"<Date> <Time>, <Level>                  <Component>    <Content>",
    "Linux": r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
    "Android": r"<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
    "HealthApp": r"<Time>\|<Component>\|<Pid>\|<Content>",
    "Apache": r"\[<Time>\] \[<Level>\] <Content>",
    "Proxifier": r"\[<Time>\] <Program> - <Content>",
    "OpenSSH": r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>",
    "OpenStack": r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
    "Mac": r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>",
}

SUFFIX = {
    "corrected": "_2k.log_structured_corrected.csv",
    "loghub2": "_2k.log_structured_loghub2.csv",
    "original": "_2k.log_structured.csv",
}

RUN_TIMEOUT = 300   # seconds per dataset

_WS = re.compile(r"\s+")
_VARS = re.compile(r"(?:<\*>){2,}")


def normalise(t):
    """The PA normalisation described in the module docstring."""
    return _VARS.sub("<*>", _WS.sub(" ", t).strip())


def default_data_dir():
    shared = os.environ.get("LW_SHARED_DIR")
    if shared:
        return os.path.join(shared, "loghub2k")
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared",
                                         "loghub2k"))


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["Content"] for r in rows], [r["EventTemplate"] for r in rows]


def run_command(cmd, contents, fmt):
    """Feeds contents to cmd; returns its output lines and the run time."""
    env = dict(os.environ, LOGHUB_LOG_FORMAT=fmt)
    data = "".join(c + "\n" for c in contents).encode("utf-8")
    t0 = time.monotonic()
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, env=env,
                       timeout=RUN_TIMEOUT, check=False)
    elapsed = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("command exited with status %d" % p.returncode)
    out = p.stdout.decode("utf-8", errors="replace").split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != len(contents):
        raise RuntimeError("%d lines in, %d lines out"
                           % (len(contents), len(out)))
    return out, elapsed


def grouping_accuracy(truth, pred):
    groups_t, groups_p = {}, {}
    for i, (t, p) in enumerate(zip(truth, pred)):
        groups_t.setdefault(t, []).append(i)
        groups_p.setdefault(p, []).append(i)
    correct = 0
    for members in groups_p.values():
        if groups_t[truth[members[0]]] == members:
            correct += len(members)
    return correct / len(truth)


def parsing_accuracy(truth, pred):
    ok = sum(1 for t, p in zip(truth, pred) if normalise(t) == normalise(p))
    return ok / len(truth)


def show_misses(name, contents, truth, pred, limit):
    """The most frequent wrong templates, one example message each."""
    seen = {}
    for c, t, p in zip(contents, truth, pred):
        if normalise(t) != normalise(p):
            key = (t, p)
            if key not in seen:
                seen[key] = [0, c]
            seen[key][0] += 1
    worst = sorted(seen.items(), key=lambda kv: -kv[1][0])[:limit]
    for (t, p), (n, c) in worst:
        print("  %s x%d\n    msg:  %s\n    true: %s\n    got:  %s"
              % (name, n, c[:160], t[:160], p[:160]))


def main():
    ap = argparse.ArgumentParser(
        description="Grouping and parsing accuracy on LogHub 2k.",
        epilog="Everything after -- is the command to run.")
    ap.add_argument("--data", default=default_data_dir(),
                    help="the loghub2k folder (default: %(default)s)")
    ap.add_argument("--variant", choices=sorted(SUFFIX), default="corrected",
                    help="ground truth to score against (default: corrected)")
    ap.add_argument("--datasets", default=",".join(DATASETS),
                    help="comma-separated subset")
    ap.add_argument("--misses", type=int, default=0, metavar="N",
                    help="print the N most frequent wrong templates")
    argv = sys.argv[1:]
    cmd = ["logwarden", "templates", "--raw"]
    if "--" in argv:
        k = argv.index("--")
        argv, cmd = argv[:k], argv[k + 1:]
        if not cmd:
            ap.error("nothing after --")
    args = ap.parse_args(argv)

    names = [d for d in args.datasets.split(",") if d]
    for d in names:
        if d not in DATASETS:
            ap.error("unknown dataset %s" % d)

    print("command: %s\nground truth: %s (%s)\n"
          % (" ".join(cmd), args.variant, args.data))
    print("%-12s %6s %6s %8s %8s %8s" % ("dataset", "GA", "PA", "groups",
                                         "truth", "seconds"))
    ga_sum = pa_sum = 0.0
    scored = failed = 0
    for d in names:
        path = os.path.join(args.data, d, d + SUFFIX[args.variant])
        if not os.path.exists(path):
            print("%-12s (no %s ground truth)" % (d, args.variant))
            continue
        contents, truth = load(path)
        try:
            pred, secs = run_command(cmd, contents, LOG_FORMATS[d])
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            print("%-12s FAILED: %s" % (d, e))
            failed += 1
            continue
        ga = grouping_accuracy(truth, pred)
        pa = parsing_accuracy(truth, pred)
        ga_sum += ga
        pa_sum += pa
        scored += 1
        print("%-12s %6.3f %6.3f %8d %8d %8.2f"
              % (d, ga, pa, len(set(pred)), len(set(truth)), secs))
        if args.misses > 0:
            show_misses(d, contents, truth, pred, args.misses)
    if scored:
        print("%-12s %6.3f %6.3f   (%d datasets)"
              % ("average", ga_sum / scored, pa_sum / scored, scored))
    return 1 if failed or not scored else 0


if __name__ == "__main__":
    sys.exit(main())
