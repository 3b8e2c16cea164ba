"""Continue anywhere, from the studio: a run trained in the studio (its store and worker, driven through the actions
its buttons call) is stopped after its first epoch and exported as checkpoint.safetensors alone — the one file a
user downloads from Results; `python -m vp_studio.train --resume` continues it for two epochs (given --data and
--onnx: the studio's checkpoint names the files, not where they are on this machine) and stops as a job's time slot
ends; the studio imports PyTorch's checkpoint, resumes it and finishes. Every step's loss and the final tensors
match one uninterrupted `vp-studio train` run of the same settings (taken from the studio's checkpoint), ≤ 1e-4.
Continuing on other images, or another backbone, is refused in one line on each side."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import tiny
from harness import NODE, REPO, HERE, make_folder, metrics, step_losses
from vp_studio.safetensors_io import read_safetensors
from vp_studio.train import main as py_train
from vp_studio.runfiles import read_checkpoint

CHAINS = {
    "resnet-lorvp-lp-sgd": ("tv-resnet", "tiny:tv_resnet", 32, {"method": "lorvp", "head": "lp", "rank": 2, "init": "normal,normal", "lr": 0.002, "optimizer": "sgd"}),
    "vit-vptdeep-ilm-adamw": ("tv-vit", "tiny:tv_vit", 16, {"method": "vpt-deep", "head": "ilm", "tokens": 2, "lr": 0.05, "optimizer": "adamw"}),
}
EPOCHS = 8
SWITCHES = {"shuffle": "--no-shuffle", "augment": "--no-augment"}
NOT_SETTINGS = {"model", "data", "out", "val", "inputSize", "torchModel"}


def studio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([NODE, os.path.join(HERE, "studio_steps.mjs"), *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def cli_args(flags: dict) -> list:
    """A checkpoint's flags as `vp-studio train` arguments (the same settings)."""
    out = []
    for k, v in flags.items():
        if k in NOT_SETTINGS or v is None:
            continue
        if k in SWITCHES:
            out += [] if v else [SWITCHES[k]]
        else:
            out += ["--" + "".join("-" + c.lower() if c.isupper() else c for c in k), str(v)]
    return out


class StudioChain(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="vp-studio-chain-")

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_studio_then_python_then_studio_ends_where_one_run_ends(self) -> None:
        for name, (fam, spec, L, settings) in CHAINS.items():
            with self.subTest(chain=name):
                self.chain(name, fam, spec, L, settings)

    def chain(self, name: str, fam: str, spec: str, L: int, settings: dict) -> None:
        t = os.path.join(self.tmp, name)
        onnx, data, run = os.path.join(t, "bb.onnx"), os.path.join(t, "pets"), os.path.join(t, "downloads")
        os.makedirs(t)
        tiny.export_onnx(tiny.BUILDERS[fam][0](), onnx, L)
        make_folder(data, ["ant", "bee", "cat"], [6, 6, 6], L, seed=11)
        cfg = {**settings, "epochs": EPOCHS, "batchSize": 5, "seed": 2, "augment": True, "shuffle": True}
        r = studio("start", onnx, data, run, json.dumps(cfg))
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertEqual(sorted(os.listdir(run)), ["checkpoint.safetensors", "studio-steps.json"])
        meta, _ = read_checkpoint(run)
        first, flags = meta["epoch"], meta["flags"]
        self.assertLess(first, EPOCHS - 2, "the studio run finished before it could be stopped")
        self.assertEqual((flags["model"], flags["data"]), ("bb.onnx", "pets"))  # names: where they are is the reader's
        self.assertEqual(meta["classes"], ["ant", "bee", "cat"])
        self.assertEqual(meta["data"], {"train": 15, "val": 3})
        with open(os.path.join(run, "studio-steps.json")) as f:
            studio_first = [p["loss"] for p in json.load(f)]

        # the reference: one uninterrupted CLI run of the checkpoint's settings
        full = os.path.join(t, "full")
        r = subprocess.run([NODE, os.path.join(REPO, "bin/vp-studio.mjs"), "train", "--model", onnx, "--data", data, "--out", full, "--quiet", *cli_args(flags)],
                           cwd=REPO, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        ref = step_losses(full)
        spe = len(ref) // EPOCHS
        self.assertGreaterEqual(len(studio_first), first * spe)

        # PyTorch refuses other images, then continues for two epochs and stops (a job's time slot)
        fewer = os.path.join(t, "fewer")
        shutil.copytree(data, fewer)
        os.remove(os.path.join(fewer, "cat", "005.png"))
        self.assertEqual(py_train(["--resume", run, "--model", spec, "--onnx", onnx, "--data", fewer, "--quiet"]), 1)
        self.assertEqual(py_train(["--resume", run, "--model", spec, "--onnx", onnx, "--data", data, "--stop-after", str(first + 2), "--quiet"]), 0)
        meta2, _ = read_checkpoint(run)
        self.assertEqual(meta2["epoch"], first + 2)
        self.assertEqual(meta2["backbone"]["sha256"], meta["backbone"]["sha256"])
        same = lambda f: {k: v for k, v in f.items() if k not in NOT_SETTINGS}  # noqa: E731
        self.assertEqual(same(meta2["flags"]), same(flags))  # PyTorch writes the settings as the studio did, string for string
        py = [m for m in metrics(run) if "step" in m]
        self.assertEqual((py[0]["step"], py[-1]["step"]), (first * spe, (first + 2) * spe - 1))

        # the studio imports PyTorch's checkpoint, resumes it and finishes
        r = studio("resume", onnx, data, run)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn(f"after epoch {first + 2} of {EPOCHS}", r.stderr)
        with open(os.path.join(run, "studio-steps.json")) as f:
            studio_last = [p["loss"] for p in json.load(f)]
        chain = studio_first[: first * spe] + [m["loss"] for m in py] + studio_last
        self.assertEqual(len(chain), len(ref))
        d = max(abs(x - y) for x, y in zip(chain, ref))
        self.assertLessEqual(d, 1e-4, f"{name}: losses differ by {d:.2e}")
        ta, tb = read_safetensors(os.path.join(full, "prompt.safetensors"))[0], read_safetensors(os.path.join(run, "prompt.safetensors"))[0]
        self.assertEqual(sorted(ta), sorted(tb))
        worst = max(float((ta[k].double() - tb[k].double()).abs().max()) for k in ta)
        self.assertLessEqual(worst, 1e-4)
        with open(os.path.join(run, "manifest.json")) as f:
            self.assertEqual(json.load(f)["backbone"]["sha256"], meta["backbone"]["sha256"])
        print(f"\n{name}: studio epochs 1–{first}, PyTorch {first + 1}–{first + 2}, studio {first + 3}–{EPOCHS}: "
              f"losses within {d:.2e}, tensors within {worst:.2e} of the uninterrupted CLI run")


if __name__ == "__main__":
    unittest.main()
