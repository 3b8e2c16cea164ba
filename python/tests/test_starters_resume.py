"""models/train_starters.py spreads a long schedule over several sessions: a run stopped mid-epoch (and again at
an epoch boundary) and rerun with the same command ends with exactly the weights, BatchNorm statistics and log of
the uninterrupted run; a rerun with different arguments is refused in one line naming the argument."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SCRIPT = os.path.join(REPO, "models/train_starters.py")


def make_cifar_like(root: str, n_train: int = 40, n_test: int = 10) -> None:
    rng = np.random.RandomState(0)
    for split, n in (("train", n_train), ("test", n_test)):
        for c in ("a", "b"):
            os.makedirs(os.path.join(root, split, c))
            for i in range(n // 2):
                px = rng.randint(0, 256, (32, 32, 3), dtype=np.uint8)
                px[..., 0] = px[..., 0] // 2 + (100 if c == "a" else 0)
                Image.fromarray(px).save(os.path.join(root, split, c, f"{i:04d}.png"))


class StarterResume(unittest.TestCase):
    def run_script(self, arch: str, data: str, *extra: str) -> subprocess.CompletedProcess:
        args = [sys.executable, SCRIPT, "--arch", arch, "--epochs", "3", "--batch", "8", "--threads", "1",
                "--data", data, "--out", os.path.join(data, "out"), "--state", os.path.join(data, "state.pt"), *extra]
        return subprocess.run(args, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})

    def check(self, arch: str) -> None:
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        straight, chopped = os.path.join(tmp, "straight"), os.path.join(tmp, "chopped")
        make_cifar_like(straight)
        shutil.copytree(straight, chopped)
        r = self.run_script(arch, straight)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        # 40 images / batch 8 = 5 steps an epoch: stop mid-epoch 1, then at the start of epoch 2, then finish
        for stop in ("7", "10"):
            r = self.run_script(arch, chopped, "--stop-after-steps", stop)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertIn(f"stopped (--stop-after-steps {stop})", r.stdout)
        r = self.run_script(arch, chopped, "--epochs", "4")
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr.strip().splitlines()[-1], r"state\.pt: was made with epochs = 3, this run asks for 4")
        r = self.run_script(arch, chopped)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("resumed", r.stdout)
        a = torch.load(os.path.join(straight, f"starter-{arch}.pt"))
        b = torch.load(os.path.join(chopped, f"starter-{arch}.pt"))
        self.assertEqual(a.keys(), b.keys())
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)
        la = torch.load(os.path.join(straight, "state.pt"), weights_only=False)["history"]
        lb = torch.load(os.path.join(chopped, "state.pt"), weights_only=False)["history"]
        self.assertEqual([(h["steps"], h["train_loss"], h["train_acc"]) for h in la],
                         [(h["steps"], h["train_loss"], h["train_acc"]) for h in lb])
        self.assertEqual(len(la), 3)

    def test_warm_restart(self) -> None:
        """--init-from starts a new one-cycle schedule from an earlier run's weights (exactly those weights), keeps
        its own state file, and records the weights' sha256 and the earlier run's history."""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        make_cifar_like(tmp)
        r = self.run_script("resnet", tmp, "--epochs", "1")
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        w = os.path.join(tmp, "w.pt")
        shutil.copy(os.path.join(tmp, "starter-resnet.pt"), w)
        shutil.copy(os.path.join(tmp, "out", "starter-resnet.train.json"), os.path.join(tmp, "w.train.json"))
        with open(w, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        base = [sys.executable, SCRIPT, "--arch", "resnet", "--epochs", "2", "--batch", "8", "--threads", "1",
                "--data", tmp, "--out", os.path.join(tmp, "out2"), "--init-from", w, "--seed", "1"]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        state = os.path.join(REPO, "models", ".train", f"starter-resnet-from-{sha[:8]}.state.pt")
        self.addCleanup(lambda: os.path.exists(state) and os.remove(state))
        r = subprocess.run([*base, "--stop-after-steps", "0"], capture_output=True, text=True, timeout=300, env=env)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn(state, r.stdout)  # its own state file: the earlier run's state is left alone
        st = torch.load(state, weights_only=False)
        w0 = torch.load(w)
        for k in w0:
            self.assertTrue(torch.equal(st["model"][k], w0[k]), k)
        self.assertEqual(st["identity"]["init_sha256"], sha)
        r = subprocess.run(base, capture_output=True, text=True, timeout=300, env=env)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("resumed", r.stdout)
        with open(os.path.join(tmp, "out2", "starter-resnet.train.json")) as f:
            log = json.load(f)
        self.assertEqual(log["init_from"]["sha256"], sha)
        self.assertEqual(len(log["init_from"]["earlier"]["history"]), 1)
        self.assertEqual(len(log["history"]), 2)
        self.assertEqual(log["history"][-1]["steps"], 10)

    def test_distilled_bf16(self) -> None:
        """--teacher + --bf16: the teacher's labels are what the student learns (a teacher that always says class 7,
        at --distill-alpha 1, turns every prediction to 7 though the data holds classes 0 and 1), the recipe records
        the teacher's sha256 and the precision, and a stopped distilled bf16 run resumes to the same weights."""
        sys.path.insert(0, os.path.join(REPO, "models"))
        import train_starters  # noqa: E402

        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        make_cifar_like(tmp)
        teacher = train_starters.CifarResNet()
        with torch.no_grad():
            teacher.fc.weight.zero_()
            teacher.fc.bias.zero_()
            teacher.fc.bias[7] = 1.0
        tpath = os.path.join(tmp, "teacher.pt")
        torch.save(teacher.state_dict(), tpath)
        with open(tpath, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        r = self.run_script("vit", tmp, "--bf16", "--teacher", tpath, "--distill-alpha", "1", "--lr", "0.01")
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(os.path.join(tmp, "out", "starter-vit.train.json")) as f:
            log = json.load(f)
        self.assertEqual(log["recipe"]["precision"], "bf16-autocast")
        self.assertEqual(log["recipe"]["distill"]["sha256"], sha)
        self.assertEqual(log["history"][-1]["train_acc"], 0.0)  # it predicts the teacher's 7, never the true 0/1
        student = train_starters.ViT()
        student.load_state_dict(torch.load(os.path.join(tmp, "starter-vit.pt")))
        x = torch.randn(16, 3, 32, 32)
        with torch.no_grad():
            self.assertTrue(bool((student.eval()(x).argmax(1) == 7).all()))
        # stopped mid-epoch and resumed: the same weights as the uninterrupted distilled bf16 run
        other = os.path.join(tmp, "again")
        make_cifar_like(other)
        extra = ("--bf16", "--teacher", tpath, "--distill-alpha", "1", "--lr", "0.01")
        r = self.run_script("vit", other, *extra, "--stop-after-steps", "7")
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        r = self.run_script("vit", other, *extra)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn("resumed", r.stdout)
        a, b = torch.load(os.path.join(tmp, "starter-vit.pt")), torch.load(os.path.join(other, "starter-vit.pt"))
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)

    def test_resnet(self) -> None:
        self.check("resnet")

    def test_vit(self) -> None:
        self.check("vit")


if __name__ == "__main__":
    unittest.main()
