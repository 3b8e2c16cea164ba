#!/usr/bin/env python3
"""Write models/starters.json and refresh the bundled-starter entries of models/catalog.json.

    /usr/bin/python3 models/make_metadata.py [--eval-json /tmp/starters/onnx_eval.json]

Reads models/starter-<arch>.train.json (written by train_starters.py), hashes the .onnx files
and takes the test accuracy from the onnxruntime-node evaluation (eval_onnx.cjs output, one JSON
object per line) when given, else from the torch evaluation in the training log.
Download entries of catalog.json (source = "download") are kept as they are.
"""
import argparse
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = {"resnet": "Starter ResNet (CIFAR-10, 32x32)", "vit": "Starter ViT-Tiny/4 (CIFAR-10, 32x32)"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-json", default=None)
    args = ap.parse_args()
    onnx_acc = {}
    if args.eval_json and os.path.exists(args.eval_json):
        for line in open(args.eval_json):
            if line.strip().startswith("{"):
                r = json.loads(line)
                if r.get("n") == 10000:
                    onnx_acc[os.path.basename(r["model"])] = r
    # the learning rates each starter recommends are measured on the demo task (scripts/demo-defaults.mjs), not
    # here: kept as they are, to be re-measured when a starter is retrained
    prev_path = os.path.join(HERE, "starters.json")
    prev = {s["id"]: s for s in json.load(open(prev_path))} if os.path.exists(prev_path) else {}
    def schedule(log):
        """(epochs, wall seconds) over the run and the runs its weights started from (--init-from warm restarts)."""
        ep, wall = log.get("epochs_done", log["epochs"]), log.get("train_wall_s") or 0
        earlier = (log.get("init_from") or {}).get("earlier")
        if earlier:
            e2, w2 = schedule(earlier)
            ep, wall = ep + e2, wall + w2
        return ep, wall

    starters = []
    for arch in ("resnet", "vit"):
        tj = os.path.join(HERE, f"starter-{arch}.train.json")
        onnx_path = os.path.join(HERE, f"starter-{arch}.onnx")
        if not (os.path.exists(tj) and os.path.exists(onnx_path)):
            continue
        log = json.load(open(tj))
        epochs, wall = schedule(log)
        sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
        ev = onnx_acc.get(os.path.basename(onnx_path))
        acc = ev["accuracy"] if ev else log["torch_test_acc"]
        starters.append({
            "id": f"starter-{arch}", "file": f"models/starter-{arch}.onnx", "family": arch,
            "inputSize": 32, "mean": list(log["mean"]), "std": list(log["std"]), "classes": log["classes"],
            "testAccuracy": round(acc, 4),
            "testAccuracySource": "onnxruntime-node on the 10,000 CIFAR-10 test images" if ev
            else "torch on the 10,000 CIFAR-10 test images (same weights as the .onnx)",
            "torchTestAccuracy": log["torch_test_acc"],
            "sha256": sha, "params": log["params"], "bytes": os.path.getsize(onnx_path),
            "inputName": "input", "outputName": "logits", "opset": 17,
            "epochs": epochs, "trainWallSeconds": round(wall, 1) if log.get("train_wall_s") else None,
            **({"recommended": prev[f"starter-{arch}"]["recommended"]} if "recommended" in prev.get(f"starter-{arch}", {}) else {}),
        })
    with open(os.path.join(HERE, "starters.json"), "w", encoding="utf-8") as f:
        json.dump(starters, f, indent=1, ensure_ascii=False)
        f.write("\n")
    cat_path = os.path.join(HERE, "catalog.json")
    cat = json.load(open(cat_path))
    remote = [b for b in cat["backbones"] if b.get("source") != "bundled"]
    bundled = []
    for s in starters:
        extra = {"patchSize": 4, "hidden": 128, "depth": 4, "heads": 4} if s["family"] == "vit" else {}
        bundled.append({
            "id": s["id"], "name": NAMES[s["family"]], "source": "bundled", "file": s["file"],
            "family": s["family"], "inputSize": 32, "resize": {"exact": 32}, "mean": s["mean"], "std": s["std"],
            "inputName": "input", "outputName": "logits", "numClasses": 10, "classes": s["classes"], **extra,
            "opset": 17, "params": s["params"], "sizeMB": round(s["bytes"] / 1e6, 2), "sizeBytes": s["bytes"],
            "sha256": s["sha256"],
            "top1": round(100 * s["testAccuracy"], 2), "top1On": "CIFAR-10 test (10,000 images)",
            "licence": "MIT (weights trained by this project; CIFAR-10 training data: Krizhevsky 2009, no licence)",
            "verified": True,
            "checkedAt": "built and evaluated in this repository by models/train_starters.py + models/eval_onnx.cjs",
        })
    cat["backbones"] = bundled + remote
    with open(cat_path, "w", encoding="utf-8") as f:
        json.dump(cat, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(json.dumps(starters, indent=1))


if __name__ == "__main__":
    main()
