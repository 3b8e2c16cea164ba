"""The README's "Use your prompt in PyTorch" code runs: every ```python block of python/README.md (and of the
project README once that section is merged there) is executed, with the downloads swapped for tiny random-weight
models of the same classes/layouts (torchvision's resnet50 → a narrowed torchvision ResNet; timm.create_model → a
timm-layout ViT; transformers' from_pretrained → a transformers-layout ViT) and the run folders it names for runs
trained here by `vp-studio train`; its scores must equal those runs' model.onnx."""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import types
import unittest
from unittest import mock

import torch
import torchvision

import tiny
from harness import REPO, cli, make_folder, ort_logits, rel_err

RUNS = {"runs/resnet50-lorvp": ("tv-resnet", ["--method", "lorvp", "--head", "lp", "--init", "normal,normal"]),
        "runs/vit-vpt-deep": ("timm-vit", ["--method", "vpt-deep", "--head", "lp", "--tokens", "2"]),
        "runs/hf-vit-vpt": ("hf-vit", ["--method", "vpt", "--head", "fm", "--tokens", "2"])}


def blocks(path: str) -> list:
    if not os.path.exists(path):
        return []
    text = open(path, encoding="utf-8").read()
    start = text.find("## Use your prompt in PyTorch")
    if start < 0:
        return []
    end = text.find("\n## ", start + 10)
    return re.findall(r"```python\n(.*?)```", text[start:end if end > 0 else None], re.S)


class ReadmeSnippets(unittest.TestCase):
    def test_every_snippet_gives_the_runs_model_onnx_scores(self) -> None:
        snippets = blocks(os.path.join(REPO, "python/README.md")) + blocks(os.path.join(REPO, "README.md"))
        self.assertGreaterEqual(len(snippets), 3)
        tmp = tempfile.mkdtemp(prefix="vp-readme-")
        try:
            jobs, dirs = [], {}
            for name, (fam, flags) in RUNS.items():
                build, L = tiny.BUILDERS[fam]
                onnx, data = os.path.join(tmp, f"{fam}.onnx"), os.path.join(tmp, f"data{L}")
                tiny.export_onnx(build(), onnx, L)
                if not os.path.isdir(data):
                    make_folder(data, ["ant", "bee"], [4, 4], L, seed=1)
                dirs[name] = os.path.join(tmp, fam)
                jobs.append(["train", "--model", onnx, "--data", data, "--out", dirs[name], "--epochs", "1", "--batch-size", "6", "--quiet", *flags])
            cli(jobs)
            fake_timm = types.SimpleNamespace(create_model=lambda name, pretrained=False: tiny.TimmStyleViT())
            fake_hf = types.SimpleNamespace(ViTForImageClassification=types.SimpleNamespace(from_pretrained=lambda path: tiny.HFStyleViTForImageClassification()))
            with mock.patch.dict(sys.modules, {"timm": fake_timm, "transformers": fake_hf}), \
                    mock.patch.object(torchvision.models, "resnet50", lambda weights=None: tiny.tv_resnet()):
                for code in snippets:
                    name = next(n for n in RUNS if f'"{n}"' in code)
                    L = tiny.BUILDERS[RUNS[name][0]][1]
                    images = torch.rand(3, 3, L, L, generator=torch.Generator().manual_seed(5))
                    ns = {"images": images}
                    with torch.no_grad():
                        exec(compile(code.replace(f'"{name}"', repr(dirs[name])), "README snippet", "exec"), ns)
                    err = rel_err(ns["scores"], ort_logits(os.path.join(dirs[name], "model.onnx"), images))
                    self.assertLessEqual(err, 1e-4, f"snippet for {name}: {err:.2e}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
