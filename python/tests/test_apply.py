"""apply(model, run) gives the class scores of the run's exported model.onnx (≤ 1e-4 relative), for every method
and head on torchvision's ResNet and ViT and on timm- and transformers-layout ViTs: each run is trained (one
step) by the project's `vp-studio train` on the model's ONNX export, then the same random-weight model is wrapped
in PyTorch and both run on the same images (model.onnx in onnxruntime-node)."""
from __future__ import annotations

import os
import shutil
import tempfile
import unittest

import torch

import tiny
from harness import cli, make_folder, ort_logits, rel_err
from vp_studio import RunError, apply, load_run

CASES = {
    "tv-vit": [(m, h) for m in ("lorvp", "pad", "vpt", "vpt-deep") for h in ("lp", "fm", "flm")] + [("vpt-deep", "ilm")],
    "tv-resnet": [(m, h) for m in ("lorvp", "pad", "none") for h in ("lp", "fm", "flm") if (m, h) != ("none", "flm")],
    "timm-vit": [("vpt-deep", "lp"), ("vpt", "fm"), ("lorvp", "flm"), ("pad", "lp")],
    "hf-vit": [("vpt-deep", "fm"), ("vpt", "lp"), ("pad", "flm"), ("lorvp", "lp")],
}


class ApplyMatchesOnnx(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.mkdtemp(prefix="vp-apply-")
        jobs = []
        for fam, cases in CASES.items():
            build, L = tiny.BUILDERS[fam]
            onnx = os.path.join(cls.tmp, f"{fam}.onnx")
            tiny.export_onnx(build(), onnx, L)
            data = os.path.join(cls.tmp, f"data{L}")
            if not os.path.isdir(data):
                make_folder(data, ["ant", "bee"], [4, 4], L, seed=L)
            for method, head in cases:
                jobs.append(["train", "--model", onnx, "--data", data, "--out", os.path.join(cls.tmp, f"{fam}-{method}-{head}"),
                             "--method", method, "--head", head, "--epochs", "1", "--batch-size", "6", "--lr", "0.5",
                             "--init", "normal,normal", "--rank", "2", "--pad-width", str(L // 8), "--tokens", "2", "--quiet"])
        cli(jobs)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_method_and_head_matches_model_onnx(self) -> None:
        worst = 0.0
        for fam, cases in CASES.items():
            build, L = tiny.BUILDERS[fam]
            images = torch.rand(5, 3, L, L, generator=torch.Generator().manual_seed(7))
            for method, head in cases:
                with self.subTest(family=fam, method=method, head=head):
                    run_dir = os.path.join(self.tmp, f"{fam}-{method}-{head}")
                    wrapped = apply(build(), run_dir)
                    with torch.no_grad():
                        ours = wrapped(images)
                    ref = ort_logits(os.path.join(run_dir, "model.onnx"), images)
                    self.assertEqual(tuple(ours.shape), (5, 2))
                    err = rel_err(ours, ref)
                    worst = max(worst, err)
                    self.assertLessEqual(err, 1e-4, f"{fam} {method}+{head}: max rel. error {err:.2e}")
        print(f"\napply vs model.onnx: worst max rel. error {worst:.2e} over {sum(map(len, CASES.values()))} runs")

    def test_hooks_only_act_inside_the_wrapper(self) -> None:
        m = tiny.tv_vit()
        x = torch.rand(2, 3, 16, 16)
        with torch.no_grad():
            before = m(x)
            wrapped = apply(m, os.path.join(self.tmp, "tv-vit-vpt-deep-lp"))
            wrapped(x)
            after = m(x)
        self.assertTrue(torch.equal(before, after))

    def test_load_run_refuses_a_contradicting_manifest(self) -> None:
        src = os.path.join(self.tmp, "tv-vit-lorvp-lp")
        bad = os.path.join(self.tmp, "bad")
        shutil.copytree(src, bad)
        import json
        mp = os.path.join(bad, "manifest.json")
        with open(mp) as f:
            man = json.load(f)
        man["settings"]["rank"] = 3
        with open(mp, "w") as f:
            json.dump(man, f)
        with self.assertRaises(RunError) as e:
            load_run(bad)
        msg = str(e.exception)
        self.assertNotIn("\n", msg)
        self.assertRegex(msg, r"prompt\.B.*\[3, 16, 2\].*\[3,16,3\]")
        man["settings"]["rank"] = 2
        man["classes"] = ["ant", "bee", "cat"]
        with open(mp, "w") as f:
            json.dump(man, f)
        with self.assertRaisesRegex(RunError, r"head\.weight.*\[2, 16\].*3 classes"):
            load_run(bad)

    def test_apply_refuses_a_backbone_the_run_does_not_fit(self) -> None:
        with self.assertRaisesRegex(RunError, r"needs a ViT backbone.*torchvision-resnet"):
            apply(tiny.tv_resnet(), os.path.join(self.tmp, "tv-vit-vpt-lp"))
        with self.assertRaisesRegex(RunError, r"head\.weight reads 64 features but this torchvision-vit backbone gives 16"):
            apply(tiny.tv_vit(), os.path.join(self.tmp, "tv-resnet-none-lp"))


if __name__ == "__main__":
    unittest.main()
