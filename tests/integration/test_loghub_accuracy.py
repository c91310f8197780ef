#!/usr/bin/python3
"""Accuracy regression test for the template miner on LogHub 2k.

Feeds each of the 16 data sets' Content column to `logwarden templates
--raw` and scores grouping accuracy (GA) and parsing accuracy (PA) with
bench/loghub_eval.py's definitions.  Accuracy is deterministic, so the
floors sit just under the figures achieved (bench/RESULTS.md); a change
that loses accuracy fails here.  The data is read where it lies
(LW_SHARED_DIR/loghub2k), never copied into the project.
"""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

GA_FLOOR = 0.930        # achieved: 0.934
PA_FLOOR = 0.765        # achieved: 0.771
# Per data set, so that a gain on one cannot hide a loss on another.
DATASET_GA_FLOOR = 0.50


def load_eval():
    path = os.path.join(ROOT, "bench", "loghub_eval.py")
    spec = importlib.util.spec_from_file_location("loghub_eval", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ev = load_eval()
    binary = os.environ.get("LOGWARDEN_BIN",
                            os.path.join(ROOT, "build", "daemon",
                                         "logwarden"))
    data = ev.default_data_dir()
    if not os.path.isdir(data):
        data = os.path.normpath(os.path.join(ROOT, "..", "shared",
                                             "loghub2k"))
    cmd = [binary, "templates", "--raw"]
    ga_sum = pa_sum = 0.0
    bad = []
    for d in ev.DATASETS:
        path = os.path.join(data, d, d + ev.SUFFIX["corrected"])
        contents, truth = ev.load(path)
        pred, _ = ev.run_command(cmd, contents, ev.LOG_FORMATS[d])
        ga = ev.grouping_accuracy(truth, pred)
        pa = ev.parsing_accuracy(truth, pred)
        print("%-12s GA %.3f PA %.3f" % (d, ga, pa))
        if ga < DATASET_GA_FLOOR:
            bad.append("%s GA %.3f < %.2f" % (d, ga, DATASET_GA_FLOOR))
        ga_sum += ga
        pa_sum += pa
    n = len(ev.DATASETS)
    ga, pa = ga_sum / n, pa_sum / n
    print("average      GA %.4f PA %.4f" % (ga, pa))
    if ga < GA_FLOOR:
        bad.append("average GA %.4f < %.3f" % (ga, GA_FLOOR))
    if pa < PA_FLOOR:
        bad.append("average PA %.4f < %.3f" % (pa, PA_FLOOR))
    for b in bad:
        print("FAIL: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
