"""python -m vp_studio.train reproduces `vp-studio train`: the same configuration (from the CLI run's manifest) on
the PyTorch model whose ONNX export the CLI trained gives the same per-step losses (≤ 1e-4), mappings, validation
accuracies and tensors; under torchrun (2 processes, gloo) it gives the single process's losses (≤ 1e-5 rel.) and
tensors; and the run it writes is one `vp-studio eval` scores to the same accuracy."""
from __future__ import annotations

import os
import shutil
import tempfile
import unittest

import torch

import tiny
from harness import cli, cli_json, make_folder, metrics, ort_logits, rel_err, run_python, step_losses
from vp_studio import apply
from vp_studio.safetensors_io import read_safetensors
from vp_studio.train import main as py_train

COMMON = ["--quiet"]
CASES = {
    # name: (backbone, data, CLI flags) — augmentation and shuffling on unless said otherwise
    "vit-vptdeep-ilm-adamw": ("tv-vit", "flat16", ["--method", "vpt-deep", "--head", "ilm", "--tokens", "2", "--epochs", "3", "--batch-size", "5", "--lr", "0.1", "--optimizer", "adamw", "--seed", "4"]),
    "resnet-lorvp-lp-sgd": ("tv-resnet", "split32", ["--method", "lorvp", "--head", "lp", "--rank", "2", "--init", "normal,normal", "--epochs", "2", "--batch-size", "7", "--lr", "0.001", "--prompt-lr", "0.002", "--warmup", "2", "--seed", "1"]),
    "vit-pad-fm-sgd": ("tv-vit", "flat16", ["--method", "pad", "--head", "fm", "--pad-width", "2", "--epochs", "2", "--batch-size", "6", "--lr", "0.05", "--scheduler", "multistep", "--no-shuffle", "--no-augment"]),
    "resnet-none-fm-adamw": ("tv-resnet", "split32", ["--method", "none", "--head", "fm", "--epochs", "2", "--batch-size", "8", "--lr", "0.02", "--optimizer", "adamw", "--no-augment"]),
}
SPEC = {"tv-vit": "tiny:tv_vit", "tv-resnet": "tiny:tv_resnet"}


class TrainMatchesCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = t = tempfile.mkdtemp(prefix="vp-train-")
        for fam in SPEC:
            build, L = tiny.BUILDERS[fam]
            tiny.export_onnx(build(), os.path.join(t, f"{fam}.onnx"), L)
        make_folder(os.path.join(t, "flat16"), ["ant", "bee", "cat"], [7, 6, 5], 16, seed=3)
        make_folder(os.path.join(t, "split32", "train"), ["ant", "bee", "cat"], [5, 5, 5], 32, seed=5)
        make_folder(os.path.join(t, "split32", "val"), ["ant", "bee", "cat"], [3, 3, 3], 32, seed=6)
        cls.onnx = lambda _, fam: os.path.join(t, f"{fam}.onnx")
        cli([["train", "--model", os.path.join(t, f"{fam}.onnx"), "--data", os.path.join(t, data), "--out", os.path.join(t, "cli", name), *flags, *COMMON]
             for name, (fam, data, flags) in CASES.items()])
        for name, (fam, data, _) in CASES.items():
            rc = py_train(["--like", os.path.join(t, "cli", name), "--model", SPEC[fam], "--onnx", os.path.join(t, f"{fam}.onnx"),
                           "--data", os.path.join(t, data), "--out", os.path.join(t, "py", name), "--quiet"])
            assert rc == 0, name

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_same_losses_mappings_accuracies_and_tensors_as_the_cli(self) -> None:
        worst_loss = worst_tensor = 0.0
        for name in CASES:
            with self.subTest(case=name):
                a, b = os.path.join(self.tmp, "cli", name), os.path.join(self.tmp, "py", name)
                la, lb = step_losses(a), step_losses(b)
                self.assertEqual(len(la), len(lb))
                self.assertGreater(len(la), 3)
                d = max(abs(x - y) for x, y in zip(la, lb))
                worst_loss = max(worst_loss, d)
                self.assertLessEqual(d, 1e-4, f"{name}: per-step losses differ by {d:.2e}")
                ma, mb = metrics(a), metrics(b)
                self.assertEqual([m["mapping"] for m in ma if "mapping" in m], [m["mapping"] for m in mb if "mapping" in m])
                self.assertEqual([m["lr"] for m in ma if "step" in m], [m["lr"] for m in mb if "step" in m])
                self.assertEqual([m["val_acc"] for m in ma if "val_acc" in m], [m["val_acc"] for m in mb if "val_acc" in m])
                ta, tb = read_safetensors(os.path.join(a, "prompt.safetensors"))[0], read_safetensors(os.path.join(b, "prompt.safetensors"))[0]
                self.assertEqual(sorted(ta), sorted(tb))
                for k in ta:
                    e = float((ta[k].double() - tb[k].double()).abs().max())
                    worst_tensor = max(worst_tensor, e)
                    self.assertLessEqual(e, 1e-4, f"{name}: {k} differs by {e:.2e}")
        print(f"\nCLI vs vp_studio.train: per-step losses within {worst_loss:.2e}, tensors within {worst_tensor:.2e}")

    def test_torchrun_two_processes_equal_one(self) -> None:
        name = "resnet-lorvp-lp-sgd"  # 15 images in batches of 7: the last batch (1 image) leaves process 1 without rows
        out = os.path.join(self.tmp, "ddp")
        run_python(["--like", os.path.join(self.tmp, "cli", name), "--model", SPEC["tv-resnet"], "--onnx", self.onnx("tv-resnet"),
                    "--data", os.path.join(self.tmp, "split32"), "--out", out, "--no-export", "--quiet"], nproc=2)
        one = os.path.join(self.tmp, "py", name)
        la, lb = step_losses(one), step_losses(out)
        self.assertEqual(len(la), len(lb))
        rel = max(abs(x - y) / max(abs(x), 1e-3) for x, y in zip(la, lb))
        self.assertGreater(min(la), 1e-2)
        self.assertLessEqual(rel, 1e-5)
        ta, tb = read_safetensors(os.path.join(one, "prompt.safetensors"))[0], read_safetensors(os.path.join(out, "prompt.safetensors"))[0]
        worst = max(float((ta[k] - tb[k]).abs().max()) for k in ta)
        self.assertLessEqual(worst, 1e-5)
        self.assertIn("× 2", metrics_backend(out))
        print(f"\ntorchrun 2 processes vs 1: losses within {rel:.2e} rel., tensors within {worst:.2e}")

    def test_a_python_run_evaluates_in_the_cli_to_the_same_accuracy(self) -> None:
        run = os.path.join(self.tmp, "py", "resnet-lorvp-lp-sgd")
        import json
        with open(os.path.join(run, "manifest.json")) as f:
            man = json.load(f)
        r = cli_json(["eval", "--run", run, "--data", os.path.join(self.tmp, "split32", "val")])
        self.assertEqual(r["images"], 9)
        self.assertEqual(r["accuracy"], man["final"]["val_acc"])
        self.assertAlmostEqual(r["loss"], man["final"]["val_loss"], places=4)
        # the model.onnx written by torch.onnx.export is the wrapped model
        x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            ours = apply(tiny.tv_resnet(), run)(x)
        self.assertLessEqual(rel_err(ours, ort_logits(os.path.join(run, "model.onnx"), x)), 1e-4)


def metrics_backend(run: str) -> str:
    import json
    with open(os.path.join(run, "manifest.json")) as f:
        return json.load(f)["backend"]


if __name__ == "__main__":
    unittest.main()
