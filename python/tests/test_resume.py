"""Continue anywhere: a `vp-studio train` run killed after its first checkpoint continues in
`python -m vp_studio.train --resume` for two epochs (stopping with its own checkpoint, as a job whose time slot
ends), and `vp-studio train --resume` finishes it — ending where the uninterrupted CLI run ends (per-step losses and
tensors ≤ 1e-4), with SGD's momentum buffers and AdamW's moments and step count carried across both hand-overs."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import tiny
from harness import NODE, REPO, make_folder, metrics, step_losses
from vp_studio.safetensors_io import read_safetensors
from vp_studio.train import main as py_train

CHAINS = {
    "vit-vptdeep-ilm-adamw": ("tv-vit", "tiny:tv_vit", 16, ["--method", "vpt-deep", "--head", "ilm", "--tokens", "2", "--optimizer", "adamw", "--lr", "0.05"]),
    "resnet-lorvp-lp-sgd": ("tv-resnet", "tiny:tv_resnet", 32, ["--method", "lorvp", "--head", "lp", "--rank", "2", "--init", "normal,normal", "--lr", "0.002"]),
}
EPOCHS = 8


def cli_train(args, **kw) -> subprocess.Popen:
    return subprocess.Popen([NODE, os.path.join(REPO, "bin/vp-studio.mjs"), "train", *args], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


class ContinueAnywhere(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="vp-resume-")

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_cli_then_python_then_cli_ends_where_the_cli_alone_ends(self) -> None:
        for name, (fam, spec, L, flags) in CHAINS.items():
            with self.subTest(chain=name):
                self.chain(name, fam, spec, L, flags)

    def chain(self, name: str, fam: str, spec: str, L: int, flags) -> None:
        t = os.path.join(self.tmp, name)
        onnx, data = os.path.join(t, "bb.onnx"), os.path.join(t, "data")
        os.makedirs(t)
        tiny.export_onnx(tiny.BUILDERS[fam][0](), onnx, L)
        make_folder(data, ["ant", "bee", "cat"], [6, 6, 6], L, seed=11)
        args = ["--model", onnx, "--data", data, "--epochs", str(EPOCHS), "--batch-size", "5", "--seed", "2", "--quiet", *flags]
        full, cut = os.path.join(t, "full"), os.path.join(t, "cut")
        self.assertEqual(cli_train([*args, "--out", full]).wait(), 0)
        # the studio side is interrupted (SIGKILL) as soon as its first checkpoint exists
        p = cli_train([*args, "--out", cut])
        while not os.path.exists(os.path.join(cut, "checkpoint.json")) and p.poll() is None:
            time.sleep(0.002)
        p.kill()
        p.wait()
        with open(os.path.join(cut, "checkpoint.json")) as f:
            first = json.load(f)["epoch"]
        self.assertLess(first, EPOCHS - 2, "the CLI run finished before it could be interrupted")
        # PyTorch continues for two epochs and stops, leaving its checkpoint
        self.assertEqual(py_train(["--resume", cut, "--model", spec, "--stop-after", str(first + 2), "--quiet"]), 0)
        with open(os.path.join(cut, "checkpoint.json")) as f:
            ck = json.load(f)
        self.assertEqual(ck["epoch"], first + 2)
        self.assertEqual(ck["flags"]["model"], os.path.abspath(onnx))
        py_steps = [m for m in metrics(cut) if "step" in m]
        self.assertEqual(py_steps[-1]["epoch"], first + 1)
        # … and the CLI finishes it
        r = subprocess.run([NODE, os.path.join(REPO, "bin/vp-studio.mjs"), "train", "--resume", cut, "--quiet"], cwd=REPO, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        la, lb = step_losses(full), step_losses(cut)
        self.assertEqual([m["step"] for m in metrics(cut) if "step" in m], list(range(len(la))))
        d = max(abs(x - y) for x, y in zip(la, lb))
        self.assertLessEqual(d, 1e-4, f"{name}: losses differ by {d:.2e}")
        ta, tb = read_safetensors(os.path.join(full, "prompt.safetensors"))[0], read_safetensors(os.path.join(cut, "prompt.safetensors"))[0]
        self.assertEqual(sorted(ta), sorted(tb))
        worst = max(float((ta[k].double() - tb[k].double()).abs().max()) for k in ta)
        self.assertLessEqual(worst, 1e-4)
        print(f"\n{name}: CLI epochs 1–{first}, PyTorch {first + 1}–{first + 2}, CLI {first + 3}–{EPOCHS}: losses within {d:.2e}, tensors within {worst:.2e} of the uninterrupted run")


if __name__ == "__main__":
    unittest.main()
