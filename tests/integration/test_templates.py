"""logmash.template and scripts/templates.lua: which kind of line each log
is, measured on Loghub's 16 real formats against their ground truth
(../shared/loghub, read there) with the one default setting."""
import os
import sys

import pytest

from conftest import ROOT, dry, script

sys.path.insert(0, os.path.join(ROOT, "tests"))
import template_ga  # noqa: E402

needs_loghub = pytest.mark.skipif(not os.path.isdir(template_ga.LOGHUB),
                                  reason="no ../shared/loghub")


@needs_loghub
def test_grouping_accuracy_on_the_16_loghub_datasets():
    results = template_ga.measure_all()
    print("\n" + template_ga.table(results))
    avg = sum(r["ga"] for r in results) / len(results)
    assert avg >= 0.90, template_ga.table(results)  # Drain, tuned per dataset: 0.8654
    assert sum(r["ga"] >= r["drain"] for r in results) >= 12
    assert min(r["ga"] for r in results) >= 0.60


def test_templates_example_sets_its_items():
    lines = ["Invalid user admin from 10.0.0.7", "Accepted password for root from 10.0.0.9 port 22",
             "Invalid user admin from 192.168.1.20", "Accepted password for root from 10.0.0.1 port 4"]
    bodies, p = dry(["-e", script("templates.lua"), "-"], input="\n".join(lines) + "\n")
    items = [b["items"] for b in bodies]
    assert items[0]["template"] == "Invalid user admin from <*>"
    assert items[1]["template"] == "Accepted password for root from <*> port <*>"
    assert items[0]["template_id"] == items[2]["template_id"]
    assert items[1]["template_id"] == items[3]["template_id"]
    assert items[0]["template_id"] != items[1]["template_id"]
    assert all(len(i["template_id"]) == 10 for i in items)
