#!/usr/bin/python3
"""Makes prompts.json, the MMLU prompt fixture of package act (mmlu_test.go).

lm-evaluation-harness cannot be installed here (it needs torch, datasets,
...), so this script runs the parts of it that make an MMLU prompt, from a
checkout of its repository:

  - the task configs of lm_eval/tasks/mmlu/default/: the shared template
    (_default_template_yaml: doc_to_text, doc_to_choice, doc_to_target,
    fewshot_config) and each subject's yaml (description, tag), read with
    PyYAML, the subject's "include" merged under its own keys;
  - the harness's own Jinja environment and apply_template
    (lm_eval/utils.py: StrictUndefined, keep_trailing_newline=True) and its
    Message / maybe_delimit / requires_delimiter (lm_eval/api/utils.py),
    loaded straight from the files (numpy and requests, which those
    modules import but these functions never touch, are stubbed);
  - ConfigurableTask.fewshot_context and build_qa_turn for plain text (no
    chat template, no system instruction, no gen_prefix), step for step:
    the description resolved as a template, then for each of the first n
    dev documents (sampler first_n) a user message doc_to_text with the
    target delimiter and an assistant message with the answer choice and
    the fewshot delimiter, then the test document's doc_to_text with no
    delimiter; the messages' to_text() joined;
  - construct_requests for multiple_choice: one (context,
    target_delimiter + choice) request per choice.

The documents are read from the Hendrycks CSVs next to this file
(dev/<subject>_dev.csv, test/<subject>_test.csv) as the Hugging Face loader
of MMLU did: csv.reader on the file opened as UTF-8 text, rows question, A,
B, C, D, answer letter, giving {question, subject, choices, answer index}.

Usage:
    git -C HARNESS_GIT archive HEAD lm_eval | tar -x -C /tmp/harness
    /usr/bin/python3 make_prompts.py /tmp/harness [COMMIT]

Writes prompts.json next to this file: the harness commit (when given), the
description and category of all 57 subjects, and for every test question of
every subject here at 0, 1, 2 and 5 shots the context, the continuations
and the gold index.
"""

import csv
import importlib.util
import json
import os
import sys
import types

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SHOTS = [0, 1, 2, 5]


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def harness_modules(root):
    np = types.ModuleType("numpy")
    np.ndarray = object
    sys.modules.setdefault("numpy", np)
    sys.modules.setdefault("requests", types.ModuleType("requests"))
    utils = load_module("harness_utils", os.path.join(root, "lm_eval", "utils.py"))
    api_utils = load_module("harness_api_utils", os.path.join(root, "lm_eval", "api", "utils.py"))
    return utils, api_utils


def task_configs(root):
    folder = os.path.join(root, "lm_eval", "tasks", "mmlu", "default")
    with open(os.path.join(folder, "_default_template_yaml")) as f:
        base = yaml.safe_load(f)
    out = {}
    for name in sorted(os.listdir(folder)):
        if not (name.startswith("mmlu_") and name.endswith(".yaml")):
            continue
        with open(os.path.join(folder, name)) as f:
            cfg = yaml.safe_load(f)
        assert cfg.pop("include") == "_default_template_yaml", name
        merged = dict(base)
        merged.update(cfg)
        out[cfg["dataset_name"]] = merged
    return out


def read_docs(path, subject):
    docs = []
    with open(path, encoding="utf-8") as f:
        for row in csv.reader(f):
            docs.append({
                "question": row[0],
                "subject": subject,
                "choices": row[1:5],
                "answer": ["A", "B", "C", "D"].index(row[5]),
            })
    return docs


def context(cfg, doc, dev, shots, utils, api_utils):
    Message = api_utils.Message
    target_delimiter = cfg.get("target_delimiter", " ")
    fewshot_delimiter = cfg.get("fewshot_delimiter", "\n\n")
    assert cfg["fewshot_config"]["sampler"] == "first_n"

    def text(d):
        return utils.apply_template(cfg["doc_to_text"], d)

    def target(d):
        t = cfg["doc_to_target"]
        return d[t] if t in d else utils.apply_template(t, d)

    messages = []
    description = cfg.get("description")
    description = (description if description in doc else utils.apply_template(description, doc)) if description else ""
    system = api_utils.maybe_delimit(None, description, fewshot_delimiter)
    if system:
        messages.append(Message("system", system))
    for d in dev[:shots]:
        q, c, a = text(d), cfg["doc_to_choice"], target(d)
        answer = c[a] if isinstance(a, int) else a
        messages.append(Message("user", q, target_delimiter))
        messages.append(Message("assistant", api_utils.maybe_delimit(None, answer, " "), fewshot_delimiter))
    messages.append(Message("user", text(doc), ""))
    ctx = "".join(m.to_text() for m in messages)
    conts = [target_delimiter + c for c in cfg["doc_to_choice"]]
    return ctx, conts


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    root = sys.argv[1]
    utils, api_utils = harness_modules(root)
    cfgs = task_configs(root)
    out = {
        "harness_commit": sys.argv[2] if len(sys.argv) == 3 else None,
        "subjects": {
            s: {"description": c["description"], "category": c["tag"].removeprefix("mmlu_").removesuffix("_tasks")}
            for s, c in sorted(cfgs.items())
        },
        "prompts": [],
    }
    for name in sorted(os.listdir(os.path.join(HERE, "test"))):
        subject = name.removesuffix("_test.csv")
        cfg = cfgs[subject]
        dev = read_docs(os.path.join(HERE, "dev", subject + "_dev.csv"), subject)
        test = read_docs(os.path.join(HERE, "test", name), subject)
        for i, doc in enumerate(test):
            for shots in SHOTS:
                ctx, conts = context(cfg, doc, dev, shots, utils, api_utils)
                out["prompts"].append({
                    "subject": subject, "index": i, "shots": shots,
                    "context": ctx, "continuations": conts, "gold": doc["answer"],
                })
    with open(os.path.join(HERE, "prompts.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(out['prompts'])} prompts, {len(out['subjects'])} subjects")


if __name__ == "__main__":
    main()
