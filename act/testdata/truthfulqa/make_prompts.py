#!/usr/bin/python3
"""Makes prompts.json, the TruthfulQA fixture of package act (truthfulqa_test.go).

lm-evaluation-harness cannot be installed here (it needs torch, datasets,
...), so this script runs the parts of it that make and score a
truthfulqa_mc1 / truthfulqa_mc2 request, from a checkout of its repository:

  - the task configs lm_eval/tasks/truthfulqa/truthfulqa_mc1.yaml and
    truthfulqa_mc2.yaml, read with PyYAML (mc2's "include" merged under its
    own keys, its "!function" tag kept as a name);
  - the harness's own Jinja environment and apply_template
    (lm_eval/utils.py: StrictUndefined, keep_trailing_newline=True) and its
    Message (lm_eval/api/utils.py), loaded straight from the files
    (requests, which lm_eval/utils.py imports but apply_template never
    touches, is stubbed);
  - ConfigurableTask's steps for a plain-text zero-shot multiple-choice
    request (the tasks' num_fewshot is 0, and the harness ignores a
    num_fewshot asked for a task whose config says 0): no description, no
    system instruction, the document's doc_to_text as a user message with
    no delimiter; doc_to_choice is ast.literal_eval of the rendered
    template; doc_to_target is 0; construct_requests makes one
    (context, target_delimiter + choice) request per choice, the default
    target_delimiter " ";
  - process_results_mc2 of lm_eval/tasks/truthfulqa/utils.py, with numpy,
    on log-likelihoods drawn here from a seeded generator (datasets,
    sacrebleu and rouge_score, which that module imports for its generation
    task, are stubbed).

The documents are read from mc_task.json next to this file (a synthetic
file in the release's format, written for actsh: it is not TruthfulQA) as
the Hugging Face loader of truthful_qa "multiple_choice" did
(datasets/truthful_qa/truthful_qa.py): json.load, then for mc1_targets and
mc2_targets choices = list(keys), labels = list(values).

Usage:
    git -C HARNESS_GIT archive HEAD lm_eval | tar -x -C /tmp/harness
    /usr/bin/python3 make_prompts.py /tmp/harness [COMMIT]

Writes prompts.json next to this file: the harness commit (when given), the
tasks' versions, for every document and both tasks the context, the
continuations and the gold index, the mc2 scores of the drawn
log-likelihoods, and the questions TruthfulQAData.Split learns from for a
few seeds (Python's random.seed and random.shuffle).
"""

import ast
import importlib.util
import json
import os
import random
import sys
import types

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def harness_modules(root):
    sys.modules.setdefault("requests", types.ModuleType("requests"))
    for name in ("datasets", "sacrebleu"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["datasets"].Dataset = object  # named in an annotation only
    rouge = types.ModuleType("rouge_score")
    rouge.rouge_scorer = types.ModuleType("rouge_score.rouge_scorer")
    rouge.scoring = types.ModuleType("rouge_score.scoring")
    sys.modules.setdefault("rouge_score", rouge)
    utils = load_module("harness_utils", os.path.join(root, "lm_eval", "utils.py"))
    api_utils = load_module("harness_api_utils", os.path.join(root, "lm_eval", "api", "utils.py"))
    tqa_utils = load_module("harness_tqa_utils", os.path.join(root, "lm_eval", "tasks", "truthfulqa", "utils.py"))
    return utils, api_utils, tqa_utils


class Loader(yaml.SafeLoader):
    pass


Loader.add_constructor("!function", lambda loader, node: "!function " + loader.construct_scalar(node))


def task_configs(root):
    folder = os.path.join(root, "lm_eval", "tasks", "truthfulqa")
    with open(os.path.join(folder, "truthfulqa_mc1.yaml")) as f:
        mc1 = yaml.load(f, Loader=Loader)
    with open(os.path.join(folder, "truthfulqa_mc2.yaml")) as f:
        mc2 = yaml.load(f, Loader=Loader)
    assert mc2.pop("include") == "truthfulqa_mc1.yaml"
    merged = dict(mc1)
    merged.update(mc2)
    return {"mc1": mc1, "mc2": merged}


def read_docs(path):
    with open(path, encoding="utf-8") as f:
        contents = json.load(f)
    docs = []
    for row in contents:
        docs.append({
            "question": row["question"],
            "mc1_targets": {"choices": list(row["mc1_targets"].keys()), "labels": list(row["mc1_targets"].values())},
            "mc2_targets": {"choices": list(row["mc2_targets"].keys()), "labels": list(row["mc2_targets"].values())},
        })
    return docs


def request(cfg, doc, utils, api_utils):
    assert cfg["output_type"] == "multiple_choice" and cfg["num_fewshot"] == 0
    assert "description" not in cfg
    target_delimiter = cfg.get("target_delimiter", " ")
    text = utils.apply_template(cfg["doc_to_text"], doc)
    ctx = "".join(m.to_text() for m in [api_utils.Message("user", text, "")])
    choices = ast.literal_eval(utils.apply_template(cfg["doc_to_choice"], doc))
    gold = cfg["doc_to_target"]
    assert isinstance(gold, int)
    return ctx, [target_delimiter + c for c in choices], gold


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    root = sys.argv[1]
    utils, api_utils, tqa_utils = harness_modules(root)
    cfgs = task_configs(root)
    assert cfgs["mc2"]["process_results"] == "!function utils.process_results_mc2"
    docs = read_docs(os.path.join(HERE, "mc_task.json"))
    rng = random.Random(15)
    out = {
        "harness_commit": sys.argv[2] if len(sys.argv) == 3 else None,
        "versions": {"truthfulqa_" + t: c["metadata"]["version"] for t, c in cfgs.items()},
        "docs": [],
    }
    for i, doc in enumerate(docs):
        entry = {"index": i, "question": doc["question"]}
        for task, cfg in cfgs.items():
            ctx, conts, gold = request(cfg, doc, utils, api_utils)
            entry[task] = {"context": ctx, "continuations": conts, "gold": gold,
                           "labels": doc[task + "_targets"]["labels"]}
        lls = [rng.uniform(-40, -2) for _ in doc["mc2_targets"]["choices"]]
        entry["mc2_check"] = {"loglikelihoods": lls,
                              "acc": float(tqa_utils.process_results_mc2(doc, [(ll, False) for ll in lls])["acc"])}
        out["docs"].append(entry)
    # The split of TruthfulQAData.Split: random.seed, random.shuffle of the
    # indices, the first int(frac * n) learned from.
    out["splits"] = []
    for seed, frac in [(42, 0.5), (43, 0.5), (0, 0.25), (2**40 + 7, 0.75)]:
        idx = list(range(len(docs)))
        random.seed(seed)
        random.shuffle(idx)
        out["splits"].append({"seed": seed, "frac": frac, "fit": sorted(idx[:int(frac * len(docs))])})
    with open(os.path.join(HERE, "prompts.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(out['docs'])} documents")


if __name__ == "__main__":
    main()
